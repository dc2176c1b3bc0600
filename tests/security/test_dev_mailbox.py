"""Finding 1: the dev mailbox handed live reset links to anyone who could reach it."""

from __future__ import annotations

import pytest

from customer_portal.state.mailbox import MailboxState
from tests.factories import queue_reset_email, state_for


@pytest.mark.parametrize("address", ["192.168.1.20", "203.0.113.7", "::ffff:10.0.0.1", ""])
async def test_a_browser_on_another_machine_gets_no_email(engine, address):
    email_id = queue_reset_email(engine)
    state = state_for(MailboxState, client_ip=address)
    await MailboxState.load.fn(state)
    await MailboxState.select.fn(state, str(email_id))
    assert not state.enabled and state.emails == []
    assert state.selected_html == "" and state.selected_id == 0


async def test_this_machine_still_gets_it_in_dev_mode(engine):
    email_id = queue_reset_email(engine)
    state = state_for(MailboxState, client_ip="127.0.0.1")
    await MailboxState.select.fn(state, str(email_id))
    assert "restaurar contraseña" in state.selected_html
