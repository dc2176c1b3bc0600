"""The status badge: Cobrado green, Cobrado parcialmente amber, Pendiente grey."""

from __future__ import annotations

import reflex as rx


def status_badge(status: rx.Var) -> rx.Component:
    color = rx.match(status, ("Cobrado", "green"), ("Cobrado parcialmente", "amber"), "gray")
    return rx.badge(status, color_scheme=color, size="2", variant="soft")
