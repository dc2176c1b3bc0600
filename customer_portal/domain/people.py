"""Who may see which customer's invoices: people (logins) linked to customers.

A person is one :class:`~customer_portal.models.Account` (one email, one
password). A customer has the people the billing system names: its own
email and any ``contacts`` an invoice lists. A person may belong to several
customers (an outside accountant), and picks which one they are looking at;
every query, download, export and email checks the link
(:class:`~customer_portal.models.CustomerAccess`) on the server, every time.

People who never set their credentials follow the billing system: when an
invoice stops naming them, their link goes (they never had access, and a
former employee's mailbox must not get the credentials). People who did set
them stay until the operator removes them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from customer_portal.domain.accounts import normalize_email
from customer_portal.models import Account, Customer, CustomerAccess, RemovedPerson

log = logging.getLogger(__name__)

#: The query parameter that says which customer a page shows.
CUSTOMER_PARAM = "cliente"
#: The most contacts one invoice may name besides the customer's email.
MAX_CONTACTS = 10


@dataclass(frozen=True)
class CustomerChoice:
    """A customer a person may look at, as the switcher lists it."""

    id: int
    code: str
    name: str


def customers_of(*, session: Session, account_id: int) -> list[CustomerChoice]:
    """The customers ``account_id`` may see, by name."""
    rows = session.exec(
        select(Customer.id, Customer.code, Customer.name)
        .join(CustomerAccess, col(CustomerAccess.customer_id) == col(Customer.id))
        .where(col(CustomerAccess.account_id) == account_id)
        .order_by(col(Customer.name), col(Customer.id))
    ).all()
    return [CustomerChoice(id=i, code=code, name=name) for i, code, name in rows]


def choose_customer(choices: Sequence[CustomerChoice], code: str | None) -> CustomerChoice | None:
    """The customer ``code`` names if the person may see it; else their first; None if none."""
    if code:
        for choice in choices:
            if choice.code == code:
                return choice
    return choices[0] if choices else None


def may_see(*, session: Session, account_id: int, customer_id: int) -> bool:
    """Whether the person is linked to the customer (asked again for every request)."""
    return (
        session.exec(
            select(CustomerAccess.id).where(
                col(CustomerAccess.account_id) == account_id,
                col(CustomerAccess.customer_id) == customer_id,
            )
        ).first()
        is not None
    )


def people_of(*, session: Session, customer_id: int) -> list[Account]:
    """The people of a customer, by email."""
    return list(
        session.exec(
            select(Account)
            .join(CustomerAccess, col(CustomerAccess.account_id) == col(Account.id))
            .where(col(CustomerAccess.customer_id) == customer_id)
            .order_by(col(Account.email))
        ).all()
    )


def ensure_people(
    *, session: Session, customer: Customer, contacts: Sequence[str] = ()
) -> list[Account]:
    """The customer's people for its email and ``contacts``, created and linked as needed.

    A new email becomes a person without a password (the Alta gives one); an
    email that is already a person (of this customer or another) is linked.
    Unactivated people no longer named are unlinked (see the module).

    Args:
        session: the publication's unit of work (flushed, not committed).
        customer: the customer, already flushed (it has an id).
        contacts: more emails the invoice names (already normalised).

    Returns:
        The people named now, the customer's email first.
    """
    emails = list(dict.fromkeys(normalize_email(e) for e in (customer.email, *contacts)))
    removed = set(
        session.exec(
            select(RemovedPerson.email).where(col(RemovedPerson.customer_id) == customer.id)
        ).all()
    )
    emails = [email for email in emails if email not in removed]
    existing = {
        account.email: account
        for account in session.exec(select(Account).where(col(Account.email).in_(emails))).all()
    }
    linked = {
        access.account_id: access
        for access in session.exec(
            select(CustomerAccess).where(col(CustomerAccess.customer_id) == customer.id)
        ).all()
    }
    named: list[Account] = []
    for email in emails:
        account = existing.get(email)
        if account is None:
            account = Account(email=email)
            session.add(account)
            session.flush()
        if account.id not in linked:
            access = CustomerAccess(customer_id=customer.id, account_id=account.id)
            session.add(access)
            linked[account.id] = access
        named.append(account)
    named_ids = {account.id for account in named}
    stale = [account_id for account_id in linked if account_id not in named_ids]
    if stale:
        never_active = session.exec(
            select(Account.id).where(
                col(Account.id).in_(stale), col(Account.activated_at).is_(None)
            )
        ).all()
        for account_id in never_active:
            session.delete(linked[account_id])
    session.flush()
    return named


def remove_person(*, session: Session, customer: Customer, email: str) -> bool:
    """Unlink ``email`` from ``customer`` (the operator's decision); True if it was linked.

    Remembered: invoices that still name the email do not link it again.

    The person keeps their login for their other customers; with none left
    they simply see no invoices. Their sessions end if no customer is left,
    so nothing stays open on an account with nothing to show.
    """
    from customer_portal.domain.sessions import end_other_sessions

    account = session.exec(
        select(Account).where(col(Account.email) == normalize_email(email))
    ).first()
    if account is None:
        return False
    access = session.exec(
        select(CustomerAccess).where(
            col(CustomerAccess.customer_id) == customer.id,
            col(CustomerAccess.account_id) == account.id,
        )
    ).first()
    if access is None:
        return False
    session.delete(access)
    if (
        session.exec(
            select(RemovedPerson.id).where(
                col(RemovedPerson.customer_id) == customer.id,
                col(RemovedPerson.email) == account.email,
            )
        ).first()
        is None
    ):
        session.add(RemovedPerson(customer_id=customer.id, email=account.email))
    session.flush()
    if not customers_of(session=session, account_id=account.id):
        end_other_sessions(session=session, account_id=account.id, keep_token=None)
    return True


def describe_people(*, session: Session, code: str) -> list[dict] | None:
    """The people of customer ``code`` for the operator; None if there is no such customer."""
    from customer_portal.domain.second_factor import enabled

    customer = session.exec(select(Customer).where(col(Customer.code) == code)).first()
    if customer is None:
        return None
    return [
        {
            "email": person.email,
            "active": person.activated_at is not None,
            "second_factor": enabled(person),
        }
        for person in people_of(session=session, customer_id=customer.id)
    ]


def unlink_person(*, session: Session, code: str, email: str, actor: str) -> bool | None:
    """The operator removes ``email`` from customer ``code``, with an audit event.

    Returns:
        None if there is no such customer; else whether the email was one of its people.
    """
    from customer_portal.domain.audit import record_event

    customer = session.exec(select(Customer).where(col(Customer.code) == code)).first()
    if customer is None:
        return None
    removed = remove_person(session=session, customer=customer, email=email)
    if removed:
        record_event(
            session=session,
            actor=actor,
            action="customer.person_removed",
            subject=code,
            detail={"email": normalize_email(email)},
        )
    return removed
