"""Mi cuenta: change the password (current one required), email choices, sessions."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import (
    alert,
    code_field,
    field,
    new_password_fields,
    post_form,
)
from customer_portal.components.lists import plain_table
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.credentials import enter_submits
from customer_portal.pages.kit import portal_page
from customer_portal.settings import get_settings
from customer_portal.state.account import AccountState


@portal_page(
    route=routes.ACCOUNT,
    title=N_("Mi cuenta"),
    on_load=AccountState.open_account,
    nav=N_("Mi cuenta"),
    nav_order=90,
)
def account() -> rx.Component:
    """The password form and the open sessions."""
    return rx.vstack(
        rx.heading(t("Mi cuenta"), as_="h1", size="6"),
        alert(AccountState.notice, tone="green"),
        rx.card(
            post_form(
                rx.vstack(
                    rx.heading(t("Cambiar contraseña"), as_="h2", size="4"),
                    alert(AccountState.error),
                    field(
                        t("Contraseña actual"),
                        "current",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                        max_length=256,
                    ),
                    *new_password_fields(AccountState, password_label=t("Contraseña nueva")),
                    *enter_submits(AccountState),
                    spacing="3",
                    width="100%",
                ),
                action=routes.CHANGE_PASSWORD_ACTION,
            ),
            width="100%",
            max_width="520px",
        ),
        rx.card(notification_form(), width="100%", max_width="520px"),
        rx.card(second_factor_card(), width="100%", max_width="520px"),
        rx.card(activity_card(), width="100%"),
        rx.card(
            rx.vstack(
                rx.heading(t("Sesiones abiertas"), as_="h2", size="4"),
                rx.text(t("Horas en "), AccountState.zone_label, ".", size="2"),
                plain_table(
                    [N_("Navegador"), N_("Dirección"), N_("Desde"), N_("Último uso")],
                    AccountState.sessions,
                    [
                        lambda row: rx.fragment(
                            row.device,
                            rx.cond(
                                row.current,
                                rx.badge(
                                    t("Esta sesión"),
                                    color_scheme="green",
                                    ml="2",
                                    high_contrast=True,
                                ),
                            ),
                        ),
                        lambda row: row.ip,
                        lambda row: row.since,
                        lambda row: row.last_seen,
                    ],
                    label=t("Sesiones abiertas"),
                ),
                rx.button(
                    t("Cerrar las demás sesiones"),
                    on_click=AccountState.close_other_sessions,
                    variant="soft",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _choice(name: str, label: str, checked: rx.Var | bool, **input_props) -> rx.Component:
    """A native checkbox with its label: posted as ``on`` when ticked, absent when not."""
    input_id = f"aviso_{name}"
    return rx.el.div(
        rx.el.input(
            type="checkbox",
            name=name,
            id=input_id,
            default_checked=checked,
            **input_props,
            style={"width": "1.25rem", "height": "1.25rem", "flex_shrink": "0"},
        ),
        rx.el.label(label, html_for=input_id),
        style={"display": "flex", "gap": "0.6rem", "align_items": "center", "min_height": "44px"},
    )


def notification_form() -> rx.Component:
    """Avisos por email: Nueva Factura emails or not, with the signed PDFs attached or not."""
    return post_form(
        rx.vstack(
            rx.heading(t("Avisos por email"), as_="h2", size="4"),
            _choice(
                "nuevas",
                t("Recibir un email cuando tenga facturas nuevas"),
                AccountState.new_invoices,
            ),
            _choice(
                "adjuntar",
                t("Adjuntar a ese email las facturas firmadas (PDF)"),
                AccountState.attach_pdf,
            ),
            rx.text(
                t("El email de alta y los de contraseña se envían siempre."),
                size="2",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.button(t("Guardar avisos"), type="submit", variant="soft"),
            spacing="3",
            width="100%",
        ),
        action=routes.NOTIFICATIONS_ACTION,
        # Remounted once the saved choices load: the boxes start from them.
        key=AccountState.preferences_key,
        id="avisos",
    )


def activity_card() -> rx.Component:
    """Actividad reciente, and «No he sido yo» for what the customer did not do."""
    return rx.vstack(
        rx.heading(t("Actividad reciente"), as_="h2", size="4"),
        rx.text(t("Horas en "), AccountState.zone_label, ".", size="2"),
        plain_table(
            [N_("Cuándo"), N_("Qué"), N_("Dispositivo"), N_("Lugar")],
            AccountState.activity,
            [
                lambda row: row.when,
                lambda row: rx.cond(
                    row.ok,
                    rx.text(row.what, as_="span"),
                    rx.text(row.what, as_="span", color_scheme="red", high_contrast=True),
                ),
                lambda row: row.device,
                lambda row: row.place,
            ],
            label=t("Actividad reciente"),
        ),
        post_form(
            rx.vstack(
                rx.text(
                    t(
                        "¿Ve algo que no ha hecho usted? Pulse «No he sido yo»: se cerrarán "
                        "todas las sesiones, también esta, su contraseña dejará de servir y le "
                        "enviaremos un email para elegir una nueva."
                    ),
                    size="2",
                ),
                _choice("confirmo", t("Confirmo que no he sido yo"), False, required=True),
                rx.button(t("No he sido yo"), type="submit", color_scheme="red", variant="soft"),
                spacing="2",
                width="100%",
            ),
            action=routes.NOT_ME_ACTION,
            id="no-he-sido-yo",
        ),
        spacing="3",
        width="100%",
    )


def second_factor_card() -> rx.Component:
    """Verificación en dos pasos: set it up, or (with a code) new recovery codes or off."""
    backend = get_settings().backend_origin
    return rx.vstack(
        rx.heading(t("Verificación en dos pasos"), as_="h2", size="4"),
        rx.cond(
            AccountState.second_factor_on,
            post_form(
                rx.vstack(
                    rx.text(
                        t(
                            "Activada: al entrar, además de la contraseña, le pedimos el código de "
                            "su aplicación. Le quedan "
                        ),
                        AccountState.recovery_codes_left,
                        t(" códigos de recuperación."),
                        size="2",
                    ),
                    code_field(),
                    rx.hstack(
                        rx.button(
                            t("Generar nuevos códigos de recuperación"),
                            type="submit",
                            variant="soft",
                            custom_attrs={"formAction": backend + routes.RECOVERY_CODES_ACTION},
                        ),
                        rx.cond(
                            AccountState.second_factor_required,
                            rx.fragment(),
                            rx.button(
                                t("Desactivar"),
                                type="submit",
                                variant="soft",
                                color_scheme="red",
                            ),
                        ),
                        wrap="wrap",
                        spacing="2",
                    ),
                    rx.cond(
                        AccountState.second_factor_required,
                        rx.text(
                            t("Su empresa exige la verificación en dos pasos."),
                            size="2",
                            color_scheme="gray",
                            high_contrast=True,
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
                action=routes.SECOND_FACTOR_OFF_ACTION,
                id="verificacion",
            ),
            rx.vstack(
                rx.text(
                    t(
                        "Desactivada. Con ella, al entrar le pediremos también un código de 6 "
                        "cifras de una aplicación de su móvil: quien conozca su contraseña no "
                        "podrá entrar."
                    ),
                    size="2",
                ),
                rx.link(
                    t("Activar la verificación en dos pasos"),
                    href=backend + routes.SECOND_FACTOR_SETUP,
                    id="activar-verificacion",
                    # A page rendered by the server (it shows the secret), not one of the app's.
                    custom_attrs={"reloadDocument": True},
                    weight="bold",
                    underline="always",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )
