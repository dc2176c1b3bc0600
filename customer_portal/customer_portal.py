"""The Reflex app: registers every page and mounts the HTTP API on the same port."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.api.app import build_api
from customer_portal.pages import home, mailbox
from customer_portal.settings import get_settings

_branding = get_settings().branding

app = rx.App(
    api_transformer=build_api(),
    html_lang="es",
    head_components=[rx.el.link(rel="icon", href="/logo.png")],
)
app.add_page(home.index, route=routes.HOME, title=_branding.portal_name)
if get_settings().is_dev:
    from customer_portal.state.mailbox import MailboxState

    app.add_page(
        mailbox.mailbox,
        route=routes.DEV_MAILBOX,
        title="Buzón de pruebas",
        on_load=MailboxState.load,
    )


@app.register_lifespan_task
async def mail_worker() -> None:
    """Deliver queued emails within seconds (or print them when SMTP is off)."""
    from customer_portal.db import get_engine
    from customer_portal.mail.worker import run_mail_worker

    await run_mail_worker(get_engine(), get_settings())
