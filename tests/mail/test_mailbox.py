"""The dev mailbox: unsent emails rendered now (live link), sent ones as kept (redacted)."""

from __future__ import annotations

import re

from customer_portal.db import run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.mail.mailbox import list_mailbox, open_email
from customer_portal.mail.worker import deliver_once
from customer_portal.models import OutboxEmail
from tests.mail.test_notices import activate, queue_alta

LINK = re.compile(r"https://facturas\.example\.com/credenciales/([^\s\"<]+)")


def test_an_unsent_alta_is_shown_with_a_link_minted_now(engine, smtp_settings):
    settings = smtp_settings()
    email_id, account_id = queue_alta(engine, settings)
    (entry,) = run_in_unit_of_work(list_mailbox, engine=engine, settings=settings)
    assert (entry.subject, entry.state) == ("Alta en Link Customer Portal Web", "pending")

    shown = run_in_unit_of_work(open_email, engine=engine, settings=settings, email_id=email_id)
    (token,) = set(LINK.findall(shown.text))
    preview = run_in_unit_of_work(
        auth.preview_link,
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=token,
    )
    assert preview.ok and preview.account_id == account_id
    with unit_of_work(engine) as session:
        row = session.get(OutboxEmail, email_id)
        assert row.html is None and token not in row.context  # viewing stores nothing


def test_a_sent_alta_is_shown_as_kept_without_its_link(engine, smtp_server, smtp_settings):
    settings = smtp_settings()
    email_id, _ = queue_alta(engine, settings)
    deliver_once(engine=engine, settings=settings)
    shown = run_in_unit_of_work(open_email, engine=engine, settings=settings, email_id=email_id)
    assert shown.subject == "Alta en Link Customer Portal Web"
    marker = "https://facturas.example.com/credenciales/[enlace enviado]"
    assert marker in shown.html and marker in shown.text
    assert all(found.startswith("[enlace") for found in LINK.findall(shown.html + shown.text))
    assert "Ver credenciales" in shown.html


def test_an_email_that_will_not_go_out_says_why(engine, smtp_settings):
    settings = smtp_settings()
    email_id, _ = queue_alta(engine, settings)
    activate(engine, "ana@example.com")
    shown = run_in_unit_of_work(open_email, engine=engine, settings=settings, email_id=email_id)
    assert shown.subject == "(no se enviará)"
    assert "activated before it went out" in shown.html
    assert (
        run_in_unit_of_work(open_email, engine=engine, settings=settings, email_id=email_id + 1)
        is None
    )
