"""Publishing speed, and login timing that must not tell who is a customer.

Prints ratios measured side by side in this run, never absolute targets,
so the numbers mean the same on a slow or a fast machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from customer_portal import db
from customer_portal.documents.pki import ensure_demo_pki
from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.signing import InvoiceSigner
from customer_portal.domain import auth
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.domain.passwords import hash_password
from customer_portal.domain.publishing import Publisher
from customer_portal.models import Account, Customer, CustomerAccess, LoginFailure, utcnow
from customer_portal.settings import Branding, load_settings
from tests.factories import invoice_input, line_input

N = 30
PASSWORD = "bench"


class ReloadingSigner:
    """The anti-pattern: open the PKCS#12 for every document."""

    def __init__(self, p12: Path):
        self.p12 = p12

    def sign(self, pdf: bytes):
        return InvoiceSigner(self.p12, PASSWORD).sign(pdf)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = ensure_demo_pki(folder / "pki", "Bench", PASSWORD)
        branding = Branding()
        invoices = [invoice_input(f"B-{i}", lines=[line_input()] * 8) for i in range(2 * N)]

        def publish(signer, batch, name):
            engine = db.create_db_engine(f"sqlite:///{folder / name}.db")
            db.migrate(engine)
            publisher = Publisher(engine=engine, signer=signer, branding=branding)
            return _timed(lambda: publisher.publish_many(batch))

        shared = publish(InvoiceSigner(pki.signer_p12, PASSWORD), invoices[:N], "shared")
        reloading = publish(ReloadingSigner(pki.signer_p12), invoices[N:], "reloading")
        # Two worker processes render and sign; worth it from a few dozen invoices.
        many = [invoice_input(f"W-{i}", lines=[line_input()] * 8) for i in range(10 * N)]
        engine = db.create_db_engine(f"sqlite:///{folder / 'workers'}.db")
        db.migrate(engine)
        pooled = Publisher(
            engine=engine, signer=InvoiceSigner(pki.signer_p12, PASSWORD), branding=branding
        )
        workers = _timed(lambda: pooled.publish_many(many, workers=2)) / 10

        data = [parse_invoice(raw) for raw in invoices[:N]]
        signer = InvoiceSigner(pki.signer_p12, PASSWORD)
        pdfs: list[bytes] = []
        render = _timed(lambda: pdfs.extend(render_invoice_pdf(d, branding) for d in data))
        sign = _timed(lambda: [signer.sign(p) for p in pdfs])

    table = Table(title=f"Publishing {N} invoices of 8 lines (SQLite)")
    table.add_column("measure")
    table.add_column("per invoice", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("publish, key loaded once", f"{shared / N * 1000:.1f} ms", "1.00")
    table.add_row(
        "publish, key reloaded per invoice",
        f"{reloading / N * 1000:.1f} ms",
        f"{reloading / shared:.2f}x slower",
    )
    table.add_row(
        f"publish {10 * N} with 2 worker processes",
        f"{workers / N * 1000:.1f} ms",
        f"{shared / workers:.2f}x faster",
    )
    table.add_row(
        "render alone (no database)", f"{render / N * 1000:.1f} ms", f"{render / shared:.0%}"
    )
    table.add_row("sign alone (no database)", f"{sign / N * 1000:.1f} ms", f"{sign / shared:.0%}")
    console.print(table)
    login_timing(console)


def login_timing(console: Console, rounds: int = 8) -> None:
    """Unknown email vs wrong password: the same bcrypt work, so the same time."""
    with tempfile.TemporaryDirectory() as tmp:
        # Reading settings never makes secrets (that is `customer-portal init`): give them.
        keys = {"PORTAL_SECRET_KEY": "b" * 32, "PORTAL_API_KEY": "k" * 32}
        settings = load_settings({"PORTAL_INSTANCE_DIR": tmp, **keys})
        engine = db.create_db_engine(f"sqlite:///{tmp}/login.db")
        db.migrate(engine)
        with db.unit_of_work(engine) as session:
            customer = Customer(code="B", name="B", tax_id="B1", email="b@example.com")
            session.add(customer)
            session.flush()
            account = Account(
                email="b@example.com",
                password_hash=hash_password("Right-Pass1"),
                activated_at=utcnow(),
            )
            session.add(account)
            session.flush()
            session.add(CustomerAccess(customer_id=customer.id, account_id=account.id))
        timings = {"unknown email": 0.0, "wrong password": 0.0}
        for i in range(rounds):
            # Different emails each round, so the lockout never short-cuts a try.
            timings["unknown email"] += _timed(
                lambda i=i: auth.log_in(
                    engine=engine, settings=settings, email=f"nobody{i}@example.com", password="x"
                )
            )
            timings["wrong password"] += _timed(
                lambda: auth.log_in(
                    engine=engine, settings=settings, email="b@example.com", password="x"
                )
            )
            with db.unit_of_work(engine) as session:  # clear the failures the wrong tries left
                session.exec(sa.delete(LoginFailure))
    table = Table(title=f"Failed logins ({rounds} each, bcrypt cost 12)")
    table.add_column("case")
    table.add_column("per try", justify="right")
    table.add_column("ratio", justify="right")
    base = timings["wrong password"]
    for case, total in timings.items():
        table.add_row(case, f"{total / rounds * 1000:.0f} ms", f"{total / base:.2f}")
    console.print(table)


def profile(invoices: int = 50) -> None:
    """Where publishing spends its time: pyinstrument over one process publishing ``invoices``."""
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = ensure_demo_pki(folder / "pki", "Bench", PASSWORD)
        engine = db.create_db_engine(f"sqlite:///{folder / 'profile'}.db")
        db.migrate(engine)
        publisher = Publisher(
            engine=engine, signer=InvoiceSigner(pki.signer_p12, PASSWORD), branding=Branding()
        )
        batch = [invoice_input(f"P-{i}", lines=[line_input()] * 20) for i in range(invoices)]
        publisher.publish(batch.pop())  # imports and caches out of the picture
        profiler = Profiler(interval=0.0005)
        with profiler:
            publisher.publish_many(batch)
    print(profiler.output_text(color=True))


if __name__ == "__main__":
    profile() if "--profile" in sys.argv[1:] else main()
