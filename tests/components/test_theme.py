"""The cut-down Radix stylesheet carries every colour the portal's code names."""

from __future__ import annotations

import ast
from pathlib import Path

from customer_portal.components.theme import COLORS, PortalTheme

PACKAGE = Path(__file__).resolve().parents[2] / "customer_portal"
# Radix Themes 3's colour scales (node_modules/@radix-ui/themes/tokens/colors).
RADIX_COLORS = set(
    "amber blue bronze brown crimson cyan gold grass gray green indigo iris jade lime mauve mint"
    " olive orange pink plum purple red ruby sage sand sky slate teal tomato violet yellow".split()
)


def _named_colors() -> dict[str, str]:
    """Every string literal in the package that is a Radix colour, with where it is."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value in RADIX_COLORS:
                found[node.value] = f"{path.relative_to(PACKAGE)}:{node.lineno}"
    return found


def test_every_colour_the_code_names_is_in_the_stylesheet():
    missing = {c: where for c, where in _named_colors().items() if c not in COLORS}
    assert not missing, f"add to components/theme.COLORS: {missing}"


def test_the_stylesheet_is_radix_in_parts_with_only_those_colours():
    paths = PortalTheme().get_stylesheet_paths()
    colours = [p.rsplit("/", 1)[1].removesuffix(".css") for p in paths if "/colors/" in p]
    assert sorted(colours) == sorted(COLORS)
    assert "@radix-ui/themes/styles.css" not in paths
    assert paths[0].endswith("tokens/base.css")
    # Components and utilities come cut down to what the portal uses (radix_css.py),
    # in Radix's order: utilities last, so they win over a component's defaults.
    assert paths[-2:] == ("../public/radix/components.css", "../public/radix/utilities.css")
    assert not any(p.endswith(("/components.css", "/utilities.css")) for p in paths[:-2])


def test_radix_is_installed_but_not_bundled_whole():
    # A plugin dependency lands whole on window.__reflex (no tree-shaking); the
    # package is installed through rx.Config(frontend_packages=...) instead.
    from customer_portal.components.theme import PACKAGE
    from rxconfig import config

    assert PortalTheme().get_frontend_dependencies() == ()
    assert PACKAGE.startswith("@radix-ui/themes@")
    assert PACKAGE in config.frontend_packages
    assert isinstance(config.plugins[0], PortalTheme)
