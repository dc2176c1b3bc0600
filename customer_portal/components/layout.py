"""The frame every page shares: header with the logo, content, footer with contacts."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.settings import Branding, get_settings

BRAND_COLOR = "#0b5394"


def header(branding: Branding) -> rx.Component:
    """The logo and the portal's name."""
    return rx.el.header(
        rx.hstack(
            # The logo and name go home (Mis facturas for a signed-in customer).
            rx.link(
                rx.hstack(
                    rx.image(
                        src="/logo.png", alt=branding.company_name, height="40px", width="auto"
                    ),
                    rx.text(branding.portal_name, weight="bold", size="4", color=BRAND_COLOR),
                    align="center",
                    spacing="3",
                ),
                href=routes.HOME,
                aria_label=f"{branding.portal_name}: inicio",
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
            rx.text("Llámanos: " + " · ".join(branding.phones), size="2"),
            rx.link(branding.web, href=f"https://{branding.web}", size="2", is_external=True),
            spacing="1",
            align="center",
        ),
        padding="1.5em",
        border_top="1px solid #d0d7de",
        margin_top="auto",
    )


def page_frame(*children: rx.Component, nav: rx.Component | None = None) -> rx.Component:
    """A full page: header, optional navigation, main content (max 960 px), footer.

    Pages declared with :func:`customer_portal.pages.kit.portal_page` get it
    without asking.
    """
    branding = get_settings().branding
    return rx.box(
        header(branding),
        *([nav] if nav is not None else []),
        rx.el.main(
            rx.container(*children, size="3", padding_y="2em", padding_x="1em"),
            flex="1",
        ),
        footer(branding),
        display="flex",
        flex_direction="column",
        min_height="100vh",
        lang="es",
    )
