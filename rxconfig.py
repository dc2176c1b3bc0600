"""Reflex configuration. The portal's own settings live in customer_portal/settings.py.

The database is not configured here on purpose: the portal opens it itself
(customer_portal/db.py) and migrates it with its own alembic scripts, so
Reflex's `reflex db` machinery is not involved. For several backend workers
set REFLEX_REDIS_URL (Reflex reads it directly) and PORTAL_DATABASE_URL.
"""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from customer_portal.settings import load_settings

# Fail here, naming the variable, rather than with a stack trace later.
_settings = load_settings()

config = rx.Config(
    app_name="customer_portal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=_settings.port,
    backend_port=_settings.port,
    api_url=_settings.base_url,
    deploy_url=_settings.base_url,
    # A private portal has nothing to list for search engines.
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", radius="medium"))],
)
