"""The Reflex app: registers every page and mounts the HTTP API on the same port."""

from __future__ import annotations

import reflex as rx
from reflex.utils.prerequisites import get_web_dir
from reflex_base import constants

from customer_portal import routes
from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.logs import install as install_log_redaction
from customer_portal.pages import (
    account,
    credentials,
    forgot_password,
    home,
    invoice_detail,
    invoice_list,
    login,
    mailbox,
)
from customer_portal.settings import get_settings
from customer_portal.state.account import AccountState
from customer_portal.state.auth import SessionGuard
from customer_portal.state.credentials import CredentialsState
from customer_portal.state.invoice_detail import InvoiceDetailState
from customer_portal.state.invoice_list import InvoiceListState
from customer_portal.state.login import ForgotPasswordState, LoginState

# Before anything can log: no cookie, password or token ever reaches a log.
install_log_redaction()
_settings = get_settings()
_branding = _settings.branding

app = rx.App(
    # The API's routes in front of Reflex's, then the edge in front of everything.
    api_transformer=[
        build_api(),
        build_edge(_settings, build_dir=get_web_dir() / constants.Dirs.STATIC),
    ],
    html_lang="es",
    head_components=[rx.el.link(rel="icon", href="/logo.png")],
)
# Before every event: who is asking, and nothing private left from anyone else.
app.add_middleware(SessionGuard(), index=0)
app.add_page(home.index, route=routes.HOME, title=_branding.portal_name)
app.add_page(login.login, route=routes.LOGIN, title="Entrar", on_load=LoginState.open_login)
app.add_page(
    forgot_password.forgot_password,
    route=routes.FORGOT_PASSWORD,
    title="¿Has olvidado tu contraseña?",
    on_load=ForgotPasswordState.open_form,
)
app.add_page(
    credentials.credentials,
    route=routes.ACTIVATE,
    title="Modificar contraseña",
    on_load=CredentialsState.open_activation,
)
app.add_page(
    credentials.credentials,
    route=routes.RESET_PASSWORD,
    title="Modificar contraseña",
    on_load=CredentialsState.open_reset,
)
app.add_page(
    invoice_list.invoice_list,
    route=routes.INVOICES,
    title="Mis facturas",
    on_load=InvoiceListState.open_list,
)
app.add_page(
    invoice_detail.invoice_detail,
    route=routes.INVOICE_DETAIL,
    title="Factura",
    on_load=InvoiceDetailState.open_invoice,
)
app.add_page(
    account.account, route=routes.ACCOUNT, title="Mi cuenta", on_load=AccountState.open_account
)
if _settings.is_dev:
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

    settings = get_settings()
    # In dev without SMTP the console is the mailbox: it may show fresh links.
    await run_mail_worker(get_engine(), settings, live_links=settings.is_dev)
