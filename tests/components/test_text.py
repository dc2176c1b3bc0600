"""t() and tn(): every translation compiled into the page, picked in the browser (run in node)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import reflex as rx

from customer_portal.components.text import page_language, t, tn

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is part of the machine (DESIGN.md)")


def _run(expression: rx.Var, *, lang: str, guess: str | None = None) -> str:
    """The text the browser would show: the expression evaluated with the page's language."""
    program = (
        f"globalThis.portalLang = {json.dumps(guess)};\n"
        f"const portal_lang = {json.dumps(lang)} || 'es';\n"
        f"process.stdout.write(String({expression._js_expr}));"
    )
    return subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def test_a_text_is_shown_in_the_page_language_and_in_spanish_otherwise():
    assert _run(t("Mis facturas"), lang="en") == "My invoices"
    assert _run(t("Mis facturas"), lang="es") == "Mis facturas"
    assert _run(t("Mis facturas"), lang="fr") == "Mis facturas"


def test_before_the_server_answers_the_page_is_the_prerendered_spanish():
    # portal.js's guess would make the first render differ from the prerendered
    # HTML, and React would redraw the page, emptying fields already typed in.
    hook = next(h for h in t("Mis facturas")._get_all_var_data().hooks if "portal_lang" in h)
    assert "portalLang" not in hook
    assert _run(t("Mis facturas"), lang="", guess="en") == "Mis facturas"


def test_values_are_filled_in_by_name_and_quotes_or_dollars_stay_text():
    text = t("Factura {number}", number="F`${x}")
    assert _run(text, lang="es") == "Factura F`${x}"
    assert _run(text, lang="en") == "Invoice F`${x}"


def test_a_missing_value_fails_when_the_page_compiles():
    with pytest.raises(KeyError, match="number"):
        t("Factura {number}")


def test_counted_texts_follow_each_language_plural_rule():
    one = tn("{n} factura", "{n} facturas", 1, n=1)
    many = tn("{n} factura", "{n} facturas", 3, n=3)
    assert (_run(one, lang="es"), _run(many, lang="es")) == ("1 factura", "3 facturas")
    assert (_run(one, lang="en"), _run(many, lang="en")) == ("1 invoice", "3 invoices")


def test_the_error_page_follows_the_browser_guess():
    text = t("Reintentar", browser_only=True)
    assert _run(text, lang="", guess="en") == "Try again"
    assert _run(text, lang="", guess="fr") == "Reintentar"


def test_the_language_is_one_short_name_per_component():
    component = rx.text(t("Mis facturas"), t("Salir"))
    hooks = [h for h in component._get_all_hooks() if "portal_lang" in h]
    assert len(hooks) == 1
    assert str(page_language()) == "portal_lang"
