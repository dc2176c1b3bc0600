"""Sending one rendered email over SMTP with the ``emails`` package.

Every failure is sorted into :class:`TemporaryFailure` (connection refused,
timeout, 4xx: try again later) or :class:`PermanentFailure` (a 5xx answer
about this message: retrying will not help). A socket timeout bounds every
step, so a server that hangs never blocks a deliverer for long.
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr
from smtplib import SMTP_SSL

import emails
from emails.backend.smtp import SMTPBackend
from emails.backend.smtp.client import SMTPClientWithResponse, SMTPClientWithResponse_SSL

from customer_portal.mail.outbox import PermanentFailure, TemporaryFailure
from customer_portal.mail.render import RenderedEmail
from customer_portal.settings import MailSettings


def _codes(exc: smtplib.SMTPException) -> list[int]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _msg in exc.recipients.values()]
    code = getattr(exc, "smtp_code", None)
    return [code] if isinstance(code, int) else []


def classify(exc: BaseException) -> Exception:
    """The failure class of an exception raised while sending."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # The relay refused our credentials: an operator must fix the settings;
        # the email itself is fine, so keep it for a later try.
        return TemporaryFailure(f"SMTP authentication failed ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPException):
        codes = _codes(exc)
        detail = f"{exc.__class__.__name__}: {exc}"
        if codes and all(500 <= c < 600 for c in codes):
            return PermanentFailure(detail)
        return TemporaryFailure(detail)
    return TemporaryFailure(f"{exc.__class__.__name__}: {exc}")


def _verifying_backend(context: ssl.SSLContext) -> type[SMTPBackend]:
    """An SMTPBackend whose STARTTLS and SSL connections check the relay's certificate.

    The emails package (like smtplib by default) encrypts without verifying
    who answers, which lets anyone on the path read customers' links.
    """

    class StartTlsClient(SMTPClientWithResponse):
        def starttls(self, *args, **kwargs):
            return super().starttls(context=context)

    class SslClient(SMTPClientWithResponse_SSL):
        def __init__(self, **kw):
            args = {k: kw[k] for k in ("host", "port", "local_hostname", "timeout") if k in kw}
            SMTP_SSL.__init__(self, context=context, **args)
            SMTPClientWithResponse.__init__(self, **kw)

    return type(
        "VerifyingSMTPBackend",
        (SMTPBackend,),
        {"connection_cls": StartTlsClient, "connection_ssl_cls": SslClient},
    )


class SmtpTransport:
    """Sends through the configured relay, one connection per delivery round."""

    def __init__(self, settings: MailSettings):
        if not settings.enabled:
            raise ValueError("SMTP is not configured (PORTAL_SMTP_HOST is empty)")
        self._settings = settings
        name, address = parseaddr(settings.mail_from)
        self._from = (name or None, address)
        self._backend: SMTPBackend | None = None

    def _connection(self) -> SMTPBackend:
        if self._backend is None:
            s = self._settings
            options: dict = {
                "host": s.host,
                "port": s.port,
                "timeout": s.timeout_seconds,
                "fail_silently": False,
            }
            if s.tls == "ssl":
                options["ssl"] = True
            elif s.tls == "starttls":
                options["tls"] = True
            if s.user:
                options.update(user=s.user, password=s.password or "")
            if s.tls == "none":
                # No TLS, no context: loading the system's CA roots costs ~5 ms a round.
                self._backend = SMTPBackend(**options)
            else:
                context = ssl.create_default_context(cafile=s.ca_file)
                self._backend = _verifying_backend(context)(**options)
        return self._backend

    def send(self, email: RenderedEmail, *, to: str, message_id: str) -> None:
        """Send one email as HTML with a plain-text alternative, from ``PORTAL_MAIL_FROM``.

        Opens the connection on first use and keeps it for the next email;
        after a failure it is dropped, so the next email starts on a new one.

        Raises:
            TemporaryFailure: worth trying again later (see :func:`classify`).
            PermanentFailure: the relay refused this email for good.
        """
        message = emails.html(
            subject=email.subject,
            html=email.html,
            text=email.text,
            mail_from=self._from,
            message_id=message_id,
        )
        for attachment in email.attachments:
            message.attach(
                data=attachment.data,
                filename=attachment.filename,
                mime_type=attachment.mime_type,
                content_disposition="attachment",
            )
        try:
            message.send(to=to, smtp=self._connection())
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self.close()  # the connection may be half-dead; start clean next time
            raise classify(exc) from exc

    def close(self) -> None:
        """End the connection, if one is open; errors while closing are ignored."""
        if self._backend is not None:
            try:
                self._backend.close()
            except (smtplib.SMTPException, OSError):
                pass
            self._backend = None
