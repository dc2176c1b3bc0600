"""PAdES B-LT: with a CA that publishes OCSP and CRLs, the proof is embedded at signing.

Against a test PKI served live on loopback (tests/documents/ltv_pki.py):
signing fetches the OCSP response and CRLs over HTTP and embeds them; with
the responders gone, pyHanko's validator, offline, accepts the invoice as
long-term validatable.
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation

from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.signing import InvoiceSigner
from customer_portal.documents.verify import verify_pdf
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.settings import Branding
from tests.documents.ltv_pki import P12_PASSWORD, LivePki, offline_spec
from tests.factories import invoice_input


@pytest.fixture
def live_pki(tmp_path):
    pki = LivePki(tmp_path / "pki")
    yield pki
    pki.stop()


def signer_for(pki: LivePki) -> InvoiceSigner:
    return InvoiceSigner(
        pki.signer_p12, P12_PASSWORD, tsa_url=pki.tsa_url, trust_roots=(pki.root_pem,)
    )


def long_term_offline(pdf: bytes, root) -> object:
    """pyHanko's answer, with no network, to "will this still validate in five years?"."""
    spec = offline_spec(root)
    signature = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[0]
    future = datetime.now(UTC) + timedelta(days=5 * 365)
    result = asyncio.run(
        simulate_future_ades_lta_validation(signature, spec, future_validation_time=future)
    )
    return result.ades_subindic


def test_a_signature_embeds_its_revocation_proof_and_validates_offline(live_pki, tmp_path):
    signer = signer_for(live_pki)
    assert signer.long_term and signer.timestamps
    unsigned = render_invoice_pdf(parse_invoice(invoice_input("F-LTV-1")), Branding())
    pdf = signer.sign(unsigned).pdf
    dss = PdfFileReader(BytesIO(pdf)).root["/DSS"]
    assert dss["/OCSPs"] and dss["/Certs"]  # the responder's answer travels with the invoice

    live_pki.stop()  # years later: the CA and its responders are gone
    assert long_term_offline(pdf, live_pki.root) == AdESPassed.OK
    report = verify_pdf(pdf, [live_pki.root])
    assert report.valid and report.timestamped
    path = tmp_path / "ltv.pdf"
    path.write_bytes(pdf)
    pdfsig = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True)
    assert "Signature is Valid." in pdfsig.stdout


def test_without_its_responders_nothing_is_signed_rather_than_signed_short(live_pki):
    signer = signer_for(live_pki)
    unsigned = render_invoice_pdf(parse_invoice(invoice_input("F-LTV-2")), Branding())
    live_pki.stop()
    with pytest.raises(SigningError):
        signer.sign(unsigned)


def test_a_plain_b_t_signature_is_not_long_term_validatable(live_pki):
    # The negative control: the same PKI without the embedded proof fails offline.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    unsigned = render_invoice_pdf(parse_invoice(invoice_input("F-LTV-3")), Branding())
    plain = signers.SimpleSigner.load_pkcs12(
        str(live_pki.signer_p12), passphrase=P12_PASSWORD.encode()
    )
    meta = signers.PdfSignatureMetadata(
        field_name="FirmaFactura", subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(unsigned)),
        meta,
        signer=plain,
        timestamper=timestamps.HTTPTimeStamper(live_pki.tsa_url),
    ).getvalue()
    live_pki.stop()
    assert long_term_offline(pdf, live_pki.root) != AdESPassed.OK
