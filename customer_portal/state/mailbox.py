"""State of the dev-only mailbox: every handler refuses outside dev mode."""

from __future__ import annotations

import reflex as rx

from customer_portal.db import get_engine
from customer_portal.mail.mailbox import list_mailbox, open_email
from customer_portal.settings import get_settings


class MailboxState(rx.State):
    enabled: bool = False
    emails: list[dict[str, str]] = []
    selected_id: int = 0
    selected_subject: str = ""
    selected_html: str = ""

    @rx.event
    def load(self):
        settings = get_settings()
        # Checked here, not only by not registering the page: a client can
        # call any handler of any state.
        self.enabled = settings.is_dev
        if not self.enabled:
            self.emails = []
            return
        self.emails = [
            {
                "id": str(e.id),
                "to": e.to,
                "subject": e.subject,
                "state": e.state,
                "created": e.created,
            }
            for e in list_mailbox(get_engine(), settings)
        ]

    @rx.event
    def select(self, email_id: str):
        settings = get_settings()
        if not settings.is_dev or not str(email_id).isdigit():
            return
        email = open_email(get_engine(), settings, int(email_id))
        if email is None:
            return
        self.selected_id = int(email_id)
        self.selected_subject = email.subject
        self.selected_html = email.html
