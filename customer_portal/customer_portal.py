"""The Reflex app: registers every page and mounts the HTTP API on the same port."""

from __future__ import annotations

import reflex as rx
from reflex.utils.prerequisites import get_web_dir
from reflex_base import constants

from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.components.layout import (
    connection_banner,
    error_boundary,
    problem_banner,
    toaster,
)
from customer_portal.logs import install as install_log_redaction

# Every page module, by name: importing one declares its pages (pages/kit.py).
from customer_portal.pages import (  # noqa: F401
    account,
    credentials,
    forgot_password,
    home,
    invoice_detail,
    invoice_list,
    login,
    mailbox,
    not_found,
    payments,
    statement,
    verify,
)
from customer_portal.pages.kit import register_pages
from customer_portal.settings import get_settings
from customer_portal.state.auth import SessionGuard
from customer_portal.state.server_problem import RETRYING, ServerProblemState, on_server_error

# Before anything can log: no cookie, password or token ever reaches a log.
install_log_redaction()
_settings = get_settings()


def _banners() -> rx.Component:
    """The connection's banner and the banner of a failed event, on every stateful page."""
    return rx.fragment(
        connection_banner(),
        problem_banner(
            ServerProblemState.retrying,
            ServerProblemState.message,
            RETRYING,
            ServerProblemState.dismiss,
        ),
    )


app = rx.App(
    # The API's routes in front of Reflex's, then the edge in front of everything.
    api_transformer=[
        build_api(),
        build_edge(_settings, build_dir=get_web_dir() / constants.Dirs.STATIC),
    ],
    html_lang="es",
    head_components=[
        rx.el.link(rel="icon", href="/logo.png"),
        # Announcements, focus, busy forms, Spanish validation (no inline script: CSP).
        rx.el.script(src="/portal.js", defer=True),
    ],
    stylesheets=["/portal.css"],
    # Reflex's wraps, in Spanish: a connection banner instead of its English toast and
    # icon, an error page with the portal's header instead of its English one.
    app_wraps={
        (55, "ErrorBoundary"): lambda stateful: error_boundary(),
        (5, "Overlay"): lambda stateful: _banners() if stateful else None,
    },
    # A failed event: a Spanish banner (and a retry) instead of Reflex's English toast.
    backend_exception_handler=on_server_error,
    toaster=toaster(),
)
# Before every event: who is asking, and nothing private left from anyone else.
app.add_middleware(SessionGuard(), index=0)
register_pages(app)


@app.register_lifespan_task
async def mail_worker() -> None:
    """Deliver queued emails within seconds (or print them when SMTP is off)."""
    from customer_portal.db import get_engine
    from customer_portal.mail.worker import run_mail_worker

    settings = get_settings()
    if not settings.mail.in_web:
        return  # delivered by `customer-portal deliver-mail --watch` (README, Despliegue)
    # In dev without SMTP the console is the mailbox: it may show fresh links.
    await run_mail_worker(engine=get_engine(), settings=settings, live_links=settings.is_dev)
