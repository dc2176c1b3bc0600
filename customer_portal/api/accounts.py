"""The account forms, as plain HTTP: Entrar, Salir, set or change a password, forgot it.

These forms post natively to the server (``<form method="post">``) instead of
going through Reflex events, because each of them ends by setting or clearing
the session cookie, and only an HTTP response can set an ``HttpOnly`` cookie.
It has two more benefits: a form works before the page's scripts have loaded
(a slow phone), and a password only ever travels in a POST body, never in a
URL. Each route answers with a redirect (303) to a page, carrying a signed
message for it (:mod:`customer_portal.domain.flash`).

Cross-site posts are refused by the edge (Origin check) and carry no session
cookie anyway (``SameSite=Strict``).
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qs, urlsplit

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from customer_portal import routes
from customer_portal.api.cookies import (
    LINK_COOKIE,
    clear_cookie,
    read_link_cookie,
    set_device_cookie,
    set_link_cookie,
    set_session_cookie,
)
from customer_portal.api.edge import client_ip
from customer_portal.api.redirects import see_other as _to
from customer_portal.db import get_engine, run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.accounts import set_notification_preferences
from customer_portal.domain.devices import DEVICE_COOKIE
from customer_portal.domain.flash import Flash
from customer_portal.domain.sessions import SESSION_COOKIE, end_session, resume, rotate_session
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.i18n import N_, _
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH
from customer_portal.settings import get_settings

#: What a form may post; anything larger is not one of our forms.
MAX_FORM_BYTES = 16 * 1024
_FIELD_LIMIT = 256

# The forms' answers, translated when sent (api/redirects.py).
FORGOT_ANSWER = N_(
    "Si el correo está registrado, recibirá un enlace para restablecer su contraseña. "
    "Revise también la carpeta de correo no deseado."
)
ACTIVATION_ANSWER = N_(
    "Si el correo tiene un alta pendiente, recibirá un nuevo enlace de «Ver credenciales»."
)
SIGNED_OUT = N_("Ha salido del portal. ¡Hasta pronto!")
PASSWORD_SET = N_("Contraseña actualizada. Ya puede consultar sus facturas.")
PASSWORD_CHANGED = N_("Contraseña actualizada. Se han cerrado sus otras sesiones.")
NOTIFICATIONS_SAVED = N_("Avisos por email guardados.")
NOT_ME_UNCONFIRMED = N_("Marque «Confirmo que no he sido yo» para cerrar las sesiones.")
NOT_ME_DONE = N_(
    "Hemos cerrado todas las sesiones de su cuenta y anulado su contraseña. "
    "Le hemos enviado un email para elegir una nueva."
)
_PAGE_OF_PURPOSE = {
    TokenPurpose.ACTIVATION: routes.ACTIVATE,
    TokenPurpose.PASSWORD_RESET: routes.RESET_PASSWORD,
}


class _BadForm(Exception):
    pass


async def _form(request: Request) -> dict[str, str]:
    """The posted fields, each cut to a sane length; raises _BadForm for anything else."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        raise _BadForm
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        raise _BadForm
    form = await request.form(max_files=0, max_fields=20)
    return {k: v[:_FIELD_LIMIT] for k, v in form.items() if isinstance(v, str)}


def _bad_form() -> Response:
    return PlainTextResponse(_("Formulario no válido."), status_code=400)


def _form_route(handler):
    """Turn an unreadable form into a 400 before ``handler`` sees it."""

    @functools.wraps(handler)
    async def route(request: Request) -> Response:
        try:
            fields = await _form(request)
        except _BadForm:
            return _bad_form()
        return await handler(request, fields)

    return route


def _next_of_page(request: Request) -> str | None:
    """The ``next`` of the Entrar page the form was sent from (its Referer, this site's own).

    The form's hidden ``next`` is filled once the page's scripts have run; a
    form sent before that still knows where the customer was going.
    """
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.path.rstrip("/") != routes.LOGIN:
        return None
    return parse_qs(referer.query).get("next", [None])[0]


@_form_route
async def sign_in(request: Request, fields: dict[str, str]) -> Response:
    """Entrar: check the credentials; on success the cookie, and on to ``next``."""
    settings = get_settings()
    next_path = routes.safe_next(fields.get("next") or _next_of_page(request))
    result = await run_in_threadpool(
        functools.partial(
            auth.log_in,
            engine=get_engine(),
            settings=settings,
            email=fields.get("email", ""),
            password=fields.get("password", ""),
            ip=client_ip(request.scope, settings.trusted_proxy_hops),
            user_agent=request.headers.get("user-agent"),
            device_token=request.cookies.get(DEVICE_COOKIE),
        )
    )
    if not result.ok:
        return _to(routes.login(next_path), Flash(result.message))
    if result.second_factor:
        from customer_portal.api.second_factor import after_password

        return after_password(result, next_path)
    response = _to(next_path)
    set_session_cookie(response, settings, result.session_token)
    set_device_cookie(response, settings, result.device_token)
    await _follow_person(request, response, result.account_id)
    return response


async def sign_out(request: Request) -> Response:
    """Salir: end the session on the server and drop the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    if token:
        await run_in_threadpool(_end, token)
    response = _to(routes.LOGIN, Flash(SIGNED_OUT, "green"))
    clear_cookie(response, get_settings(), SESSION_COOKIE)
    return response


def _end(token: str) -> None:
    with unit_of_work() as session:
        end_session(session=session, token=token)


async def open_link(request: Request) -> Response:
    """Ver credenciales / restaurar contraseña: move the token from the URL to a cookie.

    Only that: mail scanners open every link, so opening one spends nothing.
    The form page then reads the cookie through the websocket.
    """
    purpose = (
        TokenPurpose.ACTIVATION
        if request.url.path.startswith(routes.ACTIVATE)
        else TokenPurpose.PASSWORD_RESET
    )
    response = _to(_PAGE_OF_PURPOSE[purpose])
    set_link_cookie(response, get_settings(), purpose, request.path_params["token"][:400])
    return response


@_form_route
async def set_password(request: Request, fields: dict[str, str]) -> Response:
    """Modificar contraseña from a link: set it, spend the link, sign the customer in."""
    settings = get_settings()
    link = read_link_cookie(request.cookies.get(LINK_COOKIE))
    if link is None:
        return _to(routes.ACTIVATE)
    purpose, token = link
    result = await run_in_threadpool(
        functools.partial(
            auth.set_password_with_link,
            engine=get_engine(),
            settings=settings,
            purpose=purpose,
            token=token,
            email=fields.get("email", ""),
            password=fields.get("password", ""),
            repeat=fields.get("repeat", ""),
            ip=client_ip(request.scope, settings.trusted_proxy_hops),
            user_agent=request.headers.get("user-agent"),
            device_token=request.cookies.get(DEVICE_COOKIE),
        )
    )
    if not result.ok:
        return _to(_PAGE_OF_PURPOSE[purpose], Flash(result.message))
    if result.second_factor:
        from customer_portal.api.second_factor import after_password

        response = after_password(result, routes.INVOICES)
        set_device_cookie(response, settings, result.device_token)
        clear_cookie(response, settings, LINK_COOKIE)
        return response
    response = _to(routes.INVOICES, Flash(PASSWORD_SET, "green"))
    set_session_cookie(response, settings, result.session_token)
    set_device_cookie(response, settings, result.device_token)
    clear_cookie(response, settings, LINK_COOKIE)
    await _follow_person(request, response, result.account_id)
    return response


@_form_route
async def change_password(request: Request, fields: dict[str, str]) -> Response:
    """Mi cuenta: change the password; other sessions end and this one gets a new token."""
    settings = get_settings()
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    ip = client_ip(request.scope, settings.trusted_proxy_hops)
    user_agent = request.headers.get("user-agent")

    def change() -> tuple[auth.AuthResult | None, str | None]:
        with unit_of_work() as session:
            live = resume(session=session, token=token, idle=settings.session_idle)
        if live is None:
            return None, None
        result = auth.change_password(
            engine=get_engine(),
            settings=settings,
            account_id=live.account.id,
            current=fields.get("current", ""),
            password=fields.get("password", ""),
            repeat=fields.get("repeat", ""),
            keep_token=token,
            ip=ip,
            user_agent=user_agent,
        )
        if not result.ok:
            return result, None
        with unit_of_work() as session:
            fresh = rotate_session(
                session=session,
                token=token,
                idle=settings.session_idle,
                user_agent=user_agent,
                ip=ip,
            )
        return result, fresh

    result, fresh = await run_in_threadpool(change)
    if result is None:
        return _to(routes.login(routes.ACCOUNT))
    if not result.ok or fresh is None:
        return _to(routes.ACCOUNT, Flash(result.message or auth.CURRENT_WRONG))
    response = _to(routes.ACCOUNT, Flash(PASSWORD_CHANGED, "green"))
    set_session_cookie(response, settings, fresh)
    return response


@_form_route
async def save_notifications(request: Request, fields: dict[str, str]) -> Response:
    """Mi cuenta, "Avisos por email": save the two choices for the signed-in account."""
    settings = get_settings()
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    ip = client_ip(request.scope, settings.trusted_proxy_hops)

    def save() -> bool:
        with unit_of_work() as session:
            live = resume(session=session, token=token, idle=settings.session_idle)
            if live is None:
                return False
            # A native checkbox is sent ("on") when ticked and left out when not.
            set_notification_preferences(
                session=session,
                account_id=live.account.id,
                new_invoices=fields.get("nuevas") == "on",
                attach_pdf=fields.get("adjuntar") == "on",
                ip=ip,
            )
        return True

    if not await run_in_threadpool(save):
        return _to(routes.login(routes.ACCOUNT))
    return _to(routes.ACCOUNT, Flash(NOTIFICATIONS_SAVED, "green"))


@_form_route
async def not_me(request: Request, fields: dict[str, str]) -> Response:
    """«No he sido yo»: end every session and void the password; email a reset link.

    This session ends too, and the Restablecer contraseña email goes to the
    account's address, not to whoever is signed in.
    """
    settings = get_settings()
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    ip = client_ip(request.scope, settings.trusted_proxy_hops)
    user_agent = request.headers.get("user-agent")
    if fields.get("confirmo") != "on":
        return _to(routes.ACCOUNT, Flash(NOT_ME_UNCONFIRMED))

    def report() -> bool:
        with unit_of_work() as session:
            live = resume(session=session, token=token, idle=settings.session_idle)
        if live is None:
            return False
        auth.report_not_me(
            engine=get_engine(),
            settings=settings,
            account_id=live.account.id,
            ip=ip,
            user_agent=user_agent,
        )
        return True

    if not await run_in_threadpool(report):
        return _to(routes.login(routes.ACCOUNT))
    response = _to(routes.LOGIN, Flash(NOT_ME_DONE, "green"))
    clear_cookie(response, settings, SESSION_COOKIE)
    return response


@_form_route
async def request_link(request: Request, fields: dict[str, str]) -> Response:
    """¿Has olvidado tu contraseña? and "send me a new link": answer first, work after.

    The answer is the same whatever the email, and it leaves before the
    database is even asked (the work runs after the response is sent), so
    neither its words nor its timing tell who is a customer.
    """
    settings = get_settings()
    email = fields.get("email", "")
    ip = client_ip(request.scope, settings.trusted_proxy_hops)
    if fields.get("purpose") == TokenPurpose.ACTIVATION.value:
        work, answer, back = (
            auth.request_new_activation_link,
            ACTIVATION_ANSWER,
            routes.ACTIVATE,
        )
    else:
        work, answer = auth.request_password_reset, FORGOT_ANSWER
        back = routes.RESET_PASSWORD if fields.get("purpose") else routes.FORGOT_PASSWORD
    response = _to(back, Flash(answer, "green"))
    response.background = BackgroundTask(
        run_in_unit_of_work, work, settings=settings, email=email, ip=ip
    )
    return response


async def _follow_person(request: Request, response: Response, account_id: int | None) -> None:
    # Imported here: api/language.py builds its form route with this module's helpers.
    from customer_portal.api.language import follow_person

    await follow_person(request, response, account_id)
