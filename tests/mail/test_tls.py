"""STARTTLS and SSL to the relay verify its certificate; AUTH works over them."""

from __future__ import annotations

import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from customer_portal.mail.outbox import TemporaryFailure
from customer_portal.mail.render import RenderedEmail
from customer_portal.mail.smtp import SmtpTransport
from customer_portal.settings import load_settings
from tests.mail.smtp_server import RecordingHandler, free_port
from tests.tls import self_signed_certificate

EMAIL = RenderedEmail("Asunto ñ", "<p>Hola</p>", "Hola")


@pytest.fixture(scope="module")
def relay_cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, as a private relay might have."""
    return self_signed_certificate(
        tmp_path_factory.mktemp("relay"), common_name="relay.test", ips=("127.0.0.1",)
    )


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"portal" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture
def starttls_relay(relay_cert):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, relay_cert))
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    yield port, handler
    controller.stop()


def transport(port, **env) -> SmtpTransport:
    settings = load_settings(
        {
            "PORTAL_INSTANCE_DIR": "/nonexistent-not-written",
            "PORTAL_SECRET_KEY": "x" * 20,
            "PORTAL_API_KEY": "y" * 20,
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(port),
            "PORTAL_SMTP_TLS": "starttls",
            "PORTAL_SMTP_TIMEOUT": "5",
            "PORTAL_SMTP_USER": "portal",
            "PORTAL_SMTP_PASSWORD": "s3cret",
            **env,
        }
    )
    return SmtpTransport(settings.mail)


def test_starttls_with_a_trusted_certificate_and_auth(starttls_relay, relay_cert):
    port, handler = starttls_relay
    smtp = transport(port, PORTAL_SMTP_CA_FILE=str(relay_cert[0]))
    smtp.send(EMAIL, to="ana@example.com", message_id="<1@example.com>")
    smtp.close()
    assert handler.received[0].message["Subject"] == "Asunto ñ"


def test_an_unverifiable_relay_certificate_is_refused(starttls_relay):
    port, handler = starttls_relay
    smtp = transport(port)
    with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):
        smtp.send(EMAIL, to="ana@example.com", message_id="<2@example.com>")
    assert handler.received == []


def test_wrong_credentials_keep_the_email_for_later(starttls_relay, relay_cert):
    port, _ = starttls_relay
    smtp = transport(port, PORTAL_SMTP_CA_FILE=str(relay_cert[0]), PORTAL_SMTP_PASSWORD="bad")
    # A configuration problem, not the email's: it must stay queued, not fail for good.
    with pytest.raises(TemporaryFailure):
        smtp.send(EMAIL, to="ana@example.com", message_id="<3@example.com>")
    smtp.close()
