"""The dev mailbox's handlers refuse to show anything outside dev mode."""

from __future__ import annotations

import pytest

from customer_portal.db import session_scope
from customer_portal.mail.outbox import enqueue
from customer_portal.mail.render import EmailKind
from customer_portal.state.mailbox import MailboxState
from tests.factories import reset_process_caches


@pytest.fixture
def queued(engine):
    with session_scope(engine) as session:
        row = enqueue(
            session,
            kind=EmailKind.PASSWORD_RESET,
            to="ana@example.com",
            context={"link": "http://x/restablecer/t", "expires": "hoy"},
            dedupe_key="k",
            domain="example.com",
        )
        session.flush()
        return row.id


def new_state() -> MailboxState:
    return MailboxState(_reflex_internal_init=True)


def test_dev_mode_lists_and_opens_emails(queued):
    state = new_state()
    MailboxState.load.fn(state)
    assert state.enabled and state.emails[0]["subject"] == "Restablecer contraseña"
    MailboxState.select.fn(state, str(queued))
    assert "restaurar contraseña" in state.selected_html


def test_prod_mode_shows_nothing_whatever_the_client_sends(queued, monkeypatch, pki):
    monkeypatch.setenv("PORTAL_ENV", "prod")
    monkeypatch.setenv("PORTAL_SIGNING_P12", str(pki.signer_p12))
    reset_process_caches()
    state = new_state()
    MailboxState.load.fn(state)
    MailboxState.select.fn(state, str(queued))
    assert not state.enabled and state.emails == [] and state.selected_html == ""


def test_select_ignores_garbage_ids(queued):
    state = new_state()
    for bad in ("abc", "-1", "999999", "1; DROP TABLE"):
        MailboxState.select.fn(state, bad)
    assert state.selected_id == 0
