"""Dev-only mailbox: the emails in the outbox, rendered as customers get them."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import Access, portal_page
from customer_portal.state.mailbox import MailboxState


def _row(email: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(email.id),
        rx.table.cell(email.recipient),
        rx.table.cell(
            rx.button(
                email.subject,
                variant="ghost",
                size="1",
                on_click=MailboxState.select(email.id),
            )
        ),
        rx.table.cell(email.state),
        rx.table.cell(email.created),
    )


@portal_page(
    route=routes.DEV_MAILBOX,
    title=N_("Buzón de pruebas"),
    on_load=MailboxState.load,
    access=Access.DEV,
)
def mailbox() -> rx.Component:
    """The outbox's emails, and the one selected rendered in a sandbox."""
    return rx.fragment(
        rx.heading(t("Buzón de pruebas"), as_="h1", size="6"),
        rx.cond(
            MailboxState.enabled,
            rx.vstack(
                rx.text(t("Correos de la cola de salida (solo en modo desarrollo)."), size="2"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *(
                                rx.table.column_header_cell(h)
                                for h in ("#", "Para", "Asunto", "Estado", "Creado")
                            )
                        )
                    ),
                    rx.table.body(rx.foreach(MailboxState.emails, _row)),
                    width="100%",
                ),
                rx.cond(
                    MailboxState.selected_id > 0,
                    rx.vstack(
                        rx.heading(MailboxState.selected_subject, as_="h2", size="4"),
                        rx.el.iframe(
                            src_doc=MailboxState.selected_html,
                            title=t("Vista del correo"),
                            width="100%",
                            height="720px",
                            border="1px solid #d0d7de",
                            # No scripts; links in the email may open a new tab.
                            sandbox="allow-popups allow-popups-to-escape-sandbox",
                        ),
                        width="100%",
                    ),
                ),
                width="100%",
                spacing="4",
            ),
            rx.text(t("El buzón de pruebas solo existe en modo desarrollo.")),
        ),
    )
