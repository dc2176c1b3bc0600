"""Page texts in every language, chosen in the browser: :func:`t` and :func:`tn`.

A page is compiled once, so its words cannot be translated on the server per
visitor. ``t("Entrar")`` compiles every catalog's translation of "Entrar" into
the page, as a small object the browser indexes with the language of the
page (:class:`customer_portal.state.language.LanguageState`, set with the
first event); a language without the string falls back to the Spanish source.
Values are filled in by name::

    rx.heading(t("Factura {number}", number=InvoiceState.number))

The strings are found by ``make messages`` like ``_()``'s, so a catalog
(customer_portal/i18n/locale) holds them all.
"""

from __future__ import annotations

import json
import re

import reflex as rx
from reflex.vars.base import Var, VarData

from customer_portal.i18n import (
    DEFAULT_LANGUAGE,
    languages,
    plural_expression,
    plural_form,
    translate,
    translate_plural,
)
from customer_portal.state.language import LanguageState

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def page_language() -> Var:
    """The page's language in the browser: the server's word, Spanish until it comes.

    Not the browser's guess before that: the page arrives prerendered in
    Spanish, and a first render in another language would not match it, so
    React would throw the page away and draw it again, losing whatever a
    fast typist had already put in its fields. After the first event the
    texts change in place.
    """
    lang = LanguageState.lang
    # One short name per component (a hook), not the state's long name in every text.
    hook = f"const portal_lang = {lang._js_expr} || {json.dumps(DEFAULT_LANGUAGE)};"
    return Var(
        _js_expr="portal_lang",
        _var_type=str,
        _var_data=VarData.merge(lang._get_all_var_data(), VarData(hooks={hook: None})),
    )


def _template(text: str, values: dict[str, Var]) -> str:
    """``text`` as a JS template literal, each ``{name}`` replaced by its value."""

    def literal(part: str) -> str:
        return part.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")

    pieces: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in values:
            raise KeyError(f"{text!r}: no value for {{{name}}}")
        pieces.append(literal(text[position : match.start()]))
        pieces.append(f"${{{values[name]}}}")
        position = match.end()
    pieces.append(literal(text[position:]))
    return "`" + "".join(pieces) + "`"


def _values(values: dict[str, object]) -> dict[str, Var]:
    return {name: rx.Var.create(value).to(str) for name, value in values.items()}


def browser_language() -> Var:
    """The language portal.js guessed, for what renders outside the state (the error page).

    Safe there: the error page is drawn in the browser only, never hydrated.
    """
    spoken = json.dumps(list(languages()))
    default = json.dumps(DEFAULT_LANGUAGE)
    return Var(
        _js_expr=f"({spoken}.includes(globalThis.portalLang) ? globalThis.portalLang : {default})",
        _var_type=str,
    )


def _pick(
    by_language: dict[str, str],
    fallback: str,
    data: list[VarData | None],
    browser_only: bool = False,
) -> Var:
    lang = browser_language() if browser_only else page_language()
    entries = ", ".join(f"{json.dumps(code)}: {text}" for code, text in by_language.items())
    expr = f"({{{entries}}}[{lang}] ?? {fallback})"
    # A string var: it lower-cases, concatenates and compares like any other.
    return Var(
        _js_expr=expr,
        _var_type=str,
        _var_data=VarData.merge(lang._get_all_var_data(), *data),
    ).to(str)


def t(message: str, browser_only: bool = False, **values: object) -> Var:
    """``message`` in the page's language; ``{name}`` placeholders filled from ``values``.

    ``browser_only``: for what renders outside the page's state (the error
    page that replaces a broken one): the language portal.js guessed.

    Raises:
        KeyError: a placeholder without a value (found when the page compiles).
    """
    filled = _values(values)
    data = [value._get_all_var_data() for value in filled.values()]
    by_language = {
        code: _template(translate(code, message), filled)
        for code in languages()
        if code != DEFAULT_LANGUAGE
    }
    return _pick(by_language, _template(message, filled), data, browser_only)


def tn(singular: str, plural: str, count: object, **values: object) -> Var:
    """A counted message: ``tn("{n} factura", "{n} facturas", State.count, n=State.count)``.

    Each language's own plural rule (from its catalog's header) picks the form
    in the browser.
    """
    filled = _values(values)
    count_var = rx.Var.create(count)
    data = [count_var._get_all_var_data(), *(v._get_all_var_data() for v in filled.values())]
    by_language = {}
    for code in languages():
        forms = [
            _template(translate_plural(code, singular, plural, n), filled)
            for n in _plural_samples(code)
        ]
        rule = _plural_rule(code)
        by_language[code] = f"[{', '.join(forms)}][({rule})({count_var})]"
    fallback = by_language.pop(DEFAULT_LANGUAGE)
    return _pick(by_language, fallback, data)


def _plural_rule(code: str) -> str:
    """The catalog's plural expression as a JS function of n (C syntax is JS syntax here)."""
    return f"(n) => Number({plural_expression(code)})"


def _plural_samples(code: str) -> list[int]:
    """One count for each plural form of the language, in form order (0, 1, ...)."""
    samples: dict[int, int] = {}
    for n in range(0, 200):
        samples.setdefault(plural_form(code, n), n)
    return [samples[index] for index in sorted(samples)]
