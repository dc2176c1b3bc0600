"""No customer-facing Spanish escapes the catalog: code and email templates.

The catalog test proves every *marked* string is translated; this one looks
for strings that were never marked. In Python, a string literal that reads as
Spanish prose (an accented letter, ¿ ¡ « », or two words with a Spanish
function word) outside ``_()``, ``N_()``, ``t()``, ``tn()`` or ``ngettext()``
in a module customers see is reported, unless its line says why not with
``# not translated: <reason>`` (log lines, docstrings and exceptions that
never reach a customer are skipped). In the email templates, any text
outside ``{% trans %}`` and ``_()`` is reported.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "customer_portal"
#: What customers read is built here (the operator's CLI and JSON API are not).
CUSTOMER_FACING = [
    *sorted((PACKAGE / "pages").glob("*.py")),
    *sorted((PACKAGE / "components").glob("*.py")),
    *sorted((PACKAGE / "state").glob("*.py")),
    *(
        PACKAGE / "api" / f"{name}.py"
        for name in (
            "accounts",
            "downloads",
            "exports",
            "language",
            "outage",
            "plain_pages",
            "redirects",
            "second_factor",
            "statements",
            "verification",
        )
    ),
    PACKAGE / "documents" / "render.py",
    PACKAGE / "documents" / "statement.py",
    PACKAGE / "mail" / "render.py",
    PACKAGE / "mail" / "notices.py",
    *(
        PACKAGE / "domain" / f"{name}.py"
        for name in (
            "activity",
            "auth",
            "flash",
            "listing",
            "password_rules",
            "payment_history",
            "places",
            "status",
            "verification",
        )
    ),
]
MARKERS = {"_", "N_", "t", "tn", "gettext", "ngettext"}
SKIPPED_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
EXEMPT = "# not translated:"
_SPANISH_LETTERS = re.compile(r"[áéíóúñÁÉÍÓÚÑ¿¡«»]")
_FUNCTION_WORDS = re.compile(
    r"(?i)(?<![\w-])(de|la|el|los|las|su|sus|para|con|por|una|un|que|se|del|al|es|y|en|no)(?![\w-])"
)
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÑáéíóúñ]{2,}")


def _reads_as_spanish(text: str) -> bool:
    if not _WORD.search(text):
        return False
    if _SPANISH_LETTERS.search(text):
        return True
    return len(_WORD.findall(text)) >= 2 and bool(_FUNCTION_WORDS.search(text))


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _unmarked(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    skip: set[int] = set()  # ids of Constant nodes that need no marking
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))  # docstring
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # a bare string: an attribute's docstring
        elif isinstance(node, ast.Call) and (
            _call_name(node) in MARKERS or _call_name(node) in SKIPPED_CALLS
        ):
            for inner in ast.walk(node):
                skip.add(id(inner))
        elif isinstance(node, ast.Raise):
            for inner in ast.walk(node):
                skip.add(id(inner))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and _reads_as_spanish(node.value)
        ):
            span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
            if any(EXEMPT in line for line in span):
                continue
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:70]!r}")
    return found


def test_customer_facing_code_has_no_unmarked_spanish():
    found = [problem for path in CUSTOMER_FACING for problem in _unmarked(path)]
    assert not found, "mark these with _()/t() or say why not:\n" + "\n".join(found)


def test_the_detector_sees_prose_and_ignores_code():
    assert _reads_as_spanish("Contraseña")
    assert _reads_as_spanish("Ver la factura")
    assert not _reads_as_spanish("1px solid var(--gray-6)")
    assert not _reads_as_spanish("flex-start")
    assert not _reads_as_spanish("/api/v1/invoices")
    assert not _reads_as_spanish("dd/MM/yyyy")


# ---- Email templates ------------------------------------------------------------------

TEMPLATES = PACKAGE / "mail" / "templates"
_TAG = re.compile(r"<[^>]*>|&[#\w]+;")
_STYLE = re.compile(r"<style.*?</style>", re.S)
_LETTER = re.compile(r"[^\W\d_]")


def _loose_text(template: nodes.Template) -> list[str]:
    """Template text outside trans blocks and _() calls that still has a letter once tags go."""
    loose = []
    for output in template.find_all(nodes.Output):
        # Joined first: an expression inside a tag (href="{{ link }}") splits it in pieces.
        joined = "".join(
            node.data if isinstance(node, nodes.TemplateData) else "\x00" for node in output.nodes
        )
        text = _TAG.sub(" ", _STYLE.sub(" ", joined))
        if _LETTER.search(text):
            loose.append(" ".join(text.replace("\x00", " ").split())[:80])
    return loose


def test_email_templates_say_nothing_outside_the_catalog():
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    found = {}
    for path in sorted(TEMPLATES.iterdir()):
        loose = _loose_text(env.parse(path.read_text(encoding="utf-8")))
        if loose:
            found[path.name] = loose
    assert not found, found


# ---- Single words in the pages -----------------------------------------------------------

#: Keyword arguments whose text a customer reads or hears.
_TEXT_KEYWORDS = {"aria_label", "placeholder", "alt", "title", "label", "nothing_yet", "hint"}
_NOT_TEXT = ("/", "#", ".", "(", "http", "var(", "--", "data-", "aria-")


def _label_like(text: str) -> bool:
    """A capitalised word or a phrase ("Entrar", "Por página"), not an id, icon or CSS value."""
    if not _WORD.search(text) or text.startswith(_NOT_TEXT):
        return False
    if _SPANISH_LETTERS.search(text) or text[:1].isupper():
        return True
    return " " in text.strip() and not re.search(r"\d(px|em|rem|%)|var\(|solid|calc\(", text)


def _unmarked_labels(path: Path) -> list[str]:
    """Text given straight to a component (a child, aria_label=...) outside t()/N_()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    marked = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _call_name(node) in MARKERS
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in marked or _call_name(node) == "icon":
            continue
        given = [*node.args, *(k.value for k in node.keywords if k.arg in _TEXT_KEYWORDS)]
        for value in given:
            if (
                isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and id(value) not in marked
                and _label_like(value.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{value.lineno}: {value.value!r}")
    return found


def test_pages_give_components_no_unmarked_word():
    pages = [
        *sorted((PACKAGE / "pages").glob("*.py")),
        *sorted((PACKAGE / "components").glob("*.py")),
    ]
    found = [problem for path in pages for problem in _unmarked_labels(path)]
    assert not found, "wrap these in t() (or N_() where a msgid is declared):\n" + "\n".join(found)


def _marked_inside_fstrings(path: Path) -> list[str]:
    """``_("...")`` written inside an f-string: babel on Python 3.11 does not see it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and _call_name(call) in MARKERS
        and call.args
        and isinstance(call.args[0], ast.Constant)  # a literal babel would miss
    ]


def test_no_marked_string_hides_inside_an_f_string():
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        for problem in _marked_inside_fstrings(path)
    ]
    assert not found, "move the _()/t() call out of the f-string (a variable):\n" + "\n".join(found)
