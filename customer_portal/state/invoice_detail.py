"""Ver factura: one invoice, for its owner only."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import reflex as rx

from customer_portal import routes
from customer_portal.documents.verify import SignerSummary
from customer_portal.domain import formats
from customer_portal.domain.invoices import InvoiceDetail, invoice_for_person
from customer_portal.domain.listing import clean_text
from customer_portal.domain.status import today_in
from customer_portal.domain.verification import grouped
from customer_portal.i18n import _
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.kit import AuthState, in_session, signed_in


@dataclass(frozen=True)
class LineView:
    """One line of the Conceptos table."""

    description: str
    quantity: str
    unit_price: str
    tax: str
    amount: str


@dataclass(frozen=True)
class TaxView:
    """One row of the Impuestos table."""

    tax: str
    base: str
    amount: str


@dataclass(frozen=True)
class PaymentView:
    """One row of Cobros recibidos."""

    date: str
    amount: str
    reference: str


@dataclass(frozen=True)
class InvoiceView:
    """The invoice's figures and signature as the page shows them."""

    number: str = ""
    issue_date: str = ""
    due_date: str = ""
    status: str = ""
    overdue: bool = False
    subtotal: str = ""
    tax: str = ""
    total: str = ""
    paid: str = ""
    pending: str = ""
    signed_by: str = ""
    signed_at: str = ""
    verification_code: str = ""
    verify_href: str = ""
    view_href: str = ""


@dataclass(frozen=True)
class CertificateView:
    """The signing certificate's details, shown on demand under the signature line."""

    common_name: str = "—"
    organisation: str = "—"
    country: str = "—"
    issuer: str = "—"
    serial: str = "—"
    validity: str = "—"


def present_certificate(signer: SignerSummary | None) -> CertificateView:
    """The details of ``signer`` for a customer ("—" for what is not known)."""
    if signer is None:
        return CertificateView()
    validity = "—"
    if signer.valid_from and signer.valid_until:
        zone = ZoneInfo(get_settings().timezone)
        validity = _("del {start} al {end}").format(
            start=formats.short_date(signer.valid_from.astimezone(zone).date()),
            end=formats.short_date(signer.valid_until.astimezone(zone).date()),
        )
    country = signer.country
    if country:
        name = formats.country_name(country)
        country = f"{name} ({country})" if name else country
    return CertificateView(
        common_name=signer.common_name or "—",
        organisation=signer.organisation or "—",
        country=country or "—",
        issuer=signer.issuer or "—",
        serial=signer.serial or "—",
        validity=validity,
    )


def tab_title(number: str | None) -> str:
    """The browser tab's title for the invoice ``number`` (None: not found)."""
    portal_name = get_settings().branding.portal_name
    head = _("Factura {number}").format(number=number) if number else _("Factura no encontrada")
    return f"{head} · {portal_name}"


def present_invoice(detail: InvoiceDetail) -> InvoiceView:
    """The figures of ``detail`` in Spanish formats; the status stays a key (the badge words it)."""
    currency = detail.currency
    return InvoiceView(
        number=detail.number,
        issue_date=formats.short_date(detail.issue_date),
        due_date=formats.optional_date(detail.due_date),
        status=detail.status.value,
        overdue=detail.overdue,
        subtotal=formats.money(detail.subtotal_cents, currency),
        tax=formats.money(detail.tax_cents, currency),
        total=formats.money(detail.total_cents, currency),
        paid=formats.money(detail.paid_cents, currency),
        pending=formats.money(detail.pending_cents, currency),
        signed_by=detail.signed_by,
        signed_at=(
            formats.timestamp(detail.signed_at, get_settings().timezone) if detail.signed_at else ""
        ),
        # A plain link (a new tab): under `make dev` the route is on the backend's port.
        view_href=get_settings().backend_origin + routes.view_pdf(detail.number),
        verification_code=grouped(detail.verification_code),
        verify_href=f"{routes.VERIFY}?{urlencode({'codigo': grouped(detail.verification_code)})}",
    )


class InvoiceDetailState(AuthState):
    """The invoice named by ``?numero=``, if the signed-in customer owns it."""

    found: bool = False
    loaded: bool = False
    invoice: InvoiceView = InvoiceView()
    certificate: CertificateView = CertificateView()
    #: The tab's title, naming the invoice (the page renders it as its <title>).
    title: str = ""
    lines: list[LineView] = []
    taxes: list[TaxView] = []
    payments: list[PaymentView] = []

    @rx.event
    @signed_in
    async def open_invoice(self, account: Account):
        """on_load: the invoice of the URL, or "Factura no encontrada"."""
        self.reset()
        number = clean_text(self._query("numero"))
        detail = None
        if number:
            detail = await in_session(
                invoice_for_person,
                account_id=account.id,
                number=number,
                today=today_in(get_settings().timezone),
            )
        self.loaded = True
        if detail is None:
            self.title = tab_title(None)
            return
        currency = detail.currency
        self.found = True
        self.title = tab_title(detail.number)
        self.invoice = present_invoice(detail)
        self.certificate = present_certificate(detail.signer)
        self.lines = [
            LineView(
                description=line.description,
                quantity=formats.quantity(line.quantity_milli),
                unit_price=formats.unit_price(line.unit_price_e4, currency),
                tax=f"{line.tax_name} {formats.rate(line.tax_rate_bp)}",
                amount=formats.money(line.amount_cents, currency),
            )
            for line in detail.lines
        ]
        self.taxes = [
            TaxView(
                tax=f"{group.name} {formats.rate(group.rate_bp)}",
                base=formats.money(group.base_cents, currency),
                amount=formats.money(group.tax_cents, currency),
            )
            for group in detail.taxes
        ]
        self.payments = [
            PaymentView(
                date=formats.short_date(p.paid_on),
                amount=formats.money(p.amount_cents, currency),
                reference=p.reference,
            )
            for p in detail.payments
        ]
