"""Verificar factura: anyone with an invoice's code checks it, without an account.

Both forms are plain HTML, so they work before the page's scripts load (a
QR scanned on a slow phone) and need no websocket: the code goes in the
address (``GET /verificar?codigo=…``, what the QR opens), the file to a
route of its own (:mod:`customer_portal.api.verification`).
"""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import NativeForm, alert, field, form_card
from customer_portal.components.status import status_badge
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import Access, portal_page
from customer_portal.settings import get_settings
from customer_portal.state.verify import VerifyState


def _fact(label: str, value: rx.Var, **props) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(value, **props),
    )


def _code_form() -> rx.Component:
    return NativeForm.create(
        rx.vstack(
            field(
                t("Código seguro de verificación"),
                "codigo",
                # Not prefilled from the state: a value arriving after hydration
                # would remount the input under a visitor already typing.
                required=True,
                auto_complete="off",
                spell_check=False,
                auto_capitalize="characters",
                placeholder=t("XXXX-XXXX-XXXX-XXXX-XXXX"),
                max_length=60,
            ),
            rx.button(t("Comprobar"), type="submit", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        method="get",
        action=routes.VERIFY,
        width="100%",
    )


def _invoice() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Factura "), VerifyState.number, as_="h2", size="4"),
        rx.data_list.root(
            _fact(t("Emisor"), VerifyState.issuer),
            _fact(t("Número"), VerifyState.number),
            _fact(t("Fecha de emisión"), VerifyState.issued),
            _fact(t("Importe total"), VerifyState.total),
            _fact(t("Estado"), status_badge(VerifyState.status)),
            _fact(t("Código"), VerifyState.code, style={"font_family": "monospace"}),
            orientation={"initial": "vertical", "sm": "horizontal"},
        ),
        rx.link(
            t("Descargar el original firmado"),
            href=VerifyState.original_href,
            # A file, not a page of the app: the browser downloads it.
            custom_attrs={"reloadDocument": True},
            size="3",
        ),
        rx.heading(t("¿Es su copia la original?"), as_="h2", size="4", margin_top="1em"),
        rx.text(
            t(
                "Suba el PDF que tiene y le diremos si es idéntico a la factura firmada y si su "
                "firma digital está intacta."
            ),
            size="2",
        ),
        NativeForm.create(
            rx.vstack(
                rx.el.input(type="hidden", name="codigo", value=VerifyState.code),
                rx.el.label(t("Archivo PDF de la factura"), html_for="archivo"),
                rx.el.input(
                    type="file",
                    id="archivo",
                    name="archivo",
                    accept="application/pdf,.pdf",
                    required=True,
                ),
                rx.button(t("Comparar con el original"), type="submit", size="3", width="100%"),
                spacing="2",
                width="100%",
            ),
            method="post",
            enc_type="multipart/form-data",
            action=get_settings().backend_origin + routes.VERIFY_UPLOAD_ACTION,
            custom_attrs={"data-portal-post": "true"},
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


@portal_page(
    route=routes.VERIFY,
    title=N_("Verificar factura"),
    on_load=VerifyState.open,
    access=Access.PUBLIC,
)
def verify() -> rx.Component:
    """The code form; with a code, what it shows and the comparison of a file."""
    return form_card(
        rx.vstack(
            rx.heading(t("Verificar factura"), as_="h1", size="6"),
            rx.text(
                t(
                    "Escriba el código seguro de verificación que aparece al pie de la factura, "
                    "o escanee su código QR, para comprobar que la emitimos nosotros."
                ),
                size="2",
            ),
            rx.cond(
                VerifyState.answer_tone == "green",
                alert(VerifyState.answer, tone="green"),
                alert(VerifyState.answer, tone="red"),
            ),
            _code_form(),
            alert(VerifyState.problem, tone="red"),
            rx.cond(VerifyState.found, _invoice()),
            spacing="4",
            width="100%",
        ),
        max_width="560px",
    )
