"""Mi cuenta: change the password (current one required) and manage sessions."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import alert, field, new_password_fields, post_form
from customer_portal.components.lists import plain_table
from customer_portal.pages.credentials import enter_submits
from customer_portal.pages.kit import portal_page
from customer_portal.state.account import AccountState


@portal_page(
    route=routes.ACCOUNT,
    title="Mi cuenta",
    on_load=AccountState.open_account,
    nav="Mi cuenta",
    nav_order=90,
)
def account() -> rx.Component:
    """The password form and the open sessions."""
    return rx.vstack(
        rx.heading("Mi cuenta", as_="h1", size="6"),
        alert(AccountState.notice, tone="green"),
        rx.card(
            post_form(
                rx.vstack(
                    rx.heading("Cambiar contraseña", as_="h2", size="4"),
                    alert(AccountState.error),
                    field(
                        "Contraseña actual",
                        "current",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                        max_length=256,
                    ),
                    *new_password_fields(AccountState, password_label="Contraseña nueva"),
                    *enter_submits(AccountState),
                    spacing="3",
                    width="100%",
                ),
                action=routes.CHANGE_PASSWORD_ACTION,
            ),
            width="100%",
            max_width="520px",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Sesiones abiertas", as_="h2", size="4"),
                rx.text("Horas en ", AccountState.zone_label, ".", size="2"),
                plain_table(
                    ["Navegador", "Dirección", "Desde", "Último uso"],
                    AccountState.sessions,
                    [
                        lambda row: rx.fragment(
                            row.device,
                            rx.cond(
                                row.current,
                                rx.badge(
                                    "Esta sesión", color_scheme="green", ml="2", high_contrast=True
                                ),
                            ),
                        ),
                        lambda row: row.ip,
                        lambda row: row.since,
                        lambda row: row.last_seen,
                    ],
                    label="Sesiones abiertas",
                ),
                rx.button(
                    "Cerrar las demás sesiones",
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
