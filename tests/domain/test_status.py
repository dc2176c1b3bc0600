"""One status text and colour for an invoice, wherever it is shown."""

from __future__ import annotations

import pytest
import reflex as rx

from customer_portal.components.status import status_badge
from customer_portal.domain.status import InvoiceStatus, StatusLabel, Tone, status_label
from customer_portal.i18n import use_language


@pytest.mark.parametrize(
    ("status", "overdue", "text", "tone"),
    [
        (InvoiceStatus.PAID, False, "Cobrado", Tone.GREEN),
        (InvoiceStatus.PAID, True, "Cobrado", Tone.GREEN),  # paid is never overdue
        (InvoiceStatus.PARTIALLY_PAID, False, "Cobrado parcialmente", Tone.AMBER),
        (InvoiceStatus.PARTIALLY_PAID, True, "Cobrado parcialmente · vencida", Tone.RED),
        (InvoiceStatus.PENDING, False, "Pendiente", Tone.GRAY),
        (InvoiceStatus.PENDING, True, "Pendiente · vencida", Tone.RED),
    ],
)
def test_status_label(status, overdue, text, tone):
    label = status_label(status, overdue)
    assert label == StatusLabel(text, tone) == status_label(status.value, overdue)
    assert label.radix == tone.value


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("tone", list(Tone))
def test_email_colours_are_readable(tone):
    label = StatusLabel("x", tone)
    lighter, darker = sorted((_luminance(label.background), _luminance(label.hex)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 7  # WCAG AAA, like the high-contrast badge


class _Row(rx.State):
    status: str = "Pendiente"
    overdue: bool = False


def test_the_badge_says_and_colours_what_status_label_says():
    """The badge's text and colour come from the same table, for every status."""
    rendered = str(status_badge(_Row.status, _Row.overdue).render())
    for status in InvoiceStatus:
        for overdue in (False, True):
            label = status_label(status, overdue)
            # The words in every language, picked in the browser: Spanish and English here.
            with use_language("en"):
                english = status_label(status).text
            shown = rendered.replace("\\u00b7", "·")
            for words in (status_label(status).text, english):
                assert f"`{words}`" in shown, words
            if overdue and status is not InvoiceStatus.PAID:
                assert "} · vencida`" in shown and "} · overdue`" in shown
            colour = f'case JSON.stringify("{status.value}"):  return ("{label.radix}")'
            assert colour in rendered, colour
    assert "highContrast:true" in rendered


def test_overdue_is_measured_on_the_company_day_not_the_servers():
    # 23:30 UTC on 31 December is already 1 January in Madrid (UTC+1 in winter).
    from datetime import UTC, date, datetime
    from unittest import mock

    from customer_portal.domain import status

    late_evening_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with mock.patch.object(status, "datetime", wraps=datetime) as clock:
        clock.now.side_effect = lambda tz=None: late_evening_utc.astimezone(tz)
        assert status.today_in("Europe/Madrid") == date(2027, 1, 1)
        assert status.today_in("UTC") == date(2026, 12, 31)
    # An invoice due on 31 December is overdue in Madrid from its midnight.
    assert status.is_overdue(InvoiceStatus.PENDING, date(2026, 12, 31), date(2027, 1, 1))
