"""Ver factura: data, lines, taxes, totals, payments and signature of one invoice."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import busy_button
from customer_portal.components.lists import plain_table
from customer_portal.components.status import status_badge
from customer_portal.components.text import t
from customer_portal.components.viewport import by_width
from customer_portal.i18n import N_
from customer_portal.pages.kit import portal_page
from customer_portal.state.downloads import DownloadState
from customer_portal.state.invoice_detail import InvoiceDetailState as S

# Where the lines' table fits; below it (phones) each line is a card.
_WIDE = "md"
# WCAG 2.5.8 asks 24 px; 44 px is what a thumb hits reliably.
_TAP = "44px"


def fact(label: str, value: rx.Var) -> rx.Component:
    """A labelled figure: the label small above, the value below."""
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(value, size="3", weight="medium"),
        spacing="0",
    )


def _pair(label: str, value: rx.Var | str, *, strong: bool = False) -> list[rx.Component]:
    """One term and its value of a definition list laid out in two columns."""
    return [
        rx.el.dt(label, style={"color": "var(--gray-11)"}),
        rx.el.dd(
            rx.text.strong(value) if strong else value,
            style={"margin": "0", "text_align": "right", "overflow_wrap": "anywhere"},
        ),
    ]


def _pairs(*pairs: list[rx.Component], label: str | None = None) -> rx.Component:
    return rx.el.dl(
        *(part for pair in pairs for part in pair),
        aria_label=label,
        style={
            "display": "grid",
            "grid_template_columns": "auto 1fr",
            "gap": "0.25em 1em",
            "margin": "0",
            "width": "100%",
            "font_size": "0.9em",
        },
    )


def _line_card(line) -> rx.Component:
    """One line of the invoice as a card: the description, then its figures."""
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.text(line.description, weight="medium", style={"overflow_wrap": "anywhere"}),
                _pairs(
                    _pair(t("Cantidad"), line.quantity),
                    _pair(t("Precio unitario"), line.unit_price),
                    _pair(t("Impuesto"), line.tax),
                    _pair(t("Importe"), line.amount, strong=True),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        style={"list_style": "none"},
    )


def _lines() -> rx.Component:
    """The lines: a table where it fits, stacked cards on a phone (no column cut off)."""
    return by_width(
        wide=plain_table(
            [
                N_("Descripción"),
                N_("Cantidad"),
                N_("Precio unitario"),
                N_("Impuesto"),
                N_("Importe"),
            ],
            S.lines,
            [
                lambda ln: ln.description,
                lambda ln: ln.quantity,
                lambda ln: ln.unit_price,
                lambda ln: ln.tax,
                lambda ln: ln.amount,
            ],
            label=t("Conceptos"),
        ),
        phone=rx.el.ul(
            rx.foreach(S.lines, _line_card),
            aria_label=t("Conceptos"),
            id="conceptos-tarjetas",
            style={
                "padding": "0",
                "margin": "0",
                "width": "100%",
                "display": "grid",
                "gap": "0.75em",
            },
        ),
        breakpoint=_WIDE,
    )


def _certificate() -> rx.Component:
    """Who signed, in plain words, and the certificate's details behind a disclosure."""
    inv, cert = S.invoice, S.certificate
    return rx.callout.root(
        rx.callout.icon(rx.icon("shield-check", aria_hidden="true")),
        rx.box(
            rx.text(
                t("Firmada digitalmente por "),
                rx.text.strong(inv.signed_by),
                # A fragment: the signer's name is a <strong>, which a placeholder cannot hold.
                t(" el "),
                inv.signed_at,
                ".",
                id="firma",
            ),
            rx.el.details(
                rx.el.summary(
                    rx.icon("chevron-right", size=16, aria_hidden="true"),
                    t("Ver los datos del certificado"),
                    style={
                        "cursor": "pointer",
                        "min_height": _TAP,
                        "display": "flex",
                        "align_items": "center",
                        "gap": "0.4em",
                        "text_decoration": "underline",
                        # The chevron replaces the marker that display: flex removes.
                        "list_style": "none",
                        "&::-webkit-details-marker": {"display": "none"},
                    },
                ),
                _pairs(
                    _pair(t("Nombre común"), cert.common_name),
                    _pair(t("Organización"), cert.organisation),
                    _pair(t("País"), cert.country),
                    _pair(t("Emitido por"), cert.issuer),
                    _pair(t("Número de serie"), cert.serial),
                    _pair(t("Validez"), cert.validity),
                    label=t("Datos del certificado de firma"),
                ),
                id="certificado",
                style={
                    "& > summary svg": {"transition": "transform 0.15s"},
                    "&[open] > summary svg": {"transform": "rotate(90deg)"},
                },
            ),
            width="100%",
        ),
        color_scheme="green",
        size="1",
        high_contrast=True,
        width="100%",
    )


def _found() -> rx.Component:
    inv = S.invoice
    return rx.vstack(
        rx.el.title(S.title),
        rx.hstack(
            rx.heading(t("Factura "), inv.number, as_="h1", size="6"),
            status_badge(inv.status, inv.overdue),
            busy_button(
                rx.icon("download", size=16, aria_hidden="true"),
                t("Descargar PDF"),
                busy=DownloadState.downloading == inv.number,
                on_click=DownloadState.download(inv.number),
                size="3",
                min_height=_TAP,
            ),
            rx.button(
                rx.link(
                    rx.icon("external-link", size=16, aria_hidden="true"),
                    t("Ver PDF"),
                    rx.el.span(t(" (se abre en una pestaña nueva)"), class_name="sr-only"),
                    href=inv.view_href,
                    is_external=True,
                    color="inherit",
                    underline="none",
                    style={"display": "inline-flex", "align_items": "center", "gap": "0.5em"},
                ),
                as_child=True,
                variant="outline",
                size="3",
                min_height=_TAP,
            ),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.grid(
            fact(t("Fecha"), inv.issue_date),
            fact(t("Vencimiento"), inv.due_date),
            fact(t("Total"), inv.total),
            fact(t("Cobrado"), inv.paid),
            fact(t("Pendiente"), inv.pending),
            columns=rx.breakpoints(initial="2", sm="5"),
            spacing="4",
            width="100%",
        ),
        rx.heading(t("Conceptos"), as_="h2", size="4"),
        _lines(),
        rx.heading(t("Impuestos"), as_="h2", size="4"),
        plain_table(
            [N_("Impuesto"), N_("Base imponible"), N_("Cuota")],
            S.taxes,
            [lambda t: t.tax, lambda t: t.base, lambda t: t.amount],
            label=t("Impuestos"),
        ),
        rx.text(
            t("Base imponible: "),
            inv.subtotal,
            t(" · Impuestos: "),
            inv.tax,
            t(" · Total: "),
            rx.text.strong(inv.total),
        ),
        rx.heading(t("Cobros recibidos"), as_="h2", size="4"),
        rx.cond(
            S.payments.length() > 0,
            plain_table(
                [N_("Fecha"), N_("Importe"), N_("Referencia")],
                S.payments,
                [lambda p: p.date, lambda p: p.amount, lambda p: p.reference],
                label=t("Cobros recibidos"),
            ),
            rx.text(t("Todavía no hay cobros de esta factura."), size="2"),
        ),
        rx.cond(inv.signed_by != "", _certificate()),
        rx.text(
            t("Código seguro de verificación: "),
            rx.el.code(inv.verification_code, id="codigo-verificacion"),
            t(". Quien tenga la factura puede comprobarla en "),
            rx.link(t("Verificar factura"), href=inv.verify_href, underline="always"),
            ".",
            size="2",
        ),
        spacing="4",
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.el.title(S.title),
        rx.heading(t("Factura no encontrada"), as_="h1", size="6"),
        rx.text(t("No tiene ninguna factura con ese número.")),
        rx.link(
            t("Volver a Mis facturas"),
            href=routes.INVOICES,
            min_height=_TAP,
            display="inline-flex",
            align_items="center",
        ),
    )


@portal_page(
    route=routes.INVOICE_DETAIL, title=N_("Factura"), on_load=S.open_invoice, own_title=True
)
def invoice_detail() -> rx.Component:
    """The invoice, "Factura no encontrada", or a spinner while it loads.

    Once the invoice is read, the page's own ``<title>`` (hoisted into the
    head by React, ahead of the page kit's generic "Factura") names it.
    """
    return rx.cond(
        S.found,
        _found(),
        rx.cond(
            S.loaded,
            _not_found(),
            # A screen's height while the invoice comes: the footer waits below
            # the fold instead of jumping down when the data arrives (layout shift).
            rx.center(rx.spinner(), min_height="100vh", align_items="start"),
        ),
    )
