"""The worker processes that validate, render and sign a batch's invoices.

:meth:`customer_portal.domain.publishing.Publisher.publish_many` hands them
the invoices whose numbers are free and stores what they return. This
module is what a worker imports, so it stays small: no database, no web.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from customer_portal.domain.invoice_input import InvoiceData, parse_invoice
from customer_portal.domain.results import INVALID, ItemResult, rejected
from customer_portal.domain.validation import InputRejected
from customer_portal.domain.verification import with_code

if TYPE_CHECKING:
    from customer_portal.domain.publishing import Renderer, Signer
    from customer_portal.settings import Branding


def worker_context(spec: Any, render: Renderer) -> multiprocessing.context.BaseContext:
    """How worker processes start: forked from a fork server that has imported their code.

    Not forked from this process, which may have threads (the portal's server,
    a progress bar's refresh) that a fork would copy mid-flight; not spawned,
    which imports reportlab, pyHanko and the portal again in every worker
    (about 1.5 s of CPU each, a tenth of a 1,000-invoice batch on 2 cores).
    The fork server is started once per process, with only those imports
    done: this module, the signer's and the renderer's, and the main module's.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # not on Windows
    context = multiprocessing.get_context("forkserver")
    preload = [__name__, type(spec).__module__, render.__module__, *_main_module()]
    context.set_forkserver_preload(preload)
    return context


def _main_module() -> list[str]:
    """The module the program started from, which every worker runs again (multiprocessing does).

    Imported once in the fork server, the workers find it done: each worker
    of ``customer-portal publish`` imported the whole CLI (a third of a
    second of CPU) before its first invoice. A console script's module is
    the one its ``main`` comes from; ``python -m name`` gives the name. A
    package's ``__main__`` runs the program when imported, so it is left out,
    as multiprocessing leaves it out of the workers.
    """
    main = sys.modules["__main__"]
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is None:
        name = getattr(getattr(main, "main", None), "__module__", None)
    if not isinstance(name, str) or name == "__main__" or name.endswith(".__main__"):
        return []
    return [name]


# How much lower than its publisher a worker runs.
_NICENESS = 10

# This worker process's signer, renderer and branding (see start_worker).
_worker: tuple[Signer, Renderer, Branding] | None = None


def start_worker(spec: Any, render: Renderer, branding: Branding) -> None:
    """Set this worker process up: its own signer (from ``spec``), the renderer, the branding."""
    global _worker  # noqa: PLW0603 (one per process, by design)
    _worker = (spec.build(), render, branding)
    # Below the process that stores what workers sign: when it waited for a
    # CPU, the whole batch waited (2 workers and it on 2 CPUs: 150 -> 175
    # invoices/s). Below the portal's web workers too, whose customers come first.
    if hasattr(os, "nice"):  # not on Windows
        os.nice(_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    """End this worker when the process that started the batch ends.

    A worker waits on a queue whose both ends it holds, so it never sees its
    publisher die: a killed ``customer-portal publish`` left its workers (and
    their fork server) running for good.
    """
    parent.join()
    os._exit(1)


def render_and_sign(data: InvoiceData) -> tuple[InvoiceData, Any]:
    """In a worker: the PDF of a validated invoice, signed."""
    assert _worker is not None, "not a publishing worker"
    signer, render, branding = _worker
    data = with_code(data)
    return data, signer.sign(render(data, branding))


def check_render_and_sign(raw: Any, label: str) -> tuple[InvoiceData, Any] | ItemResult:
    """In a worker: validate an invoice whose number is free, then render and sign it."""
    try:
        data = parse_invoice(raw)
    except InputRejected as exc:
        return rejected(label, INVALID, *exc.errors)
    return render_and_sign(data)


@dataclass(frozen=True)
class NotProduced:
    """Why a worker could not render or sign one invoice: its traceback, as text."""

    traceback: str


def check_render_and_sign_each(
    items: list[tuple[Any, str]],
) -> list[tuple[InvoiceData, Any] | ItemResult | NotProduced]:
    """:func:`check_render_and_sign` for several invoices in one job; each fails alone.

    A job per invoice cost the publishing process about half a millisecond
    each (handing it over, waking the pool's threads), a twentieth of the
    whole; a few invoices per job share that.
    """
    outcomes: list[tuple[InvoiceData, Any] | ItemResult | NotProduced] = []
    for raw, label in items:
        try:
            outcomes.append(check_render_and_sign(raw, label))
        except Exception:
            outcomes.append(NotProduced(traceback.format_exc()))
    return outcomes
