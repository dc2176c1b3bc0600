"""The answer of a posted form: a 303 to a page, with a signed message for it."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.responses import RedirectResponse

from customer_portal.domain.flash import QUERY_KEY, Flash, sign_flash
from customer_portal.i18n import _
from customer_portal.settings import get_settings


def see_other(path: str, flash: Flash | None = None) -> RedirectResponse:
    """A 303 to ``path`` (a page of this site), with ``flash`` for the page there.

    The message is said in the language of whoever is answered: a message
    constant marked with ``N_`` is translated here; one already translated
    (the domain's, with values filled in) is no msgid and passes unchanged.
    """
    settings = get_settings()
    if flash is not None:
        flash = Flash(_(flash.text), flash.tone)
        separator = "&" if urlsplit(path).query else "?"
        path += separator + urlencode({QUERY_KEY: sign_flash(settings.secret_key, flash)})
    # Under `make dev` the pages are on another port than this route.
    page_origin = settings.base_url if settings.backend_origin else ""
    return RedirectResponse(page_origin + path, status_code=303)
