"""The portal's edge: what every request passes before Reflex or the API sees it.

One ASGI middleware wraps the whole backend (pages, websocket, API):

- **Host**: only the host of ``PORTAL_BASE_URL`` is served (Starlette's
  ``TrustedHostMiddleware``), so a forged ``Host`` can neither poison a
  redirect's ``Location`` nor reach the portal under another name.
- **Origin**: the websocket and every state-changing request must come from
  the portal's own origin when the browser says where it comes from. A page on
  another site can therefore neither drive a customer's Reflex state nor post
  a form with the customer's cookies (CSRF, login CSRF).
- **Cookies never reach Reflex**: the websocket handshake's ``Cookie`` header
  is removed before Reflex copies the headers into its state (which it
  pickles to disk or Redis). The portal's own cookies are kept only in the
  ASGI scope, in memory, for :mod:`customer_portal.state.connection` to read.
- **Headers**: a strict Content-Security-Policy (inline scripts allowed only
  by the hashes of the ones in the built pages), ``frame-ancestors 'none'``,
  ``nosniff``, ``no-referrer``, HSTS over https, and ``no-store`` on
  everything that is not a static asset.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer_portal.api.cookies import parse_cookies
from customer_portal.limits import IP_LENGTH
from customer_portal.settings import Settings

log = logging.getLogger(__name__)

#: Where the edge keeps the portal's cookies of a websocket connection (memory only).
SCOPE_COOKIES = "customer_portal.cookies"

EVENT_PATH = "/_event"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Built assets carry a content hash in their name: they may be cached for good.
_IMMUTABLE = re.compile(r"^/assets/")
#: What browsers keep for a year: a new build gives its files new names.
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# Loaded by a fixed name on every page: kept, but asked again (a cheap 304),
# so a new version is seen at once.
_REVALIDATED = frozenset({"/portal.js", "/portal.css", "/logo.png", "/favicon.ico"})
_TOKEN_URL = re.compile(r"^/(credenciales|restablecer|api/v1/descargas)/.")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_script_hashes(build_dir: Path) -> frozenset[str]:
    """CSP source expressions for every inline script of the prerendered pages.

    Reflex prerenders each page with a few inline scripts (theme, router
    context, module loader). Allowing exactly those, by hash, keeps
    ``'unsafe-inline'`` out of the policy: an injected script has no hash.
    """
    hashes = set()
    for page in build_dir.rglob("*.html"):
        for body in _INLINE_SCRIPT.findall(page.read_bytes()):
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return frozenset(hashes)


def content_security_policy(settings: Settings, script_hashes: Iterable[str]) -> str:
    """The policy for every response; as strict as Reflex's frontend allows."""
    parts = urlsplit(settings.base_url)
    websocket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    scripts = " ".join(["'self'", *sorted(script_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            # Radix Themes and emotion insert <style> elements at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self' {websocket}",
            # The dev mailbox shows an email in a sandboxed srcdoc frame.
            "frame-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


@dataclass(frozen=True)
class EdgePolicy:
    """What the edge enforces, derived once from the settings."""

    origin: str
    host: str
    https: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgePolicy:
        """The origin and host of ``PORTAL_BASE_URL``, and whether it is served over https."""
        host = urlsplit(settings.base_url).hostname or "localhost"
        return cls(origin=settings.origin, host=host, https=settings.is_https)

    def origin_allowed(self, origin: str | None, fetch_site: str | None = None) -> bool:
        """Whether a request may come from where it says it comes from.

        No Origin: not a browser's cross-site request (browsers always send
        it with a POST or a websocket). ``null`` is what a browser sends for a
        page that hides its referrer; it passes only when the browser also
        vouches that the request is same-origin (``Sec-Fetch-Site``).
        """
        if origin is None:
            return True
        if origin == "null":
            return fetch_site == "same-origin"
        return origin.rstrip("/").lower() == self.origin.lower()


def client_ip(scope: Scope, trusted_proxy_hops: int) -> str | None:
    """The caller's address: the socket peer, or the X-Forwarded-For entry our proxies added.

    X-Forwarded-For is whatever the client wrote, except for the entries the
    trusted proxies appended; so it counts only with ``trusted_proxy_hops`` set,
    and then only the entry that many hops from the right. Same rule as
    Reflex's ``trusted_proxy_hops`` for the websocket.
    """
    client = scope.get("client")
    address = client[0] if client else None
    if trusted_proxy_hops:
        forwarded = Headers(scope=scope).get("x-forwarded-for", "")
        hops = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(hops) >= trusted_proxy_hops:
            address = hops[-trusted_proxy_hops]
    # Cut to the column it is stored in (sessions, failures, audit).
    return address[:IP_LENGTH] if address else None


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` is this machine (127.0.0.0/8 or ::1)."""
    try:
        return bool(address) and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class PortalEdge:
    """ASGI middleware: host and origin checks, cookie isolation, security headers."""

    def __init__(self, app: ASGIApp, settings: Settings, *, build_dir: Path | None = None):
        self.settings = settings
        self.policy = EdgePolicy.from_settings(settings)
        self.build_dir = build_dir
        self.inner = app
        self.host_checked = TrustedHostMiddleware(
            self._checked, allowed_hosts=[self.policy.host], www_redirect=False
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Put HTTP and websocket traffic through the checks in the module docstring.

        The host is checked first, then the origin and the dev-only paths;
        HTTP responses get the security headers. Lifespan and other ASGI
        events go straight to the app.
        """
        if scope["type"] not in ("http", "websocket"):
            await self.inner(scope, receive, send)
            return
        if self.policy.https and scope.get("scheme") in ("http", "ws"):
            # Behind a TLS proxy (README, Despliegue) the request reached us in
            # plain text, but the customer's browser spoke https: URLs built
            # from the request (a redirect's Location) must say so.
            scope = {**scope, "scheme": "https" if scope["type"] == "http" else "wss"}
        await self.host_checked(scope, receive, self._with_headers(scope, send))

    @functools.cached_property
    def _csp(self) -> str:
        hashes: frozenset[str] = frozenset()
        if self.build_dir is not None and self.build_dir.is_dir():
            hashes = inline_script_hashes(self.build_dir)
        return content_security_policy(self.settings, hashes)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        path: str = scope.get("path", "")
        method = scope.get("method", "GET")
        is_event = path == EVENT_PATH or path.startswith(EVENT_PATH + "/")
        origin = headers.get("origin")
        fetch_site = headers.get("sec-fetch-site")
        if (is_event or method not in _SAFE_METHODS) and not self.policy.origin_allowed(
            origin, fetch_site
        ):
            log.warning("refused %s %s from foreign origin", method, path.split("?")[0][:60])
            await PlainTextResponse("Origin not allowed", status_code=403)(scope, receive, send)
            return
        if path.startswith("/dev/") and not (
            self.settings.is_dev and is_loopback(client_ip(scope, self.settings.trusted_proxy_hops))
        ):
            # The dev mailbox shows live account links: this machine only.
            await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
            return
        if is_event:
            scope = _without_cookies(scope)
        await self.inner(scope, receive, send)

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        if scope["type"] != "http":
            return send
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._add_security_headers(headers, path)
                self._add_cache_control(headers, path, message.get("status", 200))
            await send(message)

        return send_with_headers

    def _add_security_headers(self, headers: MutableHeaders, path: str) -> None:
        headers.setdefault("Content-Security-Policy", self._csp)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Pages whose URL holds a token never tell anyone where they were;
        # the rest tell only this site, which keeps Origin on our own forms.
        headers.setdefault(
            "Referrer-Policy", "no-referrer" if _TOKEN_URL.match(path) else "same-origin"
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if self.policy.https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # CORS only ever grants the portal's own origin, and credentials only with it.
        if headers.get("access-control-allow-origin") != self.policy.origin:
            for name in ("access-control-allow-origin", "access-control-allow-credentials"):
                if name in headers:
                    del headers[name]

    @staticmethod
    def _add_cache_control(headers: MutableHeaders, path: str, status: int) -> None:
        if status in (200, 304) and _IMMUTABLE.match(path):
            headers["Cache-Control"] = IMMUTABLE_CACHE
        elif status in (200, 304) and path in _REVALIDATED:
            headers["Cache-Control"] = "no-cache"
        else:
            # Pages are the same for everyone, but what they lead to is not:
            # nothing a customer sees is kept by a shared cache or the back button.
            headers["Cache-Control"] = "no-store"


def _without_cookies(scope: Scope) -> Scope:
    """A copy of a websocket scope without Cookie, the portal's cookies kept aside."""
    cookies: dict[str, str] = {}
    headers = []
    for name, value in scope.get("headers", []):
        if name.lower() == b"cookie":
            cookies.update(parse_cookies(value.decode("latin-1")))
        else:
            headers.append((name, value))
    return {**scope, "headers": headers, SCOPE_COOKIES: cookies}


def build_edge(settings: Settings, *, build_dir: Path | None = None):
    """The ``api_transformer`` that puts :class:`PortalEdge` in front of everything."""

    def wrap(app: ASGIApp) -> ASGIApp:
        return PortalEdge(app, settings, build_dir=build_dir)

    return wrap
