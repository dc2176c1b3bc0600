"""«Idioma»: the language picker every page's footer shows.

A plain form posted to the server (``/sesion/idioma``): it works before the
page is live, saves the choice for a signed-in person (their emails follow
it) and remembers it in this browser; the page comes back in the new
language. Each language is named in its own words.
"""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import post_form
from customer_portal.components.text import t
from customer_portal.i18n import N_, language_name, languages
from customer_portal.state.language import LanguageState


def language_picker() -> rx.Component:
    """The select of languages and its button, or nothing when there is only Spanish."""
    codes = languages()
    if len(codes) < 2:
        return rx.fragment()
    # post_form: Reflex's own form would keep the browser from sending it.
    return post_form(
        rx.el.label(t("Idioma"), html_for="idioma", style={"font_size": "0.875em"}),
        rx.el.select(
            *(rx.el.option(language_name(code), value=code, lang=code) for code in codes),
            id="idioma",
            name="idioma",
            # Mounted again when the server says which language the page is in.
            key=LanguageState.lang,
            default_value=LanguageState.lang,
            style={"min_height": "44px", "font_size": "1em"},
        ),
        # The page to come back to: filled in by assets/portal.js when sent.
        rx.el.input(type="hidden", name="next", value="/"),
        rx.el.button(t("Cambiar idioma"), type="submit", style={"min_height": "44px"}),
        action=routes.LANGUAGE_ACTION,
        class_name="idioma",
        style={"display": "flex", "gap": "0.5em", "align_items": "center", "flex_wrap": "wrap"},
    )


#: What assets/portal.js says itself (the browser's complaints about a field,
#: Reflex's new-version banner), by the key it asks for.
BROWSER_TEXTS = {
    "campo-vacio": N_("Rellene este campo."),
    "casilla": N_("Marque esta casilla."),
    "correo": N_("Escriba una dirección de correo válida."),
    "formato": N_("Revise el formato de este campo."),
    "largo": N_("El texto es demasiado largo."),
    "corto": N_("El texto es demasiado corto."),
    "valor": N_("Revise el valor de este campo."),
    "version-nueva": N_("Hay una versión nueva del portal."),
    "recargar": N_("Recargar"),
}


def browser_texts() -> rx.Component:
    """A hidden element whose ``data-*`` hold portal.js's words in the page's language."""
    return rx.el.div(
        id="textos-portal",
        hidden=True,
        aria_hidden="true",
        custom_attrs={f"data-{key}": t(text) for key, text in BROWSER_TEXTS.items()},
    )
