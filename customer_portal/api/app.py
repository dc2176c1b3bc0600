"""The Starlette app that Reflex mounts in front of its own routes."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from customer_portal import routes
from customer_portal.api import (
    accounts,
    downloads,
    exports,
    language,
    people,
    publishing,
    second_factor,
    statements,
    verification,
)
from customer_portal.api.outage import database_unreachable


def build_api() -> Starlette:
    """The HTTP routes: the billing system's API, downloads and the account forms."""
    return Starlette(
        routes=[
            Route(routes.SIGN_IN_ACTION, accounts.sign_in, methods=["POST"]),
            Route(routes.SIGN_OUT_ACTION, accounts.sign_out, methods=["POST"]),
            Route(routes.SET_PASSWORD_ACTION, accounts.set_password, methods=["POST"]),
            Route(routes.CHANGE_PASSWORD_ACTION, accounts.change_password, methods=["POST"]),
            Route(routes.NOTIFICATIONS_ACTION, accounts.save_notifications, methods=["POST"]),
            Route(routes.NOT_ME_ACTION, accounts.not_me, methods=["POST"]),
            Route(routes.LANGUAGE_ACTION, language.pick_language, methods=["POST"]),
            Route(routes.SECOND_FACTOR_ACTION, second_factor.verify_code, methods=["POST"]),
            Route(routes.SECOND_FACTOR_SETUP, second_factor.setup_page, methods=["GET"]),
            Route(routes.SECOND_FACTOR_SETUP_ACTION, second_factor.confirm_setup, methods=["POST"]),
            Route(routes.SECOND_FACTOR_OFF_ACTION, second_factor.turn_off, methods=["POST"]),
            Route(routes.RECOVERY_CODES_ACTION, second_factor.new_recovery_codes, methods=["POST"]),
            Route(routes.REQUEST_LINK_ACTION, accounts.request_link, methods=["POST"]),
            Route(routes.ACTIVATE + "/{token}", accounts.open_link, methods=["GET"]),
            Route(routes.RESET_PASSWORD + "/{token}", accounts.open_link, methods=["GET"]),
            Route("/api/v1/invoices", publishing.publish_invoices, methods=["POST"]),
            Route("/api/v1/payments", publishing.record_payments, methods=["POST"]),
            Route("/api/v1/health", publishing.health, methods=["GET"]),
            Route("/api/v1/customers/{code}/people", people.customer_people, methods=["GET"]),
            Route(
                "/api/v1/customers/{code}/people/{email}",
                people.customer_people,
                methods=["DELETE"],
            ),
            Route("/api/v1/descargas/{token}", downloads.download_invoice, methods=["GET", "HEAD"]),
            Route(routes.VIEW_PDF, downloads.view_invoice, methods=["GET"]),
            Route(routes.EXPORT_INVOICES, exports.export_invoices, methods=["GET"]),
            Route(routes.ZIP_INVOICES, exports.zip_invoices, methods=["GET", "POST"]),
            Route(routes.STATEMENT_PDF, statements.statement_pdf, methods=["GET"]),
            Route(routes.VERIFY_UPLOAD_ACTION, verification.compare_upload, methods=["POST"]),
            Route(routes.VERIFY_ORIGINAL, verification.download_original, methods=["GET", "HEAD"]),
        ],
        # A PostgreSQL restart or outage: a 503 that says so (other errors stay 500s).
        exception_handlers={sa.exc.DBAPIError: database_unreachable},
        # Every answer (messages, pages, files) in the browser's language.
        middleware=[Middleware(language.RequestLanguage)],
    )
