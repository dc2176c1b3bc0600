"""The frame every page shares: header with the logo, content, footer with contacts.

Beside what the eye sees, the frame carries what ``assets/portal.js`` needs:
the skip link (the first thing a Tab reaches), the main content
``#contenido`` that focus moves to, the polite live region ``#anuncio`` and
the hidden output the server's announcements arrive in
(:mod:`customer_portal.state.announce`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import reflex as rx
from PIL import Image
from reflex_components_core.base.error_boundary import ErrorBoundary
from reflex_components_core.core.banner import has_connection_errors

from customer_portal import routes
from customer_portal.components.language import browser_texts, language_picker
from customer_portal.components.text import browser_language, page_language, t
from customer_portal.settings import Branding, get_settings
from customer_portal.state.announce import ORDER_ID

#: The id of the page's main content: the skip link and the announcements move focus there.
MAIN_ID = "contenido"
#: The id of the polite live region the announcements are spoken from.
LIVE_REGION_ID = "anuncio"

BRAND_COLOR = "#0b5394"

#: The logo the header shows (assets/logo.png links to it), drawn 40 px tall.
_LOGO = Path(__file__).resolve().parents[2] / "assets" / "logo.png"
LOGO_HEIGHT = 40


@functools.cache
def logo_width() -> int:
    """The logo's width at LOGO_HEIGHT, from the image itself (read once, not per page).

    Given as the img's width and height attributes, so the browser keeps the
    room before the image arrives and nothing beside it moves when it does
    (Lighthouse saw the whole page shift on a phone when it loaded late).
    """
    with Image.open(_LOGO) as image:
        width, height = image.size
    return round(LOGO_HEIGHT * width / height)


def logo(branding: Branding) -> rx.Component:
    """The company's logo, its size given as attributes (Reflex makes width= a style)."""
    return rx.el.img(
        src="/logo.png",
        alt=branding.company_name,
        custom_attrs={"width": str(logo_width()), "height": str(LOGO_HEIGHT)},
        style={"height": f"{LOGO_HEIGHT}px", "width": "auto"},
    )


def header(branding: Branding) -> rx.Component:
    """The logo and the portal's name."""
    return rx.el.header(
        rx.hstack(
            # The logo and name go home (Mis facturas for a signed-in customer).
            rx.link(
                rx.hstack(
                    logo(branding),
                    rx.text(branding.portal_name, weight="bold", size="4", color=BRAND_COLOR),
                    align="center",
                    spacing="3",
                ),
                href=routes.HOME,
                aria_label=t("{portal}: inicio", portal=branding.portal_name),
                underline="none",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        padding="1em 1.5em",
        border_bottom=f"3px solid {BRAND_COLOR}",
        background="white",
    )


def footer(branding: Branding) -> rx.Component:
    """The company's tagline, phones and web, as on the manual's pages."""
    return rx.el.footer(
        rx.vstack(
            rx.text(branding.tagline, weight="bold", color=BRAND_COLOR),
            rx.text(
                t("Llámanos: "),
                *_phones(branding.phones),
                size="2",
                text_align="center",
            ),
            rx.link(branding.web, href=f"https://{branding.web}", size="2", is_external=True),
            language_picker(),
            spacing="1",
            align="center",
        ),
        padding="1.5em",
        border_top="1px solid #d0d7de",
        margin_top="auto",
    )


def _phones(phones: tuple[str, ...] | list[str]) -> list[rx.Component | str]:
    """Each number whole on one line; the line may break only between numbers."""
    parts: list[rx.Component | str] = []
    for index, phone in enumerate(phones):
        if index:
            parts.append(" · ")
        parts.append(rx.el.span(phone, class_name="telefono"))
    return parts


def skip_link() -> rx.Component:
    """The link "Saltar al contenido": hidden until the first Tab reaches it."""
    return rx.el.a(t("Saltar al contenido"), href=f"#{MAIN_ID}", class_name="skip-link")


def announcer() -> rx.Component:
    """The polite live region, and the hidden output the server's orders arrive in."""
    return rx.fragment(
        # aria-live without role="status": the pages' own messages are the page's
        # status (what tests and assistive tech find by that role); this one only speaks.
        rx.el.div(
            id=LIVE_REGION_ID,
            aria_live="polite",
            aria_atomic="true",
            class_name="sr-only",
        ),
        rx.el.output(id=ORDER_ID, hidden=True, aria_hidden="true"),
        browser_texts(),
    )


def page_frame(*children: rx.Component, nav: rx.Component | None = None) -> rx.Component:
    """A full page: skip link, header, optional navigation, main content (max 960 px), footer.

    Pages declared with :func:`customer_portal.pages.kit.portal_page` get it
    without asking.
    """
    branding = get_settings().branding
    return rx.box(
        skip_link(),
        header(branding),
        *([nav] if nav is not None else []),
        rx.el.main(
            rx.container(*children, size="3", padding_y="2em", padding_x="1em"),
            id=MAIN_ID,
            tab_index=-1,
            flex="1",
        ),
        footer(branding),
        announcer(),
        display="flex",
        flex_direction="column",
        min_height="100vh",
        lang=page_language(),
    )


#: The id of the connection banner (assets/portal.js holds posted forms while it shows).
OFFLINE_ID = "sin-conexion"


def connection_banner() -> rx.Component:
    """The banner "Sin conexión con el portal. Reintentando…" while the websocket is down.

    Replaces Reflex's English toast and pulsing icon (the app's "Overlay"
    wrap). It shows from the first failed attempt to reconnect and goes when
    the connection is back; Reflex keeps retrying meanwhile.
    """
    return rx.cond(
        has_connection_errors,
        rx.el.div(
            t("Sin conexión con el portal. Reintentando…"),
            id=OFFLINE_ID,
            role="alert",
            style={
                "position": "fixed",
                "top": "0",
                "left": "0",
                "right": "0",
                "z_index": "9999",
                "padding": "0.75em 1em",
                "background": "#8a1c1c",
                "color": "#ffffff",
                "font_weight": "600",
                "text_align": "center",
            },
        ),
    )


#: The id of the banner of a failed event (customer_portal/state/server_problem.py).
PROBLEM_ID = "problema-servidor"


def problem_banner(
    retrying: rx.Var[bool], message: rx.Var[str], retrying_text: str | rx.Var, on_dismiss: Any
) -> rx.Component:
    """The banner of an event the server could not complete.

    ``retrying_text`` while ``retrying`` (the portal waits for its database and
    runs the event again by itself), else ``message`` if any, with "Cerrar".
    """
    style = {
        "position": "fixed",
        "bottom": "0",
        "left": "0",
        "right": "0",
        "z_index": "9998",
        "display": "flex",
        "gap": "1em",
        "align_items": "center",
        "justify_content": "center",
        "padding": "0.75em 1em",
        "background": "#7a4b00",
        "color": "#ffffff",
        "font_weight": "600",
        "text_align": "center",
    }
    return rx.cond(
        retrying,
        rx.el.div(retrying_text, id=PROBLEM_ID, role="status", style=style),
        rx.cond(
            message != "",
            rx.el.div(
                rx.el.span(message),
                rx.el.button(
                    t("Cerrar"),
                    type="button",
                    on_click=on_dismiss,
                    style={
                        "min_height": "44px",
                        "padding": "0 1em",
                        "border": "2px solid #ffffff",
                        "border_radius": "6px",
                        "background": "transparent",
                        "color": "#ffffff",
                        "font_weight": "600",
                        "cursor": "pointer",
                    },
                ),
                id=PROBLEM_ID,
                role="alert",
                style=style,
            ),
        ),
    )


def toaster() -> rx.Component:
    """Reflex's toast region, labelled in Spanish ("Avisos alt+T", not "Notifications alt+T")."""
    return rx.toast.provider(custom_attrs={"containerAriaLabel": t("Avisos")})


def error_page(branding: Branding | None = None) -> rx.Component:
    """What replaces a page that failed to render: the header, the news, two ways on.

    Plain elements with inline styles: it must render even when the failure
    came from the theme or a component library. The links reload the portal
    in full, which is what clears a broken page.
    """
    branding = branding or get_settings().branding
    link_style = {
        "display": "inline-flex",
        "align_items": "center",
        "min_height": "44px",
        "padding": "0 1.25em",
        "border_radius": "6px",
        "font_weight": "600",
        "font_size": "1rem",
        "cursor": "pointer",
    }
    return rx.el.div(
        rx.el.header(
            rx.el.a(
                logo(branding),
                rx.el.span(branding.portal_name, style={"font_weight": "700"}),
                href=routes.HOME,
                aria_label=t("{portal}: inicio", browser_only=True, portal=branding.portal_name),
                # A real page load: the router would keep showing this error.
                custom_attrs={"reloadDocument": True},
                style={
                    "display": "inline-flex",
                    "align_items": "center",
                    "gap": "0.75em",
                    "color": BRAND_COLOR,
                    "text_decoration": "none",
                },
            ),
            style={
                "padding": "1em 1.5em",
                "border_bottom": f"3px solid {BRAND_COLOR}",
                "background": "white",
            },
        ),
        rx.el.main(
            rx.el.h1(
                t("Ha ocurrido un error", browser_only=True),
                style={"font_size": "1.6rem", "margin": "0 0 0.5em"},
            ),
            rx.el.p(
                t(
                    "Ha ocurrido un error al mostrar esta página. Sus datos están a salvo: "
                    "puede reintentarlo o volver a sus facturas.",
                    browser_only=True,
                ),
                style={"margin": "0 0 1.5em"},
            ),
            rx.el.div(
                rx.el.a(
                    t("Volver a Mis facturas", browser_only=True),
                    href=routes.INVOICES,
                    custom_attrs={"reloadDocument": True},
                    style={**link_style, "background": BRAND_COLOR, "color": "white"},
                ),
                rx.el.button(
                    t("Reintentar", browser_only=True),
                    type="button",
                    on_click=rx.vars.FunctionStringVar.create("() => window.location.reload()"),
                    style={
                        **link_style,
                        "background": "white",
                        "color": BRAND_COLOR,
                        "border": f"2px solid {BRAND_COLOR}",
                    },
                ),
                style={"display": "flex", "gap": "1em", "flex_wrap": "wrap"},
            ),
            id=MAIN_ID,
            tab_index=-1,
            style={"max_width": "960px", "margin": "0 auto", "padding": "2em 1em"},
        ),
        lang=browser_language(),
        style={
            "min_height": "100vh",
            "background": "white",
            "color": "#1c2024",
            "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        },
    )


def error_boundary(*children: rx.Component, **props) -> rx.Component:
    """Reflex's error boundary with :func:`error_page` instead of its English fallback."""
    return ErrorBoundary.create(*children, fallback_render=rx.Var.create(error_page()), **props)
