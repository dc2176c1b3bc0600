"""Signing invoice PDFs with pyHanko (PAdES baseline, ``ETSI.CAdES.detached``).

The PKCS#12 is opened once per process (:func:`get_signer`), never per
document, and its key is parsed once (:class:`KeptKeySigner`): loading a key
is far slower than using it. With a TSA URL the
signature carries an RFC 3161 timestamp (PAdES B-T), which proves when it was
made instead of merely claiming it. When the certificate's CA publishes
revocation information (OCSP or CRLs) the signature is PAdES B-LT as well:
the OCSP responses and CRLs that prove the certificate was good when it
signed are fetched then and embedded, so the invoice can still be validated
once the CA and its responders are long gone.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator import ValidationContext

from customer_portal.documents.threads import outside_event_loop
from customer_portal.settings import Settings

SIGNATURE_FIELD = "FirmaFactura"
# Room for the CMS blob. Reserving it up front saves pyHanko a dummy signing
# pass per document (about half the time); the chain and a timestamp token
# fit comfortably, and a bigger chain falls back to pyHanko's own estimate.
_RESERVED_BYTES = 8192
_RESERVED_BYTES_WITH_TIMESTAMP = 16384
#: How long fetched OCSP responses and CRLs are reused for the next signatures.
#: pyHanko embeds what its validation context holds and does not refresh it: a
#: context per few minutes keeps a batch fast and what it embeds fresh.
_REVOCATION_REUSE_SECONDS = 300.0
#: What a signature says it is for, unless the branding says otherwise.
DEFAULT_REASON = "Factura emitida y firmada digitalmente"


class FetchingValidationContext:
    """A validation context that fetches OCSP responses and CRLs, renewed every few minutes.

    pyHanko caches what a context fetched and embeds from that cache, so one
    context serves a whole batch (one fetch, not one per document) and a new
    one is made once it is :data:`_REVOCATION_REUSE_SECONDS` old. Revocation
    checks are hard-fail: a responder that cannot be reached fails the
    operation instead of quietly producing a document without its proof.
    """

    def __init__(self, trust_roots: list[asn1_x509.Certificate]) -> None:
        self._roots = trust_roots
        self._context: tuple[float, ValidationContext] | None = None

    def current(self) -> ValidationContext:
        """The context to use now."""
        now = time.monotonic()
        if self._context is None or now - self._context[0] > _REVOCATION_REUSE_SECONDS:
            context = ValidationContext(
                trust_roots=self._roots, allow_fetching=True, revocation_mode="hard-fail"
            )
            self._context = (now, context)
        return self._context[1]


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


@dataclass(frozen=True)
class _CmsTemplate:
    """One signer's CMS ``SignedData`` as bytes, with holes for the digest and the signature.

    For a PAdES signature without a timestamp, everything pyHanko puts in the
    CMS is the same for every document signed with one key (certificates,
    algorithms, signing-certificate attribute) except the document digest and
    the signature over the signed attributes. pyHanko rebuilds and re-encodes
    all of it with asn1crypto for each document: three quarters of a
    signature's time. The template is pyHanko's own output for a random
    digest; filling it in is two splices and one RSA operation, and gives
    byte for byte what pyHanko would (PKCS#1 v1.5 signatures are
    deterministic; a test compares the two).
    """

    der: bytes
    attrs_start: int  # the signed attributes ([0] IMPLICIT SET OF)
    attrs_end: int
    digest_at: int
    digest_length: int
    signature_at: int
    signature_length: int

    @classmethod
    def from_reference(cls, reference: cms.ContentInfo, digest: bytes) -> _CmsTemplate | None:
        """The template of ``reference``, made for ``digest``; None if it cannot be cut safely."""
        der = reference.dump()
        info = reference["content"]["signer_infos"][0]
        attrs = info["signed_attrs"].dump()
        signature = info["signature"].native
        # Each piece must occur exactly once, else a splice could land elsewhere.
        if any(der.count(piece) != 1 for piece in (attrs, digest, signature)):
            return None
        attrs_start = der.index(attrs)
        digest_at = der.index(digest)
        if not attrs_start < digest_at < attrs_start + len(attrs):
            return None
        return cls(
            der=der,
            attrs_start=attrs_start,
            attrs_end=attrs_start + len(attrs),
            digest_at=digest_at,
            digest_length=len(digest),
            signature_at=der.index(signature),
            signature_length=len(signature),
        )

    def fill(self, digest: bytes, key: RSAPrivateKey, algorithm) -> cms.ContentInfo:
        """The CMS for a document with ``digest``, signed with ``key``."""
        if len(digest) != self.digest_length:
            raise SigningError("digest of unexpected length")
        der = bytearray(self.der)
        der[self.digest_at : self.digest_at + self.digest_length] = digest
        # The signature covers the attributes DER-encoded as a SET (tag 0x31),
        # not with the [0] IMPLICIT tag (0xA0) they carry inside SignerInfo.
        signed = b"\x31" + bytes(der[self.attrs_start + 1 : self.attrs_end])
        signature = key.sign(signed, PKCS1v15(), algorithm)
        if len(signature) != self.signature_length:
            raise SigningError("signature of unexpected length")
        der[self.signature_at : self.signature_at + self.signature_length] = signature
        return cms.ContentInfo.load(bytes(der))


class KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, holding its private key as a ready key object.

    pyHanko 0.38's ``SimpleSigner.sign_raw`` parses the key from DER on every
    signature (``load_der_private_key``), and OpenSSL checks an RSA key's
    consistency each time it is loaded: for RSA-2048 that was about 35 ms of
    the 48 ms a signature took, against 0.4 ms for the RSA operation itself.
    This class parses it once. The fix upstream would be the same cache in
    ``SimpleSigner`` itself. Mechanisms other than RSA PKCS#1 v1.5 and ECDSA
    (PSS, EdDSA, DSA) go to pyHanko's own code, unchanged.

    For the portal's own kind of signature (PAdES, RSA PKCS#1 v1.5, no
    timestamp) it also fills a :class:`_CmsTemplate` instead of having
    pyHanko assemble the CMS again. The upstream fix would be for pyHanko to
    keep the encoded certificates and attributes it re-encodes per signature.
    """

    def __init__(self, loaded: signers.SimpleSigner):
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
        )
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)
        self._templates: dict[str, _CmsTemplate | None] = {}

    def _algorithm(self, digest_algorithm: str) -> str:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            return mechanism.signature_algo
        except ValueError:
            return mechanism["algorithm"].native

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the kept key, as pyHanko's SimpleSigner would."""
        algorithm = self._algorithm(digest_algorithm)
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if algorithm == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), digest)
        if algorithm == "ecdsa" and isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)

    async def async_sign(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        dry_run=False,
        use_pades=False,
        timestamper=None,
        signed_attr_settings: PdfCMSSignedAttributes | None = None,
        is_pdf_sig=True,
        encap_content_info=None,
    ) -> cms.ContentInfo:
        """The CMS pyHanko would make for ``data_digest``, from the template when it applies."""
        # Only the case the template was cut from: anything else (a timestamp,
        # CAdES attributes, a dry run, attribute providers pyHanko installs for
        # encrypted files, keys other than RSA PKCS#1 v1.5) is pyHanko's code.
        plain = (
            use_pades
            and is_pdf_sig
            and not dry_run
            and timestamper is None
            and encap_content_info is None
            and (signed_attr_settings is None or signed_attr_settings.cades_signed_attrs is None)
            and self.signed_attr_prov_spec is None
            and self.unsigned_attr_prov_spec is None
            and isinstance(self._key, RSAPrivateKey)
            and self._algorithm(digest_algorithm) == "rsassa_pkcs1v15"
        )
        if plain:
            if digest_algorithm not in self._templates:
                marker = os.urandom(len(data_digest))
                reference = await super().async_sign(
                    marker, digest_algorithm, use_pades=True, is_pdf_sig=True
                )
                self._templates[digest_algorithm] = _CmsTemplate.from_reference(reference, marker)
            template = self._templates[digest_algorithm]
            if template is not None:
                algorithm = get_pyca_cryptography_hash(digest_algorithm)
                return template.fill(data_digest, self._key, algorithm)
        return await super().async_sign(
            data_digest,
            digest_algorithm,
            dry_run=dry_run,
            use_pades=use_pades,
            timestamper=timestamper,
            signed_attr_settings=signed_attr_settings,
            is_pdf_sig=is_pdf_sig,
            encap_content_info=encap_content_info,
        )


@dataclass(frozen=True)
class SignerSpec:
    """What builds an :class:`InvoiceSigner`: sent to worker processes, which build their own."""

    p12_path: Path
    password: str
    tsa_url: str | None = None
    reason: str = DEFAULT_REASON
    location: str | None = None
    trust_roots: tuple[Path, ...] = ()

    def build(self) -> InvoiceSigner:
        """A signer with this key (opened now)."""
        return InvoiceSigner(
            self.p12_path,
            self.password,
            tsa_url=self.tsa_url,
            reason=self.reason,
            location=self.location,
            trust_roots=self.trust_roots,
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
        trust_roots: tuple[Path, ...] = (),
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
        self.spec = SignerSpec(p12_path, password, tsa_url, reason, location, tuple(trust_roots))
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
        # B-LT needs B-T (a timestamp) and a CA that publishes revocation data.
        self.long_term = self._timestamper is not None and bool(
            cert.ocsp_urls or cert.crl_distribution_points
        )
        if trust_roots:
            from customer_portal.documents.verify import load_certificates

            roots = load_certificates(trust_roots)
        else:
            roots = [c for c in self.chain if c.self_signed]
        # hard-fail: a responder that cannot be reached fails the signature (the
        # invoice is not published; the batch says so and a rerun signs it).
        self._context = FetchingValidationContext(roots)

    def _metadata(self) -> signers.PdfSignatureMetadata:
        """This signature's metadata: for B-LT, with the validation context to embed from."""
        if not self.long_term:
            return self._meta
        return dataclasses.replace(
            self._meta, embed_validation_info=True, validation_context=self._context.current()
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
            self._metadata(),
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
        trust_roots=tuple(settings.trust_roots or ()),
    )


@functools.cache
def get_signer() -> InvoiceSigner:
    """The process-wide signer for the configured certificate."""
    from customer_portal.settings import get_settings

    return signer_from_settings(get_settings())
