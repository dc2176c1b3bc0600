"""The catalogs hold every customer-facing string, and every language translates them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from customer_portal import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "tn": (1, 2), "N_": None}
#: Placeholders a translation must keep: {name} (Python, pages) and %(name)s (templates).
_PLACEHOLDERS = re.compile(r"\{\w+\}|%\(\w+\)s")


def _extracted() -> set[str]:
    """Every msgid marked in the code and templates now, as `make messages` would find it."""
    with (ROOT / "customer_portal" / "i18n" / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(path: Path):
    with path.open("rb") as po:
        return read_po(po)


def _ids(catalog) -> set[str]:
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}


def test_the_catalog_template_holds_every_marked_string_and_no_stale_one():
    template = _ids(_catalog(i18n.TEMPLATE))
    extracted = _extracted()
    missing, stale = sorted(extracted - template), sorted(template - extracted)
    assert not missing and not stale, (
        f"run `make messages`: {len(missing)} new strings (e.g. {missing[:3]}), "
        f"{len(stale)} gone (e.g. {stale[:3]})"
    )
    assert len(template) > 300  # the pages, emails, PDFs and messages: not a token few


@pytest.mark.parametrize("code", [c for c in i18n.languages() if c != i18n.DEFAULT_LANGUAGE])
def test_every_language_translates_every_string_keeping_its_placeholders(code):
    template = _catalog(i18n.TEMPLATE)
    catalog = _catalog(i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po")
    untranslated, broken = [], []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        strings = translated.string if translated is not None else None
        forms = list(strings) if isinstance(strings, tuple) else [strings]
        if translated is None or translated.fuzzy or not all(forms):
            untranslated.append(message.id)
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(_PLACEHOLDERS.findall(" ".join(ids)))
        if any(set(_PLACEHOLDERS.findall(form)) - wanted for form in forms) or not any(
            set(_PLACEHOLDERS.findall(form)) == wanted for form in forms
        ):
            broken.append((message.id, forms))
    assert not untranslated, f"{code}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not broken, f"{code}: placeholders changed in {broken[:5]}"


def test_english_is_offered_and_spanish_stays_the_source():
    assert i18n.languages()[0] == "es"
    assert "en" in i18n.languages()
    assert i18n.translate("es", "Mis facturas") == "Mis facturas"
    assert i18n.translate("en", "Mis facturas") == "My invoices"
    assert i18n.translate("en", "Cobrado parcialmente") == "Partially paid"
    # A language the portal does not speak falls back to the manual's Spanish.
    assert i18n.translate("fr", "Mis facturas") == "Mis facturas"
