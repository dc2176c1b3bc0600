"""The status badge: Cobrado green, Cobrado parcialmente amber, Pendiente grey, vencida red."""

from __future__ import annotations

import reflex as rx


def status_badge(status: rx.Var, overdue: rx.Var | bool = False) -> rx.Component:
    """The manual's status; red and "· vencida" once an unpaid invoice is past its due date.

    Args:
        status: The status text (``InvoiceStatus`` value).
        overdue: A boolean var: whether the invoice is overdue.
    """
    color = rx.match(status, ("Cobrado", "green"), ("Cobrado parcialmente", "amber"), "gray")
    return rx.badge(
        status,
        rx.cond(overdue, " · vencida", ""),
        color_scheme=rx.cond(overdue, "red", color),
        size="2",
        variant="soft",
        # The soft palette's text is 4.3:1 on its own background: too faint (WCAG AA).
        high_contrast=True,
    )
