"""A copy of the database gives no working activation or reset link.

The attack replayed: an Alta and a password reset are queued and delivered
through a real SMTP server, then every text and binary value of every table is
searched for the tokens the customers received and for anything shaped like
``/credenciales/<token>`` or ``/restablecer/<token>``. The links in the emails
must still work. The same holds for what the console and the dev mailbox show
by default, and for rows written before migration 0004.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel, col, select

import customer_portal.models  # noqa: F401  (registers every table on SQLModel.metadata)
from customer_portal import db
from customer_portal.db import run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.mail.hooks import publication_hooks
from customer_portal.mail.mailbox import open_email
from customer_portal.mail.outbox import describe_row
from customer_portal.mail.render import render_email
from customer_portal.mail.worker import deliver_once
from customer_portal.models import Account, OutboxEmail, utcnow
from customer_portal.settings import load_settings
from tests.factories import (
    customer_input,
    invoice_input,
    make_account,
    make_customer,
    make_invoice,
)

BASE_URL = "https://facturas.example.com"
# A link that opens an account: its page, then a token (the redaction marker
# "[enlace enviado]" does not count: it starts with "[").
LIVE_LINK = re.compile(r"/(credenciales|restablecer)/([A-Za-z0-9_\-.]{16,})")
CLI = str(Path(sys.executable).with_name("customer-portal"))


@pytest.fixture
def settings(portal_env, smtp_server):
    """Settings whose SMTP relay is the loopback test server."""
    return load_settings(
        {
            **portal_env,
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp_server.port),
            "PORTAL_SMTP_TIMEOUT": "3",
            "PORTAL_BASE_URL": BASE_URL,
            "PORTAL_MAIL_FROM": "Link Soluciones <facturas@linksoluciones.com>",
        }
    )


@pytest.fixture
def publisher(engine, signer, settings):
    return Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=publication_hooks(settings=settings),
    )


def dump(engine) -> list[tuple[str, str | bytes]]:
    """``("table.column", value)`` for every text or binary value in the database."""
    values = []
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())  # at an earlier revision, fewer
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in present:
                continue
            name = conn.dialect.identifier_preparer.quote(table.name)
            result = conn.exec_driver_sql(f"SELECT * FROM {name}")
            for row in result:
                for column, value in zip(result.keys(), row, strict=True):
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(value, str | bytes):
                        values.append((f"{table.name}.{column}", value))
    return values


def links_at_rest(engine, tokens=()) -> list[str]:
    """Where the database holds a live link or one of ``tokens``: empty when safe."""
    found = []
    for where, value in dump(engine):
        text = value if isinstance(value, str) else value.decode("latin-1")
        for match in LIVE_LINK.finditer(text):
            found.append(f"{where}: {match.group(0)}")
        found += [f"{where}: token {token[:12]}..." for token in tokens if token in text]
    return found


def received_tokens(smtp_server) -> dict[str, set[str]]:
    """The tokens in the delivered emails, by page ("credenciales", "restablecer")."""
    tokens: dict[str, set[str]] = {"credenciales": set(), "restablecer": set()}
    for received in smtp_server.received:
        for part in received.message.walk():
            if not part.is_multipart():
                for page, token in LIVE_LINK.findall(part.get_content()):
                    tokens[page].add(token)
    return tokens


def activate(engine, email: str) -> None:
    with unit_of_work(engine) as session:
        account = session.exec(select(Account).where(Account.email == email)).one()
        account.activated_at = account.password_changed_at = utcnow()
        account.password_hash = "$2b$12$" + "x" * 53
        session.add(account)


def outbox(engine) -> list[OutboxEmail]:
    with unit_of_work(engine) as session:
        return session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all()


def test_a_database_dump_holds_no_live_link(engine, publisher, settings, smtp_server):
    ana = customer_input(code="CLI-ANA", email="ana@example.com", name="Ana Pérez")
    # José's invoice (his reset comes below) and Ana's: one publication, two emails.
    publisher.publish_many([invoice_input("F-1", customer=ana), invoice_input("F-2")])
    assert links_at_rest(engine) == []  # queued

    assert len(deliver_once(engine=engine, settings=settings).sent) == 2
    activate(engine, "jose.munoz@example.com")
    run_in_unit_of_work(
        auth.request_password_reset,
        engine=engine,
        settings=settings,
        email="jose.munoz@example.com",
    )
    assert links_at_rest(engine) == []  # a reset queued beside sent Altas

    assert len(deliver_once(engine=engine, settings=settings).sent) == 1
    tokens = received_tokens(smtp_server)
    assert len(tokens["credenciales"]) == 2 and len(tokens["restablecer"]) == 1
    assert links_at_rest(engine, tokens["credenciales"] | tokens["restablecer"]) == []

    # The links customers got still work: Ana's activation, José's reset.
    working = [
        (purpose, token)
        for page, purpose in (
            ("credenciales", TokenPurpose.ACTIVATION),
            ("restablecer", TokenPurpose.PASSWORD_RESET),
        )
        for token in tokens[page]
        if run_in_unit_of_work(
            auth.preview_link, engine=engine, settings=settings, purpose=purpose, token=token
        ).ok
    ]
    assert sorted(purpose for purpose, _ in working) == ["activation", "password-reset"]


def test_the_console_and_the_outbox_command_print_no_live_link(
    engine, publisher, settings, smtp_server
):
    publisher.publish_many([invoice_input("F-1"), invoice_input("F-2")])
    activate(engine, "jose.munoz@example.com")
    run_in_unit_of_work(
        auth.request_password_reset,
        engine=engine,
        settings=settings,
        email="jose.munoz@example.com",
    )
    printed = "\n".join(describe_row(row=row, settings=settings) for row in outbox(engine))
    assert LIVE_LINK.search(printed) is None

    deliver_once(engine=engine, settings=settings)
    listed = subprocess.run(
        [CLI, "outbox", "--all"], capture_output=True, text=True, env=os.environ.copy()
    )
    assert listed.returncode == 0 and listed.stdout.count("[sent, 1 tries]") == 3
    assert LIVE_LINK.search(listed.stdout) is None


def test_the_dev_mailbox_shows_a_sent_alta_without_its_link(
    engine, publisher, settings, smtp_server
):
    publisher.publish_many([invoice_input("F-1")])
    deliver_once(engine=engine, settings=settings)
    (sent,) = outbox(engine)
    shown = run_in_unit_of_work(open_email, engine=engine, settings=settings, email_id=sent.id)
    assert "Ver credenciales" in shown.html
    assert LIVE_LINK.search(shown.subject + shown.html + shown.text) is None


def _alembic_config(engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def add_old_row(session, kind, to, context, dedupe_key, *, sent=None) -> None:
    """An outbox row as the code before migration 0004 wrote it."""
    session.add(
        OutboxEmail(
            kind=kind,
            to_address=to,
            context=json.dumps(context, ensure_ascii=False),
            dedupe_key=dedupe_key,
            message_id=f"<{dedupe_key.replace(':', '.').replace('/', '.')}@linksoluciones.com>",
            subject=sent.subject if sent else None,
            html=sent.html if sent else None,
            text=sent.text if sent else None,
            sent_at=utcnow() if sent else None,
            attempts=1 if sent else 0,
        )
    )


def test_migration_0004_removes_the_links_queued_and_sent_before_it(engine, settings, smtp_server):
    keys = TokenKeys(settings.secret_key)
    with unit_of_work(engine) as session:
        ana = make_customer(session, name="Ana Pérez", email="ana@example.com")
        jose = make_customer(session, name="José", email="jose@example.com")
        waiting = make_account(session, customer=ana, activated=False)
        active = make_account(session, customer=jose, password="Clave-de-José1")
        make_invoice(session, customer=ana, number="F-OLD/1")
        ana_id, jose_id = waiting.id, active.id

        # Rows as the code before 0004 wrote them: the live link in the context,
        # and in the rendered bodies once sent.
        activation = keys.issue(TokenPurpose.ACTIVATION, waiting)
        reset = keys.issue(TokenPurpose.PASSWORD_RESET, active)
        alta = {
            "customer_name": "Ana Pérez",
            "invoice_number": "F-OLD/1",
            "invoice_date": "30/04/2019",
            "link": f"{BASE_URL}/credenciales/{activation}",
            "expires": "07/05/2019 10:00",
        }
        reset_context = {"link": f"{BASE_URL}/restablecer/{reset}", "expires": "30/04/2019 11:00"}
        deep_link = {
            "customer_name": "José",
            "invoice_number": "F-9",
            "invoice_date": "30/04/2019",
            "link": f"{BASE_URL}/factura?numero=F-9",
        }
        sent_reset = render_email(
            "password_reset", reset_context, branding=settings.branding, base_url=BASE_URL
        )
        add_old_row(session, "welcome", "ana@example.com", alta, "invoice-notice:F-OLD/1")
        add_old_row(
            session,
            "password_reset",
            "jose@example.com",
            reset_context,
            f"password-reset:{jose_id}:a",
        )
        add_old_row(
            session,
            "password_reset",
            "jose@example.com",
            reset_context,
            f"password-reset:{jose_id}:b",
            sent=sent_reset,
        )
        bare_alta = {**alta, "invoice_number": "", "invoice_date": ""}
        add_old_row(session, "welcome", "ana@example.com", bare_alta, f"activation:{ana_id}:c")
        add_old_row(session, "new_invoice", "jose@example.com", deep_link, "invoice-notice:F-9")
        # An Alta whose account cannot be traced any more: dropped at delivery.
        add_old_row(session, "welcome", "ana@example.com", alta, "invoice-notice:F-GONE")
    # Back to the schema before 0005, then to the revision these rows belong to.
    command.downgrade(_alembic_config(engine), "0004")
    command.stamp(_alembic_config(engine), "0003")
    assert links_at_rest(engine, [activation, reset])  # the attack works at 0003

    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
    assert links_at_rest(engine, [activation, reset]) == []

    alta_row, reset_row, sent_row, resent_alta, new_invoice, untraced = outbox(engine)
    assert json.loads(alta_row.context) == {
        "customer_name": "Ana Pérez",
        "invoice_number": "F-OLD/1",
        "invoice_date": "30/04/2019",
        "signed_link": {"purpose": "activation", "account_id": ana_id},
    }
    assert json.loads(reset_row.context) == {
        "signed_link": {"purpose": "password-reset", "account_id": jose_id}
    }
    assert json.loads(sent_row.context) == json.loads(reset_row.context)
    assert json.loads(resent_alta.context)["signed_link"]["account_id"] == ana_id
    assert json.loads(new_invoice.context) == deep_link  # a plain page link stays
    assert json.loads(untraced.context)["signed_link"] == {
        "purpose": "activation",
        "account_id": None,
    }
    assert f"{BASE_URL}/restablecer/[enlace enviado]" in sent_row.text
    assert f'href="{BASE_URL}/restablecer/[enlace enviado]"' in sent_row.html
    assert sent_row.subject == "Restablecer contraseña"

    # Rows queued before the migration still go out, with links made now.
    report = deliver_once(engine=engine, settings=settings)
    assert sorted(report.sent) == [alta_row.id, reset_row.id, resent_alta.id, new_invoice.id]
    assert report.skipped == [untraced.id]  # no account to make a link for
    tokens = received_tokens(smtp_server)
    for page, purpose in (
        ("credenciales", TokenPurpose.ACTIVATION),
        ("restablecer", TokenPurpose.PASSWORD_RESET),
    ):
        assert tokens[page]
        for token in tokens[page]:
            assert run_in_unit_of_work(
                auth.preview_link, engine=engine, settings=settings, purpose=purpose, token=token
            ).ok
    assert links_at_rest(engine, tokens["credenciales"] | tokens["restablecer"]) == []
