"""Ver factura's state: the signer line, the certificate details and the tab's title."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.documents.verify import SignerSummary
from customer_portal.models import Account, Customer
from customer_portal.state.invoice_detail import (
    CertificateView,
    InvoiceDetailState,
    present_certificate,
    tab_title,
)
from tests.factories import invoice_input, make_account, signed_in_as, state_for


def test_certificate_details_for_a_customer(portal_env):
    view = present_certificate(
        SignerSummary(
            name="Link Soluciones",
            common_name="Link Soluciones (firma)",
            organisation="Link Soluciones",
            country="ES",
            issuer="Link CA",
            serial="0A:1B",
            # 23:30 UTC is already the next day in Madrid (summer time).
            valid_from=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
            valid_until=datetime(2031, 6, 30, 12, 0, tzinfo=UTC),
        )
    )
    assert view.country == "España (ES)"
    assert view.validity == "del 01/07/2026 al 30/06/2031"
    assert (view.issuer, view.serial) == ("Link CA", "0A:1B")
    assert present_certificate(None) == CertificateView()
    assert present_certificate(SignerSummary(name="X")).validity == "—"


def test_the_tab_title_names_the_invoice(portal_env):
    assert tab_title("F2026-1001") == "Factura F2026-1001 · Link Customer Portal Web"
    assert tab_title(None) == "Factura no encontrada · Link Customer Portal Web"


async def test_opening_an_invoice_sets_signer_and_title(publisher, engine):
    publisher.publish(invoice_input("F-T/1"))
    with unit_of_work(engine) as session:
        customer = session.exec(select(Customer)).one()
        account: Account = make_account(session, customer=customer)
    signed_in_as(account)
    state = state_for(InvoiceDetailState, url="/factura?numero=F-T%2F1")
    await InvoiceDetailState.open_invoice.fn(state)
    assert state.found and state.title.startswith("Factura F-T/1 · ")
    assert state.invoice.signed_by == "Link Soluciones"
    assert "hora de" in state.invoice.signed_at
    assert state.certificate.organisation == "Link Soluciones"
    assert state.certificate.validity.startswith("del ")

    state = state_for(InvoiceDetailState, url="/factura?numero=F-NADA")
    await InvoiceDetailState.open_invoice.fn(state)
    assert not state.found and state.title.startswith("Factura no encontrada · ")
