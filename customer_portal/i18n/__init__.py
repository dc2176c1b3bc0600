"""Languages: the gettext catalogs every customer-facing string goes through.

Spanish is the source language (the manual's wording is the msgid itself), so
a page, email or PDF in Spanish needs no catalog; every other language is a
``locale/<code>/LC_MESSAGES/messages.po`` file next to this module. Adding
Catalan is a translation job: ``make messages`` refreshes ``messages.pot``,
``pybabel init -l ca`` copies it, a translator fills it in, and the portal
offers «Català» on its next start (the list of languages is the list of
catalogs found here).

Three ways a string is marked, all found by ``make messages`` (babel):

* ``_("Texto")`` on the server (state handlers, HTTP routes, domain messages,
  PDFs): translated at once into the language of whoever is being answered,
  which the edges set for the event, request or email (:func:`use_language`).
* ``N_("Texto")`` where the string is defined (a module constant) and
  translated later with ``_(VALUE)``.
* ``t("Texto")`` in pages and components (:mod:`customer_portal.components.text`):
  the browser picks the translation, all of them compiled into the page.
* ``{% trans %}`` and ``_()`` in the email templates (Jinja2's i18n extension).

Placeholders are ``{name}`` in Python (``_("Factura {number}").format(number=n)``)
and ``%(name)s`` in templates, so the translator sees a name, never a position.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as gettext_module
import io
import re
from collections.abc import Iterator
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

#: The language of the source strings, and of anyone whose language is not known.
DEFAULT_LANGUAGE = "es"
#: Where the catalogs are: ``<code>/LC_MESSAGES/messages.po``.
LOCALE_DIR = Path(__file__).with_name("locale")
#: The template every catalog starts from (written by ``make messages``).
TEMPLATE = Path(__file__).with_name("messages.pot")
DOMAIN = "messages"
#: The browser's remembered choice (not a secret; readable by portal.js to guess before hydration).
LANGUAGE_COOKIE = "portal_idioma"
LANGUAGE_COOKIE_MAX_AGE = 400 * 24 * 3600
_CODE = re.compile(r"^[a-z]{2,3}$")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


@functools.cache
def languages() -> tuple[str, ...]:
    """Every language the portal speaks: Spanish first, then each catalog found."""
    found = sorted(
        path.parent.parent.name
        for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        if _CODE.match(path.parent.parent.name)
    )
    return (DEFAULT_LANGUAGE, *(code for code in found if code != DEFAULT_LANGUAGE))


def language_name(code: str) -> str:
    """A language in its own words, as a picker shows it: "Español", "English", "Català"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def known(code: str | None) -> str | None:
    """``code`` if the portal speaks it (lower-cased), else None."""
    code = (code or "").strip().lower()
    return code if code in languages() else None


@functools.cache
def _catalog(code: str) -> Catalog | None:
    """Language ``code``'s catalog as babel reads it; None for Spanish or an unknown code."""
    if code == DEFAULT_LANGUAGE or code not in languages():
        return None
    with (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=code)


@functools.cache
def _translations(code: str) -> gettext_module.NullTranslations:
    catalog = _catalog(code)
    if catalog is None:
        return gettext_module.NullTranslations()
    # Compiled in memory: no .mo files to build or forget; fuzzy entries are left out.
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def plural_expression(code: str) -> str:
    """How language ``code`` picks a plural form: its catalog's C expression of ``n``.

    Spanish (the source strings) counts as gettext does by default: one, or more.
    """
    catalog = _catalog(code)
    return catalog.plural_expr if catalog is not None else "(n != 1)"


def plural_form(code: str, n: int) -> int:
    """Which of language ``code``'s plural forms (0, 1, ...) a count of ``n`` takes."""
    return int(getattr(_translations(code), "plural", lambda n: n != 1)(n))


def translate(code: str, message: str) -> str:
    """``message`` in language ``code`` (itself where the catalog lacks it)."""
    if not message:
        return message
    return _translations(code).gettext(message)


def translate_plural(code: str, singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message, as language ``code`` counts."""
    return _translations(code).ngettext(singular, plural, n)


def current_language() -> str:
    """The language of whoever this event, request or email is for."""
    return _current.get()


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translate(_current.get(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message in the current language."""
    return translate_plural(_current.get(), singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks ``message`` for the catalog where it is defined; translate it later with ``_``."""
    return message


def set_language(code: str | None) -> None:
    """The language of the rest of this task (an event, a request): a known one or Spanish."""
    _current.set(known(code) or DEFAULT_LANGUAGE)


@contextlib.contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Within the block, messages are in ``code`` (an email's recipient, a PDF's reader)."""
    token = _current.set(known(code) or DEFAULT_LANGUAGE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def from_header(accept_language: str | None) -> str | None:
    """The browser's preferred language the portal speaks (RFC 9110 Accept-Language), or None.

    ``"en-GB,en;q=0.9,es;q=0.8"`` → ``"en"``; ``"fr"`` → None. Only the primary
    subtag counts: the portal has one English, one Spanish.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary and quality > 0:
            ranked.append((-quality, position, primary))
    for _quality, _position, primary in sorted(ranked):
        if known(primary):
            return primary
    return None


def choose_language(
    saved: str | None = None, cookie: str | None = None, accept_language: str | None = None
) -> str:
    """Whose choice wins: the person's saved one, this browser's, its languages, Spanish."""
    return known(saved) or known(cookie) or from_header(accept_language) or DEFAULT_LANGUAGE
