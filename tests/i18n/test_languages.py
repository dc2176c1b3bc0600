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
