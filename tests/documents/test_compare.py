"""/verificar's comparison of an uploaded file with the signed original, in plain Spanish."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.verify import compare_with_original
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.domain.verification import with_code
from customer_portal.settings import Branding
from tests.factories import invoice_input


@pytest.fixture(scope="module")
def originals(pki):
    from customer_portal.documents.signing import InvoiceSigner
    from customer_portal.settings import DEMO_P12_PASSWORD

    signer = InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD)
    unsigned = [
        render_invoice_pdf(with_code(parse_invoice(invoice_input(n))), Branding())
        for n in ("F-CMP-1", "F-CMP-2")
    ]
    return unsigned[0], signer.sign(unsigned[0]).pdf, signer.sign(unsigned[1]).pdf


def test_the_original_itself_is_identical_and_its_signature_good(originals, trust_roots):
    _, original, _ = originals
    answer = compare_with_original(original, original, trust_roots)
    assert answer.identical and answer.tone == "green"
    assert "idéntico, byte a byte" in answer.text and "intacta y es de confianza" in answer.text


def test_every_other_file_is_not_the_original_and_says_why(originals, trust_roots):
    unsigned, original, other_invoice = originals
    changed = bytearray(original)
    changed[len(unsigned) // 2] ^= 0x01
    writer = IncrementalPdfFileWriter(BytesIO(original))
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")  # a change after signing
    writer.update_root()
    appended = BytesIO()
    writer.write(appended)
    cases = {
        bytes(changed): "se modificó después de firmarse",
        appended.getvalue(): "se le añadieron cambios después",
        unsigned: "No lleva firma digital",
        b"not a pdf at all": "no es un PDF legible",
        other_invoice: "corresponde a otro documento",
    }
    for uploaded, why in cases.items():
        answer = compare_with_original(uploaded, original, trust_roots)
        assert not answer.identical and answer.tone == "red"
        assert answer.text.startswith("El archivo no es la factura original") and why in answer.text


def test_the_original_whose_signature_cannot_be_validated_says_so(originals):
    _, original, _ = originals
    answer = compare_with_original(original, original, [])  # no root trusted
    assert answer.identical and "no se ha podido validar" in answer.text
