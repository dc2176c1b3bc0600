"""The announce helpers build the orders the page's script understands."""

from __future__ import annotations

import json

from customer_portal.state.announce import ORDER_ID, PageShownState, announce, set_title


def _order(event) -> dict:
    args = {name._js_expr: value._var_value for name, value in event.args}
    assert args["ref"] == f"ref_{ORDER_ID}"
    return json.loads(args["value"])


def test_announce_sends_text_and_selector_without_a_script():
    order = _order(announce('Factura "F-1"', focus="#detalle"))
    assert order["texto"] == 'Factura "F-1"'
    assert order["foco"] == "#detalle"
    # rx.set_value, not rx.call_script: the CSP refuses eval.
    assert announce("x").handler.fn.__name__ != "_call_script"


def test_the_same_announcement_twice_is_two_different_orders():
    first, second = _order(announce("Mis facturas")), _order(announce("Mis facturas"))
    assert "foco" not in first
    assert first["n"] != second["n"]


def test_set_title_and_page_shown():
    assert _order(set_title("Factura F-1 · Portal"))["titulo"] == "Factura F-1 · Portal"
    event = PageShownState.page_shown.fn(PageShownState.__new__(PageShownState), "/facturas")
    assert _order(event)["pagina"] == "/facturas"
