"""Logs that name events and outcomes, never cookies, passwords or tokens.

``install()`` makes every record the process logs pass through
``redact_record``, which rewrites the record's final text (message, arguments
and traceback) with each secret replaced by ``[REDACTED]``: cookie and
authorization header values, password fields, link tokens in paths and query
strings, signed itsdangerous tokens, the Reflex client token and event
payloads. Event names, outcomes and paths stay readable
(``/credenciales/[REDACTED]``).

Why secrets reach the logs at all (Reflex 0.10.1): an event that fails (an
unknown handler, a bad payload) is logged with its whole ``Event``, whose
``router_data`` holds the request headers (``Cookie`` included), the client
token and the page URL, and whose ``payload`` holds what the browser sent (a
password setter receives ``{'value': <password>}``). Exceptions carry the same
data in their messages.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator

# Upper case on purpose: rich markup reads a lower-case "[word]" as a style tag
# and swallows it, and Reflex renders some records (and its legacy console
# helpers) as markup. "[REDACTED]" is not a tag, so it is printed as is.
REDACTED = "[REDACTED]"

# What a record says when even redaction failed: the record is still emitted
# (a log line must not vanish), but nothing of its unchecked text is.
WITHHELD = "[REDACTED: this log message could not be checked for secrets]"

# Any key containing one of these words holds a secret, whatever the shape:
# dicts (router data, form data, JSON), keyword reprs, query strings, cookies,
# environment variables. The exact names are the portal's form fields and
# cookies whose names say nothing.
_SECRET_WORDS = (
    r"pass(?:word|wd)|contrase(?:ñ|n|%c3%b1|\\u00f1)a|secret|token|ticket"
    r"|cookie|authorization|api[_-]?key"
)
_KEY = rf"(?:[\w%.-]*?(?:{_SECRET_WORDS})[\w%.-]*|repeat|current|portal_session|portal_link)"

# A value: quoted (repr, JSON, bytes; an unterminated quote runs to the end,
# as in a truncated message), a flat container, or a bare word up to the next
# delimiter of a query string, cookie or repr.
_VALUE = r"""(?:
    (?P<prefix>b?)(?P<quote>['"])(?:(?!(?P=quote))[^\\]|\\.)*(?:(?P=quote)|\Z)
  | \[[^\]]*\] | \([^)]*\) | \{[^}]*\}
  | [^\s,;&'"<>()\[\]{}|]+
)"""

_FLAGS = re.IGNORECASE | re.VERBOSE

# 'password': 'x'   "token": "x"   'cookie': b'x'
_QUOTED_KEY = re.compile(rf"""(?P<key>(?P<kq>['"]){_KEY}(?P=kq)\s*[:=]\s*){_VALUE}""", _FLAGS)
# ('password', 'x') in form data, (b'cookie', b'x') in raw ASGI headers
_PAIR = re.compile(rf"""(?P<key>\(\s*b?(?P<kq>['"]){_KEY}(?P=kq)\s*,\s*){_VALUE}""", _FLAGS)
# password='x'  ?token=x  portal_session=x  PORTAL_SECRET_KEY=x  password: 'x'
# bad password 'x'; and "t", the short link parameter, only in a query string.
_BARE_KEY = re.compile(
    rf"""(?P<key>
        (?<![\w%.-]){_KEY}(?:\s*=\s*|\s*:\s*(?=b?['"])|\s+(?=b?['"]))
      | (?<=[?&])t=
    ){_VALUE}""",
    _FLAGS,
)
# Header lines: "Cookie: a=b; c=d", "Authorization: Bearer x" (to the line's end).
_HEADER_LINE = re.compile(
    r"""(?P<key>(?<![\w-])(?:(?:set-)?cookie|(?:proxy-)?authorization|(?:x-)?api-?key)"""
    r"""\s*:(?!\s*['"\[])\s*)[^\r\n'"]+""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>\bbearer\s+)(?!\[)[A-Za-z0-9._~+/-]+=*", re.IGNORECASE)
# postgresql://user:password@host
_URL_PASSWORD = re.compile(
    r"""(?P<key>\b[a-z][a-z0-9+.-]*://[^\s:/@'"]*:)[^\s@/'"]+(?=@)""", re.IGNORECASE
)
# Link tokens in paths, also percent-encoded (a "next" parameter); a route
# pattern such as "/credenciales/[token]" is not a token and stays.
_LINK_PATH = re.compile(
    r"""(?P<key>(?:/|%2f)(?:credenciales|restablecer|api(?:/|%2f)v1(?:/|%2f)descargas)(?:/|%2f))"""
    r"""(?!\[)[^\s/?#&'"<>;,()\[\]{}|\\]+""",
    re.IGNORECASE,
)
# itsdangerous tokens (and JWTs) anywhere: base64url JSON ("eyJ", or ".eJ"
# when compressed) followed by dot-separated parts.
_SIGNED_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])(?:eyJ|\.eJ)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")
# The Reflex client token is a UUID (state.js generateUUID), and Reflex names
# it in free text ("for token ...", task names "reflex_disconnect_token|...");
# nothing else the portal logs is a UUID.
_UUID = re.compile(
    r"(?<![0-9a-f-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f-])",
    re.IGNORECASE,
)
# Session tokens and API keys (secrets.token_urlsafe(32): 43 characters) have
# no prefix to spot, so a long base64url run with upper case, lower case and a
# digit is taken for one. Event names, module paths and hex digests lack one
# of the three and stay.
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
# Reflex event payloads are whatever the browser sent, keyed by handler
# argument: a password setter receives {'value': <password>}, which no key
# rule can recognise. The event name says what happened; the payload goes.
_PAYLOAD_KEY = re.compile(r"""(?<![\w-])payload['"]?\s*[:=]\s*(?=[\[{(])""", re.IGNORECASE)
_BRACKETS = re.compile(r"""[\[\]{}()'"\\]""")

# A cheap first look decides whether a message needs the rules at all:
# ordinary messages ("mail: 2 sent, 0 to retry") hold none of these words or
# shapes. Substring tests on the lower-cased text cost far less than one
# case-insensitive regex with many alternatives.
_TRIGGER_WORDS = (
    "cookie", "authoriz", "bearer", "pass", "contrase", "secret", "token", "ticket",
    "api_key", "api-key", "apikey", "repeat", "current", "portal_", "credenciales",
    "restablecer", "descargas", "payload", "eyj", ".ej",
)  # fmt: skip
_TRIGGER_SHAPES = re.compile(r"[?&]t=|://[^\s/@]*@|[0-9a-f]{8}-[0-9a-f]{4}-|[a-z0-9_-]{32}")


def _may_hold_secret(text: str) -> bool:
    lower = text.lower()
    return any(word in lower for word in _TRIGGER_WORDS) or bool(_TRIGGER_SHAPES.search(lower))


def _value(match: re.Match[str]) -> str:
    quote = match.group("quote")
    if quote:
        return f"{match.group('key')}{match.group('prefix')}{quote}{REDACTED}{quote}"
    return match.group("key") + REDACTED


def _prefix(match: re.Match[str]) -> str:
    return match.group("key") + REDACTED


def _opaque(match: re.Match[str]) -> str:
    text = match.group()
    looks_random = (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )
    return REDACTED if looks_random else text


def _closing(text: str, start: int) -> int:
    """The index just past the bracket that closes the one at ``start``.

    Quoted strings (with backslash escapes) are skipped, so brackets inside
    values do not count. An unbalanced block (a truncated message) runs to the
    end of the text.
    """
    depth, quote, pos = 0, "", start
    while (found := _BRACKETS.search(text, pos)) is not None:
        char, pos = found.group(), found.end()
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
            if depth == 0:
                return pos
    return len(text)


def _redact_payloads(text: str) -> str:
    parts, pos = [], 0
    for match in _PAYLOAD_KEY.finditer(text):
        if match.start() < pos:
            continue  # inside a payload already removed
        end = _closing(text, match.end())
        block = text[match.end() : end]
        parts.append(text[pos : match.end()])
        parts.append(block if block in ("{}", "[]", "()") else REDACTED)
        pos = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_HEADER_LINE, _prefix),
    (_QUOTED_KEY, _value),
    (_PAIR, _value),
    (_BARE_KEY, _value),
    (_BEARER, _prefix),
    (_URL_PASSWORD, _prefix),
    (_LINK_PATH, _prefix),
    (_SIGNED_TOKEN, lambda _match: REDACTED),
    (_UUID, lambda _match: REDACTED),
    (_OPAQUE, _opaque),
)


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``REDACTED``.

    Idempotent, and ``text`` itself (the same object) when it holds nothing
    that looks like a secret.
    """
    if not _may_hold_secret(text):
        return text
    clean = _redact_payloads(text)
    for pattern, replacement in _RULES:
        clean = pattern.sub(replacement, clean)
    return text if clean == text else clean


# The stdlib's own traceback rendering, as every Formatter and Reflex's sinks use.
_TRACEBACKS = logging.Formatter()

# Set on a record once it is clean: (msg, args) as they were then, so a record
# seen again (by the factory, then by a handler filter) is not redone unless
# someone changed it since.
_CLEAN = "_portal_redacted"


def redact_record(record: logging.LogRecord) -> None:
    """Rewrite ``record`` in place so that no handler can print a secret from it.

    The final message (``msg % args``) and the traceback are redacted; when
    they change, ``msg`` becomes the redacted text and ``args`` empty, and a
    traceback that held a secret is folded into the message and ``exc_info``
    dropped: Reflex's console and JSON sinks format ``exc_info`` themselves,
    so a redacted ``exc_text`` alone would not reach them. Records without
    secrets are left untouched.

    Never raises: if the record cannot be checked, its text is withheld and
    the record is still emitted.
    """
    try:
        _redact_record(record)
    except Exception:
        record.msg, record.args = WITHHELD, ()
        record.exc_info = record.exc_text = record.stack_info = None
        record.__dict__[_CLEAN] = (record.msg, record.args)


def _redact_record(record: logging.LogRecord) -> None:
    seen = record.__dict__.get(_CLEAN)
    if seen is not None and seen[0] is record.msg and seen[1] is record.args:
        return
    try:
        message = record.getMessage()
        changed = False
    except Exception:
        # A message that does not fit its arguments would make the handler
        # print msg and args raw (Handler.handleError): rewrite it instead.
        message = f"{record.msg} (log arguments: {record.args!r})"
        changed = True
    clean = redact(message)
    changed = changed or clean != message

    exc_text = record.exc_text
    if record.exc_info and record.exc_info[0] is not None and not exc_text:
        exc_text = _TRACEBACKS.formatException(record.exc_info)
    if exc_text:
        clean_exc = redact(exc_text)
        if clean_exc != exc_text:
            clean = f"{clean}\n{clean_exc}"
            record.exc_info = record.exc_text = None
            changed = True
    if record.stack_info:
        record.stack_info = redact(record.stack_info)

    if changed:
        record.msg, record.args = clean, ()
    record.__dict__[_CLEAN] = (record.msg, record.args)


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record (``redact_record``) and keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place.

        Returns:
            Always True: redaction never drops a record.
        """
        redact_record(record)
        return True


_FILTER = RedactingFilter()
_install_lock = threading.Lock()


def _redacting_factory(
    previous: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    factory.__wrapped__ = previous  # type: ignore[attr-defined]
    factory.portal_redacting = True  # type: ignore[attr-defined]
    return factory


def _handlers() -> Iterator[logging.Handler]:
    """Every handler attached to a logger now, and the last-resort handler."""
    loggers = [logging.getLogger()]
    loggers += [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        yield from list(logger.handlers)
    if logging.lastResort is not None:
        # Used when no handler is found: under `reflex run` the root logger
        # has none, so the portal's own warnings reach stderr through it.
        yield logging.lastResort


def install() -> None:
    """Redact everything this process logs, from now on; safe to call again.

    Two layers, because neither alone sees every record:

    - A LogRecord factory (``logging.setLogRecordFactory``, the documented hook
      for customising record creation) redacts each record as it is made,
      before any filter or handler sees it. This covers handlers that do not
      exist yet when the app module calls ``install()``: granian builds fresh
      handlers with ``dictConfig`` in its main process and again in every
      worker (granian/server/common.py:215, granian/server/mp.py:79), Reflex
      creates its sinks lazily, python-socketio/engineio add a StreamHandler
      when the server is built. It covers loggers that do not propagate
      (``reflex``, ``_granian``, ``granian.access``), whose records a root
      handler never sees, and granian's Rust core, which logs through
      ``Logger.makeRecord``. A filter on a logger would not do: it sees only
      records created on that very logger, not those propagated from its
      children.
    - A ``RedactingFilter`` on every handler that exists now (and on
      ``logging.lastResort``), for records made without the factory
      (``logging.makeLogRecord``, as queue and socket listeners do).

    A hook on handler creation was rejected: logging offers none, so it would
    mean patching ``logging.Handler.__init__`` under every library's handler
    classes, while the record factory is the supported extension point and
    sees every record a logger makes, whichever handlers exist. Calling
    ``install()`` again re-attaches the factory if someone replaced it without
    chaining, and adds the filter to handlers created since; nothing is added
    twice.
    """
    with _install_lock:
        current = logging.getLogRecordFactory()
        if not getattr(current, "portal_redacting", False):
            logging.setLogRecordFactory(_redacting_factory(current))
        for handler in _handlers():
            handler.addFilter(_FILTER)  # no-op when already there


def uninstall() -> None:
    """Undo ``install()`` (for tests): restore the factory, drop the filters."""
    with _install_lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "portal_redacting", False):
            logging.setLogRecordFactory(current.__wrapped__)  # type: ignore[attr-defined]
        for handler in _handlers():
            handler.removeFilter(_FILTER)
