"""The announce helper builds the call the page's script understands."""

from __future__ import annotations

from customer_portal.state.announce import announce


def _script(event) -> str:
    return dict((name._js_expr, value._var_value) for name, value in event.args)["javascript_code"]


def test_announce_calls_the_page_script_with_text_and_selector():
    script = _script(announce('Factura "F-1"', focus="#detalle"))
    assert script == (
        'window.portalAnnounce && window.portalAnnounce("Factura \\"F-1\\"", "#detalle")'
    )


def test_announce_without_focus_passes_null_so_the_main_content_gets_it():
    assert _script(announce("Mis facturas")).endswith('("Mis facturas", null)')
