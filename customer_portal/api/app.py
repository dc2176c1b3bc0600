"""The Starlette app that Reflex mounts in front of its own routes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from customer_portal.api import downloads, publishing


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/v1/invoices", publishing.publish_invoices, methods=["POST"]),
            Route("/api/v1/payments", publishing.record_payments, methods=["POST"]),
            Route("/api/v1/health", publishing.health, methods=["GET"]),
            Route("/api/v1/descargas/{token}", downloads.download_invoice, methods=["GET", "HEAD"]),
        ]
    )
