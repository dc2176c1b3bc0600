"""The signed PDF download, shared by every page that offers it."""

from __future__ import annotations

import reflex as rx

from customer_portal.domain.downloads import mint_download_path
from customer_portal.domain.listing import clean_text
from customer_portal.i18n import _
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.kit import AuthState, in_session, signed_in


class DownloadState(AuthState):
    """Hands the browser a one-minute link to a PDF the customer owns."""

    #: The invoice whose PDF is being prepared: its button shows it is busy.
    downloading: str = ""

    @rx.event
    @signed_in
    async def download(self, account: Account, number: str):
        """Check the session owns ``number`` now, then start the download."""
        number = clean_text(number)
        path = None
        if number:
            self.downloading = number
            yield
            try:
                path = await in_session(
                    mint_download_path,
                    secret_key=get_settings().secret_key,
                    account=account,
                    number=number,
                    session_token=self._session_token(),
                )
            finally:
                self.downloading = ""
        if path is None:
            yield rx.toast.error(_("Factura no encontrada."))
            return
        origin = get_settings().backend_origin
        if origin:
            # `make dev`: the backend has its own port, and rx.download takes
            # paths only; the route's Content-Disposition keeps the page open.
            yield rx.redirect(origin + path)
            return
        yield rx.download(url=path)
