"""A demo certificate authority and signing certificate for development.

``make run`` needs to sign invoices on a machine that has no real
certificate, so on first start it creates, under ``instance/pki``:

- ``ca.pem``: a self-signed demo root, the trust anchor for ``verify``;
- ``signer.p12``: the signing key and certificate (with the root inside),
  protected by the demo password from :mod:`customer_portal.settings`.

Production sets ``PORTAL_SIGNING_P12`` to a real certificate instead; nothing
here runs then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from customer_portal.instance import private_dir, private_file


@dataclass(frozen=True)
class DemoPki:
    """Where the demo PKI's files are.

    Attributes:
        ca_pem: the demo root certificate, to pass to ``verify`` as the trust anchor.
        signer_p12: the signing key and certificate chain, for the signer to load.
    """

    ca_pem: Path
    signer_p12: Path


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build_demo_pki(organization: str, p12_password: str, *, now: datetime | None = None):
    """Create a root and a signer certificate in memory.

    Returns:
        ``(ca_cert, signer_key, signer_cert)``.
    """
    now = now or datetime.now(UTC)
    ca_key = _key()
    ca_name = _name(f"{organization} Demo CA (solo pruebas)", organization)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    signer_key = _key()
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organization} (firma de facturas, demo)", organization))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_cert, signer_key, signer_cert


def ensure_demo_pki(pki_dir: Path, organization: str, p12_password: str) -> DemoPki:
    """Create the demo PKI under ``pki_dir`` unless it is already there."""
    result = DemoPki(ca_pem=pki_dir / "ca.pem", signer_p12=pki_dir / "signer.p12")
    if result.ca_pem.exists() and result.signer_p12.exists():
        return result
    private_dir(pki_dir)
    ca_cert, signer_key, signer_cert = build_demo_pki(organization, p12_password)
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"signer",
        key=signer_key,
        cert=signer_cert,
        cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(p12_password.encode()),
    )
    # Write to temporary names and rename, so a crash never leaves half a PKI.
    for path, data in (
        (result.signer_p12, p12),
        (result.ca_pem, ca_cert.public_bytes(serialization.Encoding.PEM)),
    ):
        tmp = private_file(path.with_suffix(path.suffix + ".tmp"))
        tmp.write_bytes(data)
        tmp.replace(path)
    return result
