"""The page kit: guarded handlers, URL lists and page declarations refuse what they must."""

from __future__ import annotations

import inspect
from datetime import date

import pytest

from customer_portal import routes
from customer_portal.db import unit_of_work
from customer_portal.models import Account
from customer_portal.pages.kit import Access, portal_page
from customer_portal.state.downloads import DownloadState
from customer_portal.state.invoice_list import InvoiceListState
from customer_portal.state.kit import _form_query, requires_account
from customer_portal.state.login import LoginState
from customer_portal.state.payments import PaymentsState
from tests.factories import (
    make_account,
    make_customer,
    make_invoice,
    make_payment,
    signed_in_as,
    state_for,
)


@pytest.fixture
def customer_with_payment(engine) -> Account:
    with unit_of_work(engine) as session:
        customer = make_customer(session, name="Ana")
        invoice = make_invoice(session, customer=customer, number="A-1", total=1000)
        make_payment(
            session, invoice=invoice, amount_cents=400, paid_on=date(2024, 2, 3), reference="R"
        )
        return make_account(session, customer=customer)


async def test_a_stranger_is_sent_to_entrar_and_back(customer_with_payment):
    signed_in_as(None)
    state = state_for(PaymentsState, url="/pagos?factura=A-1")
    event = await PaymentsState.open_list.fn(state)
    assert "/entrar?next=%2Fpagos%3Ffactura%3DA-1" in str(event)
    assert not state.loaded and state.rows == []


async def test_the_signed_in_customer_gets_their_rows_from_the_url(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = state_for(PaymentsState, url="/pagos?factura=A-1&orden=importe&dir=asc")
    assert await PaymentsState.open_list.fn(state) is None
    assert state.loaded and state.count == 1 and state.sort == "importe" and not state.descending
    row = state.rows[0]
    assert (row.date, row.invoice, row.amount) == ("03/02/2024", "A-1", "4,00\xa0€")
    assert row.invoice_href == routes.invoice_detail("A-1")
    assert state.query == {"factura": "A-1", "orden": "importe", "dir": "asc"}


@pytest.fixture
def viewer() -> Account:
    """A signed-in customer, for handlers that read no data but ask who is asking."""
    account = Account(id=1, customer_id=1, email="ana@example.com")
    signed_in_as(account)
    return account


@pytest.mark.parametrize(
    ("handler", "args"),
    [
        (PaymentsState.sort_by, ("importe",)),
        (PaymentsState.go_to_page, (2,)),
        (PaymentsState.apply_filters, ({"factura": "A"},)),
        (PaymentsState.remove_filter, ("factura",)),
        (PaymentsState.clear_filters, ()),
    ],
)
async def test_list_handlers_answer_only_a_signed_in_customer(handler, args):
    signed_in_as(None)
    state = state_for(PaymentsState, url="/pagos?factura=A")
    event = await handler.fn(state, *args)
    assert "/entrar?next=%2Fpagos%3Ffactura%3DA" in str(event)
    assert requires_account(handler)


async def test_list_handlers_navigate_to_bounded_urls(viewer):
    state = state_for(PaymentsState, url="/pagos?factura=A-1&orden=importe")
    sorted_again = str(await PaymentsState.sort_by.fn(state, "importe"))
    assert "orden=importe" in sorted_again and "dir=asc" in sorted_again
    assert "orden=factura" in str(await PaymentsState.sort_by.fn(state, "factura"))
    # A sort the page does not have falls back to the default (left out of the URL).
    assert "orden" not in str(await PaymentsState.sort_by.fn(state, "password_hash"))
    assert "pagina=1000000" in str(await PaymentsState.go_to_page.fn(state, 10**50))
    assert await PaymentsState.go_to_page.fn(state, "x") is None
    applied = str(
        await PaymentsState.apply_filters.fn(state, {"factura": "B-2", "desde": "5/3/2026"})
    )
    assert "factura=B-2" in applied and "desde=2026-03-05" in applied
    assert "orden=importe" in applied
    assert await PaymentsState.apply_filters.fn(state, ["not", "a", "dict"]) is None


async def test_a_filter_that_applies_at_once_keeps_the_focus(viewer):
    """Ticking a box reloads the list; focus returns to the box (WCAG 3.2.2), not away."""
    state = state_for(InvoiceListState, url="/facturas")
    ticked = {"estado.cobrado": True, "foco": "estado_cobrado"}
    went = str(await InvoiceListState.apply_filters.fn(state, ticked))
    assert "estado=cobrado" in went and "foco" not in went
    assert state.focus_target == "estado_cobrado"
    await InvoiceListState.apply_filters.fn(state, {"numero": "F", "foco": ""})
    assert state.focus_target == "resumen"
    await InvoiceListState.apply_filters.fn(state, {"numero": "F", "foco": "x');alert(1)//"})
    assert state.focus_target == "resumen"
    await InvoiceListState.sort_by.fn(state, "total")
    assert state.focus_target == "resumen"


async def test_an_unreadable_date_changes_nothing_and_says_why(viewer):
    state = state_for(PaymentsState, url="/pagos?factura=A-1")
    assert await PaymentsState.apply_filters.fn(state, {"factura": "B-2", "desde": "nope"}) is None
    assert state.problems == {
        "desde": "«nope» no es una fecha válida. Escríbala así: 05/03/2026 (dd/mm/aaaa)"
    }
    assert state.has_problems


async def test_the_list_sums_itself_up_and_lists_its_filters(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = state_for(PaymentsState, url="/pagos?desde=2024-01-05&factura=A&orden=importe")
    assert await PaymentsState.open_list.fn(state) is None
    assert state.summary == "1 pago"
    # The form shows dates day first; the URL (and so the form's key) keeps them ISO.
    assert state.query["desde"] == "05/01/2024" and "desde=2024-01-05" in state.form_key
    assert [(chip.key, chip.label) for chip in state.active_filters] == [
        ("factura", "Factura: A"),
        ("desde", "Desde 05/01/2024"),
    ]
    went = str(await PaymentsState.remove_filter.fn(state, "desde"))
    assert "factura=A" in went and "desde" not in went and "orden=importe" in went
    assert await PaymentsState.remove_filter.fn(state, "password_hash") is None


async def test_after_a_sort_the_reloaded_list_is_announced_and_focused(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = state_for(PaymentsState, url="/pagos")
    await PaymentsState.open_list.fn(state)
    assert state.announced == 0  # the first load is the page's, not the list's news
    assert "orden=importe" in str(await PaymentsState.sort_by.fn(state, "importe"))
    await PaymentsState.open_list.fn(state)
    assert state.announced == 1 and state.summary == "1 pago"
    # Only once: a reload or Back later is not announced again.
    await PaymentsState.open_list.fn(state)
    assert state.announced == 1
    # Buscar with nothing changed loads nothing, but still says what is shown.
    assert await PaymentsState.apply_filters.fn(state, {}) is None
    assert state.announced == 2


async def test_the_button_that_changed_the_list_is_busy_until_it_loads(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = state_for(PaymentsState, url="/pagos?factura=A")
    await PaymentsState.open_list.fn(state)
    assert state.pending == ""
    for handler, args, control in [
        (PaymentsState.sort_by, ("importe",), "orden-importe"),
        (PaymentsState.go_to_page, (2,), "siguiente"),
        (PaymentsState.apply_filters, ({"factura": "B"},), "buscar"),
        (PaymentsState.apply_filters, ({"factura": "B", "foco": "tam"},), "tam"),
        (PaymentsState.remove_filter, ("factura",), "quitar-factura"),
        (PaymentsState.clear_filters, (), "limpiar"),
    ]:
        assert await handler.fn(state, *args) is not None
        assert state.pending == control
        await PaymentsState.open_list.fn(state)
        assert state.pending == ""
    # Nothing to load (the same URL, or a field to correct): nothing stays busy.
    assert await PaymentsState.apply_filters.fn(state, {"factura": "A"}) is None
    assert await PaymentsState.apply_filters.fn(state, {"desde": "nope"}) is None
    assert state.pending == ""


def test_a_checkbox_group_becomes_one_comma_list():
    form = {
        "numero": "F",
        "estado.cobrado": True,
        "estado.parcial": False,
        "estado.pendiente": "on",
    }
    assert _form_query(form) == {"numero": "F", "estado": "cobrado,pendiente"}
    assert _form_query({1: "x", "min": ["not", "text"]}) == {}


def test_the_client_never_sends_the_account():
    """Reflex sees download(number): the account is resolved on the server."""
    assert list(DownloadState.download.fn.__signature__.parameters) == ["self", "number"]
    assert requires_account(DownloadState.download)
    assert requires_account(PaymentsState.open_list)


def test_a_customer_page_without_a_guarded_load_cannot_be_declared():
    from customer_portal.pages import login  # noqa: F401 (declares /entrar)

    with pytest.raises(TypeError, match="needs on_load"):
        portal_page(route="/olvidada", title="Olvidada")(lambda: None)
    with pytest.raises(TypeError, match="needs on_load"):
        portal_page(route="/olvidada", title="Olvidada", on_load=LoginState.open_login)(
            lambda: None
        )
    with pytest.raises(TypeError, match="declared twice"):
        portal_page(route=routes.LOGIN, title="Otra", access=Access.PUBLIC)(lambda: None)


async def test_an_unusable_filter_is_not_searched_and_says_why(viewer):
    state = state_for(InvoiceListState, url="/facturas")
    assert await InvoiceListState.apply_filters.fn(state, {"min": "abc", "numero": "F"}) is None
    assert state.problems == {"min": "«abc» no es un importe válido. Escríbalo así: 1.210,50"}
    went = str(await InvoiceListState.apply_filters.fn(state, {"min": "1.000", "numero": "F"}))
    assert "min=1.000" in went and state.problems == {}


@pytest.mark.parametrize(
    ("next_path", "reason"),
    [
        ("/factura?numero=F%2F7", "Entre para ver la factura F/7; le llevaremos a ella."),
        ("/pagos?factura=1", "Entre para continuar; le llevaremos a la página que pidió."),
        ("/facturas", ""),
    ],
)
def test_entrar_says_why_it_is_asked(next_path, reason):
    from customer_portal.state.login import why_sign_in

    assert why_sign_in(next_path) == reason


def test_every_page_says_when_it_has_loaded_after_its_own_load():
    from customer_portal.pages.kit import PortalPage, load_events
    from customer_portal.state.announce import PageShownState

    page = PortalPage(
        routes.PAYMENTS,
        "Mis pagos",
        lambda: None,
        Access.CUSTOMER,
        PaymentsState.open_list,
        "Mis pagos",
        20,
    )
    own, shown = load_events(page)
    assert own is PaymentsState.open_list
    assert shown.handler.fn is PageShownState.page_shown.fn
    public = PortalPage(routes.HOME, "Inicio", lambda: None, Access.PUBLIC, None, None, 50)
    assert len(load_events(public)) == 1


async def test_a_guarded_handler_may_yield_a_busy_state_first(customer_with_payment, portal_env):
    # The PDF buttons: busy while the link is made, idle again with the download.
    signed_in_as(customer_with_payment)
    state = state_for(DownloadState, url="/facturas")
    steps = DownloadState.download.fn(state, "A-1")
    steps = await steps if inspect.isawaitable(steps) else steps
    assert inspect.isasyncgen(steps)
    await anext(steps)
    assert state.downloading == "A-1"
    rest = [step async for step in steps]
    assert state.downloading == ""
    assert "download" in str(rest[-1]).lower()


async def test_a_stranger_gets_no_busy_state_and_no_link(customer_with_payment):
    signed_in_as(None)
    state = state_for(DownloadState, url="/facturas")
    event = await DownloadState.download.fn(state, "A-1")
    assert "/entrar" in str(event)
    assert state.downloading == ""
