"""Demo data for ``make run``: customers, logins, invoices and payments.

Everything is fixed (numbers, dates, amounts, references), so seeding again
finds every invoice ``unchanged`` and every payment already recorded.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from customer_portal.db import unit_of_work
from customer_portal.domain.passwords import hash_password
from customer_portal.domain.payments import record_payments
from customer_portal.domain.publishing import Publisher
from customer_portal.models import Account, Customer, CustomerAccess, utcnow

DEMO_PASSWORD = "Demo-2026!"

CUSTOMERS = [
    {
        "code": "CLI-0001",
        "name": "CLIENTE PRUEBA CUSTOMER WEB 1",
        "tax_id": "B35123456",
        "email": "cliente1@example.com",
        "address": "Calle Triana 1\n35002 Las Palmas de Gran Canaria",
    },
    {
        "code": "CLI-0002",
        "name": "Ferretería Muñoz Pérez S.L.",
        "tax_id": "B38765432",
        "email": "administracion@ferreteria-munoz.example.com",
        "address": "Avenida Tres de Mayo 12\n38005 Santa Cruz de Tenerife",
    },
    {
        "code": "CLI-0003",
        "name": "Ana Martín Suárez",
        "tax_id": "43123456L",
        "email": "ana.martin@example.com",
        "address": None,
    },
]
#: Customers 1 and 2 have active logins; customer 3 has not activated yet, so
#: the demo outbox holds both Nueva Factura and Alta emails.
ACTIVE_LOGINS = ("CLI-0001", "CLI-0002")

SERVICES = [
    ("Fibra óptica 600 Mb simétricos", "39.90"),
    ("Línea móvil ilimitada", "15.00"),
    ("Centralita virtual (5 extensiones)", "45.00"),
    ("Mantenimiento informático mensual", "120.00"),
    ("Llamadas a números especiales (minutos)", "0.0450"),
]


def demo_invoices() -> list[dict]:
    """Twelve monthly invoices per customer, fixed so re-seeding changes nothing."""
    invoices = []
    for c_index, customer in enumerate(CUSTOMERS):
        for month in range(1, 13):
            issued = date(2026, month, 1) + timedelta(days=c_index)
            lines = []
            for s_index, (description, price) in enumerate(SERVICES):
                if (s_index + month + c_index) % 3 == 0:
                    continue
                quantity = "130" if price.startswith("0.") else "1"
                lines.append(
                    {
                        "description": f"{description} — {issued:%m/%Y}",
                        "quantity": quantity,
                        "unit_price": price,
                        # The Canaries pay IGIC; one peninsular service shows IVA.
                        "tax_name": "IVA" if s_index == 2 else "IGIC",
                        "tax_rate": "21" if s_index == 2 else "7",
                    }
                )
            invoices.append(
                {
                    "number": f"F2026-{c_index + 1}{month:03d}",
                    "issue_date": issued.isoformat(),
                    "due_date": (issued + timedelta(days=30)).isoformat(),
                    "customer": {k: v for k, v in customer.items() if v is not None},
                    "lines": lines,
                }
            )
    return invoices


def demo_payments(totals: dict[str, int]) -> list[dict]:
    """Older invoices paid, some partly, recent ones pending."""
    payments = []
    for number, total_cents in totals.items():
        month = int(number[-3:])
        if month <= 8:
            amount = total_cents
        elif month <= 10:
            amount = total_cents // 2
        else:
            continue
        payments.append(
            {
                "invoice_number": number,
                "amount": f"{amount / 100:.2f}",
                "paid_on": date(2026, month, 20).isoformat(),
                "reference": f"DEMO-PAGO-{number}",
            }
        )
    return payments


#: An outside accountant who is a person of two demo customers: the switcher.
DEMO_ACCOUNTANT = "gestoria@example.com"
ACCOUNTANT_OF = ("CLI-0001", "CLI-0002")


def _active_person(session: Session, email: str) -> Account:
    account = session.exec(select(Account).where(Account.email == email)).first()
    if account is None:
        now = utcnow()
        account = Account(
            email=email,
            password_hash=hash_password(DEMO_PASSWORD),
            activated_at=now,
            password_changed_at=now,
        )
        session.add(account)
        session.flush()
    return account


def _link(session: Session, customer: Customer, account: Account) -> None:
    linked = session.exec(
        select(CustomerAccess).where(
            CustomerAccess.customer_id == customer.id, CustomerAccess.account_id == account.id
        )
    ).first()
    if linked is None:
        session.add(CustomerAccess(customer_id=customer.id, account_id=account.id))


def _ensure_logins(session: Session) -> list[tuple[str, str]]:
    """Customers with active demo logins, so their invoices bring Nueva Factura emails."""
    logins = []
    customers = {}
    for data in CUSTOMERS:
        customer = session.exec(select(Customer).where(Customer.code == data["code"])).first()
        if customer is None:
            customer = Customer(**data)
            session.add(customer)
            session.flush()
        customers[data["code"]] = customer
        if data["code"] not in ACTIVE_LOGINS:
            continue
        account = _active_person(session, customer.email.lower())
        _link(session, customer, account)
        logins.append((account.email, DEMO_PASSWORD))
    accountant = _active_person(session, DEMO_ACCOUNTANT)
    for code in ACCOUNTANT_OF:
        _link(session, customers[code], accountant)
    logins.append((DEMO_ACCOUNTANT, DEMO_PASSWORD))
    return logins


def seed(*, engine: sa.Engine, publisher: Publisher) -> list[tuple[str, str]]:
    """Publish the demo data; returns the demo logins as ``(email, password)``.

    Takes ``engine``, not a session: the publisher and the payments commit
    each invoice and each payment in its own unit of work.
    """
    with unit_of_work(engine) as session:
        logins = _ensure_logins(session)
    summary = publisher.publish_many(demo_invoices(), actor="demo")
    if not summary.ok:
        raise RuntimeError(f"demo invoices rejected: {[r.message for r in summary.results]}")

    from customer_portal.models import Invoice

    with unit_of_work(engine) as session:
        totals = dict(
            session.exec(
                select(Invoice.number, Invoice.total_cents).where(Invoice.number.like("F2026-%"))
            ).all()
        )
    record_payments(engine=engine, raws=demo_payments(totals), actor="demo")

    return logins
