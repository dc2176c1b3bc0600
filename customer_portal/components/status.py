"""The status badge, worded and coloured by :func:`~customer_portal.domain.status.status_label`.

Cobrado green, Cobrado parcialmente amber, Pendiente grey, and red with
"· vencida" once an unpaid invoice is past its due date: the same words and
colours the emails use, because both come from that one function.
"""

from __future__ import annotations

import reflex as rx

from customer_portal.components.text import t
from customer_portal.domain.status import OVERDUE, InvoiceStatus, status_label


def _by_status(overdue: bool, attribute: str, status: rx.Var) -> rx.Var:
    """``status_label(status, overdue).<attribute>`` for a status only known in the browser."""
    cases = [(value.value, _attribute(value, overdue, attribute)) for value in InvoiceStatus]
    # Anything else (never expected) reads as given, in grey.
    default = status if attribute == "text" else "gray"
    return rx.match(status, *cases, default)


def _attribute(status: InvoiceStatus, overdue: bool, attribute: str) -> rx.Var | str:
    """The label's colour, or its words in the page's language (the status is a msgid)."""
    label = status_label(status, overdue)
    if attribute != "text":
        return getattr(label, attribute)
    words = t(status.value)
    if overdue and status is not InvoiceStatus.PAID:
        return t(OVERDUE, status=words)
    return words


def status_badge(status: rx.Var, overdue: rx.Var | bool = False) -> rx.Component:
    """The status as :func:`status_label` words and colours it.

    Args:
        status: The status text (``InvoiceStatus`` value).
        overdue: A boolean var: whether the invoice is overdue.
    """
    return rx.badge(
        rx.cond(overdue, _by_status(True, "text", status), _by_status(False, "text", status)),
        color_scheme=rx.cond(
            overdue, _by_status(True, "radix", status), _by_status(False, "radix", status)
        ),
        size="2",
        variant="soft",
        # The soft palette's text is 4.3:1 on its own background: too faint (WCAG AA).
        high_contrast=True,
    )
