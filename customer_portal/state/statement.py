"""Extracto de cuenta: the signed-in customer's balance over a period, with each movement."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx

from customer_portal import routes
from customer_portal.domain import formats
from customer_portal.domain.statements import Statement, account_statement, period
from customer_portal.domain.status import today_in
from customer_portal.i18n import _
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.kit import AuthState, in_read_session, signed_in


@dataclass(frozen=True)
class MovementView:
    """One row of the statement as the page shows it."""

    date: str
    concept: str
    invoice_href: str
    charge: str
    credit: str
    balance: str


@dataclass(frozen=True)
class StatementView:
    """One currency's statement, formatted."""

    currency: str
    opening: str
    charged: str
    credited: str
    closing: str
    movements: list[MovementView]


def present(statement: Statement) -> StatementView:
    """``statement`` in Spanish formats."""

    def money(cents: int) -> str:
        return formats.money(cents, statement.currency)

    return StatementView(
        currency=statement.currency,
        opening=money(statement.opening_cents),
        charged=money(statement.charged_cents),
        credited=money(statement.credited_cents),
        closing=money(statement.closing_cents),
        movements=[
            MovementView(
                date=formats.short_date(m.day),
                concept=m.concept,
                invoice_href=routes.invoice_detail(m.invoice_number),
                charge=money(m.charge_cents) if m.charge_cents else "",
                credit=money(m.credit_cents) if m.credit_cents else "",
                balance=money(m.balance_cents),
            )
            for m in statement.movements
        ],
    )


class StatementState(AuthState):
    """The period of the URL (``desde``, ``hasta``) and the statements for it."""

    period_text: str = ""
    problem: str = ""
    statements: list[StatementView] = []
    pdf_href: str = ""
    loaded: bool = False

    @rx.event
    @signed_in
    async def open_statement(self, account: Account):
        """on_load: read the period from the URL and build the statements."""
        query = {k: v for k, v in self.router.url.query_parameters.items() if isinstance(v, str)}
        date_from, date_to, self.problem = period(query, today_in(get_settings().timezone))
        found = await in_read_session(
            account_statement,
            customer_id=self._customer_id(),
            date_from=date_from,
            date_to=date_to,
        )
        self.statements = [present(statement) for statement in found]
        self.period_text = _("Del {start} al {end}").format(
            start=formats.short_date(date_from), end=formats.short_date(date_to)
        )
        dates = {"desde": date_from.isoformat(), "hasta": date_to.isoformat()}
        pdf = self._with_customer(f"{routes.STATEMENT_PDF}?{urlencode(dates)}")
        self.pdf_href = get_settings().backend_origin + pdf
        self.loaded = True
