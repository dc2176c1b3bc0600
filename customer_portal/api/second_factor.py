"""Verificación en dos pasos over plain HTTP: the code step of Entrar, enrolment, turning it off.

The enrolment page is rendered here, on the server, not by Reflex: it shows
the TOTP secret (as a QR and as text), and nothing secret may live in a
Reflex state var (the state manager keeps them in Redis or on disk). It is
plain HTML with one form, so it works before any script has loaded; the
answer pages are ``no-store``. Every route finds the person from the
``HttpOnly`` session cookie or, in the middle of Entrar, from the signed
challenge cookie, never from a form field.
"""

from __future__ import annotations

import functools
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from customer_portal import routes
from customer_portal.api.accounts import _form_route
from customer_portal.api.cookies import (
    clear_cookie,
    set_challenge_cookie,
    set_device_cookie,
    set_session_cookie,
)
from customer_portal.api.edge import client_ip
from customer_portal.api.language import follow_person
from customer_portal.api.redirects import see_other
from customer_portal.db import get_engine, unit_of_work
from customer_portal.documents.render import qr_modules, qr_runs
from customer_portal.domain import auth, second_factor, throttle
from customer_portal.domain.devices import DEVICE_COOKIE
from customer_portal.domain.flash import QUERY_KEY, Flash, read_flash
from customer_portal.domain.second_factor import CHALLENGE_COOKIE, SecondFactorKeys
from customer_portal.domain.sessions import SESSION_COOKIE, resume
from customer_portal.i18n import N_, _, current_language
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH
from customer_portal.models import Account, utcnow
from customer_portal.settings import get_settings

ENABLED = N_("Verificación en dos pasos activada.")
DISABLED = N_("Verificación en dos pasos desactivada.")
ALREADY_ON = N_("La verificación en dos pasos ya está activada.")
REQUIRED = N_("Su empresa exige la verificación en dos pasos: no se puede desactivar.")
PASSWORD_THEN_CODE = N_("Contraseña correcta. Ahora, el código de su aplicación.")


def _who(request: Request) -> tuple[Account | None, bool, str]:
    """The person asking: from the session, or from an enrolment challenge at Entrar.

    Returns:
        The account (None if nobody), whether it came from the challenge
        (so enrolling also signs in), and where to go afterwards.
    """
    settings = get_settings()
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    with unit_of_work() as session:
        if token:
            live = resume(session=session, token=token, idle=settings.session_idle)
            if live is not None:
                return live.account, False, routes.ACCOUNT
        challenge = SecondFactorKeys(settings.secret_key).read_challenge(
            session=session, token=request.cookies.get(CHALLENGE_COOKIE)
        )
    if challenge is not None and challenge.enrol:
        return challenge.account, True, routes.safe_next(challenge.next_path)
    return None, False, routes.ACCOUNT


def after_password(result: auth.AuthResult, next_path: str) -> Response:
    """Entrar with a right password and a second factor to come: the challenge cookie, on."""
    settings = get_settings()
    keys = SecondFactorKeys(settings.secret_key)
    with unit_of_work() as session:
        account = session.get(Account, result.account_id)
    enrol = result.second_factor == "enrol"
    if enrol:
        response = see_other(routes.SECOND_FACTOR_SETUP)
    else:
        response = see_other(routes.SECOND_FACTOR, Flash(PASSWORD_THEN_CODE, "green"))
    set_challenge_cookie(response, settings, keys.issue_challenge(account, next_path, enrol=enrol))
    return response


@_form_route
async def verify_code(request: Request, fields: dict[str, str]) -> Response:
    """Entrar, second step: the code; on success the session, and on to where they were going."""
    settings = get_settings()
    result = await run_in_threadpool(
        functools.partial(
            auth.complete_second_factor,
            engine=get_engine(),
            settings=settings,
            challenge=request.cookies.get(CHALLENGE_COOKIE),
            code=fields.get("codigo", ""),
            ip=client_ip(request.scope, settings.trusted_proxy_hops),
            user_agent=request.headers.get("user-agent"),
            device_token=request.cookies.get(DEVICE_COOKIE),
        )
    )
    if not result.ok:
        if result.message == _(auth.CHALLENGE_EXPIRED):
            response = see_other(routes.LOGIN, Flash(result.message))
            clear_cookie(response, settings, CHALLENGE_COOKIE)
            return response
        return see_other(routes.SECOND_FACTOR, Flash(result.message))
    response = see_other(routes.safe_next(result.next_path))
    set_session_cookie(response, settings, result.session_token)
    set_device_cookie(response, settings, result.device_token)
    await follow_person(request, response, result.account_id)
    clear_cookie(response, settings, CHALLENGE_COOKIE)
    return response


async def setup_page(request: Request) -> Response:
    """The enrolment page: the QR and the key of a pending secret, and the form for a code."""
    settings = get_settings()

    def prepare():
        account, _, _ = _who(request)
        if account is None:
            return None, None
        if second_factor.enabled(account):
            return account, None
        with unit_of_work() as session:
            stored = session.get(Account, account.id)
            enrolment = second_factor.start_enrolment(
                session=session,
                account=stored,
                keys=SecondFactorKeys(settings.secret_key),
                issuer=settings.branding.portal_name,
            )
        return account, enrolment

    account, enrolment = await run_in_threadpool(prepare)
    if account is None:
        return see_other(routes.login(routes.SECOND_FACTOR_SETUP))
    if enrolment is None:
        return see_other(routes.ACCOUNT, Flash(ALREADY_ON, "green"))
    flash = read_flash(settings.secret_key, request.query_params.get(QUERY_KEY, ""))
    return _page(
        _("Activar la verificación en dos pasos"),
        (f'<p role="alert" style="{_ALERT}">{escape(flash.text)}</p>' if flash else "")
        + _setup_steps(
            qr=_qr_svg(enrolment.uri),
            key=escape(enrolment.grouped),
            action=escape(settings.backend_origin + routes.SECOND_FACTOR_SETUP_ACTION),
        ),
    )


@_form_route
async def confirm_setup(request: Request, fields: dict[str, str]) -> Response:
    """The enrolment form: the first code turns the factor on; the recovery codes, once."""
    settings = get_settings()
    account, at_sign_in, way_on = await run_in_threadpool(_who, request)
    if account is None:
        return see_other(routes.login(routes.SECOND_FACTOR_SETUP))
    result, codes = await run_in_threadpool(
        functools.partial(
            auth.complete_enrolment,
            engine=get_engine(),
            settings=settings,
            account_id=account.id,
            code=fields.get("codigo", ""),
            ip=client_ip(request.scope, settings.trusted_proxy_hops),
            user_agent=request.headers.get("user-agent"),
            device_token=request.cookies.get(DEVICE_COOKIE),
            sign_in=at_sign_in,
        )
    )
    if not result.ok:
        return see_other(routes.SECOND_FACTOR_SETUP, Flash(result.message))
    response = _codes_page(_(ENABLED), codes, way_on)
    if at_sign_in:
        set_session_cookie(response, settings, result.session_token)
        set_device_cookie(response, settings, result.device_token)
        await follow_person(request, response, account.id)
        clear_cookie(response, settings, CHALLENGE_COOKIE)
    return response


def _signed_in_with_code(request: Request, code: str, change, refuse=None) -> str | None:
    """Run ``change(session, account)`` for the signed-in person if ``code`` is right.

    Wrong codes count in the sign-in throttle: a borrowed session cannot be
    used to guess at the code. ``refuse(session, account)`` is asked first,
    so a refused change spends no code.

    Returns:
        None if done; "login" without a session; "off" if the factor is off;
        else the message to show.
    """
    settings = get_settings()
    token = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    ip = client_ip(request.scope, settings.trusted_proxy_hops)
    keys = SecondFactorKeys(settings.secret_key)
    with unit_of_work() as session:
        live = resume(session=session, token=token, idle=settings.session_idle)
        if live is None:
            return "login"
        account = session.get(Account, live.account.id)
        if not second_factor.enabled(account):
            return "off"
        problem = refuse(session, account) if refuse else None
        if problem:
            return problem
        decision = throttle.admit(session=session, email=account.email, ip=ip, now=utcnow())
    if not decision.allowed:
        return auth.locked_message(decision.retry_after_minutes)
    with unit_of_work() as session:
        account = session.get(Account, live.account.id)
        if (
            second_factor.check_second_factor(
                session=session, account=account, keys=keys, code=code
            )
            is None
        ):
            return _(auth.CODE_WRONG)
        throttle.clear_pair(session=session, email=account.email, ip=ip)
        return change(session, account)


def _refuse_if_required(session, account: Account) -> str | None:
    return _(REQUIRED) if second_factor.required_for(session=session, account=account) else None


@_form_route
async def turn_off(request: Request, fields: dict[str, str]) -> Response:
    """Mi cuenta: turn the second factor off (a code from the app, or a recovery code)."""
    settings = get_settings()
    ip = client_ip(request.scope, settings.trusted_proxy_hops)

    def change(session, account: Account) -> None:
        second_factor.disable(session=session, account=account, ip=ip, actor=account.email)

    problem = await run_in_threadpool(
        _signed_in_with_code, request, fields.get("codigo", ""), change, _refuse_if_required
    )
    if problem == "login":
        return see_other(routes.login(routes.ACCOUNT))
    if problem is not None and problem != "off":
        return see_other(routes.ACCOUNT, Flash(problem))
    return see_other(routes.ACCOUNT, Flash(DISABLED, "green"))


@_form_route
async def new_recovery_codes(request: Request, fields: dict[str, str]) -> Response:
    """Mi cuenta: ten new recovery codes (the old ones stop working), shown once."""
    settings = get_settings()
    keys = SecondFactorKeys(settings.secret_key)
    codes: list[str] = []

    def change(session, account: Account) -> None:
        codes.extend(
            second_factor.replace_recovery_codes(session=session, account=account, keys=keys)
        )

    problem = await run_in_threadpool(
        _signed_in_with_code, request, fields.get("codigo", ""), change
    )
    if problem == "login":
        return see_other(routes.login(routes.ACCOUNT))
    if problem is not None:
        return see_other(routes.ACCOUNT, Flash(problem if problem != "off" else DISABLED))
    return _codes_page(_("Nuevos códigos de recuperación"), codes, routes.ACCOUNT)


# -- the server-rendered pages -------------------------------------------------------

_ALERT = "background:#fde8e8;color:#8b1a1a;padding:.6em .8em;border-radius:6px"
_FIELD = "font-size:1.25rem;padding:.5em;width:12ch;letter-spacing:.1em"
_BUTTON = (
    "font-size:1rem;padding:.7em 1.4em;background:#0b5394;color:#fff;border:0;"
    "border-radius:6px;cursor:pointer;min-height:44px"
)


def _setup_steps(*, qr: str, key: str, action: str) -> str:
    """The enrolment steps: the QR, the key to type instead, the first code."""
    open_app = _(
        "Abra su aplicación de autenticación (Google Authenticator, Microsoft Authenticator, "
        "FreeOTP, 1Password…) y añada una cuenta escaneando este código QR:"
    )
    type_key = _("Si no puede escanearlo, escriba esta clave en la aplicación:")
    type_code = _("Escriba el código de 6 cifras que muestra ahora la aplicación:")
    # Out of the f-string: babel reads no call inside one.
    label = _("Código de verificación")
    button = _("Activar")
    return f"""
<ol style="line-height:1.6">
<li>{escape(open_app)}</li>
</ol>
<div style="width:220px;max-width:100%">{qr}</div>
<p>{escape(type_key)}</p>
<p><code style="font-size:1.1rem;word-break:break-all" id="clave">{key}</code></p>
<ol start="2" style="line-height:1.6">
<li>{escape(type_code)}</li>
</ol>
<form method="post" action="{action}">
<p><label for="codigo">{escape(label)}</label><br>
<input id="codigo" name="codigo" inputmode="numeric" autocomplete="one-time-code"
 pattern="[0-9 ]{{6,7}}" maxlength="7" required style="{_FIELD}"></p>
<p><button type="submit" style="{_BUTTON}">{escape(button)}</button></p>
</form>
"""


def _page(title: str, body: str) -> HTMLResponse:
    back = _("Volver a Mi cuenta")
    html = (
        f'<!DOCTYPE html><html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;max-width:560px;'
        'margin:2em auto;padding:0 1em;color:#1a1a1a">'
        f'<main><h1 style="color:#0b5394;font-size:1.5rem">{escape(title)}</h1>{body}'
        f'<p><a href="{routes.ACCOUNT}">{escape(back)}</a></p>'
        "</main></body></html>"
    )
    # Secrets on the page: never cached, never framed.
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _codes_page(title: str, codes: list[str], way_on: str) -> HTMLResponse:
    items = "".join(f"<li><code>{escape(code)}</code></li>" for code in codes)
    saved = _("Ya los he guardado: continuar")
    return _page(
        title,
        "<p>"
        + _(
            "Guarde estos códigos de recuperación en un lugar seguro. Cada uno sirve "
            "<strong>una sola vez</strong> en lugar del código de la aplicación, por ejemplo si "
            "pierde el móvil. No volveremos a mostrarlos."
        )
        + "</p>"
        f'<ol id="codigos-recuperacion" style="font-size:1.1rem;line-height:1.8">{items}</ol>'
        f'<p><a href="{escape(way_on)}" style="{_BUTTON};display:inline-block;'
        f'text-decoration:none">{escape(saved)}</a></p>',
    )


def _qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code, one path of dark modules, with a quiet zone."""
    modules = qr_modules(text)
    size = len(modules) + 8
    runs = [f"M{c + 4} {r + 4}h{n}v1h-{n}z" for r, c, n in qr_runs(modules)]
    label = _("Código QR para su aplicación de autenticación")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(label)}" '
        'shape-rendering="crispEdges" style="width:100%;height:auto;background:#fff">'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
