"""An invoice's payment status, derived from what has been paid; never stored.

:func:`status_label` is the only place that says how a status reads and which
colour it has: the list's and the invoice page's badge, and the emails, use it.
The statuses' values are keys (compared, filtered, carried in state vars) and
stay Spanish; :func:`status_label` translates them into the current language.
The signed PDF shows no status: it is signed once at publication, and the
status changes with every payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from customer_portal.i18n import N_, _


class InvoiceStatus(StrEnum):
    """The three statuses of the seed manual, in its words (Spanish keys; shown translated)."""

    PAID = N_("Cobrado")
    PARTIALLY_PAID = N_("Cobrado parcialmente")
    PENDING = N_("Pendiente")


def invoice_status(total_cents: int, paid_cents: int) -> InvoiceStatus:
    """The status the manual names for an invoice with these totals."""
    if paid_cents >= total_cents:
        return InvoiceStatus.PAID
    if paid_cents > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.PENDING


def is_overdue(status: InvoiceStatus, due_date: date | None, today: date) -> bool:
    """Whether an invoice still owes money after its due date."""
    return status is not InvoiceStatus.PAID and due_date is not None and due_date < today


class Tone(StrEnum):
    """The colour of a status, one word for every place that shows it.

    The badge uses the Radix colour of the same name (high contrast); emails
    and other HTML use :attr:`StatusLabel.hex` on :attr:`StatusLabel.background`,
    steps 12 and 3 of the same Radix scale, so every place looks alike.
    """

    GREEN = "green"
    AMBER = "amber"
    GRAY = "gray"
    RED = "red"


# Radix Colors (light) steps 12 (text) and 3 (background): the badge's own
# high-contrast soft colours, every pair above 10:1.
_HEX = {
    Tone.GREEN: ("#193b2d", "#e6f6eb"),
    Tone.AMBER: ("#4f3422", "#fff7c2"),
    Tone.GRAY: ("#202020", "#f0f0f0"),
    Tone.RED: ("#641723", "#feebec"),
}

_TONES = {
    InvoiceStatus.PAID: Tone.GREEN,
    InvoiceStatus.PARTIALLY_PAID: Tone.AMBER,
    InvoiceStatus.PENDING: Tone.GRAY,
}

#: How the status of an unpaid invoice past its due date reads (``{status}``: the status).
OVERDUE = N_("{status} · vencida")


@dataclass(frozen=True)
class StatusLabel:
    """How an invoice's status reads and looks, wherever it is shown.

    Attributes:
        text: e.g. ``"Cobrado parcialmente · vencida"``, in the current language.
        tone: its colour.
    """

    text: str
    tone: Tone

    @property
    def radix(self) -> str:
        """The Radix ``color_scheme`` of the badge."""
        return self.tone.value

    @property
    def hex(self) -> str:
        """The text colour for HTML that has no Radix (emails)."""
        return _HEX[self.tone][0]

    @property
    def background(self) -> str:
        """The background colour under :attr:`hex`."""
        return _HEX[self.tone][1]


def status_label(status: InvoiceStatus | str, overdue: bool = False) -> StatusLabel:
    """The one text and colour of an invoice's status: the list, the page and the emails use it.

    Args:
        status: the status (or its text, as a state var carries it).
        overdue: whether the invoice is unpaid past its due date; red, and
            "· vencida" after the status. Ignored for a paid invoice.
    """
    status = InvoiceStatus(status)
    text = _(status.value)
    if overdue and status is not InvoiceStatus.PAID:
        return StatusLabel(_(OVERDUE).format(status=text), Tone.RED)
    return StatusLabel(text, _TONES[status])


def today_in(zone: str) -> date:
    """Today in the company's time zone (``PORTAL_TIMEZONE``), the day "vencida" is measured on.

    Not the server's: a server on UTC would call an invoice due today in Madrid
    overdue an hour early, or late for an hour after midnight.
    """
    return datetime.now(ZoneInfo(zone)).date()
