"""The "was it you?" emails, rendered and delivered to the real SMTP peer."""

from __future__ import annotations

import pytest

from customer_portal.db import unit_of_work
from customer_portal.mail.notices import queue_security_notice
from customer_portal.mail.render import EmailKind
from customer_portal.mail.worker import deliver_once
from tests.factories import make_account


@pytest.mark.parametrize(
    ("kind", "subject", "says", "link"),
    [
        (
            EmailKind.NEW_SIGN_IN,
            "Nuevo inicio de sesión en Link Customer Portal Web",
            "desde un dispositivo que no había usado antes: Safari en iPhone "
            "(Sevilla, España, 203.0.113.7)",
            "https://facturas.example.com/cuenta",
        ),
        (
            EmailKind.PASSWORD_CHANGED,
            "Su contraseña de Link Customer Portal Web ha cambiado",
            "se ha cambiado el",
            "https://facturas.example.com/recuperar",
        ),
    ],
)
def test_security_notices_arrive_whole(
    engine, smtp_server, smtp_settings, kind, subject, says, link
):
    settings = smtp_settings()
    with unit_of_work(engine) as session:
        account = make_account(session, email="ana@example.com")
        queue_security_notice(
            session=session,
            account=account,
            settings=settings,
            kind=kind,
            device="Safari en iPhone",
            place="Sevilla, España",
            ip="203.0.113.7",
        )
    report = deliver_once(engine=engine, settings=settings)
    assert len(report.sent) == 1
    (received,) = smtp_server.received
    message = received.message
    assert received.rcpt_tos == ["ana@example.com"] and message["Subject"] == subject
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert says in " ".join(text.split())
    assert link in text and f'href="{link}"' in html
    assert "No he sido yo" in text
