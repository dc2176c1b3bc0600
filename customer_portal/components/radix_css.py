"""Radix Themes' stylesheets, cut down to the components and utilities the portal uses.

Radix ships the CSS of all its ~50 components in one file (components.css,
422 KB before compression) and of every layout prop at every breakpoint in
another (utilities.css, 246 KB): every first visit parses both,
render-blocking, and a phone spends a third of a second on the style work.
The portal draws a dozen components and sets a dozen layout props. This
module keeps the rules of those (and every rule that names no component: the
reset, animations, layout) and writes ``assets/radix/components.css`` and
``assets/radix/utilities.css``, which :mod:`customer_portal.components.theme`
imports in place of the originals.

The files are generated, not hand-edited: after changing Radix's version,
drawing a new kind of Radix component or using a new layout prop, run::

    .venv/bin/python -m customer_portal.components.radix_css .web/node_modules/@radix-ui/themes

The browser tests check both directions: the files are what this module makes
of the installed Radix, and no page draws a Radix class whose rules were
dropped (tests/e2e/test_radix_css.py).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

#: Where the cut stylesheets live (copied into the built site with the assets).
FOLDER = Path(__file__).resolve().parents[2] / "assets" / "radix"
OUTPUT = FOLDER / "components.css"
UTILITIES = FOLDER / "utilities.css"

#: The Radix components the portal draws, as the class names they put in the
#: page (``rt-Button``, ``rt-TableRoot``...), by prefix of the class after ``rt-``.
KEPT = (
    "Base",  # BaseButton, BaseCard... shared by the kept components.
    "Badge",
    "Box",
    "Button",
    "Callout",
    "Card",
    "Container",
    "Em",
    "Flex",
    "Grid",
    "Heading",
    "Link",
    "ScrollArea",  # Radix's Table scrolls inside one.
    "Section",
    "Skeleton",
    "Spinner",
    "Strong",
    "Table",
    "Text",  # Text, TextField...; TextArea goes with them.
)
#: Base classes of components the portal does not draw (menus, dialogs, tabs...).
_DROPPED_BASES = (
    "BaseMenu",
    "BaseDialog",
    "BaseTab",
    "BaseCheckbox",
    "BaseRadio",
    "BaseSegmented",
)
#: The layout props the portal's components set, as Radix's utility classes name
#: them (``rt-r-gap-3``, ``sm:rt-r-gtc-3``): spacing, alignment, wrapping, grids.
KEPT_UTILITIES = frozenset(
    {
        *("ai", "as", "display", "fd", "fg", "fs", "fw", "gap", "gtc", "gtr", "jc", "ta"),
        *("weight", "w", "h", "min", "max"),  # min-w, max-h...: placeholders' sizes
    }
)
_COMPONENT = re.compile(r"\.rt-([A-Z][A-Za-z0-9]*)")
_UTILITY = re.compile(r"\.(?:[a-z]+\\:)?rt-r-([a-z]+)")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def is_kept(component: str) -> bool:
    """Whether the rules of Radix class ``rt-<component>`` stay."""
    if component.startswith(_DROPPED_BASES):
        return False
    return component.startswith(KEPT)


def _component_kept(selector: str) -> bool:
    return all(is_kept(name) for name in _COMPONENT.findall(selector))


def _utility_kept(selector: str) -> bool:
    return all(name in KEPT_UTILITIES for name in _UTILITY.findall(selector))


def _selectors(prelude: str) -> list[str]:
    """The selectors of a rule, split at the commas outside ``:where(...)`` and the like."""
    out, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            out.append(prelude[start:i].strip())
            start = i + 1
    out.append(prelude[start:].strip())
    return out


def _blocks(css: str) -> list[tuple[str, str | None]]:
    """Split a CSS text into its top-level statements: (prelude, body or None).

    Radix's stylesheet has no braces or semicolons inside strings, which is
    what lets a brace count stand in for a full tokenizer.
    """
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(css)
    while i < n:
        brace, semi = css.find("{", i), css.find(";", i)
        if brace == -1 and semi == -1:
            break
        if semi != -1 and (brace == -1 or semi < brace):
            out.append((css[i : semi + 1].strip(), None))  # @import, @layer x;
            i = semi + 1
            continue
        depth, j = 1, brace + 1
        while depth:
            if css[j] == "{":
                depth += 1
            elif css[j] == "}":
                depth -= 1
            j += 1
        out.append((css[i:brace].strip(), css[brace + 1 : j - 1]))
        i = j
    return out


def _cut(css: str, kept: Callable[[str], bool]) -> str:
    parts: list[str] = []
    for prelude, body in _blocks(css):
        if body is None:
            parts.append(prelude)
        elif prelude.startswith(("@media", "@supports", "@layer", "@container")):
            inner = _cut(body, kept)
            if inner:
                parts.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            parts.append(f"{prelude}{{{body.strip()}}}")  # @keyframes, @font-face
        else:
            selectors = [s for s in _selectors(prelude) if kept(s)]
            if selectors:
                parts.append(f"{','.join(selectors)}{{{body.strip()}}}")
    return "\n".join(parts)


def cut(css: str, name: str = "components.css") -> str:
    """The rules of Radix's stylesheet ``name`` (text ``css``) the portal needs."""
    header = (
        "/* Generated by customer_portal/components/radix_css.py"
        f" from Radix Themes' {name} (MIT). */"
    )
    kept = _utility_kept if name == UTILITIES.name else _component_kept
    return header + "\n" + _cut(_COMMENT.sub("", css), kept) + "\n"


def main(argv: list[str]) -> None:
    """Write the cut stylesheets from the Radix Themes package folder named."""
    if len(argv) != 1:
        raise SystemExit(__doc__)
    package = Path(argv[0])
    FOLDER.mkdir(parents=True, exist_ok=True)
    for output in (OUTPUT, UTILITIES):
        source = (package / output.name).read_text(encoding="utf-8")
        output.write_text(cut(source, output.name), encoding="utf-8")
        print(f"{output}: {output.stat().st_size / 1024:.0f} KB (from {len(source) / 1024:.0f} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
