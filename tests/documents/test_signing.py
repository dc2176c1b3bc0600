"""Signatures checked two ways: pyHanko's validator and poppler's pdfsig."""

import pytest

from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.signing import InvoiceSigner, SigningSetupError
from customer_portal.documents.verify import load_certificates, verify_pdf
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.settings import DEMO_P12_PASSWORD, Branding
from tests.documents.tsa import TsaServer, make_tsa
from tests.factories import invoice_input
from tests.pdf_checks import flip_one_byte, pdfsig


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    return render_invoice_pdf(parse_invoice(invoice_input("F-SIG-1")), Branding())


def test_signature_is_pades_intact_and_trusted(signer, unsigned_pdf, trust_roots):
    signed = signer.sign(unsigned_pdf)
    report = verify_pdf(signed.pdf, trust_roots)
    assert report.valid and report.intact and report.trusted and report.covers_whole_file
    assert report.pades and not report.timestamped
    assert "Link Soluciones" in report.signer
    assert signed.pdf.startswith(unsigned_pdf)  # an incremental update: the original is intact


def test_pdfsig_agrees_and_trusts_the_demo_ca(signer, unsigned_pdf, tmp_path, nss_db):
    output = pdfsig(signer.sign(unsigned_pdf).pdf, tmp_path, nss_db)
    assert "Signature Type: ETSI.CAdES.detached" in output
    assert "Total document signed" in output
    assert "Signature Validation: Signature is Valid." in output
    assert "Certificate Validation: Certificate is Trusted." in output


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_one_changed_byte_breaks_the_signature(signer, unsigned_pdf, trust_roots, tmp_path, where):
    pdf = signer.sign(unsigned_pdf).pdf
    # Positions inside the signed content (the signature value itself sits near the end).
    tampered = flip_one_byte(pdf, int(len(unsigned_pdf) * where))
    assert not verify_pdf(tampered, trust_roots).valid
    assert "Signature is Valid." not in pdfsig(tampered, tmp_path)


def test_an_unrelated_root_is_not_trusted(signer, unsigned_pdf, tmp_path):
    from customer_portal.documents.pki import ensure_demo_pki

    other = ensure_demo_pki(tmp_path / "other", "Otra", "x")
    report = verify_pdf(signer.sign(unsigned_pdf).pdf, load_certificates([other.ca_pem]))
    assert report.intact and not report.trusted and not report.valid
    assert any("does NOT chain" in line for line in report.lines())


def test_unsigned_and_non_pdf_files_are_reported_in_plain_words(unsigned_pdf, trust_roots):
    assert verify_pdf(unsigned_pdf, trust_roots).lines() == [
        "NOT VALID: the PDF has no digital signature"
    ]
    assert "not a readable PDF" in verify_pdf(b"hello", trust_roots).lines()[0]


def test_key_is_loaded_once_not_per_document(pki, tmp_path, unsigned_pdf, trust_roots):
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(pki.signer_p12.read_bytes())
    signer = InvoiceSigner(p12, DEMO_P12_PASSWORD)
    p12.unlink()  # a signer that re-read its key per document would fail now
    for _ in range(3):
        assert verify_pdf(signer.sign(unsigned_pdf).pdf, trust_roots).valid


def test_the_private_key_is_parsed_once_not_per_signature(
    pki, unsigned_pdf, trust_roots, monkeypatch
):
    """pyHanko's SimpleSigner parses the key from DER for every signature: most of its cost."""
    from pyhanko.sign.signers import pdf_cms

    signer = InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD)
    calls = []
    parse = pdf_cms.serialization.load_der_private_key
    monkeypatch.setattr(
        pdf_cms.serialization,
        "load_der_private_key",
        lambda *a, **k: calls.append(1) or parse(*a, **k),
    )
    for _ in range(3):
        assert verify_pdf(signer.sign(unsigned_pdf).pdf, trust_roots).valid
    assert calls == []


def test_the_cms_template_gives_byte_for_byte_what_pyhanko_assembles(pki):
    import asyncio
    import os

    from pyhanko.sign import signers

    kept = InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD)._signer
    for _ in range(3):
        digest = os.urandom(32)
        ours = asyncio.run(kept.async_sign(digest, "sha256", use_pades=True))
        theirs = asyncio.run(
            signers.SimpleSigner.async_sign(kept, digest, "sha256", use_pades=True)
        )
        assert ours.dump() == theirs.dump()
        assert ours["content"]["signer_infos"][0]["signed_attrs"][1]["values"][0].native == digest


def test_pyhanko_assembles_the_cms_once_per_signer_not_per_document(
    pki, unsigned_pdf, trust_roots, monkeypatch
):
    from pyhanko.sign import signers

    calls = []
    assemble = signers.SimpleSigner.async_sign

    async def counted(self, *args, **kwargs):
        calls.append(kwargs.get("timestamper"))
        return await assemble(self, *args, **kwargs)

    monkeypatch.setattr(signers.SimpleSigner, "async_sign", counted)
    signer = InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD)
    pdfs = [signer.sign(unsigned_pdf).pdf for _ in range(3)]
    assert len(calls) == 1  # the template's reference
    assert all(verify_pdf(pdf, trust_roots).valid for pdf in pdfs)


def test_mechanisms_it_does_not_keep_a_key_for_go_to_pyhanko(pki, unsigned_pdf, trust_roots):
    """RSA-PSS is pyHanko's own code path: still a valid signature."""
    from asn1crypto import algos

    signer = InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD)
    kept = signer._signer
    pss = algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": algos.RSASSAPSSParams(
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": "sha256"},
                    },
                    "salt_length": 32,
                }
            ),
        }
    )
    kept._signature_mechanism = pss
    signed = signer.sign(unsigned_pdf).pdf
    assert verify_pdf(signed, trust_roots).valid


@pytest.mark.parametrize(
    ("password", "message"), [("wrong", "wrong password"), (DEMO_P12_PASSWORD, "cannot read")]
)
def test_bad_certificate_setup_is_a_clear_error(pki, tmp_path, password, message):
    path = pki.signer_p12 if password == "wrong" else tmp_path / "missing.p12"
    with pytest.raises(SigningSetupError, match=message):
        InvoiceSigner(path, password)


def test_tsa_url_gives_a_timestamped_b_t_signature(pki, unsigned_pdf, trust_roots, tmp_path):
    tsa_root_pem, stamper = make_tsa()
    (tmp_path / "tsa.pem").write_bytes(tsa_root_pem)
    roots = trust_roots + load_certificates([tmp_path / "tsa.pem"])
    with TsaServer(stamper) as tsa:
        signer = InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD, tsa_url=tsa.url)
        signed = signer.sign(unsigned_pdf)
        assert tsa.requests == 1
    assert signed.timestamped
    report = verify_pdf(signed.pdf, roots)
    assert report.valid and report.timestamped
    assert any("proven by a timestamp authority" in line for line in report.lines())
    assert "Signature is Valid." in pdfsig(signed.pdf, tmp_path)


async def test_signing_and_verifying_work_inside_a_running_event_loop(
    signer, unsigned_pdf, trust_roots
):
    # pyHanko's sync API calls asyncio.run, which fails inside a running loop
    # (a Reflex handler, Playwright's sync API...); ours must not.
    assert verify_pdf(signer.sign(unsigned_pdf).pdf, trust_roots).valid
