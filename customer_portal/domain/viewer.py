"""Who is asking, for one event or request: the person, their session, their customer.

Resolved on the server for every websocket event (state/auth.py) and every
HTTP route that shows something private (api/viewers.py); nothing of it is
taken from what the client says but the session cookie and, for the
customer, a ``?cliente=`` that is only honoured if the person is linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_portal.db import unit_of_work
from customer_portal.domain.people import CustomerChoice, choose_customer
from customer_portal.domain.sessions import look_up, slide
from customer_portal.models import Account
from customer_portal.settings import get_settings


@dataclass(frozen=True)
class Viewer:
    """The signed-in person behind one event, and the customer they are looking at.

    Kept in memory for the event, never in state. ``customer`` is the one the
    page's ``?cliente=`` names if the person is linked to it, else their first
    (None when the operator has removed them from every customer).
    """

    session_id: int
    account: Account
    token: str
    customer: CustomerChoice | None
    customers: tuple[CustomerChoice, ...] = ()

    @property
    def customer_name(self) -> str:
        """Who the pages greet: the customer looked at, or the person's email."""
        return self.customer.name if self.customer is not None else self.account.email


def find_viewer(token: str, customer_code: str | None = None) -> Viewer | None:
    """The live session ``token`` names, its person and their customer; None if dead.

    Asked before every event, so it only reads (on SQLite, without the write
    lock, which would queue every customer's events behind each other); the
    once-a-minute slide of the session's expiry is a write of its own.
    """
    if not token:
        return None
    with unit_of_work(read_only=True) as session:
        live, due = look_up(session=session, token=token)
    if live is None:
        return None
    # The links are read with the session, for every event: a person removed
    # from a customer sees nothing of it from the next click on, whatever the URL says.
    customers = live.customers
    if due:
        with unit_of_work() as session:
            slide(session=session, session_id=live.id, idle=get_settings().session_idle)
    return Viewer(
        session_id=live.id,
        account=live.account,
        token=token,
        customer=choose_customer(customers, customer_code),
        customers=customers,
    )
