"""Which language a person gets: their choice, this browser's, the browser's, Spanish."""

from __future__ import annotations

import pytest

from customer_portal import i18n


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "en"),  # French is not spoken: the next one that is
        ("fr-FR", None),
        ("es;q=0.5, en;q=0.9", "en"),  # quality, not order
        ("en;q=0, es", "es"),  # q=0 means "not this one"
        ("EN-us", "en"),
        ("en;q=abc", None),  # a broken quality counts as 0
        ("", None),
        (None, None),
        ("*", None),
    ],
)
def test_the_browser_language_is_the_best_one_the_portal_speaks(header, expected):
    assert i18n.from_header(header) == expected


def test_a_saved_choice_beats_the_browser_cookie_and_header():
    assert i18n.choose_language("en", "es", "es-ES") == "en"
    assert i18n.choose_language(None, "en", "es-ES") == "en"
    assert i18n.choose_language(None, None, "en-US") == "en"
    assert i18n.choose_language(None, None, None) == "es"
    # Anything not a catalog's code is ignored, wherever it comes from.
    assert i18n.choose_language("xx", "../../etc", "en") == "en"
    assert i18n.choose_language("zz", None, None) == "es"


def test_use_language_is_scoped_and_falls_back_to_spanish():
    assert i18n.current_language() == "es"
    with i18n.use_language("en"):
        assert i18n._("Cobrado") == "Paid"
        with i18n.use_language("fr"):
            assert i18n.current_language() == "es"
        assert i18n.current_language() == "en"
    assert i18n._("Cobrado") == "Cobrado"


def test_languages_are_named_in_their_own_words():
    assert i18n.language_name("es") == "Español"
    assert i18n.language_name("en") == "English"
    assert i18n.language_name("ca") == "Català"


def test_plural_rules_come_from_each_catalog(monkeypatch, tmp_path):
    """The page's plural rule is the catalog's Plural-Forms, whatever the language counts."""
    assert i18n.plural_expression("es") == "(n != 1)"
    assert [i18n.plural_form("en", n) for n in (0, 1, 2)] == [1, 0, 1]
    # A language of three forms (Polish's rule), as a new catalog would declare it.
    folder = tmp_path / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    rule = "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: nplurals=3; plural={rule};\\n"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    for cached in (i18n.languages, i18n._catalog, i18n._translations):
        cached.cache_clear()
    try:
        assert i18n.plural_expression("pl") == rule
        assert [i18n.plural_form("pl", n) for n in (1, 2, 5, 22, 25)] == [0, 1, 2, 1, 2]
    finally:
        for cached in (i18n.languages, i18n._catalog, i18n._translations):
            cached.cache_clear()
