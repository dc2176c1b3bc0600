"""Publishing a billing run: the portal's service against its references, in one run.

The service (validate, render, sign, store, queue the emails; what the CLI
and the API run) publishes ``BATCH`` invoices of 20 lines with one worker
process per CPU, on SQLite and on PostgreSQL, then half as many of 1 to 60
lines. Beside it, on ``SAMPLE`` invoices of 20 lines, in one process:

- the service as the issue measured it: the portal's code of commit
  ``THEN`` (before the performance work), publishing through its own service
  in one process (needs the git history; skipped without it);
- the service before this work: one process, the previous signer;
- (a) pyHanko as its documentation shows it: load the PKCS#12 and
  ``sign_pdf`` each document with default settings;
- (b) the previous signer: pyHanko's ``SimpleSigner`` loaded once, which
  still parses the key and re-encodes the whole CMS for every signature;
- this signer (:class:`~customer_portal.documents.signing.KeptKeySigner`);
- (c) the floor: rendering alone plus one raw RSA-2048 signature per document,
  in one process and in one process per CPU at once.

The invoices of the 1-to-60-line run are then checked as anyone would
check them (:mod:`bench.signed_output`: pdfsig, pyHanko, one byte changed):
a rate of PDFs that do not verify would mean nothing.

Every figure is a rate measured here, so the ratios hold on any machine.
The results also go to ``bench/results/publishing.json``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from io import BytesIO
from multiprocessing import forkserver
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from rich.console import Console
from rich.table import Table

from bench.common import POSTGRES_URL, machine, postgres_schema, results_file
from bench.signed_output import check_published
from customer_portal import db
from customer_portal.documents.pki import ensure_demo_pki
from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.signing import InvoiceSigner
from customer_portal.domain.invoice_input import InvoiceData, parse_invoice
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.verification import new_code
from customer_portal.mail.hooks import publication_hooks
from customer_portal.settings import Branding, Settings, load_settings
from tests.factories import customer_input, invoice_input, line_input

BATCH = int(os.environ.get("BENCH_INVOICES", "1000"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "60"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LINES = 20
PASSWORD = "bench"
RESULTS = results_file("publishing.json")
# The last commit before the performance work (issue 11): "today" in the issue.
THEN = "041a72c4bd0bfa77d21e64a98edca4570da5c110"
REPOSITORY = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Rate:
    """One way of producing signed invoices, measured."""

    name: str
    invoices: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.invoices / self.seconds


PRODUCTS = ("Fibra óptica 600 Mb", "Centralita virtual", "Línea móvil", "Soporte técnico")


def _batch(prefix: str, count: int, lines: int = LINES) -> list[dict]:
    """A billing run: one invoice per customer, lines with their own figures.

    Varied on purpose, so that nothing remembered from one invoice (formatted
    figures, a customer row) makes the next one cheaper than in real life.
    """
    rng = random.Random(prefix)
    return [
        invoice_input(
            f"{prefix}-{i}",
            customer=customer_input(code=f"{prefix}-C{i}", email=f"c{i}@{prefix.lower()}.example"),
            lines=[
                line_input(
                    description=f"{rng.choice(PRODUCTS)} · {n + 1}",
                    quantity=str(rng.randint(1, 40)),
                    unit_price=f"{rng.randint(100, 99_999) / 100:.2f}",
                    tax_rate=rng.choice(("7", "3", "0")),
                )
                for n in range(lines)
            ],
        )
        for i in range(count)
    ]


def _mixed_batch(prefix: str, count: int) -> list[dict]:
    """Invoices of 1 to 60 lines, as a real run mixes them (a few long ones)."""
    sizes = random.Random(prefix).choices(range(1, 61), k=count)
    return [_batch(f"{prefix}{i}", 1, lines=size)[0] for i, size in enumerate(sizes)]


def _timed(name: str, count: int, work: Callable[[], object]) -> Rate:
    start = time.perf_counter()
    work()
    return Rate(name, count, time.perf_counter() - start)


def _service(
    settings: Settings,
    url: str,
    signer: InvoiceSigner,
    workers: int,
    name: str,
    batch: list[dict],
) -> Rate:
    """The CLI's and the API's publisher, emails queued, on the database at ``url``."""
    engine = db.create_db_engine(url)
    db.migrate(engine)
    publisher = Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=publication_hooks(settings=settings),
    )
    try:
        rate = _timed(name, len(batch), lambda: publisher.publish_many(batch, workers=workers))
    finally:
        engine.dispose()
        # Each run starts its workers as a `customer-portal publish` would: stop
        # the fork server this one started, so the next run pays for its own.
        forkserver._forkserver._stop()
    return rate


def _previous_signer(p12: Path) -> InvoiceSigner:
    """The signer as it was: pyHanko's SimpleSigner, parsing its key for every signature."""
    signer = InvoiceSigner(p12, PASSWORD)
    signer._signer = signers.SimpleSigner.load_pkcs12_data(p12.read_bytes(), (), PASSWORD.encode())
    return signer


def _pyhanko_documented(p12: Path, pdfs: list[bytes]) -> None:
    for pdf in pdfs:
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD.encode())
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        signers.sign_pdf(
            writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer
        )


def _sign_all(signer: InvoiceSigner, pdfs: list[bytes]) -> None:
    for pdf in pdfs:
        signer.sign(pdf)


def _as_published(raw: dict) -> InvoiceData:
    """``raw`` validated and given its verification code, as the service renders it.

    The code prints a QR on every page (since /verificar): a floor or a
    signing reference without it would time a lighter document than the
    service's.
    """
    return replace(parse_invoice(raw), verification_code=new_code())


def _floor(p12: Path, invoices: list) -> None:
    key = serialization.load_der_private_key(
        signers.SimpleSigner.load_pkcs12_data(
            p12.read_bytes(), (), PASSWORD.encode()
        ).signing_key.dump(),
        password=None,
    )
    branding = Branding()
    for data in invoices:
        key.sign(render_invoice_pdf(data, branding), PKCS1v15(), hashes.SHA256())


def _floor_in_process(p12: Path, batch: list[dict], barrier) -> float:
    """One CPU's floor rate, measured once every process is ready (see :func:`_floor_on_cpus`)."""
    invoices = [_as_published(raw) for raw in batch]
    _floor(p12, invoices[:2])  # warm: imports, fonts, the logo
    barrier.wait()
    start = time.perf_counter()
    _floor(p12, invoices)
    return len(invoices) / (time.perf_counter() - start)


def _floor_on_cpus(p12: Path, cpus: int) -> Rate:
    """The floor in one process per CPU at the same time: what the CPUs really give.

    Twice the one-process rate would flatter two CPUs that share a core's caches.
    """
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(cpus) as pool:
        barrier = manager.Barrier(cpus)
        batches = [_batch(f"F{cpu}", SAMPLE * 2) for cpu in range(cpus)]
        rates = pool.starmap(_floor_in_process, [(p12, batch, barrier) for batch in batches])
    per_second = sum(rates)
    return Rate(
        f"(c) floor on {cpus} processes at once", SAMPLE * 2 * cpus, SAMPLE * 2 * cpus / per_second
    )


def _code_then(folder: Path) -> Path | None:
    """The ``customer_portal`` of commit ``THEN``, extracted under ``folder``; None without git."""
    tree = folder / "then"
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", THEN, "customer_portal"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    tree.mkdir()
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _service_then(tree: Path, p12: Path, folder: Path, prefix: str) -> Rate | None:
    """The service at commit ``THEN``, run from that commit's own code (see publishing_then.py).

    None, with the reason printed, if that code no longer runs with today's
    packages: the other figures still stand.
    """
    work = folder / f"then-{prefix}"
    work.mkdir()
    batch = work / "batch.json"
    batch.write_text(json.dumps(_batch(prefix, SAMPLE)))
    run = subprocess.run(
        [
            sys.executable,
            "-P",  # not bench/ first on the path: its email.py would hide the standard one
            str(Path(__file__).with_name("publishing_then.py")),
            str(p12),
            PASSWORD,
            str(batch),
            str(work),
        ],
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        result = json.loads(run.stdout.strip().splitlines()[-1])
        published = result["published"]
    except (IndexError, ValueError, KeyError):
        published, result = None, {}
    if run.returncode != 0 or published != SAMPLE:
        print(f"The code of {THEN[:7]} did not run here:\n{run.stderr[-2000:]}", file=sys.stderr)
        return None
    return Rate(f"before, as the issue measured it (code of {THEN[:7]})", SAMPLE, result["seconds"])


def _median(rates: list[Rate]) -> Rate:
    return sorted(rates, key=lambda rate: rate.per_second)[len(rates) // 2]


def main() -> None:
    console = Console()
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = ensure_demo_pki(folder / "pki", "Bench", PASSWORD)
        p12 = pki.signer_p12
        # Reading settings never makes secrets (that is `customer-portal init`): give them.
        keys = {"PORTAL_SECRET_KEY": "b" * 32, "PORTAL_API_KEY": "k" * 32}
        settings = load_settings({"PORTAL_INSTANCE_DIR": tmp, **keys})
        sample = [_as_published(raw) for raw in _batch("S", SAMPLE)]
        branding = Branding()
        pdfs = [render_invoice_pdf(data, branding) for data in sample]
        signer = InvoiceSigner(p12, PASSWORD)

        def sqlite(name: str) -> str:
            return f"sqlite:///{folder / name}.db"

        tree = _code_then(folder)
        console.print(
            f"Publishing {BATCH} invoices of {LINES} lines, {workers} workers, beside the "
            f"code before and the floor, {ROUNDS} rounds taking turns…"
        )
        services, thens, floors = [], [], []
        for round_ in range(ROUNDS):
            # Taking turns, so that a slow moment of a shared machine falls on
            # every side of the ratios rather than on one.
            services.append(
                _service(
                    settings,
                    sqlite(f"a{round_}"),
                    signer,
                    workers,
                    "service, SQLite",
                    _batch(f"A{round_}", BATCH),
                )
            )
            then = _service_then(tree, p12, folder, f"T{round_}") if tree is not None else None
            if then is not None:
                thens.append(then)
            floors.append(_floor_on_cpus(p12, workers))
        rates = [_median(services)]
        then = _median(thens) if thens else None
        floor = _median(floors)
        if then is None:
            console.print(f"No git history with {THEN[:7]}: the service as it was is not measured.")
        schema = postgres_schema()
        if schema is None:
            raise SystemExit(f"PostgreSQL does not answer at {POSTGRES_URL}")
        url, drop = schema
        try:
            rates.append(
                _service(settings, url, signer, workers, "service, PostgreSQL", _batch("B", BATCH))
            )
        finally:
            drop()
        mixed = _mixed_batch("M", BATCH // 2)
        rates.append(
            _service(settings, sqlite("m"), signer, workers, "service, SQLite, 1–60 lines", mixed)
        )
        checked = check_published(sqlite("m"), pki.ca_pem)
        console.print(
            f"Checked {checked.invoices} invoices of that run ({checked.fewest_lines} to "
            f"{checked.most_lines} lines): pdfsig and pyHanko find each valid, and each "
            "fails both with one byte changed."
        )
        rates.append(
            _service(settings, sqlite("o"), signer, 1, "service, 1 process", _batch("O", SAMPLE))
        )
        console.print(f"References on {SAMPLE} invoices, one process…")
        if then is not None:
            rates.append(then)
        before = _service(
            settings,
            sqlite("p"),
            _previous_signer(p12),
            1,
            "before: 1 process, previous signer",
            _batch("P", SAMPLE),
        )
        rates += [
            before,
            _timed(
                "(a) pyHanko as documented (sign only)",
                SAMPLE,
                lambda: _pyhanko_documented(p12, pdfs),
            ),
            _timed(
                "(b) previous signer (sign only)",
                SAMPLE,
                lambda: _sign_all(_previous_signer(p12), pdfs),
            ),
            _timed("this signer (sign only)", SAMPLE, lambda: _sign_all(signer, pdfs)),
            _timed("(c) floor: render + raw RSA", SAMPLE, lambda: _floor(p12, sample)),
        ]
        rates.append(floor)

    service = rates[0]
    table = Table(title=f"Publishing invoices of {LINES} lines ({workers} CPUs)")
    for column in ("way", "invoices", "invoices/s", "service is"):
        table.add_column(column, justify="left" if column == "way" else "right")
    for rate in rates:
        ratio = service.per_second / rate.per_second
        table.add_row(rate.name, str(rate.invoices), f"{rate.per_second:.1f}", f"{ratio:.2f}x")
    console.print(table)
    reference = then or before
    summary = {
        "service_per_second": round(service.per_second, 1),
        "before": reference.name,
        "times_before": round(service.per_second / reference.per_second, 2),
        "times_before_with_todays_renderer": round(service.per_second / before.per_second, 2),
        "floor_on_all_cpus": round(floor.per_second, 1),
        "times_from_floor": round(floor.per_second / service.per_second, 2),
    }
    console.print(
        f"Service (SQLite) {summary['service_per_second']}/s on {workers} CPUs (target ≥ 100/s); "
        f"{summary['times_before']}x the service before ({reference.name}; target ≥ 7x); "
        f"the floor on {workers} CPUs at once {floor.per_second:.0f}/s, the service "
        f"{summary['times_from_floor']}x from it (target ≤ 2.5x)."
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine(),
                "invoice_lines": LINES,
                "rates": [{**asdict(r), "per_second": round(r.per_second, 2)} for r in rates],
                "rounds": {
                    name: [round(r.per_second, 2) for r in side]
                    for name, side in (("service", services), ("then", thens), ("floor", floors))
                },
                "summary": summary,
                "checked_output": asdict(checked),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
