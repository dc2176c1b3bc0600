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
    assert not state.loaded and state.address == "" and state.answers == 0


async def opened(state_cls, url: str):
    """The state of a list page opened at ``url``, as its on_load leaves it."""
    state = state_for(state_cls, url=url)
    assert await state_cls.open_list.fn(state) is None
    return state


async def test_a_change_loads_its_list_in_the_same_event(customer_with_payment):
    """One websocket event per change: the list and its URL come back together."""
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos?factura=Z")
    assert state.count == 0 and state.address == "/pagos?factura=Z"
    assert await PaymentsState.remove_filter.fn(state, "factura") is None
    assert state.count == 1 and state.rows[0].invoice == "A-1"
    assert state.address == "/pagos" and state.active_filters == []
    assert await PaymentsState.sort_by.fn(state, "importe") is None
    assert (state.sort, state.descending) == ("importe", True)
    assert state.address == "/pagos?orden=importe"  # largest first: the default order


async def test_list_handlers_build_bounded_urls(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos?factura=A-1&orden=importe")
    await PaymentsState.sort_by.fn(state, "importe")
    assert "orden=importe" in state.address and "dir=asc" in state.address
    await PaymentsState.sort_by.fn(state, "factura")
    assert "orden=factura" in state.address
    # A sort the page does not have falls back to the default (left out of the URL).
    await PaymentsState.sort_by.fn(state, "password_hash")
    assert "orden" not in state.address
    await PaymentsState.go_to_page.fn(state, 10**50)
    assert "pagina=1000000" in state.address and state.page == 1
    before = state.address
    await PaymentsState.go_to_page.fn(state, "x")
    assert state.address == before
    await PaymentsState.apply_filters.fn(state, {"factura": "B-2", "desde": "5/3/2026"})
    assert "factura=B-2" in state.address and "desde=2026-03-05" in state.address
    await PaymentsState.apply_filters.fn(state, ["not", "a", "dict"])
    assert "factura=B-2" in state.address


async def test_a_change_starts_from_the_list_shown_not_from_the_events_url(
    customer_with_payment,
):
    """Two quick clicks: the second event may still carry the URL before the first."""
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos?factura=A")
    await PaymentsState.sort_by.fn(state, "importe")
    # The router still says /pagos?factura=A (the address bar had not changed yet).
    await PaymentsState.go_to_page.fn(state, 2)
    assert "factura=A" in state.address and "orden=importe" in state.address
    assert "pagina=2" in state.address


async def test_a_filter_that_applies_at_once_keeps_the_focus(customer_with_payment):
    """Ticking a box reloads the list; focus returns to the box (WCAG 3.2.2), not away."""
    signed_in_as(customer_with_payment)
    state = await opened(InvoiceListState, "/facturas")
    ticked = {"estado.cobrado": True, "foco": "estado_cobrado"}
    await InvoiceListState.apply_filters.fn(state, ticked)
    assert "estado=cobrado" in state.address and "foco" not in state.address
    assert state.focus_target == "estado_cobrado"
    await InvoiceListState.apply_filters.fn(state, {"numero": "F", "foco": ""})
    assert state.focus_target == "resumen"
    await InvoiceListState.apply_filters.fn(state, {"numero": "F", "foco": "x');alert(1)//"})
    assert state.focus_target == "resumen"
    await InvoiceListState.sort_by.fn(state, "total")
    assert state.focus_target == "resumen"


async def test_an_unreadable_date_changes_nothing_and_says_why(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos?factura=A-1")
    await PaymentsState.apply_filters.fn(state, {"factura": "B-2", "desde": "nope"})
    assert state.problems == {
        "desde": "«nope» no es una fecha válida. Escríbala así: 05/03/2026 (dd/mm/aaaa)"
    }
    assert state.has_problems
    assert state.address == "/pagos?factura=A-1" and state.announced == 0
    # Another list (a sort) redraws the form from its URL: the message goes with the text.
    await PaymentsState.sort_by.fn(state, "importe")
    assert state.problems == {} and not state.has_problems


async def test_the_list_sums_itself_up_and_lists_its_filters(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos?desde=2024-01-05&factura=A&orden=importe")
    assert state.summary == "1 pago"
    # The form shows dates day first; the URL (and so the form's key) keeps them ISO.
    assert state.query["desde"] == "05/01/2024" and "desde=2024-01-05" in state.form_key
    assert [(chip.key, chip.label) for chip in state.active_filters] == [
        ("factura", "Factura: A"),
        ("desde", "Desde 05/01/2024"),
    ]
    await PaymentsState.remove_filter.fn(state, "desde")
    assert "factura=A" in state.address and "desde" not in state.address
    assert "orden=importe" in state.address
    before = state.address
    await PaymentsState.remove_filter.fn(state, "password_hash")
    assert state.address == before


async def test_after_a_change_the_list_is_announced_and_focused(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos")
    assert state.announced == 0  # opening the URL is the page's news, not the list's
    await PaymentsState.sort_by.fn(state, "importe")
    assert state.announced == 1 and state.summary == "1 pago"
    # Back, Forward or a reload open the URL again: not announced.
    await PaymentsState.open_list.fn(state)
    assert state.announced == 1
    # Buscar with nothing changed loads nothing, but still says what is shown.
    await PaymentsState.apply_filters.fn(state, {})
    assert state.announced == 2


async def test_every_press_of_a_list_control_is_answered(customer_with_payment):
    """The pressed control is busy until ``answers`` grows: whatever the outcome, it grows."""
    signed_in_as(customer_with_payment)
    state = await opened(PaymentsState, "/pagos?factura=A")
    presses = [
        (PaymentsState.sort_by, ("importe",)),
        (PaymentsState.go_to_page, (2,)),
        (PaymentsState.go_to_page, ("x",)),
        (PaymentsState.apply_filters, ({"factura": "B"},)),
        (PaymentsState.apply_filters, ({"factura": "B"},)),  # the same list
        (PaymentsState.apply_filters, ({"desde": "nope"},)),  # a field to correct
        (PaymentsState.apply_filters, ("not a form",)),
        (PaymentsState.remove_filter, ("factura",)),
        (PaymentsState.remove_filter, ("unknown",)),
        (PaymentsState.clear_filters, ()),
    ]
    for answered, (handler, args) in enumerate(presses, start=1):
        await handler.fn(state, *args)
        assert state.answers == answered, handler


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


async def test_an_unusable_filter_is_not_searched_and_says_why(customer_with_payment):
    signed_in_as(customer_with_payment)
    state = await opened(InvoiceListState, "/facturas")
    await InvoiceListState.apply_filters.fn(state, {"min": "abc", "numero": "F"})
    assert state.problems == {"min": "«abc» no es un importe válido. Escríbalo así: 1.210,50"}
    assert state.address == "/facturas"
    await InvoiceListState.apply_filters.fn(state, {"min": "1.000", "numero": "F"})
    assert "min=1.000" in state.address and state.problems == {}


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
