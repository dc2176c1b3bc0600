"""The language the page is shown in, for the browser to pick its compiled translations.

Set before every event by :class:`customer_portal.state.auth.SessionGuard`
from the person's saved choice, this browser's choice (the ``portal_idioma``
cookie) or the browser's ``Accept-Language``; the same for anyone with those,
so nothing private. "" until the first event: the page shows Spanish, as
prerendered, and its texts change in place when the server says.
"""

from __future__ import annotations

import reflex as rx


class LanguageState(rx.State):
    """Which catalog the page's texts come from (a language code, "" before hydration)."""

    lang: str = ""
