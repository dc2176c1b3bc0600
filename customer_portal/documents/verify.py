"""Checking a signed invoice PDF, with pyHanko's validator.

:func:`verify_pdf` answers the questions a customer or an auditor has, in
plain words: is the file exactly what was signed, does the signature chain to
a root we trust, who signed it and when, and was the time proven by a
timestamp authority. :func:`signer_summary` says who signed in a customer's
words: the organisation (or the common name) first, the certificate's
details behind it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from customer_portal.documents.threads import outside_event_loop
from customer_portal.i18n import _
from customer_portal.settings import Settings

log = logging.getLogger(__name__)

PADES_SUBFILTER = "/ETSI.CAdES.detached"


@dataclass
class VerificationReport:
    """What a signature check found; ``valid`` is the bottom line."""

    signed: bool = False
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    pades: bool = False
    timestamped: bool = False
    signer: str | None = None
    signed_at: datetime | None = None
    #: When the latest archive (document) timestamp was made, if the file has one (B-LTA).
    archived_at: datetime | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def archived(self) -> bool:
        """Whether the file carries an intact, trusted archive timestamp."""
        return self.archived_at is not None

    @property
    def valid(self) -> bool:
        """Signed, unchanged since, covering the whole file, by a certificate we trust.

        PAdES format and a timestamp are reported but not required.
        """
        return self.signed and self.intact and self.trusted and self.covers_whole_file

    def lines(self) -> list[str]:
        """The report as sentences for a terminal or a page."""
        if not self.signed:
            return ["NOT VALID: " + (self.problems[0] if self.problems else "no signature")]
        head = "VALID: the signature is intact and trusted." if self.valid else "NOT VALID."
        out = [head]
        if self.signer:
            out.append(f"Signed by: {self.signer}")
        if self.signed_at:
            how = (
                "proven by a timestamp authority"
                if self.timestamped
                else "as claimed by the signer"
            )
            out.append(f"Signed at: {self.signed_at.isoformat(timespec='seconds')} ({how})")
        out.append(
            "Content: unchanged since signing"
            if self.intact
            else "Content: CHANGED after signing (or the signature is damaged)"
        )
        out.append(
            "Certificate: chains to a trusted root"
            if self.trusted
            else "Certificate: does NOT chain to a trusted root"
        )
        if not self.covers_whole_file:
            out.append("Coverage: the signature does NOT cover the whole file")
        if self.archived_at:
            when = self.archived_at.isoformat(timespec="seconds")
            out.append(f"Archive timestamp: {when} (PAdES B-LTA)")
        out.append("Format: PAdES (ETSI.CAdES.detached)" if self.pades else "Format: not PAdES")
        out.extend(f"Problem: {p}" for p in self.problems)
        return out


@dataclass(frozen=True)
class SignerSummary:
    """Who signed, as a customer reads it, and the certificate's details on demand.

    Attributes:
        name: the signer in plain words: the certificate's organisation, or
            its common name when it names no organisation ("Link Soluciones").
        common_name: the subject's common name ("" if none).
        organisation: the subject's organisation ("" if none).
        country: the subject's two-letter country code ("" if none).
        issuer: who issued the certificate: its common name, else organisation.
        serial: the serial number in hexadecimal, bytes separated by colons.
        valid_from: the start of the certificate's validity (aware, UTC).
        valid_until: the end of the certificate's validity (aware, UTC).
    """

    name: str
    common_name: str = ""
    organisation: str = ""
    country: str = ""
    issuer: str = ""
    serial: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _name_part(name: asn1_x509.Name, key: str) -> str:
    value = name.native.get(key, "")
    # A name may repeat an attribute (two OUs): asn1crypto then gives a list.
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value).strip()


def signer_summary(cert: asn1_x509.Certificate) -> SignerSummary:
    """The signer of ``cert`` in plain words, with the details a curious customer asks for."""
    subject, issuer = cert.subject, cert.issuer
    common_name = _name_part(subject, "common_name")
    organisation = _name_part(subject, "organization_name")
    validity = cert["tbs_certificate"]["validity"]
    serial = f"{cert.serial_number:X}"
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    return SignerSummary(
        name=organisation or common_name or subject.human_friendly,
        common_name=common_name,
        organisation=organisation,
        country=_name_part(subject, "country_name"),
        issuer=(
            _name_part(issuer, "common_name")
            or _name_part(issuer, "organization_name")
            or issuer.human_friendly
        ),
        serial=":".join(serial[i : i + 2] for i in range(0, len(serial), 2)),
        valid_from=validity["not_before"].native,
        valid_until=validity["not_after"].native,
    )


# The labels asn1crypto's ``Name.human_friendly`` gives the attributes we read.
_FRIENDLY_LABELS = {
    "Common Name": "common_name",
    "Organization": "organization_name",
    "Country": "country_name",
}


def summary_from_subject(subject: str) -> SignerSummary:
    """The signer from a stored ``human_friendly`` subject, when the certificate is not at hand.

    Args:
        subject: e.g. ``"Common Name: Link Soluciones (firma); Organization: Link
            Soluciones; Country: ES"``, as asn1crypto writes it.

    Returns:
        A summary with the name, common name, organisation and country the
        text gives (issuer, serial and validity unknown).
    """
    found: dict[str, str] = {}
    label_pattern = "|".join(_FRIENDLY_LABELS)
    for match in re.finditer(rf"({label_pattern}): (.*?)(?=; [A-Z][\w ]*: |$)", subject):
        found.setdefault(_FRIENDLY_LABELS[match.group(1)], match.group(2).strip())
    common_name = found.get("common_name", "")
    organisation = found.get("organization_name", "")
    return SignerSummary(
        name=organisation or common_name or subject.strip(),
        common_name=common_name,
        organisation=organisation,
        country=found.get("country_name", ""),
    )


def signing_certificate(data: bytes) -> asn1_x509.Certificate | None:
    """The certificate of the first signature in PDF ``data``, read without validating it.

    Returns:
        The signer's certificate, or None if ``data`` holds no readable signature.
    """
    try:
        signatures = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
        return signatures[0].signer_cert if signatures else None
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        return None


def load_certificates(paths: Iterable[Path]) -> list[asn1_x509.Certificate]:
    """Certificates from PEM (one or many per file) or DER files."""
    certs = []
    for path in paths:
        data = path.read_bytes()
        if pem.detect(data):
            certs.extend(asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, True))
        else:
            certs.append(asn1_x509.Certificate.load(data))
    return certs


def trust_roots_from_settings(settings: Settings) -> list[asn1_x509.Certificate]:
    """The configured roots; without any, the self-signed certificates in the PKCS#12."""
    if settings.trust_roots:
        return load_certificates(settings.trust_roots)
    from customer_portal.documents.signing import get_signer

    return [c for c in get_signer().chain if c.self_signed]


def verify_pdf(data: bytes, trust_roots: list[asn1_x509.Certificate]) -> VerificationReport:
    """Validate the first signature of ``data`` against ``trust_roots``."""
    report = VerificationReport()
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"the file is not a readable PDF ({exc})")
        return report
    if not signatures:
        report.problems.append("the PDF has no digital signature")
        return report

    signature = signatures[0]
    report.signed = True
    report.pades = str(signature.sig_object.get("/SubFilter")) == PADES_SUBFILTER
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        status = outside_event_loop(validate_pdf_signature, signature, context)
    except (SignatureValidationError, PdfError, ValueError) as exc:
        report.problems.append(f"the signature could not be checked ({exc})")
        return report
    report.intact = bool(status.intact and status.valid)
    report.trusted = bool(status.trusted)
    # The whole file, or all but what B-LT and B-LTA add after signing (the
    # revocation data of the DSS, document timestamps), which changes nothing signed.
    report.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level == ModificationLevel.LTA_UPDATES
    )
    report.signer = status.signing_cert.subject.human_friendly
    report.timestamped = status.timestamp_validity is not None
    if report.timestamped:
        report.signed_at = status.timestamp_validity.timestamp
    else:
        report.signed_at = status.signer_reported_dt
    regular = reader.embedded_regular_signatures
    if len(regular) > 1:
        report.problems.append(f"the file has {len(regular)} signatures; only the first is ours")
    _check_archive_timestamps(reader, context, report)
    return report


def _check_archive_timestamps(
    reader: PdfFileReader, context: ValidationContext, report: VerificationReport
) -> None:
    """Record the latest archive timestamp, if every one in the file is intact and trusted."""
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return
    for stamp in stamps:
        try:
            status = outside_event_loop(validate_pdf_timestamp, stamp, context)
        except (SignatureValidationError, PdfError, ValueError) as exc:
            report.problems.append(f"an archive timestamp could not be checked ({exc})")
            return
        if not (status.intact and status.valid and status.trusted):
            report.problems.append("an archive timestamp is not intact or not trusted")
            return
    report.archived_at = status.timestamp


def _signed_revision_end(signature) -> int:
    """Where the revision a signature covers ends: the last byte its ByteRange takes in."""
    byte_range = [int(n) for n in signature.sig_object["/ByteRange"]]
    return byte_range[2] + byte_range[3]


def _is_revision_before_archiving(uploaded: bytes, original: bytes) -> bool:
    """Whether ``uploaded`` is ``original`` as it was before one of its archive timestamps.

    An archive timestamp only appends, so the file a customer downloaded
    before it is a prefix of today's original. A prefix counts only when it
    is a whole revision (it ends at an ``%%EOF``), takes in the signed one,
    and an archive timestamp was appended after it: never the unsigned
    render that precedes the signature, never a file cut in the middle.
    """
    if len(uploaded) >= len(original) or not original.startswith(uploaded):
        return False
    if not uploaded.rstrip(b"\r\n").endswith(b"%%EOF"):
        return False
    try:
        reader = PdfFileReader(BytesIO(original), strict=False)
        signatures = reader.embedded_regular_signatures
        stamps = reader.embedded_timestamp_signatures
        if not signatures:
            return False
        signed_end = _signed_revision_end(signatures[0])
        return len(uploaded) >= signed_end and any(
            _signed_revision_end(stamp) > len(uploaded) for stamp in stamps
        )
    except (PdfError, ValueError, KeyError, TypeError):
        return False


@dataclass(frozen=True)
class Comparison:
    """What /verificar answers about a file someone uploaded for an invoice."""

    identical: bool
    text: str

    @property
    def tone(self) -> str:
        """The colour of the answer: green only for the original itself."""
        return "green" if self.identical else "red"


def compare_with_original(
    uploaded: bytes, original: bytes, trust_roots: list[asn1_x509.Certificate]
) -> Comparison:
    """Is ``uploaded`` the signed ``original``, byte for byte; and how do its signatures fare.

    Byte for byte is the question that matters: the portal keeps the signed
    original, so any difference, however small, means a different file. The
    signature check then says what kind of file it is (a copy altered after
    signing, one with changes appended, an unsigned print...). The answer is in
    the current language (the request's).
    """
    if uploaded == original:
        report = verify_pdf(original, trust_roots)
        if report.valid:
            return Comparison(
                True,
                _(
                    "El archivo es idéntico, byte a byte, a la factura original. Su firma "
                    "digital está intacta y es de confianza."
                ),
            )
        return Comparison(
            True,
            _(
                "El archivo es idéntico, byte a byte, a la factura original, pero su firma "
                "no se ha podido validar en este momento."
            ),
        )
    if _is_revision_before_archiving(uploaded, original):
        report = verify_pdf(uploaded, trust_roots)
        state = (
            _("Su firma digital está intacta y es de confianza.")
            if report.valid
            else _("Su firma no se ha podido validar en este momento.")
        )
        return Comparison(
            True,
            _sentences(
                _(
                    "El archivo es la factura original, byte a byte, tal como era antes de su "
                    "sello de tiempo de archivo (el que el portal añade después, sin tocar lo "
                    "firmado, para que la firma se pueda comprobar durante años)."
                ),
                state,
            ),
        )
    report = verify_pdf(uploaded, trust_roots)
    if not report.signed:
        if any("not a readable PDF" in problem for problem in report.problems):
            return _different(_("Además, no es un PDF legible."))
        return _different(_("No lleva firma digital."))
    if not report.intact:
        return _different(_("Su firma digital no es válida: se modificó después de firmarse."))
    if not report.covers_whole_file:
        return _different(
            _("Conserva la firma original, pero se le añadieron cambios después de firmarla.")
        )
    if not report.trusted:
        return _different(_("Su firma no es de un certificado de confianza."))
    return _different(_("Lleva una firma válida, pero corresponde a otro documento."))


def _sentences(*sentences: str) -> str:
    """Whole sentences, each translated on its own, one after another."""
    return " ".join(sentences)


def _different(why: str) -> Comparison:
    """The answer for a file that is not the original: that first, then ``why`` (a sentence)."""
    return Comparison(
        False, _sentences(_("El archivo no es la factura original: su contenido es distinto."), why)
    )
