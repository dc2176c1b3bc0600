"""What publishing an invoice adds to its transaction on the mail side."""

from __future__ import annotations

import functools

from customer_portal.domain.publishing import AfterStore
from customer_portal.mail.notices import notify_invoice_published
from customer_portal.settings import Settings


def publication_hooks(*, settings: Settings) -> tuple[AfterStore, ...]:
    """The Alta / Nueva Factura email, queued in the invoice's own transaction.

    Returns:
        The hooks to hand to :class:`~customer_portal.domain.publishing.Publisher`.
    """
    return (functools.partial(notify_invoice_published, settings=settings),)
