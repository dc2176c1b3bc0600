"""The shell's components render the attributes the page script and screen readers need."""

from __future__ import annotations

import reflex as rx

from customer_portal.components.forms import busy_button, field, post_form
from customer_portal.components.layout import (
    _phones,
    announcer,
    connection_banner,
    header,
    logo_width,
    skip_link,
)
from customer_portal.settings import Branding


class _Flags(rx.State):
    busy: bool = False
    problem: str = ""


def _text(component: rx.Component) -> str:
    return str(component.render())


def test_busy_button_shows_radix_loading_and_aria_busy_from_the_flag():
    props = busy_button("PDF", busy=_Flags.busy, on_click=rx.console_log("x")).render()["props"]
    assert any(p.startswith("loading:") and "busy" in p for p in props)
    assert any(p.startswith('"aria-busy":') for p in props)


def test_a_field_with_an_error_is_described_by_it_and_marked_invalid():
    rendered = _text(field("Importe", "importe", error=_Flags.problem))
    assert '"aria-describedby":"importe-error"' in rendered
    assert "aria-invalid" in rendered
    assert 'id:"importe-error"' in rendered
    # Without error= nothing changes for the pages that do not use it.
    assert "aria-invalid" not in _text(field("Correo", "email"))


def test_a_posted_form_is_marked_for_the_busy_script():
    assert '"data-portal-post":"true"' in _text(post_form(rx.button("Salir"), action="/x"))


def test_the_frame_parts_the_script_relies_on():
    assert ':"#contenido"' in _text(skip_link())  # a router link to the main content
    region = _text(announcer())
    assert 'id:"anuncio"' in region and "role" not in region
    assert '"aria-live":"polite"' in region and 'className:"sr-only"' in region
    banner = _text(connection_banner())
    assert "connectErrors.length > 0" in banner and "con el portal. Reintentando" in banner


def test_each_phone_number_is_kept_whole():
    parts = _phones(("928 000 000", "922 000 000"))
    spans = [p for p in parts if not isinstance(p, str)]
    assert len(spans) == 2
    assert all('className:"telefono"' in _text(span) for span in spans)


def test_the_logo_keeps_its_room_before_it_loads():
    """Width and height attributes give the browser the aspect ratio before the image."""
    assert logo_width() == 100  # the 600×240 logo at 40 px
    rendered = _text(header(Branding()))
    assert 'width:"100"' in rendered and 'height:"40"' in rendered
    assert '["width"] : "auto"' in rendered  # and the CSS keeps its proportions
