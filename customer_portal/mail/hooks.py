"""What publishing an invoice adds to its transaction on the mail side."""

from __future__ import annotations

from customer_portal.domain.publishing import AfterStore
from customer_portal.mail.notices import InvoiceNotices
from customer_portal.settings import Settings


def publication_hooks(*, settings: Settings) -> tuple[AfterStore, ...]:
    """The invoice notice, queued in the invoice's own transaction.

    The hook also releases a batch's notices when the batch ends (its
    ``after_batch``), so a publication's Alta or Nueva Factura lists all of a
    customer's invoices and goes out at once.

    Returns:
        The hooks to hand to :class:`~customer_portal.domain.publishing.Publisher`.
    """
    return (InvoiceNotices(settings=settings),)
