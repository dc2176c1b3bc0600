"""``customer-portal``: the operator's command line.

Exit codes: 0 success; 1 some invoices or payments were rejected, or a PDF
is not valid, or a stored PDF no longer matches its record; 2 the command
could not run (bad settings, unreadable file, database unreachable).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlmodel import select

from customer_portal.settings import (
    InstanceSettings,
    Settings,
    SettingsError,
    get_settings,
    load_instance_settings,
)

if TYPE_CHECKING:
    from customer_portal.domain.publishing import Publisher

out = Console()
err = Console(stderr=True)


class _Fail(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # noqa: ARG002 (click's signature)
        # One line, taken literally: settings errors quote what was given, brackets included.
        err.print(f"[bold red]Error:[/] {escape(self.message)}", soft_wrap=True, highlight=False)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise _Fail(str(exc)) from None


def _instance_settings() -> InstanceSettings:
    try:
        return load_instance_settings()
    except SettingsError as exc:
        raise _Fail(str(exc)) from None


def _ready_engine(*, upgrade: bool | None = None) -> sa.Engine:
    """The engine with the schema current: upgraded when asked, or in dev."""
    from customer_portal.db import SchemaOutOfDate, ensure_schema, get_engine

    settings = _settings()
    engine = get_engine()
    try:
        ensure_schema(engine, upgrade=settings.is_dev if upgrade is None else upgrade)
    except SchemaOutOfDate as exc:
        raise _Fail(str(exc)) from None
    except sa.exc.OperationalError as exc:
        raise _Fail(f"cannot reach the database: {exc.orig}") from None
    return engine


def _read_input(path: str) -> tuple[str, str]:
    """``(text, kind)`` of a JSON or CSV file; ``-`` reads standard input."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise _Fail(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Fail(f"{path} is not UTF-8 text") from None
    kind = "csv" if path.lower().endswith(".csv") else "json"
    return text, kind


def _publisher() -> Publisher:
    """The process's publisher; its signing key is loaded here, once."""
    from customer_portal.api.publishing import get_publisher
    from customer_portal.documents.signing import SigningSetupError

    try:
        return get_publisher()
    except SigningSetupError as exc:
        raise _Fail(str(exc)) from None


class _RateColumn(ProgressColumn):
    """Items per second, as rich measures it over the last moments."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.0f}/s" if task.speed else "", style="progress.data.speed")


def _run_batch(items: list[Any], process: Callable[..., Any], noun: str) -> None:
    """Process ``items`` with a progress bar, print the outcome, exit 1 on rejections."""
    from customer_portal.domain.results import REJECTED

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=len(items) < 2) as progress:
        task = progress.add_task(f"Processing {noun}", total=len(items))
        try:
            summary = process(items, progress=lambda _result: progress.advance(task))
        except sa.exc.DBAPIError as exc:
            done = int(progress.tasks[task].completed)
            # A full disk, a lost database: every item is its own transaction,
            # so those done are whole and the failing one left nothing behind.
            raise _Fail(
                f"the database failed mid-batch ({exc.orig}): is its disk full, or is it down? "
                f"{done} of {len(items)} {noun} were done, each one whole; "
                "run the same command again once fixed: those are then reported unchanged"
            ) from None

    rejected = [r for r in summary.results if r.status == REJECTED]
    if rejected:
        table = Table(title=f"Rejected {noun}", show_lines=True)
        table.add_column(noun.rstrip("s").capitalize())
        table.add_column("Why")
        for result in rejected:
            table.add_row(result.label, "\n".join(str(e) for e in result.errors))
        out.print(table)
    counts = summary.counts()
    parts = [f"{counts[s]} {s}" for s in dict.fromkeys(r.status for r in summary.results)]
    out.print(f"{len(items)} {noun}: " + (", ".join(parts) if parts else "nothing to do"))
    if rejected:
        sys.exit(1)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what happens in detail.")
def main(verbose: bool) -> None:
    """Link Customer Portal: publish invoices, record payments, check signed PDFs."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # pyHanko logs each failed check as a warning with its traceback; the
        # commands say what failed in their own one line, so that is noise here.
        for name in ("pyhanko", "pyhanko_certvalidator"):
            logging.getLogger(name).setLevel(logging.ERROR)
    from customer_portal.logs import install as install_log_redaction

    install_log_redaction()


@main.command()
@click.option(
    "--new",
    "message",
    metavar="MESSAGE",
    help="Instead: write a new migration for what changed in models.py.",
)
def migrate(message: str | None) -> None:
    """Bring the database schema up to date (or, with --new, write a migration)."""
    if message:
        from customer_portal.db import new_migration

        path = new_migration(message)
        out.print(f"Wrote {path}: read it, then run `customer-portal migrate`.", soft_wrap=True)
        return
    from customer_portal.db import current_revision, get_engine, head_revision

    _settings()
    try:
        before = current_revision(get_engine())
    except sa.exc.OperationalError as exc:
        raise _Fail(f"cannot reach the database: {exc.orig}") from None
    _ready_engine(upgrade=True)
    if before == head_revision():
        out.print(f"Database schema is up to date ({before}).")
    else:
        out.print(f"Database schema upgraded from {before or 'nothing'} to {head_revision()}.")


@main.command()
def init() -> None:
    """Prepare a machine: instance folder, secrets, schema, demo certificate."""
    from customer_portal.instance import create_secret, lock_down
    from customer_portal.settings import KEPT_SECRETS, variable_name

    # Before the settings: they cannot be read in dev until these secrets exist.
    instance = _instance_settings()
    if instance.is_dev:
        for name in KEPT_SECRETS:
            if not os.environ.get(variable_name(Settings, name), "").strip():
                path = instance.instance_dir / name
                if create_secret(path):
                    out.print(f"Created {path}", soft_wrap=True, highlight=False)
    settings = _settings()
    _ready_engine(upgrade=True)
    signer = _publisher().signer
    # Also repairs an instance made by an older version (0644 database, 0755 folder).
    lock_down(settings.instance_dir)
    out.print(f"Instance folder: {settings.instance_dir} (owner only)")
    out.print(f"Signing certificate: {signer.subject}")
    if settings.uses_demo_pki:
        out.print(f"Demo CA (trust root for verify): {settings.trust_roots[0]}")


@main.command("settings")
def show_settings() -> None:
    """Print the effective configuration, one PORTAL_* variable a row, secrets masked."""
    from rich.text import Text

    from customer_portal.settings import effective_settings

    table = Table(title="Effective settings")
    table.add_column("Variable", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("Meaning", overflow="fold")
    for row in effective_settings(_settings()):
        # Text, not markup: a value may hold brackets.
        table.add_row(row.variable, Text(row.value), Text(row.meaning))
    out.print(table)


@main.command()
@click.argument("file")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default="one per CPU",
    help="Processes that render and sign in parallel (1: none, all in this one).",
)
def publish(file: str, workers: int) -> None:
    """Publish the invoices in FILE (JSON, or CSV with one row per line; - for stdin)."""
    from customer_portal.domain.batches import parse_invoice_csv, parse_json_batch
    from customer_portal.domain.validation import InputRejected

    text, kind = _read_input(file)
    try:
        items = parse_invoice_csv(text) if kind == "csv" else parse_json_batch(text, "invoices")
    except InputRejected as exc:
        raise _Fail(f"{file}: {exc}") from None
    _ready_engine()
    publisher = _publisher()
    # Starting a worker costs about a second: not worth it for a handful.
    workers = min(workers or os.cpu_count() or 1, max(1, len(items) // 20))
    _run_batch(
        items,
        functools.partial(publisher.publish_many, actor="cli", workers=workers),
        "invoices",
    )


@main.command()
@click.argument("file")
def payment(file: str) -> None:
    """Record the payments in FILE (JSON: invoice_number, amount, paid_on, reference)."""
    from customer_portal.domain.batches import parse_json_batch
    from customer_portal.domain.payments import record_payments
    from customer_portal.domain.validation import InputRejected

    text, _kind = _read_input(file)
    try:
        items = parse_json_batch(text, "payments")
    except InputRejected as exc:
        raise _Fail(f"{file}: {exc}") from None
    engine = _ready_engine()
    process = functools.partial(record_payments, engine=engine, actor="cli")
    _run_batch(items, lambda raws, progress: process(raws=raws, progress=progress), "payments")


@main.command()
@click.argument("number")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def pdf(number: str, output: str) -> None:
    """Write the stored signed PDF of invoice NUMBER to OUTPUT, byte for byte."""
    from customer_portal.db import unit_of_work
    from customer_portal.documents.integrity import TamperedDocument, intact_pdf_by_number

    engine = _ready_engine()
    with unit_of_work(engine) as session:
        try:
            data = intact_pdf_by_number(session=session, number=number)
        except TamperedDocument as exc:
            err.print(
                "[bold red]Refused:[/] "
                + escape(f"{exc}: {exc.mismatch.describe()}; nothing written"),
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(1)
    if data is None:
        raise _Fail(f"no published invoice has the number {number!r}")
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise _Fail(f"cannot write {output}: {exc.strerror}") from None
    out.print(f"Wrote {output} ({len(data)} bytes).")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--trust",
    "trust",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A root certificate to trust (PEM or DER); default: the configured ones.",
)
def verify(file: str, trust: tuple[str, ...]) -> None:
    """Say whether FILE's signature is intact and chains to a trusted root."""
    from customer_portal.documents.verify import (
        load_certificates,
        trust_roots_from_settings,
        verify_pdf,
    )

    try:
        roots = (
            load_certificates(Path(p) for p in trust)
            if trust
            else trust_roots_from_settings(_settings())
        )
    except (OSError, ValueError) as exc:
        raise _Fail(f"cannot load the trusted roots: {exc}") from None
    report = verify_pdf(Path(file).read_bytes(), roots)
    for line in report.lines():
        out.print(line, markup=False, highlight=False)
    sys.exit(0 if report.valid else 1)


@main.command("verify-store")
def verify_store() -> None:
    """Check every stored signed PDF against its recorded hash and size (1 if any differs)."""
    from customer_portal.db import unit_of_work
    from customer_portal.documents.integrity import count_stored
    from customer_portal.documents.integrity import verify_store as check_store

    engine = _ready_engine()
    with unit_of_work(engine) as session:
        total = count_stored(session=session)
    with Progress(console=err, transient=True, disable=total < 2) as progress:
        task = progress.add_task("Checking signed PDFs", total=total)
        report = check_store(engine=engine, progress=lambda n: progress.advance(task, n))

    # One line per invoice, whole, so the list can be grepped or fed to a script; the
    # number comes from the database being checked, so it is never read as markup.
    for mismatch in report.mismatches:
        out.print(
            f"TAMPERED {mismatch.number}: {mismatch.describe()}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        f"{report.checked} signed PDFs checked: "
        f"{report.checked - len(report.mismatches)} intact, {len(report.mismatches)} tampered"
    )
    sys.exit(0 if report.intact else 1)


@main.command("archive-timestamp")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    default=None,
    help="Renew timestamps at least this old (default: PORTAL_ARCHIVE_TIMESTAMP_AGE_DAYS).",
)
def archive_timestamp(older_than_days: int | None) -> None:
    """Add an archive timestamp (PAdES B-LTA) to signed PDFs whose last timestamp is old.

    Appended as an incremental update: what was signed, and every earlier
    timestamp, stays valid and byte for byte a prefix of the new file. Run it
    from cron (monthly is plenty); a rerun finds nothing more to do. Exit 1
    if any PDF could not be stamped (it is left as it was; the next run retries).
    """
    from datetime import timedelta

    from customer_portal.documents.archive import ArchiveStamper, archive_due, count_due
    from customer_portal.documents.verify import trust_roots_from_settings

    settings = _settings()
    if settings.tsa_url is None:
        raise _Fail("PORTAL_TSA_URL is not set: an archive timestamp needs a timestamp authority")
    try:
        roots = trust_roots_from_settings(settings)
    except (OSError, ValueError) as exc:
        raise _Fail(f"cannot load the trusted roots: {exc}") from None
    age = older_than_days if older_than_days is not None else settings.archive_timestamp_age_days
    older_than = timedelta(days=age)
    engine = _ready_engine()
    total = count_due(engine=engine, older_than=older_than)
    with Progress(console=err, transient=True, disable=total < 2) as progress:
        task = progress.add_task("Archive timestamps", total=total)
        report = archive_due(
            engine=engine,
            stamper=ArchiveStamper(str(settings.tsa_url), roots),
            older_than=older_than,
            progress=lambda n: progress.advance(task, n),
        )
    for number, reason in report.failed:
        out.print(f"FAILED {number}: {reason}", markup=False, highlight=False, soft_wrap=True)
    for number in report.changed_meanwhile:
        out.print(f"SKIPPED {number}: changed by another run meanwhile", markup=False)
    out.print(
        f"{len(report.stamped)} archive timestamps added, {len(report.failed)} failed "
        f"(last timestamp older than {age} days)"
    )
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("customer_code")
@click.option("--remove", "remove_email", metavar="EMAIL", help="Unlink this person from it.")
def people(customer_code: str, remove_email: str | None) -> None:
    """List the people of a customer (who see its invoices); remove one with --remove."""
    from customer_portal.db import unit_of_work
    from customer_portal.domain.people import describe_people, unlink_person

    engine = _ready_engine()
    if remove_email is not None:
        with unit_of_work(engine) as session:
            removed = unlink_person(
                session=session, code=customer_code, email=remove_email, actor="cli"
            )
        if removed is None:
            raise _Fail(f"no customer with code {customer_code!r}")
        if not removed:
            raise _Fail(f"{remove_email!r} is not a person of customer {customer_code!r}")
        out.print(f"Removed {remove_email} from {customer_code}", markup=False, highlight=False)
    with unit_of_work(engine, read_only=True) as session:
        found = describe_people(session=session, code=customer_code)
    if found is None:
        raise _Fail(f"no customer with code {customer_code!r}")
    for person in found:
        state = "active" if person["active"] else "credentials not set yet"
        factor = ", second factor on" if person["second_factor"] else ""
        out.print(f"{person['email']}: {state}{factor}", markup=False, highlight=False)
    out.print(f"{len(found)} people of {customer_code}", markup=False, highlight=False)


@main.command("second-factor")
@click.argument("customer_code")
@click.option(
    "--require/--optional",
    "require",
    default=None,
    help="Require a second factor of the customer's people (or leave it to each).",
)
@click.option(
    "--reset",
    "reset_email",
    metavar="EMAIL",
    help="Turn off the second factor of this login (a lost phone and no recovery codes).",
)
def second_factor_command(customer_code: str, require: bool | None, reset_email: str | None):
    """Show or change a customer's second-factor rule; reset a person's second factor."""
    from customer_portal.db import unit_of_work
    from customer_portal.domain import second_factor
    from customer_portal.domain.accounts import login_email
    from customer_portal.domain.people import people_of
    from customer_portal.models import Customer

    engine = _ready_engine()
    with unit_of_work(engine) as session:
        customer = session.exec(select(Customer).where(Customer.code == customer_code)).first()
        if customer is None:
            raise _Fail(f"no customer with code {customer_code!r}")
        if require is not None:
            customer.requires_second_factor = require
            session.add(customer)
        people = people_of(session=session, customer_id=customer.id)
        if reset_email is not None:
            account = next((a for a in people if a.email == login_email(reset_email)), None)
            if account is None:
                raise _Fail(f"{reset_email!r} is not a login of customer {customer_code!r}")
            second_factor.disable(session=session, account=account, ip=None, actor="cli")
        rule = "required" if customer.requires_second_factor else "optional"
        lines = [f"{customer.code}: second factor {rule}"]
        lines += [f"  {a.email}: {'on' if second_factor.enabled(a) else 'off'}" for a in people]
    for line in lines:
        out.print(line, markup=False, highlight=False)


@main.command("deliver-mail")
@click.option(
    "--watch",
    is_flag=True,
    help="Keep delivering, every PORTAL_MAIL_POLL_SECONDS, until stopped (a process of its own).",
)
def deliver_mail(watch: bool) -> None:
    """Send the emails that are due, once, and exit (1 if some could not be sent)."""
    from customer_portal.mail.worker import deliver_once, run_mail_worker

    settings = _settings()
    if not settings.mail.enabled:
        raise _Fail("SMTP is not configured: set PORTAL_SMTP_HOST (see `customer-portal outbox`)")
    engine = _ready_engine()
    if watch:
        import asyncio
        import signal

        # Other deliverers may run beside this one (web workers, more of these):
        # each email is claimed before it is sent, so none goes out twice.
        # SIGTERM (systemd stop) ends it between rounds, as Ctrl+C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        out.print(f"Delivering mail every {settings.mail.poll_seconds} s until stopped.")
        try:
            asyncio.run(run_mail_worker(engine=engine, settings=settings))
        except KeyboardInterrupt:
            out.print("Stopped.")
        return
    report = deliver_once(engine=engine, settings=settings)
    out.print(
        f"{len(report.sent)} sent, {len(report.retried)} to retry later, "
        f"{len(report.failed)} failed for good"
    )
    sys.exit(0 if not (report.retried or report.failed) else 1)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Include emails already sent.")
def outbox(show_all: bool) -> None:
    """List queued emails: recipient, subject, state, attempts, link, last error."""
    from sqlmodel import col

    from customer_portal.db import unit_of_work
    from customer_portal.mail.outbox import describe_row
    from customer_portal.models import OutboxEmail

    settings = _settings()
    with unit_of_work(_ready_engine()) as session:
        query = select(OutboxEmail).order_by(col(OutboxEmail.id))
        if not show_all:
            query = query.where(col(OutboxEmail.sent_at).is_(None))
        rows = session.exec(query).all()
    for row in rows:
        out.print(
            describe_row(row=row, settings=settings), markup=False, highlight=False, soft_wrap=True
        )
    if not rows:
        out.print("The outbox is empty." if show_all else "No unsent emails.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), required=True, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve one production web worker (pages built beforehand; see README, Despliegue)."""
    from customer_portal.deploy.worker import NotReady, check_ready, serve

    settings = _settings()
    try:
        check_ready(settings)
    except NotReady as exc:
        raise _Fail(str(exc)) from None
    # A worker never changes the schema: `customer-portal migrate` does, once per release.
    _ready_engine(upgrade=False)
    serve(host=host, port=port)


@main.command("nginx-config")
@click.option(
    "--worker",
    "workers",
    multiple=True,
    required=True,
    metavar="HOST:PORT",
    help="A web worker (`customer-portal serve`); repeat for each.",
)
@click.option(
    "--listen", "listen_port", type=click.IntRange(1, 65535), default=443, show_default=True
)
@click.option("--http-port", type=click.IntRange(1, 65535), help="Also redirect plain HTTP here.")
@click.option("--certificate", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--key", "certificate_key", type=click.Path(dir_okay=False, path_type=Path), required=True
)
@click.option(
    "--prefix",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="A folder nginx may write: pid, logs, temporary files.",
)
def nginx_config(
    workers: tuple[str, ...],
    listen_port: int,
    http_port: int | None,
    certificate: Path,
    certificate_key: Path,
    prefix: Path,
) -> None:
    """Print the nginx.conf that puts the web workers behind TLS, from the shipped template."""
    from customer_portal.deploy.nginx import BadWorker, NginxSite, render
    from customer_portal.deploy.worker import built_pages

    site = NginxSite(
        workers=workers,
        listen_port=listen_port,
        http_port=http_port,
        certificate=certificate,
        certificate_key=certificate_key,
        prefix=prefix,
        pages=built_pages(),
    )
    try:
        text = render(site, _settings())
    except BadWorker as exc:
        raise _Fail(str(exc)) from None
    click.echo(text, nl=False)


@main.command("seed-demo")
def seed_demo() -> None:
    """Add the demo customers, logins and invoices (safe to run again)."""
    from customer_portal.demo import seed

    engine = _ready_engine()
    logins = seed(engine=engine, publisher=_publisher())
    out.print("Demo logins (email / password):")
    for email, password in logins:
        out.print(f"  {email} / {password}", markup=False, highlight=False)
    out.print(f"API key for {_settings().base_url}/api/v1: see {_settings().instance_dir}/api_key")


if __name__ == "__main__":
    main()
