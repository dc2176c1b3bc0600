"""Who signed, in plain words ("Link Soluciones"), and the certificate's details on demand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding

from customer_portal.documents.pki import build_demo_pki
from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.verify import (
    signer_summary,
    signing_certificate,
    summary_from_subject,
)
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.settings import Branding
from tests.factories import invoice_input


@pytest.fixture(scope="module")
def demo_cert() -> asn1_x509.Certificate:
    _, _, cert = build_demo_pki("Link Soluciones", "x", now=datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def test_the_signer_is_the_organisation_not_the_subject_dump(demo_cert):
    summary = signer_summary(demo_cert)
    assert summary.name == "Link Soluciones"
    assert "Common Name" not in summary.name and ";" not in summary.name
    assert summary.common_name == "Link Soluciones (firma de facturas, demo)"
    assert (summary.organisation, summary.country) == ("Link Soluciones", "ES")
    assert summary.issuer == "Link Soluciones Demo CA (solo pruebas)"
    assert summary.valid_from == datetime(2026, 1, 1, 11, 55, tzinfo=UTC)
    assert summary.valid_until.year == 2030


def test_the_serial_is_hex_pairs(demo_cert):
    serial = signer_summary(demo_cert).serial
    assert int(serial.replace(":", ""), 16) == demo_cert.serial_number
    assert all(len(pair) == 2 for pair in serial.split(":"))


def test_a_certificate_without_organisation_is_named_by_its_common_name():
    subject = "Common Name: Ana Pérez; Country: ES"
    assert summary_from_subject(subject).name == "Ana Pérez"


def test_the_stored_subject_reads_the_same_as_the_certificate(demo_cert):
    stored = summary_from_subject(demo_cert.subject.human_friendly)
    full = signer_summary(demo_cert)
    assert (stored.name, stored.common_name, stored.organisation, stored.country) == (
        full.name,
        full.common_name,
        full.organisation,
        full.country,
    )
    # A subject of unknown shape is shown as it is rather than lost.
    assert summary_from_subject("CN=raro").name == "CN=raro"


def test_the_certificate_is_read_from_the_signed_pdf(signer):
    signed = signer.sign(render_invoice_pdf(parse_invoice(invoice_input("F-SUM-1")), Branding()))
    cert = signing_certificate(signed.pdf)
    assert cert is not None and signer_summary(cert).name == "Link Soluciones"
    assert signing_certificate(b"%PDF-1.4 not really") is None
