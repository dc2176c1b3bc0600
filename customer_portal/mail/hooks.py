"""What publishing an invoice adds to its transaction on the mail side.

The Alta / Nueva Factura emails are written into the outbox by these hooks,
inside the invoice's own transaction (issue 3 fills the list).
"""

from __future__ import annotations

from customer_portal.domain.publishing import AfterStore


def publication_hooks() -> tuple[AfterStore, ...]:
    return ()
