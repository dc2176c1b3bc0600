"""Every setting of the portal, read from ``PORTAL_*`` environment variables.

One frozen :class:`Settings` object is built once per process by
:func:`get_settings`. Each variable has a development default so that
``make run`` works on a fresh machine; in production (``PORTAL_ENV=prod``) the
secrets must be given explicitly. A bad value raises :class:`SettingsError`
whose message names the variable, so the portal refuses to start instead of
misbehaving later.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

#: The company of the seed manual; every branding default comes from it.
DEFAULT_COMPANY_NAME = "Link Soluciones"
DEFAULT_PORTAL_NAME = "Link Customer Portal Web"
DEFAULT_PHONES = ("928 472 915", "922 032 835", "912 535 535")
DEFAULT_WEB = "www.linksoluciones.com"
DEFAULT_TAGLINE = "#nuestrocompromisoerestu"

#: Password of the demo PKCS#12 generated under ``instance/pki`` (dev only).
DEMO_P12_PASSWORD = "demo-signing"

ENVIRONMENTS = ("dev", "prod")
SMTP_TLS_MODES = ("none", "starttls", "ssl")
_DEFAULT_SMTP_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class SettingsError(ValueError):
    """A setting has a value the portal cannot work with."""


@dataclass(frozen=True)
class Branding:
    """What customers read about the company: PDFs, emails and pages."""

    company_name: str = DEFAULT_COMPANY_NAME
    portal_name: str = DEFAULT_PORTAL_NAME
    legal_name: str = "Link Soluciones S.L."
    tax_id: str = "B35000000"
    address: str = "Las Palmas de Gran Canaria, España"
    phones: tuple[str, ...] = DEFAULT_PHONES
    web: str = DEFAULT_WEB
    tagline: str = DEFAULT_TAGLINE
    logo_path: Path | None = None


@dataclass(frozen=True)
class MailSettings:
    """SMTP delivery; ``host`` None means no SMTP: mail stays in the outbox."""

    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = None
    tls: str = "none"
    ca_file: str | None = None  # extra roots for a relay with a private certificate
    mail_from: str = "Link Soluciones <no-reply@linksoluciones.com>"
    timeout_seconds: int = 15
    poll_seconds: int = 2
    max_attempts: int = 12

    @property
    def enabled(self) -> bool:
        return self.host is not None


@dataclass(frozen=True)
class Settings:
    """The portal's configuration; build it with :func:`load_settings`."""

    env: str
    instance_dir: Path
    database_url: str
    secret_key: str
    base_url: str
    port: int
    api_key: str
    signing_p12: Path
    signing_p12_password: str
    trust_roots: tuple[Path, ...]
    tsa_url: str | None
    uses_demo_pki: bool
    max_request_bytes: int
    #: Address the portal listens on; loopback unless told otherwise (PORTAL_HOST).
    host: str = "127.0.0.1"
    #: Reverse proxies in front of the portal whose X-Forwarded-For is believed.
    trusted_proxy_hops: int = 0
    #: Most invoices or payments one API request may carry.
    max_batch_items: int = 500
    branding: Branding = field(default_factory=Branding)
    mail: MailSettings = field(default_factory=MailSettings)
    activation_ttl_hours: int = 7 * 24
    reset_ttl_minutes: int = 60
    session_idle_minutes: int = 8 * 60
    password_min_length: int = 6

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def session_idle(self) -> timedelta:
        """How long a session lives without use."""
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the base URL: the only origin the portal serves."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def pki_dir(self) -> Path:
        return self.instance_dir / "pki"


def _text(env: Mapping[str, str], name: str, default: str, *, max_len: int = 200) -> str:
    value = env.get(name, default).strip()
    if not value:
        raise SettingsError(f"{name} must not be empty")
    if len(value) > max_len:
        raise SettingsError(f"{name} is longer than {max_len} characters")
    return value


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = env.get(name, default or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _kept_secret(path: Path, name: str, *, is_dev: bool) -> str:
    """Read a dev secret kept in the instance folder, creating it on first use.

    Keeping it on disk means sessions and links survive a restart in dev
    without anyone having to invent a key.
    """
    if not is_dev:
        raise SettingsError(f"{name} must be set when PORTAL_ENV=prod")
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    from customer_portal.instance import private_dir

    private_dir(path.parent)
    value = secrets.token_urlsafe(32)
    # O_EXCL: two processes starting at once agree on the first one written.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _secret(env: Mapping[str, str], name: str, kept: Path, *, is_dev: bool) -> str:
    value = env.get(name, "").strip()
    if not value:
        return _kept_secret(kept, name, is_dev=is_dev)
    if len(value) < 16:
        raise SettingsError(f"{name} must be at least 16 characters long")
    return value


def _branding(env: Mapping[str, str]) -> Branding:
    phones_raw = env.get("PORTAL_COMPANY_PHONES", ",".join(DEFAULT_PHONES))
    phones = tuple(p.strip() for p in phones_raw.split(",") if p.strip())
    if not phones:
        raise SettingsError("PORTAL_COMPANY_PHONES must list at least one phone number")
    logo = env.get("PORTAL_COMPANY_LOGO", "").strip()
    logo_path = Path(logo) if logo else None
    if logo_path is not None and not logo_path.is_file():
        raise SettingsError(f"PORTAL_COMPANY_LOGO: no such file {logo!r}")
    company_name = _text(env, "PORTAL_COMPANY_NAME", DEFAULT_COMPANY_NAME, max_len=80)
    return Branding(
        company_name=company_name,
        # "Link Customer Portal Web" in the manual: the company's short name first.
        portal_name=_text(
            env, "PORTAL_NAME", f"{company_name.split()[0]} Customer Portal Web", max_len=80
        ),
        legal_name=_text(env, "PORTAL_COMPANY_LEGAL_NAME", "Link Soluciones S.L.", max_len=120),
        tax_id=_text(env, "PORTAL_COMPANY_TAX_ID", "B35000000", max_len=20),
        address=_text(
            env, "PORTAL_COMPANY_ADDRESS", "Las Palmas de Gran Canaria, España", max_len=200
        ),
        phones=phones,
        web=_text(env, "PORTAL_COMPANY_WEB", DEFAULT_WEB, max_len=120),
        tagline=_text(env, "PORTAL_COMPANY_TAGLINE", DEFAULT_TAGLINE, max_len=120),
        logo_path=logo_path,
    )


def _mail(env: Mapping[str, str], branding: Branding) -> MailSettings:
    tls = env.get("PORTAL_SMTP_TLS", "none").strip().lower()
    if tls not in SMTP_TLS_MODES:
        raise SettingsError(f"PORTAL_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}")
    host = env.get("PORTAL_SMTP_HOST", "").strip() or None
    web = branding.web.removeprefix("www.")
    mail_from = env.get("PORTAL_MAIL_FROM", f"{branding.company_name} <no-reply@{web}>").strip()
    if "@" not in mail_from:
        raise SettingsError(f"PORTAL_MAIL_FROM must hold an email address, got {mail_from!r}")
    ca_file = env.get("PORTAL_SMTP_CA_FILE", "").strip() or None
    if ca_file is not None and not Path(ca_file).is_file():
        raise SettingsError(f"PORTAL_SMTP_CA_FILE: no such file {ca_file!r}")
    return MailSettings(
        host=host,
        port=_int(env, "PORTAL_SMTP_PORT", _DEFAULT_SMTP_PORTS[tls], low=1, high=65535),
        user=env.get("PORTAL_SMTP_USER", "").strip() or None,
        password=env.get("PORTAL_SMTP_PASSWORD") or None,
        tls=tls,
        ca_file=ca_file,
        mail_from=mail_from,
        timeout_seconds=_int(env, "PORTAL_SMTP_TIMEOUT", 15, low=1, high=300),
        poll_seconds=_int(env, "PORTAL_MAIL_POLL_SECONDS", 2, low=1, high=3600),
        max_attempts=_int(env, "PORTAL_MAIL_MAX_ATTEMPTS", 12, low=1, high=100),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: the process environment).

    Raises:
        SettingsError: a variable has a value the portal cannot use.
    """
    env = os.environ if env is None else env
    portal_env = env.get("PORTAL_ENV", "dev").strip().lower()
    if portal_env not in ENVIRONMENTS:
        raise SettingsError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}")
    is_dev = portal_env == "dev"

    instance_dir = Path(env.get("PORTAL_INSTANCE_DIR", "instance")).expanduser().resolve()
    if instance_dir.exists() and not instance_dir.is_dir():
        raise SettingsError(f"PORTAL_INSTANCE_DIR is not a folder: {instance_dir}")

    database_url = env.get("PORTAL_DATABASE_URL", "").strip() or (
        f"sqlite:///{instance_dir / 'portal.db'}"
    )
    if not database_url.startswith(("sqlite:", "postgresql")):
        raise SettingsError(
            "PORTAL_DATABASE_URL must be a sqlite:/// or postgresql:// URL, "
            f"got {database_url.split(':', 1)[0]!r}"
        )
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; SQLAlchemy's bare scheme means psycopg2.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    port = _int(env, "PORTAL_PORT", 3000, low=1, high=65535)
    base_url = _url(env, "PORTAL_BASE_URL", None) or f"http://localhost:{port}"

    p12_raw = env.get("PORTAL_SIGNING_P12", "").strip()
    uses_demo_pki = not p12_raw
    if uses_demo_pki and not is_dev:
        raise SettingsError("PORTAL_SIGNING_P12 must be set when PORTAL_ENV=prod")
    signing_p12 = Path(p12_raw) if p12_raw else instance_dir / "pki" / "signer.p12"
    if not uses_demo_pki and not signing_p12.is_file():
        raise SettingsError(f"PORTAL_SIGNING_P12: no such file {p12_raw!r}")
    p12_password = env.get(
        "PORTAL_SIGNING_P12_PASSWORD", DEMO_P12_PASSWORD if uses_demo_pki else ""
    )

    roots_raw = env.get("PORTAL_TRUST_ROOTS", "").strip()
    if roots_raw:
        trust_roots = tuple(Path(p) for p in roots_raw.split(os.pathsep) if p)
        for root in trust_roots:
            if not root.is_file():
                raise SettingsError(f"PORTAL_TRUST_ROOTS: no such file {str(root)!r}")
    elif uses_demo_pki:
        trust_roots = (instance_dir / "pki" / "ca.pem",)
    else:
        trust_roots = ()  # taken from the self-signed certificates inside the PKCS#12

    branding = _branding(env)
    return Settings(
        env=portal_env,
        instance_dir=instance_dir,
        database_url=database_url,
        secret_key=_secret(env, "PORTAL_SECRET_KEY", instance_dir / "secret_key", is_dev=is_dev),
        base_url=base_url,
        port=port,
        api_key=_secret(env, "PORTAL_API_KEY", instance_dir / "api_key", is_dev=is_dev),
        signing_p12=signing_p12,
        signing_p12_password=p12_password,
        trust_roots=trust_roots,
        tsa_url=_url(env, "PORTAL_TSA_URL", None),
        uses_demo_pki=uses_demo_pki,
        max_request_bytes=_int(
            env, "PORTAL_MAX_REQUEST_BYTES", 20 * 1024 * 1024, low=1024, high=1024**3
        ),
        host=_text(env, "PORTAL_HOST", "127.0.0.1", max_len=100),
        trusted_proxy_hops=_int(env, "PORTAL_TRUSTED_PROXY_HOPS", 0, low=0, high=5),
        max_batch_items=_int(env, "PORTAL_MAX_BATCH_ITEMS", 500, low=1, high=100_000),
        branding=branding,
        mail=_mail(env, branding),
        activation_ttl_hours=_int(env, "PORTAL_ACTIVATION_TTL_HOURS", 7 * 24, low=1, high=90 * 24),
        reset_ttl_minutes=_int(env, "PORTAL_RESET_TTL_MINUTES", 60, low=5, high=7 * 24 * 60),
        session_idle_minutes=_int(
            env, "PORTAL_SESSION_IDLE_MINUTES", 8 * 60, low=5, high=7 * 24 * 60
        ),
        # The manual's floor is 6; NIST and ASVS ask for more, so operators may raise it.
        password_min_length=_int(env, "PORTAL_PASSWORD_MIN_LENGTH", 6, low=6, high=64),
    )


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
