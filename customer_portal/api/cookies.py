"""The portal's two cookies, set only by HTTP responses and never readable by scripts.

- ``portal_session``: the random session token (the database keeps its hash).
- ``portal_link``: the token of an activation or reset link, moved out of the
  URL by the link's landing route so it never sits in the address bar, the
  browser history, or Reflex's router data.

Both are ``HttpOnly`` (no script, not even ours, can read them),
``SameSite=Strict`` (a request started by another site carries neither) and
``Secure`` when the portal is served over https. The websocket handshake
brings them to the server, where the edge keeps them out of Reflex's state.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from starlette.responses import Response

from customer_portal.domain.devices import DEVICE_COOKIE, DEVICE_LIFETIME
from customer_portal.domain.second_factor import CHALLENGE_COOKIE, CHALLENGE_SECONDS
from customer_portal.domain.sessions import ABSOLUTE_LIFETIME, SESSION_COOKIE
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE
from customer_portal.settings import Settings

LINK_COOKIE = "portal_link"
# The language cookie is no secret (a script reads it) but the guard needs it per event.
PORTAL_COOKIES = (SESSION_COOKIE, LINK_COOKIE, LANGUAGE_COOKIE)
_MAX_VALUE = 500


def parse_cookies(header: str) -> dict[str, str]:
    """The portal's cookies in a ``Cookie`` header; anything unparsable counts as absent."""
    jar: SimpleCookie = SimpleCookie()
    for part in header.split(";"):
        try:
            jar.load(part)
        except CookieError:
            continue
    return {
        name: jar[name].value[:_MAX_VALUE]
        for name in PORTAL_COOKIES
        if name in jar and jar[name].value
    }


def _set(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.is_https,
    )


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    """Hand the browser its session token after a successful sign-in."""
    # The database ends the session earlier (idle timeout); the cookie only
    # needs to outlive the longest possible session.
    _set(response, settings, SESSION_COOKIE, token, int(ABSOLUTE_LIFETIME.total_seconds()))


def set_device_cookie(response: Response, settings: Settings, token: str | None) -> None:
    """Keep the browser's device token (domain/devices.py), renewed at every sign-in."""
    if token:
        _set(response, settings, DEVICE_COOKIE, token, int(DEVICE_LIFETIME.total_seconds()))


def set_challenge_cookie(response: Response, settings: Settings, token: str) -> None:
    """Hold Entrar's challenge between the password and the code (five minutes)."""
    _set(response, settings, CHALLENGE_COOKIE, token, CHALLENGE_SECONDS)


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    """Make the browser drop cookie ``name`` (on sign-out, or once a link has been used)."""
    _set(response, settings, name, "", 0)


def set_link_cookie(
    response: Response, settings: Settings, purpose: TokenPurpose, token: str
) -> None:
    """Keep a link's token for the form it opens; it dies with the link or in a day."""
    lifetime = (
        settings.activation_ttl_hours * 3600
        if purpose is TokenPurpose.ACTIVATION
        else settings.reset_ttl_minutes * 60
    )
    _set(response, settings, LINK_COOKIE, f"{purpose.value}~{token}", min(lifetime, 24 * 3600))


def read_link_cookie(value: str | None) -> tuple[TokenPurpose, str] | None:
    """``(purpose, token)`` from a ``portal_link`` value; None when absent or malformed."""
    purpose, sep, token = (value or "").partition("~")
    if not sep or not token:
        return None
    try:
        return TokenPurpose(purpose), token
    except ValueError:
        return None


def set_language_cookie(response: Response, settings: Settings, code: str) -> None:
    """Remember this browser's language (readable by portal.js, so not HttpOnly; Lax, 400 days).

    Not a secret: it only says which catalog to show, so a script may read it
    to show the right language before the page is live.
    """
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        httponly=False,
        samesite="lax",
        secure=settings.is_https,
    )
