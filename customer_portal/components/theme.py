"""The Radix theme, with only the colours the portal uses in its stylesheet.

Radix Themes' one-file stylesheet carries every colour scale (31 of them, light
and dark, sRGB and P3): 86 KB compressed, render-blocking, on every first visit
from a phone. Radix documents importing its parts instead (tokens/base.css, one
file per colour, components.css, utilities.css); this plugin does that for the
colours in :data:`COLORS`, which cuts the stylesheet by about a third.

A colour used in a component but missing here would show unstyled, so
``tests/components/test_theme.py`` checks every colour named in the code is
listed.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_radix.plugin import RADIX_THEMES_PACKAGE

#: The npm package, for rx.Config(frontend_packages=...): see get_frontend_dependencies.
PACKAGE = RADIX_THEMES_PACKAGE
ACCENT = "indigo"
GRAY = "slate"
#: Every Radix colour scale the portal's components name (accent and gray included).
COLORS = (ACCENT, GRAY, "gray", "green", "amber", "red")


class PortalTheme(rx.plugins.RadixThemesPlugin):
    """Radix Themes with the stylesheet cut down to :data:`COLORS`."""

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        """Radix's stylesheet in parts: base tokens, the portal's colours, components."""
        if not self.enabled:
            return ()
        return (
            "@radix-ui/themes/tokens/base.css",
            *(f"@radix-ui/themes/tokens/colors/{color}.css" for color in COLORS),
            # Only the components and layout props the portal uses (see
            # radix_css.py): a third of the size. Relative to the styles
            # folder, where these imports are compiled.
            "../public/radix/components.css",
            "../public/radix/utilities.css",
        )

    def get_frontend_dependencies(self, **context: Any) -> tuple[str, ...]:
        """Nothing to bundle whole: rxconfig.py installs Radix as a plain package.

        Reflex puts a plugin's dependencies on ``window.__reflex`` for dynamic
        components, importing the whole namespace, which defeats tree-shaking:
        about 60 KB more JavaScript on every first visit. The portal has no
        dynamic components.
        """
        return ()


def portal_theme() -> PortalTheme:
    """The plugin rxconfig.py installs."""
    return PortalTheme(theme=rx.theme(accent_color=ACCENT, gray_color=GRAY, radius="medium"))
