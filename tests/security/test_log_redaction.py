"""Secrets sent to the portal never reach its logs (customer_portal.logs).

Each test sends marker secrets the way a browser or an attacker would,
through the loggers Reflex 0.10.1, granian and python-engineio really use,
and reads what their handlers printed: every marker is gone, while the event
names, paths and outcomes are still there.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from itsdangerous import URLSafeTimedSerializer

from customer_portal import logs

PASSWORD = "MARKER-PASSWORD-7f3a"
NEW_PASSWORD = "MARKER-NEWPASS-91c2"
# Session cookie and API key values: secrets.token_urlsafe(32), marked.
SESSION = "MARKERq9Z" + secrets.token_urlsafe(32)
API_KEY = "MARKERk4Y" + secrets.token_urlsafe(32)
# The Reflex client token is a UUID (reflex_base/.templates/web/utils/state.js).
CLIENT_TOKEN = str(uuid.uuid4())
RESET_LINK = URLSafeTimedSerializer("k", salt="customer-portal:password-reset").dumps(
    {"a": 7, "f": "0123456789abcdef0123456789abcdef"}
)
DOWNLOAD_LINK = URLSafeTimedSerializer("k", salt="customer-portal:download").dumps(
    {"n": "F2026-0042", "s": "9f86d081884c7d65"}
)
SECRETS = (PASSWORD, NEW_PASSWORD, SESSION, API_KEY, CLIENT_TOKEN, RESET_LINK, DOWNLOAD_LINK)
# Pieces that would show a partial leak: the payload and signature of a signed link, the
# random end of a client token.
PIECES = (
    *(part for link in (RESET_LINK, DOWNLOAD_LINK) for part in link.split(".") if len(part) > 10),
    CLIENT_TOKEN.rsplit("-", 1)[1],
)

UNKNOWN_HANDLER = (
    "reflex___state____state.customer_portal___state___password_form____password_form_state"
    ".set_pasword"
)


def assert_clean(text: str) -> None:
    assert text, "nothing was logged"
    assert "MARKER" not in text
    for secret in (*SECRETS, *PIECES):
        assert secret not in text


@pytest.fixture
def installed() -> Iterator[None]:
    logs.install()
    yield
    logs.uninstall()


@contextmanager
def captured(*names: str) -> Iterator[io.StringIO]:
    """A StringIO handler on each named logger, made after install() as a server's would be."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    targets = [logging.getLogger(name) for name in names]
    for logger in targets:
        logger.addHandler(handler)
    try:
        yield stream
    finally:
        for logger in targets:
            logger.removeHandler(handler)


def _router_data(path: str, route: str, query: dict[str, str]) -> dict:
    """router_data as EventNamespace.on_event builds it (reflex/app.py:2433-2451)."""
    from reflex.app import _decode_asgi_headers
    from reflex_base.constants import RouteVar
    from reflex_base.utils import format

    sent_by_browser = {RouteVar.PATH: path, RouteVar.ORIGIN: path, RouteVar.QUERY: query}
    raw_headers = [
        (b"host", b"portal.example"),
        (b"cookie", f"portal_session={SESSION}".encode()),
        (b"cookie", f"portal_link={RESET_LINK}".encode()),
        (b"authorization", f"Bearer {API_KEY}".encode()),
    ]
    return {
        **sent_by_browser,
        RouteVar.SESSION_ID: "sid-1",
        RouteVar.HEADERS: _decode_asgi_headers(raw_headers),
        RouteVar.CLIENT_IP: "203.0.113.9",
        RouteVar.QUERY: format.format_query_params(sent_by_browser),
        RouteVar.CLIENT_TOKEN: CLIENT_TOKEN,
        RouteVar.PATH: route,
    }


async def test_an_event_for_an_unknown_handler_is_logged_without_its_secrets(installed):
    # Reflex's own processor: an unknown name raises KeyError in _process_queue,
    # logged with the whole Event (reflex_base/event/processor/event_processor.py:881).
    from reflex_base.event import Event
    from reflex_base.event.processor.event_processor import EventProcessor
    from reflex_base.registry import RegistrationContext

    path = f"/restablecer/{RESET_LINK}"
    event = Event(
        name=UNKNOWN_HANDLER,
        router_data=_router_data(path, "/restablecer/[token]", {"token": RESET_LINK}),
        payload={"value": PASSWORD},
    )

    with captured("reflex") as out, RegistrationContext():
        async with EventProcessor().configure() as processor:
            await processor.enqueue(CLIENT_TOKEN, event)
            await processor.join(timeout=5)

    text = out.getvalue()
    assert_clean(text)
    assert f"Error processing event queue entry for Event(name='{UNKNOWN_HANDLER}'" in text
    assert f"No registered handler found for event: {UNKNOWN_HANDLER}" in text
    assert "'asPath': '/restablecer/[REDACTED]'" in text
    assert "'pathname': '/restablecer/[token]'" in text
    assert "'host': 'portal.example'" in text
    assert "'cookie': '[REDACTED]'" in text
    assert "'authorization': '[REDACTED]'" in text
    assert "payload=[REDACTED]" in text


async def test_events_from_a_socket_without_a_session_are_logged_without_their_secrets(
    installed,
):
    # reflex/app.py:2389-2392: an event from an unlinked socket is logged with its data.
    from reflex.app import EventNamespace

    namespace = EventNamespace("/_event", app=None)
    data = {
        "name": "reflex___state____state.customer_portal___state___account____account_state"
        ".change_password",
        "payload": {"form_data": {"current_password": PASSWORD, "new_password": NEW_PASSWORD}},
        "router_data": {"asPath": f"/credenciales/{RESET_LINK}", "query": {"t": RESET_LINK}},
    }

    with captured("reflex") as out:
        await namespace.on_event("sid-unlinked", data)

    text = out.getvalue()
    assert_clean(text)
    assert "Received event from session sid-unlinked with no associated token" in text
    assert "account_state.change_password" in text
    assert "'asPath': '/credenciales/[REDACTED]'" in text


async def test_a_socket_message_that_cannot_be_read_is_logged_without_its_secrets(installed):
    # reflex/app.py:2397-2417 warns with the raw string, then raises with it;
    # python-engineio logs the exception (engineio/async_server.py:549) on its
    # own logger, whose StreamHandler is added when the server is built.
    from reflex.app import EventNamespace
    from reflex_base.utils.exceptions import EventDeserializationError

    namespace = EventNamespace("/_event", app=None)
    namespace.sid_to_token["sid-1"] = CLIENT_TOKEN
    message = json.dumps(
        {
            "payload": {"value": PASSWORD},
            "router_data": {"headers": {"cookie": f"portal_session={SESSION}"}},
        }
    )

    with captured("reflex", "engineio.server") as out:
        try:
            await namespace.on_event("sid-1", message)
        except EventDeserializationError:
            logging.getLogger("engineio.server").exception("message async handler error")
        else:
            pytest.fail("Reflex accepted an event without a name")

    text = out.getvalue()
    assert_clean(text)
    assert "Received event data as a string" in text
    assert "ERROR engineio.server: message async handler error" in text
    assert "EventDeserializationError: Failed to deserialize event data:" in text


def test_reflex_own_sinks_print_no_secret_from_a_handler_exception(installed, monkeypatch, capsys):
    # Under `reflex run` the "reflex" logger has its own rich console and JSON
    # sinks, which format record.exc_info themselves (reflex_base/utils/log.py:231, :574).
    from reflex.app import default_backend_exception_handler
    from reflex_base.utils import log as reflex_log
    from rich.console import Console

    console_output = io.StringIO()
    console = Console(file=console_output, width=400, highlight=False)
    monkeypatch.setattr(reflex_log, "_console", console)
    monkeypatch.setattr(reflex_log, "_console_stderr", console)
    sinks = [reflex_log.RichConsoleHandler(), reflex_log.JsonHandler()]
    reflex_logger = logging.getLogger("reflex")
    for sink in sinks:
        reflex_logger.addHandler(sink)
    try:
        try:
            raise ValueError(f"no session {SESSION} for /credenciales/{RESET_LINK}")
        except ValueError as exc:
            # The default handler logs the formatted traceback as the message.
            default_backend_exception_handler(exc)
            # The processor logs a failed task with exc_info (event_processor.py:975).
            logging.getLogger("reflex_base.event.processor.event_processor").exception(
                "Error in %s [txid=%s]:", f"reflex_disconnect_token|{CLIENT_TOKEN}", "e613a3a24a13"
            )
    finally:
        for sink in sinks:
            reflex_logger.removeHandler(sink)

    printed = console_output.getvalue()
    json_lines = capsys.readouterr().err
    for text in (printed, json_lines):
        assert_clean(text)
        assert "[Reflex Backend Exception]" in text
        assert "ValueError: no session [REDACTED] for /credenciales/[REDACTED]" in text
        assert "Error in reflex_disconnect_token|[REDACTED] [txid=e613a3a24a13]:" in text
    assert all(json.loads(line)["level"] == "error" for line in json_lines.splitlines())


@pytest.fixture
def granian_logging() -> Iterator[None]:
    """Put granian's loggers back as they were after the test configures them."""
    names = ("_granian", "granian.access")
    saved = {
        name: (logger.level, logger.propagate, list(logger.handlers))
        for name in names
        if (logger := logging.getLogger(name))
    }
    yield
    for name, (level, propagate, handlers) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(level)
        logger.propagate = propagate


def test_granian_handlers_configured_after_install_print_no_secret(
    installed, granian_logging, capsys
):
    # `reflex run --env prod --single-port` serves through granian
    # (reflex/utils/exec.py:1123), which builds its handlers with dictConfig
    # in its main process and again in each worker: after the app's install().
    from granian.log import DEFAULT_ACCESSLOG_FMT, LogLevels, configure_logging, log_request_builder

    configure_logging(LogLevels.info)
    headers = {"cookie": f"portal_session={SESSION}", "authorization": f"Bearer {API_KEY}"}
    requests = [
        ("GET", f"/credenciales/{RESET_LINK}", ""),
        ("GET", f"/api/v1/descargas/{DOWNLOAD_LINK}", ""),
        ("GET", "/_event/", f"EIO=4&transport=websocket&token={CLIENT_TOKEN}"),
        ("GET", "/facturas", f"estado=pendiente&t={RESET_LINK}"),
    ]
    # Reflex does not turn granian's access log on; an operator might, with
    # the query string and headers in the format.
    operator_format = (
        '%(addr)s "%(method)s %(path)s?%(query_string)s" %(status)d '
        "%(header{cookie})s %(header{authorization})s"
    )
    for access_format in (DEFAULT_ACCESSLOG_FMT, operator_format):
        log_request = log_request_builder(access_format)
        for method, path, query in requests:
            request = {
                "addr_remote": "203.0.113.9",
                "method": method,
                "path": path,
                "qs": query,
                "scheme": "http",
                "protocol": "HTTP/1.1",
                "headers": headers.get,
            }
            log_request(time.time(), time.perf_counter(), request, 200)
    try:
        raise RuntimeError(f"boom at /restablecer/{RESET_LINK} for portal_session={SESSION}")
    except RuntimeError:
        logging.getLogger("_granian").exception("Application callable raised an exception")

    text = capsys.readouterr().out
    assert_clean(text)
    assert '"GET /credenciales/[REDACTED] HTTP/1.1" 200' in text
    assert '"GET /api/v1/descargas/[REDACTED]?" 200' in text
    assert '"GET /_event/?EIO=4&transport=websocket&token=[REDACTED]" 200' in text
    assert '"GET /facturas?estado=pendiente&t=[REDACTED]" 200' in text
    assert "[ERROR] Application callable raised an exception" in text
    assert "RuntimeError: boom at /restablecer/[REDACTED]" in text


def test_request_details_logged_by_the_portal_hide_keys_cookies_and_links(installed):
    from starlette.requests import Request

    request = Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("portal.example", 80),
            "path": f"/api/v1/descargas/{DOWNLOAD_LINK}",
            "query_string": f"ticket={RESET_LINK}".encode(),
            "headers": [
                (b"host", b"portal.example"),
                (b"authorization", f"Bearer {API_KEY}".encode()),
                (b"cookie", f"portal_session={SESSION}; portal_link={RESET_LINK}".encode()),
            ],
        }
    )

    with captured("") as out:
        logging.getLogger("customer_portal.api.downloads").warning(
            "download refused (403): %s %s headers=%s cookies=%s",
            request.method,
            request.url,
            request.headers,
            request.cookies,
        )

    text = out.getvalue()
    assert_clean(text)
    assert (
        "download refused (403): GET http://portal.example/api/v1/descargas/[REDACTED]"
        "?ticket=[REDACTED]" in text
    )
    assert "'host': 'portal.example'" in text


def test_a_refused_cross_site_post_names_the_path_without_the_link_token(installed):
    # The edge logs the refused path cut to 60 characters: a cut token is still a token.
    path = f"/restablecer/{RESET_LINK}"

    with captured("") as out:
        logging.getLogger("customer_portal.api.edge").warning(
            "refused %s %s from foreign origin", "POST", path.split("?")[0][:60]
        )

    text = out.getvalue()
    assert "MARKER" not in text
    assert path[:60] not in text
    assert text.endswith("refused POST /restablecer/[REDACTED] from foreign origin\n")


def test_an_exception_from_a_child_logger_keeps_its_traceback_not_its_secrets(installed):
    with captured("") as out:
        try:
            raise PermissionError(
                f"login refused: {{'email': 'ana@example.com', 'password': '{PASSWORD}'}}"
            )
        except PermissionError:
            logging.getLogger("customer_portal.domain.auth").exception("Entrar failed")

    text = out.getvalue()
    assert_clean(text)
    assert text.startswith("ERROR customer_portal.domain.auth: Entrar failed\nTraceback")
    assert "PermissionError: login refused: {'email': 'ana@example.com', 'password':" in text


def test_a_warning_with_no_handler_anywhere_reaches_stderr_redacted(installed, capsys):
    # Under `reflex run` the root logger has no handler: the portal's own
    # warnings reach stderr through logging.lastResort.
    orphan = logging.Logger("customer_portal.orphan")

    orphan.warning("session %s ended for %s", SESSION, f"/credenciales/{RESET_LINK}")

    assert capsys.readouterr().err == "session [REDACTED] ended for /credenciales/[REDACTED]\n"


def test_records_made_without_the_factory_are_redacted_by_existing_handlers():
    # logging.makeLogRecord (queue and socket listeners) skips the record factory.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("customer_portal.listener")
    logger.addHandler(handler)
    logs.install()
    try:
        record = logging.makeLogRecord(
            {"name": logger.name, "msg": "relayed %s", "args": (f"token={CLIENT_TOKEN}",)}
        )
        handler.handle(record)
    finally:
        logs.uninstall()
        logger.removeHandler(handler)

    assert stream.getvalue() == "relayed token=[REDACTED]\n"


def test_install_is_idempotent():
    # From no redaction, whatever an earlier test in this process left (importing
    # the app module installs it): otherwise "original" is already ours.
    left = logging.getLogRecordFactory()
    logs.uninstall()
    original = logging.getLogRecordFactory()
    handler = logging.StreamHandler(io.StringIO())
    logger = logging.getLogger("customer_portal.twice")
    logger.addHandler(handler)
    try:
        logs.install()
        factory = logging.getLogRecordFactory()
        logs.install()

        assert logging.getLogRecordFactory() is factory
        assert factory.__wrapped__ is original
        assert len(handler.filters) == 1
        assert len(logging.lastResort.filters) == 1
    finally:
        logs.uninstall()
        if left is not original:
            logs.install()  # as it was found
        logger.removeHandler(handler)

    assert logging.getLogRecordFactory() is original
    assert handler.filters == []
