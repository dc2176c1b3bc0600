"""Reflex configuration. The portal's own settings live in customer_portal/settings.py.

The database is not configured here on purpose: the portal opens it itself
(customer_portal/db.py) and migrates it with its own alembic scripts, so
Reflex's `reflex db` machinery is not involved. For several backend workers
set REFLEX_REDIS_URL (Reflex reads it directly) and PORTAL_DATABASE_URL.
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from customer_portal.components import theme
from customer_portal.settings import load_settings

# With Redis, a worker keeps each tab's state in memory while the tab is busy
# (an opportunistic lease, written back to Redis within five seconds, or at
# once when another worker asks for it) instead of reading and writing it in
# Redis on every event: a tab's websocket stays on one worker, so the lease is
# almost never contended. Measured on 2 CPUs with two workers (bench/websockets.py):
# 10.5 -> 9.1 ms of CPU an event at 100 sessions, 200 sessions' p95 1.43 -> 0.80 s.
# REFLEX_OPLOCK_ENABLED=false in the environment turns it off.
os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

# Fail here, naming the variable, rather than with a stack trace later.
_settings = load_settings()

config = rx.Config(
    app_name="customer_portal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Loopback unless PORTAL_HOST says otherwise: `make run` is not on the network.
    backend_host=_settings.host,
    frontend_port=_settings.port,
    # One port for pages and backend, except under `make dev` (PORTAL_BACKEND_PORT),
    # where Reflex's dev server serves the pages with hot reload.
    backend_port=_settings.backend_port or _settings.port,
    api_url=_settings.backend_origin or _settings.base_url,
    deploy_url=_settings.base_url,
    # The websocket (Socket.IO checks Origin at the handshake) and the API answer
    # only the portal's own pages.
    cors_allowed_origins=[_settings.origin],
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    # One process keeps tabs' state in memory, so nothing is written to disk;
    # several workers share it through Redis (REFLEX_REDIS_URL). Either way the
    # state holds no secret (see customer_portal/state/auth.py).
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else "memory",
    # A private portal has nothing to list for search engines.
    disable_plugins=[SitemapPlugin],
    plugins=[theme.portal_theme()],
    frontend_packages=[theme.PACKAGE],
    # Brotli first: about a fifth smaller than gzip for the same files.
    frontend_compression_formats=["brotli", "gzip"],
)
