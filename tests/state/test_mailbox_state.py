"""The dev mailbox's handlers refuse to show anything outside dev mode or off this machine."""

from __future__ import annotations

import pytest

from customer_portal.state.mailbox import MailboxState
from tests.factories import queue_reset_email, reset_process_caches, state_for


@pytest.fixture
def queued(engine):
    return queue_reset_email(engine)


def new_state() -> MailboxState:
    return state_for(MailboxState, client_ip="127.0.0.1")


async def test_dev_mode_lists_and_opens_emails(queued):
    state = new_state()
    await MailboxState.load.fn(state)
    assert state.enabled and state.emails[0].subject == "Restablecer contraseña"
    await MailboxState.select.fn(state, str(queued))
    assert "restaurar contraseña" in state.selected_html


async def test_prod_mode_shows_nothing_whatever_the_client_sends(queued, monkeypatch, pki):
    monkeypatch.setenv("PORTAL_ENV", "prod")
    monkeypatch.setenv("PORTAL_SIGNING_P12", str(pki.signer_p12))
    monkeypatch.setenv("PORTAL_ALLOW_SQLITE", "true")
    reset_process_caches()
    state = new_state()
    await MailboxState.load.fn(state)
    await MailboxState.select.fn(state, str(queued))
    assert not state.enabled and state.emails == [] and state.selected_html == ""


async def test_select_ignores_garbage_ids(queued):
    state = new_state()
    for bad in ("abc", "-1", "999999", "1; DROP TABLE"):
        await MailboxState.select.fn(state, bad)
    assert state.selected_id == 0
