"""«Idioma»: the footer's form, posted here from any page, signed in or not.

The choice is remembered in this browser (``portal_idioma``) and, for a
signed-in person, saved on their account, so their other devices and their
emails follow it. The page they were on comes back in the new language.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from customer_portal import routes
from customer_portal.api.accounts import _form_route
from customer_portal.api.cookies import set_language_cookie
from customer_portal.api.edge import client_ip
from customer_portal.api.redirects import see_other
from customer_portal.db import unit_of_work
from customer_portal.domain.downloads import DOWNLOAD_PREFIX
from customer_portal.domain.flash import QUERY_KEY
from customer_portal.domain.languages import save_language, sign_in_language
from customer_portal.domain.sessions import SESSION_COOKIE, resume
from customer_portal.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_COOKIE,
    choose_language,
    known,
    set_language,
)
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH
from customer_portal.settings import get_settings


def _back_to(next_path: str | None) -> str:
    """The page to return to, without a message meant for the page as it was."""
    target = routes.safe_next(next_path, default=routes.HOME)
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != QUERY_KEY]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


@_form_route
async def pick_language(request: Request, fields: dict[str, str]) -> Response:
    """Save the language picked in the footer; back to the page it was picked on."""
    settings = get_settings()
    back = _back_to(fields.get("next"))
    code = known(fields.get("idioma"))
    if code is None:
        return see_other(back)  # not a language of ours: nothing changes
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    ip = client_ip(request.scope, settings.trusted_proxy_hops)

    def save() -> None:
        with unit_of_work() as session:
            live = resume(session=session, token=token, idle=settings.session_idle)
            if live is not None:
                save_language(session=session, account_id=live.account.id, code=code, ip=ip)

    if token:
        await run_in_threadpool(save)
    response = see_other(back)
    set_language_cookie(response, settings, code)
    return response


#: The operator's JSON API; its downloads route (a customer's click) is the exception.
OPERATOR_API = "/api/v1/"


class RequestLanguage:
    """ASGI middleware: each HTTP request is answered in this browser's language.

    The ``portal_idioma`` cookie (set by «Idioma», and at sign-in from the
    person's saved choice), else ``Accept-Language``, else Spanish: what
    ``_()`` translates into while the route runs.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Set the language for an HTTP request, then answer it."""
        if scope["type"] == "http":
            path = scope.get("path", "")
            if path.startswith(OPERATOR_API) and not path.startswith(DOWNLOAD_PREFIX):
                # The billing system's API: invoices are published in the company's
                # language (the signed PDF is its document), whatever the client sends.
                set_language(DEFAULT_LANGUAGE)
            else:
                set_language(request_language(Request(scope)))
        await self.app(scope, receive, send)


def request_language(request: Request) -> str:
    """The language to answer ``request`` in (without looking anyone up)."""
    return choose_language(
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


async def follow_person(request: Request, response: Response, account_id: int | None) -> None:
    """At sign-in: note the browser's language (for emails); this browser takes their choice.

    A person who chose English on their laptop finds English on their phone
    as soon as they sign in there, including the pages served before the
    portal knows who they are.
    """
    if account_id is None:
        return
    browser = request_language(request)

    def note() -> str | None:
        with unit_of_work() as session:
            return sign_in_language(session=session, account_id=account_id, browser=browser)

    saved = await run_in_threadpool(note)
    if saved is not None:
        set_language_cookie(response, get_settings(), saved)
