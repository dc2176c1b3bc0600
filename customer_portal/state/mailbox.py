"""State of the dev-only mailbox: every handler refuses outside dev mode and off this machine.

Its emails hold live account links, so it answers only a browser on the
machine the portal runs on (checked per event from the connection's address,
not only by the page's registration), and the edge keeps other sites'
pages from driving it (websocket Origin check).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from customer_portal.api.edge import is_loopback
from customer_portal.mail.mailbox import list_mailbox, open_email
from customer_portal.settings import get_settings
from customer_portal.state.kit import in_session


@dataclass(frozen=True)
class MailboxRow:
    """One email in the list."""

    id: int
    # Not "to": a Reflex var already has a .to() method.
    recipient: str
    subject: str
    state: str
    created: str


class MailboxState(rx.State):
    """The outbox as a developer's mailbox: a list, and one email opened."""

    enabled: bool = False
    emails: list[MailboxRow] = []
    selected_id: int = 0
    selected_subject: str = ""
    selected_html: str = ""

    def _allowed(self) -> bool:
        # Checked here, not only by not registering the page: a client can
        # call any handler of any state.
        return get_settings().is_dev and is_loopback(self.router.session.client_ip)

    @rx.event
    async def load(self):
        """on_load: the newest emails, for a developer on this machine only."""
        settings = get_settings()
        self.enabled = self._allowed()
        if not self.enabled:
            self.emails = []
            return
        self.emails = [
            MailboxRow(id=e.id, recipient=e.to, subject=e.subject, state=e.state, created=e.created)
            for e in await in_session(list_mailbox, settings=settings)
        ]

    @rx.event
    async def select(self, email_id: str):
        """Open one email, rendered as the customer gets it."""
        settings = get_settings()
        if not self._allowed() or not str(email_id).isdigit() or len(str(email_id)) > 12:
            return
        email = await in_session(open_email, settings=settings, email_id=int(email_id))
        if email is None:
            return
        self.selected_id = int(email_id)
        self.selected_subject = email.subject
        self.selected_html = email.html
