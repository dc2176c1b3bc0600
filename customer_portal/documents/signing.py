"""Signing invoice PDFs with pyHanko (PAdES baseline, ``ETSI.CAdES.detached``).

The PKCS#12 is opened once per process (:func:`get_signer`), never per
document, and its key is parsed once (:class:`KeptKeySigner`): loading a key
is far slower than using it. With a TSA URL the
signature carries an RFC 3161 timestamp (PAdES B-T), which proves when it was
made instead of merely claiming it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash

from customer_portal.documents.threads import outside_event_loop
from customer_portal.settings import Settings

SIGNATURE_FIELD = "FirmaFactura"
# Room for the CMS blob. Reserving it up front saves pyHanko a dummy signing
# pass per document (about half the time); the chain and a timestamp token
# fit comfortably, and a bigger chain falls back to pyHanko's own estimate.
_RESERVED_BYTES = 8192
_RESERVED_BYTES_WITH_TIMESTAMP = 16384
#: What a signature says it is for, unless the branding says otherwise.
DEFAULT_REASON = "Factura emitida y firmada digitalmente"


class SigningSetupError(RuntimeError):
    """The signing certificate cannot be loaded."""


@dataclass(frozen=True)
class SignedPdf:
    """A signed PDF and the facts about its signature that publishing stores beside it.

    Attributes:
        pdf: the signed bytes, to be stored and served unchanged.
        sha256: hex SHA-256 of ``pdf``, the record the integrity checks compare against.
        signed_at: when signing started, by this machine's clock.
        signer_subject: the signing certificate's subject, human-readable.
        signer_fingerprint: hex SHA-256 of the signing certificate.
        timestamped: whether a timestamp authority proved the signing time.
    """

    pdf: bytes
    sha256: str
    signed_at: datetime
    signer_subject: str
    signer_fingerprint: str
    timestamped: bool


def certificate_fingerprint(cert: asn1_x509.Certificate) -> str:
    """Hex SHA-256 of ``cert``'s DER encoding: which certificate signed, beyond its name."""
    return hashlib.sha256(cert.dump()).hexdigest()


class KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, holding its private key as a ready key object.

    pyHanko 0.38's ``SimpleSigner.sign_raw`` parses the key from DER on every
    signature (``load_der_private_key``), and OpenSSL checks an RSA key's
    consistency each time it is loaded: for RSA-2048 that was about 35 ms of
    the 48 ms a signature took, against 0.4 ms for the RSA operation itself.
    This class parses it once. The fix upstream would be the same cache in
    ``SimpleSigner`` itself. Mechanisms other than RSA PKCS#1 v1.5 and ECDSA
    (PSS, EdDSA, DSA) go to pyHanko's own code, unchanged.
    """

    def __init__(self, loaded: signers.SimpleSigner):
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
        )
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the kept key, as pyHanko's SimpleSigner would."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if algorithm == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), digest)
        if algorithm == "ecdsa" and isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)


@dataclass(frozen=True)
class SignerSpec:
    """What builds an :class:`InvoiceSigner`: sent to worker processes, which build their own."""

    p12_path: Path
    password: str
    tsa_url: str | None = None
    reason: str = DEFAULT_REASON
    location: str | None = None

    def build(self) -> InvoiceSigner:
        """A signer with this key (opened now)."""
        return InvoiceSigner(
            self.p12_path,
            self.password,
            tsa_url=self.tsa_url,
            reason=self.reason,
            location=self.location,
        )


class InvoiceSigner:
    """Signs PDFs with one key, loaded when the signer is built."""

    def __init__(
        self,
        p12_path: Path,
        password: str,
        *,
        tsa_url: str | None = None,
        reason: str = DEFAULT_REASON,
        location: str | None = None,
    ):
        try:
            data = p12_path.read_bytes()
        except OSError as exc:
            raise SigningSetupError(f"cannot read signing certificate {p12_path}: {exc}") from exc
        try:
            self._signer = KeptKeySigner(
                signers.SimpleSigner.load_pkcs12_data(
                    data, other_certs=(), passphrase=password.encode() if password else None
                )
            )
        except ValueError as exc:
            raise SigningSetupError(
                f"cannot open signing certificate {p12_path}: wrong password or not a PKCS#12 file"
            ) from exc
        #: How to build the same signer elsewhere (a worker process of a batch).
        self.spec = SignerSpec(p12_path, password, tsa_url, reason, location)
        cert = self._signer.signing_cert
        self.subject = cert.subject.human_friendly
        self.fingerprint = certificate_fingerprint(cert)
        self.chain = [cert, *self._signer.cert_registry]
        self._timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
        self._meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            # pyHanko's default is adbe.pkcs7.detached; PAdES must be asked for.
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
        )

    @property
    def timestamps(self) -> bool:
        """Whether signatures get an RFC 3161 timestamp (a TSA URL was configured)."""
        return self._timestamper is not None

    def sign(self, pdf: bytes) -> SignedPdf:
        """Sign ``pdf`` and return the signed bytes with the facts about them."""
        signed_at = datetime.now(UTC)
        reserved = _RESERVED_BYTES_WITH_TIMESTAMP if self.timestamps else _RESERVED_BYTES
        try:
            data = outside_event_loop(self._sign, pdf, reserved)
        except SigningError:
            data = outside_event_loop(self._sign, pdf, None)
        return SignedPdf(
            pdf=data,
            sha256=hashlib.sha256(data).hexdigest(),
            signed_at=signed_at,
            signer_subject=self.subject,
            signer_fingerprint=self.fingerprint,
            timestamped=self.timestamps,
        )

    def _sign(self, pdf: bytes, reserved: int | None) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        out = signers.sign_pdf(
            writer,
            self._meta,
            signer=self._signer,
            timestamper=self._timestamper,
            bytes_reserved=reserved,
        )
        return out.getvalue()


def signer_from_settings(settings: Settings) -> InvoiceSigner:
    """A signer for the configured PKCS#12, creating the demo PKI first when none is set.

    The signature's reason and location name the company from the branding.

    Raises:
        SigningSetupError: the certificate cannot be read or opened.
    """
    if settings.uses_demo_pki:
        from customer_portal.documents.pki import ensure_demo_pki

        ensure_demo_pki(
            settings.pki_dir, settings.branding.company_name, settings.signing_p12_password
        )
    return InvoiceSigner(
        settings.signing_p12,
        settings.signing_p12_password,
        tsa_url=settings.tsa_url,
        reason=f"Factura emitida por {settings.branding.legal_name}",
        location=settings.branding.address,
    )


@functools.cache
def get_signer() -> InvoiceSigner:
    """The process-wide signer for the configured certificate."""
    from customer_portal.settings import get_settings

    return signer_from_settings(get_settings())
