"""The worker processes that validate, render and sign a batch's invoices.

:meth:`customer_portal.domain.publishing.Publisher.publish_many` hands them
the invoices whose numbers are free and stores what they return. This
module is what a worker imports, so it stays small: no database, no web.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import TYPE_CHECKING, Any

from customer_portal.domain.invoice_input import InvoiceData, parse_invoice
from customer_portal.domain.results import INVALID, ItemResult, rejected
from customer_portal.domain.validation import InputRejected

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
    done: this module, the signer's and the renderer's, not the database's.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # not on Windows
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, type(spec).__module__, render.__module__])
    return context


# This worker process's signer, renderer and branding (see start_worker).
_worker: tuple[Signer, Renderer, Branding] | None = None


def start_worker(spec: Any, render: Renderer, branding: Branding) -> None:
    """Set this worker process up: its own signer (from ``spec``), the renderer, the branding."""
    global _worker  # noqa: PLW0603 (one per process, by design)
    _worker = (spec.build(), render, branding)
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
    return data, signer.sign(render(data, branding))


def check_render_and_sign(raw: Any, label: str) -> tuple[InvoiceData, Any] | ItemResult:
    """In a worker: validate an invoice whose number is free, then render and sign it."""
    try:
        data = parse_invoice(raw)
    except InputRejected as exc:
        return rejected(label, INVALID, *exc.errors)
    return render_and_sign(data)
