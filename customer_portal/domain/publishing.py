"""Publishing invoices: validate, render, sign once, store, all or nothing.

One service for both entry points (CLI and HTTP API). Each invoice gets its
own transaction holding the customer, the invoice, its lines, its signed PDF
and its audit event, so a crash in the middle of a batch leaves every invoice
either fully published or absent. The slow part (render and sign) runs
before the transaction opens, so the write lock is held only for the inserts.

A signed invoice never changes: posting the same content again is
``unchanged``; different content under an existing number is a ``conflict``.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.db import (
    is_unreachable,
    retry_when_unreachable,
    unit_of_work,
    wait_for_database,
)
from customer_portal.documents.render import render_invoice_pdf
from customer_portal.domain import publishing_workers
from customer_portal.domain.audit import record_event
from customer_portal.domain.invoice_input import InvoiceData, invoice_label, parse_invoice
from customer_portal.domain.results import (
    CONFLICT,
    FAILED,
    INVALID,
    PUBLISHED,
    UNCHANGED,
    BatchSummary,
    ItemResult,
    rejected,
    run_batch,
)
from customer_portal.domain.validation import FieldError, InputRejected
from customer_portal.domain.verification import new_code, with_code
from customer_portal.limits import SIGNER_SUBJECT_LENGTH
from customer_portal.models import Customer, Invoice, InvoiceLine, SignedDocument, utcnow
from customer_portal.settings import Branding

log = logging.getLogger(__name__)

#: Tries to store one signed invoice when another publisher races for a unique index.
_STORE_ATTEMPTS = 4
#: Seconds a batch waits for an unreachable database (a restart, a failover)
#: before it stops; what it published so far stays, and a rerun completes it.
#: (The HTTP API waits less: its client has a timeout of its own, and retries.)
OUTAGE_PATIENCE = 60.0

# Invoices per job handed to a publishing worker.
_PER_JOB = 4


class Signer(Protocol):
    """What the publisher needs to sign a rendered PDF; tests pass a fake.

    :class:`customer_portal.documents.signing.InvoiceSigner` is the real one.
    """

    def sign(self, pdf: bytes) -> Any:
        """Sign ``pdf``.

        Returns:
            An object with the attributes :func:`store_invoice` stores: ``pdf``,
            ``sha256``, ``signed_at``, ``signer_subject``, ``signer_fingerprint``
            and ``timestamped``.
        """
        ...


Renderer = Callable[[InvoiceData, Branding], bytes]


class AfterStore(Protocol):
    """Called inside the invoice's transaction, after its rows are added.

    The outbox hooks in here (:func:`customer_portal.mail.hooks.publication_hooks`).
    A hook may also have ``after_batch(*, engine, published)``: :meth:`Publisher.publish_many`
    calls it with the numbers a batch published, once the batch is done.
    """

    def __call__(
        self, *, session: Session, invoice: Invoice, customer: Customer, data: InvoiceData
    ) -> None:
        """Add rows that must commit or roll back with the invoice.

        Args:
            session: the invoice's unit of work; a hook must not commit it.
            invoice: the new invoice, flushed, so it has its id.
            customer: its customer, created or brought up to date.
            data: the validated invoice it was stored from.
        """
        ...


def _compare_with_stored(session: Session, data: InvoiceData) -> ItemResult | None:
    """``unchanged`` or ``conflict`` if the number is taken; None if it is free."""
    stored_hash = session.exec(
        select(Invoice.content_hash).where(Invoice.number == data.number)
    ).first()
    if stored_hash is None:
        return None
    if stored_hash == data.content_hash():
        return ItemResult(label=data.number, status=UNCHANGED)
    return rejected(
        data.number,
        CONFLICT,
        FieldError(
            "number",
            "an invoice with this number is already published with different content; "
            "a signed invoice cannot change (issue a corrective invoice instead)",
        ),
    )


def _upsert_customer(session: Session, data: InvoiceData) -> Customer:
    """The billing system is the master of customer data: keep the latest."""
    incoming = data.customer
    customer = session.exec(select(Customer).where(Customer.code == incoming.code)).first()
    if customer is None:
        customer = Customer(**incoming.__dict__)
        session.add(customer)
        session.flush()
        return customer
    changed = False
    for name, value in incoming.__dict__.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed = True
    if changed:
        customer.updated_at = utcnow()
        session.add(customer)
    return customer


def store_invoice(*, session: Session, data: InvoiceData, signed: Any) -> tuple[Invoice, Customer]:
    """Add the invoice, its lines and its signed PDF to ``session`` (no commit).

    Args:
        session: the invoice's unit of work.
        data: the validated invoice.
        signed: its signed PDF (``pdf``, ``sha256``, ``signed_at``, signer details).

    Returns:
        The new invoice and its customer (created or brought up to date).
    """
    customer = _upsert_customer(session, data)
    totals = data.totals
    invoice = Invoice(
        number=data.number,
        customer_id=customer.id,
        issue_date=data.issue_date,
        due_date=data.due_date,
        currency=data.currency,
        subtotal_cents=totals.subtotal_cents,
        tax_cents=totals.tax_cents,
        total_cents=totals.total_cents,
        content_hash=data.content_hash(),
        verification_code=data.verification_code or new_code(),
    )
    session.add(invoice)
    session.flush()
    # One INSERT for all the lines, not an ORM object each: that was a third
    # of storing a 20-line invoice.
    session.execute(
        sa.insert(InvoiceLine),
        [{"invoice_id": invoice.id, **line.__dict__} for line in data.lines],
    )
    session.add(
        SignedDocument(
            invoice_id=invoice.id,
            pdf=signed.pdf,
            sha256=signed.sha256,
            size=len(signed.pdf),
            signed_at=signed.signed_at,
            signer_subject=signed.signer_subject[:SIGNER_SUBJECT_LENGTH],
            signer_fingerprint=signed.signer_fingerprint,
            timestamped=signed.timestamped,
        )
    )
    return invoice, customer


class Publisher:
    """Publishes invoices into one database with one signing key.

    Holds an ``engine``, not a session: each invoice gets its own unit of
    work, opened only after the slow render and sign, and opened again when a
    concurrent publisher wins the race for a number or customer code.
    """

    def __init__(
        self,
        *,
        engine: sa.Engine,
        signer: Signer,
        branding: Branding,
        render: Renderer = render_invoice_pdf,
        after_store: Iterable[AfterStore] = (),
        outage_patience: float = OUTAGE_PATIENCE,
    ):
        self._engine = engine
        self._patience = outage_patience
        self._signer = signer
        self._branding = branding
        self._render = render
        self._after_store = tuple(after_store)

    @property
    def signer(self) -> Signer:
        """The signer in use, e.g. for the CLI to report which certificate signs."""
        return self._signer

    def publish(self, raw: Any, *, index: int = 0, actor: str = "system") -> ItemResult:
        """Publish one invoice as the billing system sent it."""
        prepared = self._prepare(raw, index)
        if isinstance(prepared, ItemResult):
            return prepared
        prepared = with_code(prepared)
        try:
            signed = self._signer.sign(self._render(prepared, self._branding))
        except Exception:
            return _not_produced(prepared.number)
        return self._store(prepared, signed, actor)

    def _prepare(self, raw: Any, index: int) -> InvoiceData | ItemResult:
        """The invoice to render, or why there is nothing to render (invalid, stored)."""
        label = invoice_label(raw, index)
        try:
            data = parse_invoice(raw)
        except InputRejected as exc:
            return rejected(label, INVALID, *exc.errors)

        def look() -> ItemResult | None:
            with unit_of_work(self._engine, read_only=True) as session:
                return _compare_with_stored(session, data)

        existing = retry_when_unreachable(
            look, engine=self._engine, patience=self._patience, what=f"checking {data.number}"
        )
        return existing if existing is not None else data

    def _store(self, data: InvoiceData, signed: Any, actor: str) -> ItemResult:
        """Store a signed invoice in its own transaction, with its hooks and audit event."""
        # Two publishers may race for the same number or a new customer code:
        # the loser's insert fails on a unique index, and it looks again. (So
        # does the same number twice in one batch, signed in parallel.) An
        # unreachable database (a restart, an outage) is waited for and the
        # store tried again; that retry looks first too, so a COMMIT that
        # landed before the connection went is found, not stored twice.
        look_first = False
        races = 0
        deadline: float | None = None
        while True:
            try:
                with unit_of_work(self._engine) as session:
                    # The number was looked up a moment ago (_prepare, _taken_numbers);
                    # only a race (or the same number twice in a batch) fails the
                    # insert, and the retry looks again.
                    existing = _compare_with_stored(session, data) if look_first else None
                    if existing is not None:
                        return existing
                    invoice, customer = store_invoice(session=session, data=data, signed=signed)
                    for hook in self._after_store:
                        hook(session=session, invoice=invoice, customer=customer, data=data)
                    record_event(
                        session=session,
                        actor=actor,
                        action="invoice.published",
                        subject=data.number,
                    )
                return ItemResult(label=data.number, status=PUBLISHED)
            except sa.exc.IntegrityError:
                races += 1
                if races == _STORE_ATTEMPTS:
                    return rejected(
                        data.number,
                        FAILED,
                        FieldError("", "could not be stored after several attempts; try again"),
                    )
                log.info("publish race on %s (attempt %d); retrying", data.number, races)
            except sa.exc.DBAPIError as exc:
                if not is_unreachable(exc):
                    raise
                deadline = deadline or time.monotonic() + self._patience
                log.warning("database unreachable storing %s; waiting for it", data.number)
                left = max(0.0, deadline - time.monotonic())
                if not wait_for_database(self._engine, patience=left):
                    raise
            look_first = True

    def publish_many(
        self,
        raws: Iterable[Any],
        *,
        actor: str = "system",
        progress: Callable[[ItemResult], None] | None = None,
        workers: int = 1,
    ) -> BatchSummary:
        """Publish each invoice in its own unit of work; one result per invoice, in order.

        With ``workers`` > 1 (and a signer that says how to rebuild itself,
        ``signer.spec``), rendering and signing run in that many worker
        processes while this one checks and stores, in the batch's order.

        Then tells every hook that has an ``after_batch(engine=, published=)``
        which invoices the batch published (the mail hook sends their notices
        now, one email per customer, instead of after its hold).
        """
        spec = getattr(self._signer, "spec", None)
        if workers > 1 and spec is not None:
            summary = self._publish_in_workers(raws, actor, progress, workers, spec)
        else:
            summary = run_batch(
                raws, lambda raw, index: self.publish(raw, index=index, actor=actor), progress
            )
        published = [item.label for item in summary.results if item.status == PUBLISHED]
        for hook in self._after_store:
            after_batch = getattr(hook, "after_batch", None)
            if after_batch is not None and published:
                try:
                    after_batch(engine=self._engine, published=published)
                except Exception:
                    # Only a shortcut: what it would have done happens anyway, later.
                    log.exception("after-batch hook failed; its work waits for its own time")
        return summary

    def _publish_in_workers(
        self,
        raws: Iterable[Any],
        actor: str,
        progress: Callable[[ItemResult], None] | None,
        workers: int,
        spec: Any,
    ) -> BatchSummary:
        """Workers check, render and sign; this process only looks numbers up and stores.

        Storing must stay in one process (one writer), so it is kept lean: the
        numbers of a run of invoices are looked up with one query, and only a
        number already taken is checked here (a re-post: unchanged or a conflict).
        Until the first worker is up, this process publishes the first invoices
        itself, as :meth:`publish` does.
        """
        summary = BatchSummary()
        # A few jobs ahead per worker keeps them busy without holding the
        # whole batch's PDFs in memory.
        window = _PER_JOB * 2 * workers
        # Each invoice's label, its outcome or the Future of its job, and its
        # place among the job's outcomes (None: a job of its own).
        pending: deque[tuple[str, ItemResult | Future, int | None]] = deque()

        def report(result: ItemResult) -> None:
            summary.results.append(result)
            if progress is not None:
                progress(result)

        def finish() -> None:
            label, job, place = pending.popleft()
            if not isinstance(job, Future):
                report(job)
                return
            try:
                outcome = job.result() if place is None else job.result()[place]
            except Exception:
                report(_not_produced(label))
                return
            if isinstance(outcome, publishing_workers.NotProduced):
                report(_not_produced(label, outcome.traceback))
            elif isinstance(outcome, ItemResult):  # an invalid invoice the worker found
                report(outcome)
            else:
                report(self._store(*outcome, actor))

        items = enumerate(raws)
        with ProcessPoolExecutor(
            workers,
            mp_context=publishing_workers.worker_context(spec, self._render),
            initializer=publishing_workers.start_worker,
            initargs=(spec, self._render, self._branding),
        ) as pool:
            started, starting = _start_workers(pool, workers)
            while chunk := list(itertools.islice(items, window)):
                if not started.is_set():
                    # The workers take most of a second to start (the fork
                    # server imports reportlab and pyHanko, each worker loads
                    # the key); meanwhile this process publishes on its own.
                    for index, raw in chunk:
                        report(self.publish(raw, index=index, actor=actor))
                    continue
                labels = [invoice_label(raw, index) for index, raw in chunk]
                taken = self._taken_numbers(labels)
                free: list[tuple[Any, str]] = []
                entries: list[tuple[str, ItemResult | Future | None, int | None]] = []
                for (index, raw), label in zip(chunk, labels, strict=True):
                    if label not in taken:
                        free.append((raw, label))
                        entries.append((label, None, len(free) - 1))  # job filled in below
                        continue
                    prepared = self._prepare(raw, index)
                    if isinstance(prepared, ItemResult):
                        entries.append((label, prepared, None))
                    else:
                        future = pool.submit(publishing_workers.render_and_sign, prepared)
                        entries.append((label, future, None))
                jobs = [
                    pool.submit(
                        publishing_workers.check_render_and_sign_each,
                        free[start : start + _PER_JOB],
                    )
                    for start in range(0, len(free), _PER_JOB)
                ]
                for label, job, place in entries:
                    if job is None:
                        assert place is not None
                        job, place = jobs[place // _PER_JOB], place % _PER_JOB
                    pending.append((label, job, place))
                while len(pending) > window:
                    finish()
            while pending:
                finish()
            starting.join()  # a batch done before its workers were up
        return summary

    def _taken_numbers(self, labels: list[str]) -> set[str]:
        """Which of ``labels`` are numbers of stored invoices (one query)."""

        def look() -> set[str]:
            with unit_of_work(self._engine, read_only=True) as session:
                query = select(Invoice.number).where(col(Invoice.number).in_(labels))
                return set(session.exec(query))

        return retry_when_unreachable(
            look, engine=self._engine, patience=self._patience, what="looking numbers up"
        )


def _start_workers(
    pool: ProcessPoolExecutor, workers: int
) -> tuple[threading.Event, threading.Thread]:
    """Start the pool's workers from another thread; the event is set once one is ready.

    Starting a worker blocks until the fork server has done its imports, so it
    is done off the calling thread, which can publish meanwhile. The event is
    also set if starting fails, so that the caller's next submit reports why.
    """
    started = threading.Event()

    def start() -> None:
        try:
            for _ in range(workers):
                # A job that does nothing: done once its worker is up.
                pool.submit(os.getpid).add_done_callback(lambda _: started.set())
        except Exception:
            log.warning("could not start the publishing workers", exc_info=True)
            started.set()

    thread = threading.Thread(target=start, name="start-publishing-workers", daemon=True)
    thread.start()
    return started, thread


def _not_produced(label: str, worker_traceback: str | None = None) -> ItemResult:
    if worker_traceback is None:
        log.exception("could not render or sign invoice %s", label)
    else:
        log.error("could not render or sign invoice %s\n%s", label, worker_traceback)
    return rejected(
        label,
        FAILED,
        FieldError("", "the PDF could not be produced or signed; see the log"),
    )
