"""The redaction rules and the record rewrite of customer_portal.logs.

Every secret here contains MARKER, so a leak of any part of it shows; the
attack replays through real loggers live in tests/security/test_log_redaction.py.
"""

from __future__ import annotations

import logging
import sys

import pytest
from itsdangerous import URLSafeTimedSerializer
from rich.text import Text

from customer_portal.logs import REDACTED, WITHHELD, RedactingFilter, redact, redact_record

PASSWORD = "MARKER-PASSWORD-7f3a"
# The shape of secrets.token_urlsafe(32), with upper case, lower case and a digit.
SESSION = "MARKERq9ZkL2vR7xW4nB8cT1yH5sJ3mD6fGp0"
LINK = URLSafeTimedSerializer("k", salt="customer-portal:activation").dumps(
    {"a": 7, "f": "MARKER0123456789abcdef0123456789"}
)
CLIENT_TOKEN = "0b5c8f7e-1c1a-4d7e-9a55-3f1d2b7c9e11"


def _record(msg, *args, exc_info=None) -> logging.LogRecord:
    """A record made the way Logger.makeRecord makes one (a lone dict is the mapping)."""
    return logging.LogRecord(
        "customer_portal.test", logging.WARNING, __file__, 1, msg, args, exc_info
    )


# (text, the secret it holds, words that must survive)
SHAPES = [
    pytest.param(f"{{'email': 'ana@example.com', 'password': '{PASSWORD}'}}", PASSWORD,
                 ["'email': 'ana@example.com'", "'password': '[REDACTED]'"], id="repr-dict"),
    pytest.param(f'{{"new_password": "{PASSWORD}", "name": "Ana"}}', PASSWORD,
                 ['"name": "Ana"'], id="json"),
    pytest.param(f"{{'contraseña': '{PASSWORD}'}}", PASSWORD, ["contraseña"], id="contraseña"),
    pytest.param(f'{{"contrase\\u00f1a": "{PASSWORD}"}}', PASSWORD, [],
                 id="contraseña-json-escaped"),
    pytest.param(f"{{'contrasena': '{PASSWORD}'}}", PASSWORD, [], id="contrasena"),
    pytest.param(f"PasswordChange(current='{PASSWORD}', repeat=\"{PASSWORD}'s\")", PASSWORD,
                 ["PasswordChange(current="], id="kwargs-repr"),
    pytest.param(f"FormData([('email', 'a@b.es'), ('repeat', '{PASSWORD}')])", PASSWORD,
                 ["('email', 'a@b.es')"], id="form-pairs"),
    pytest.param(f"{{'client_secret': '{PASSWORD}', 'api_token': 1, 'ticket': 'x'}}", PASSWORD,
                 [], id="key-contains-secret"),
    pytest.param(f"{{'password': '{PASSWORD}", PASSWORD, [], id="truncated-quote"),
    pytest.param(f"{{'headers': {{'cookie': 'portal_session={SESSION}; portal_link={LINK}'}}}}",
                 SESSION, ["'headers'", "'cookie': '[REDACTED]'"], id="cookie-dict"),
    pytest.param(f"[(b'host', b'localhost'), (b'cookie', b'portal_session={SESSION}')]", SESSION,
                 ["(b'host', b'localhost')"], id="asgi-raw-headers"),
    pytest.param(f"{{'HTTP_COOKIE': 'portal_link={SESSION}'}}", SESSION, ["HTTP_COOKIE"],
                 id="wsgi-environ"),
    pytest.param(f"Cookie: portal_session={SESSION}\nHost: portal", SESSION, ["Host: portal"],
                 id="cookie-header-line"),
    pytest.param(f"Set-Cookie: portal_link={SESSION}; HttpOnly; Path=/", SESSION, ["Set-Cookie:"],
                 id="set-cookie-line"),
    pytest.param(f"portal_session={SESSION}; theme=dark", SESSION, ["theme=dark"],
                 id="cookie-string"),
    pytest.param(f"{{'authorization': 'Bearer {SESSION}'}}", SESSION, ["'authorization'"],
                 id="authorization-dict"),
    pytest.param(f"Authorization: Bearer {SESSION}", SESSION, ["Authorization:"],
                 id="authorization-line"),
    pytest.param(f"rejected Bearer {SESSION} (401)", SESSION, ["rejected", "(401)"], id="bearer"),
    pytest.param(f"X-Api-Key: {SESSION}\nAccept: */*", SESSION, ["Accept: */*"],
                 id="api-key-line"),
    pytest.param(f"GET /credenciales/{LINK} 200", LINK, ["GET /credenciales/[REDACTED] 200"],
                 id="activation-path"),
    pytest.param(f"http://localhost:3000/restablecer/{LINK}?x=1", LINK,
                 ["http://localhost:3000/restablecer/[REDACTED]?x=1"], id="reset-url"),
    pytest.param(f"GET /api/v1/descargas/{LINK} 403", LINK, ["/api/v1/descargas/[REDACTED] 403"],
                 id="download-path"),
    pytest.param(f"/entrar?next=%2Fcredenciales%2F{LINK}", LINK,
                 ["/entrar?next=%2Fcredenciales%2F"], id="encoded-path"),
    pytest.param(f"/facturas?orden=total&t={PASSWORD}", PASSWORD, ["/facturas?orden=total&t="],
                 id="t-parameter"),
    pytest.param(f"/x?token={PASSWORD}&ticket={PASSWORD}&page=2", PASSWORD, ["page=2"],
                 id="token-ticket-parameters"),
    pytest.param(f"/_event/?EIO=4&transport=websocket&token={CLIENT_TOKEN}", CLIENT_TOKEN,
                 ["/_event/?EIO=4&transport=websocket&token="], id="websocket-url"),
    pytest.param(f"Lock for token {CLIENT_TOKEN}/reflex___state____state held 3s", CLIENT_TOKEN,
                 ["reflex___state____state held 3s"], id="client-token-free-text"),
    pytest.param(f"link {LINK} expired", LINK, ["link", "expired"], id="signed-token-free-text"),
    pytest.param(f"no session for {SESSION}", SESSION, ["no session for"], id="opaque-token"),
    pytest.param(f"postgresql://portal:{PASSWORD}@db/portal", PASSWORD,
                 ["postgresql://portal:[REDACTED]@db/portal"], id="url-password"),
    pytest.param(f"PORTAL_SMTP_PASSWORD={PASSWORD} PORTAL_ENV=prod", PASSWORD, ["PORTAL_ENV=prod"],
                 id="environment"),
    pytest.param(
        f"Event(name='x.password_form_state.set_password', payload={{'value': '{PASSWORD}'}})",
        PASSWORD, ["Event(name='x.password_form_state.set_password', payload=[REDACTED])"],
        id="event-payload",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "secret", "kept"), SHAPES)
def test_each_secret_shape_is_redacted_and_the_rest_kept(text, secret, kept):
    clean = redact(text)

    assert secret not in clean
    assert "MARKER" not in clean
    assert REDACTED in clean
    for words in kept:
        assert words in clean


@pytest.mark.parametrize(("text", "secret", "kept"), SHAPES)
def test_redaction_is_idempotent(text, secret, kept):
    assert redact(redact(text)) == redact(text)


ORDINARY = [
    "mail: 3 sent, 0 to retry, 0 failed",
    "publish race on F2026-0042 (attempt 2); retrying",
    "password reset for account 5 throttled",
    "email of customer CLI-0001 already used by another customer's login",
    "Error in reflex___state____state.customer_portal___state___credentials____credentials_state"
    ".submit [txid=e613a3a24a13]:",
    "Page /credenciales/[token] is being redefined with the same component.",
    "missing fields ['password', 'repeat']",
    "session hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Granian shutdown completed, see ya!",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_come_back_as_the_same_object(text):
    assert redact(text) is text


def test_the_marker_survives_rich_markup():
    # Reflex prints some records as rich markup, which would swallow "[redacted]".
    printed = Text.from_markup(f"[cyan]Info: {redact('/credenciales/' + LINK)}[/cyan]").plain

    assert printed == "Info: /credenciales/[REDACTED]"


def test_a_payload_with_brackets_and_quotes_inside_ends_where_it_ends():
    text = (
        "Event(name='a.b', payload={'form_data': {'note': \"it's }{ ) tricky\", "
        f"'pw': '{PASSWORD}'}}, 'x': [1, 2]}}) handled in 3 ms"
    )

    assert redact(text) == "Event(name='a.b', payload=[REDACTED]) handled in 3 ms"


def test_an_empty_payload_stays_and_a_cut_one_runs_to_the_end():
    assert redact("payload={} for a.b") == "payload={} for a.b"
    assert redact(f"payload={{'value': '{PASSWORD}") == "payload=[REDACTED]"


def test_format_arguments_are_redacted_in_the_final_message():
    record = _record("login failed for %s with %s", "ana@example.com", f"password={PASSWORD}")

    redact_record(record)

    assert record.getMessage() == "login failed for ana@example.com with password=[REDACTED]"
    assert record.args == ()


def test_dict_arguments_are_redacted_like_granian_access_lines():
    record = _record(
        "%(method)s %(path)s %(status)d",
        {"method": "GET", "path": f"/credenciales/{LINK}", "status": 200},
    )

    redact_record(record)

    assert record.getMessage() == "GET /credenciales/[REDACTED] 200"


def test_a_record_without_secrets_is_left_untouched():
    args = ("F2026-0042", 2)
    record = _record("publish race on %s (attempt %d)", *args)

    redact_record(record)

    assert record.msg == "publish race on %s (attempt %d)"
    assert record.args == args


def _raised(message: str):
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()


def test_a_traceback_holding_a_secret_is_folded_into_the_message():
    record = _record("handler %s failed", "submit", exc_info=_raised(f"bad password {PASSWORD!r}"))

    redact_record(record)

    text = logging.Formatter().format(record)
    assert record.exc_info is None
    assert "MARKER" not in text
    assert text.startswith("handler submit failed\nTraceback (most recent call last):")
    assert "ValueError: bad password '[REDACTED]'" in text


def test_a_traceback_without_secrets_keeps_its_exception():
    exc_info = _raised("database is locked")
    record = _record("round failed", exc_info=exc_info)

    redact_record(record)

    assert record.exc_info is exc_info
    assert record.msg == "round failed"


def test_a_traceback_already_formatted_by_a_handler_is_redacted_too():
    record = _record("failed", exc_info=_raised(f"token={PASSWORD}"))
    logging.Formatter().format(record)  # caches exc_text, as a first handler would

    redact_record(record)

    assert "MARKER" not in logging.Formatter().format(record)


def test_stack_info_is_redacted():
    record = _record("here")
    record.stack_info = f"Stack (most recent call last):\n  token={PASSWORD}"

    redact_record(record)

    assert "MARKER" not in record.stack_info


def test_arguments_that_do_not_fit_the_format_are_rewritten_not_printed_raw():
    # Handler.handleError would print msg and args raw to stderr.
    record = _record("attempt %d for %s", f"password={PASSWORD}")

    redact_record(record)

    message = record.getMessage()
    assert "MARKER" not in message
    assert message.startswith("attempt %d for %s (log arguments:")


def test_a_message_that_cannot_be_read_is_withheld_and_the_record_kept():
    class Unprintable:
        def __str__(self):
            raise RuntimeError("no")

    record = _record(Unprintable())

    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == WITHHELD


def test_a_record_is_redacted_once_and_again_when_changed():
    record = _record("token=%s", PASSWORD)
    redact_record(record)
    first = record.msg

    redact_record(record)
    assert record.msg is first

    record.msg, record.args = "password=%s", (PASSWORD,)
    redact_record(record)
    assert record.getMessage() == "password=[REDACTED]"


def test_the_filter_keeps_every_record():
    assert RedactingFilter().filter(_record(f"token={PASSWORD}")) is True
    assert RedactingFilter().filter(_record("nothing secret")) is True
