"""The portal's download route and a static copy of the same PDF, in one ASGI app.

For ``bench/downloads.py`` only, never the product: the portal's edge in
front of its API (``build_api()``, what ``customer_portal.customer_portal``
hands Reflex as its ``api_transformer``), with Starlette's ``StaticFiles``
added to the same router at :data:`STATIC_PREFIX`, serving the folder named
by ``BENCH_STATIC_DIR``. Both URLs thus pass the same edge and router in the
same process; only what serves them differs.
"""

from __future__ import annotations

import os

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.logs import install as install_log_redaction
from customer_portal.settings import get_settings

STATIC_PREFIX = "/bench-static"


def create_app() -> ASGIApp:
    """The edge, the API, and the static folder (a granian ``--factory`` target)."""
    install_log_redaction()
    api = build_api()
    api.router.routes.append(
        Mount(STATIC_PREFIX, StaticFiles(directory=os.environ["BENCH_STATIC_DIR"]))
    )
    return build_edge(get_settings())(api)
