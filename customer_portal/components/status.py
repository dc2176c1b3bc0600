"""The status badge: Cobrado green, Cobrado parcialmente amber, Pendiente grey."""

from __future__ import annotations

import reflex as rx


def status_badge(status: rx.Var, overdue: rx.Var | None = None) -> rx.Component:
    """Pendiente turns red, and says so in words, once the due date has passed."""
    color = rx.match(status, ("Cobrado", "green"), ("Cobrado parcialmente", "amber"), "gray")
    if overdue is None:
        return rx.badge(status, color_scheme=color, size="2", variant="soft")
    return rx.badge(
        status,
        rx.cond(overdue != "", " · vencida", ""),
        color_scheme=rx.cond(overdue != "", "red", color),
        size="2",
        variant="soft",
    )
