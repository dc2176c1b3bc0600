"""The nginx configuration for several web workers, from the shipped template.

Rendered rather than copied, so that what must agree with the portal's own
settings does: the server name (``PORTAL_BASE_URL``), the request size limit
(``PORTAL_MAX_REQUEST_BYTES``), the folder of the built pages and the cache
lifetime of its hashed assets (:data:`customer_portal.api.edge.IMMUTABLE_CACHE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from customer_portal.api.edge import IMMUTABLE_CACHE
from customer_portal.settings import Settings

TEMPLATE = Path(__file__).with_name("nginx.conf.j2")
MIME_TYPES = Path("/etc/nginx/mime.types")
_WORKER = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


class BadWorker(ValueError):
    """A worker address that is not ``host:port``."""


@dataclass(frozen=True)
class NginxSite:
    """What the configuration needs beyond the settings.

    Attributes:
        workers: ``host:port`` of each web worker.
        listen_port: the HTTPS port nginx listens on.
        certificate: the TLS certificate chain (PEM).
        certificate_key: its private key (PEM).
        prefix: a folder nginx may write (pid, logs, temporary files).
        pages: the built pages (:func:`customer_portal.deploy.worker.built_pages`).
        http_port: a plain-HTTP port that only redirects to HTTPS; None for none.
    """

    workers: tuple[str, ...]
    listen_port: int
    certificate: Path
    certificate_key: Path
    prefix: Path
    pages: Path
    http_port: int | None = None


def _checked_workers(workers: tuple[str, ...]) -> tuple[str, ...]:
    if not workers:
        raise BadWorker("name at least one worker (host:port)")
    for worker in workers:
        match = _WORKER.match(worker)
        if match is None or not 0 < int(match.group(2)) < 65536:
            raise BadWorker(f"not a host:port worker address: {worker!r}")
    return workers


def render(site: NginxSite, settings: Settings) -> str:
    """The whole ``nginx.conf`` for ``site``, as the shipped template writes it."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 (an nginx file, not HTML)
    )
    public = urlsplit(settings.base_url)
    return environment.get_template(TEMPLATE.name).render(
        workers=_checked_workers(site.workers),
        listen_port=site.listen_port,
        http_port=site.http_port,
        # The redirect keeps a non-standard HTTPS port (tests, staging).
        https_port_suffix="" if site.listen_port == 443 else f":{site.listen_port}",
        server_name=public.hostname,
        certificate=site.certificate.resolve(),
        certificate_key=site.certificate_key.resolve(),
        prefix=site.prefix.resolve(),
        pages=site.pages.resolve(),
        mime_types=MIME_TYPES,
        max_body_bytes=settings.max_request_bytes,
        immutable_cache=IMMUTABLE_CACHE,
    )
