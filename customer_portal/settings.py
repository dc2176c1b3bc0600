"""Every setting of the portal, declared once and read from ``PORTAL_*`` variables.

Each field below is the whole declaration of one variable: its type, default,
bounds and meaning; its name is ``env_prefix`` plus the field name, or the
field's ``validation_alias``. :func:`get_settings` builds one frozen
:class:`Settings` per process. A bad value raises :class:`SettingsError`
naming the variable, so the portal refuses to start instead of misbehaving.

Reading never writes: in dev the secrets live in the instance folder, made
there by ``customer-portal init``; in production (``PORTAL_ENV=prod``) they,
and a real signing certificate, must be given explicitly.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

#: Password of the demo PKCS#12 generated under ``instance/pki`` (dev only).
DEMO_P12_PASSWORD = "demo-signing"

#: The secrets ``customer-portal init`` keeps in the instance folder for dev, by field name.
KEPT_SECRETS = ("secret_key", "api_key")

_SMTP_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
# A check that could not run because a setting it depends on is itself wrong:
# only that setting's own error is worth reporting.
_UNCHECKED = "unchecked"


class SettingsError(ValueError):
    """A setting has a value the portal cannot work with; the message names the variable."""


@dataclass(frozen=True)
class _Masked:
    """Marks a setting never shown in full, in errors or by ``customer-portal settings``."""

    #: Only the password inside the URL is hidden (the database URL).
    url_password: bool = False


_SECRET = _Masked()
_PASSWORD_IN_URL = _Masked(url_password=True)
SecretText = Annotated[str, _SECRET]


def _stripped_or_none(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _lowercase(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _split(separator: str) -> Callable[[Any], Any]:
    def split(value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(separator) if part.strip())
        return value

    return split


def _is_file(value: Any) -> Any:
    if value is not None and not Path(value).is_file():
        raise ValueError(f"no such file {str(value)!r}")
    return value


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


def _sender(value: str) -> str:
    if "@" not in value:
        raise ValueError(f"must hold an email address, got {value!r}")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionalText = Annotated[str | None, BeforeValidator(_stripped_or_none)]
ExistingPath = Annotated[Path, AfterValidator(_is_file)]
OptionalPath = Annotated[ExistingPath | None, BeforeValidator(_stripped_or_none)]
HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_http_url)]
OptionalHttpUrl = Annotated[
    str | None, BeforeValidator(_stripped_or_none), AfterValidator(_http_url)
]


def _prior(info: ValidationInfo, *names: str) -> tuple[Any, ...]:
    """Already validated settings this one depends on (they are declared before it)."""
    try:
        return tuple(info.data[name] for name in names)
    except KeyError:
        raise PydanticCustomError(_UNCHECKED, "depends on an invalid setting") from None


def _demo_p12(instance_dir: Path) -> Path:
    return instance_dir / "pki" / "signer.p12"


def _uses_demo_pki(data: Mapping[str, Any]) -> bool:
    return data["signing_p12"] == _demo_p12(data["instance_dir"])


class _Section(BaseSettings):
    """A group of settings; only :func:`load_settings` reads variables.

    Building one from keyword arguments takes those and the defaults, never the
    environment, so ``Branding()`` is the seed manual's branding everywhere.
    """

    model_config = SettingsConfigDict(env_prefix="PORTAL_", frozen=True, validate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments only; :class:`_Variables` turns a mapping into them."""
        return (init_settings,)


class Branding(_Section):
    """What customers read about the company: PDFs, emails and pages."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_COMPANY_")

    company_name: Text = Field(
        "Link Soluciones",
        max_length=80,
        validation_alias="PORTAL_COMPANY_NAME",
        description="Trade name",
    )
    # "Link Customer Portal Web" in the manual: the company's short name first.
    portal_name: Text = Field(
        default_factory=lambda v: f"{v['company_name'].split()[0]} Customer Portal Web",
        max_length=80,
        validation_alias="PORTAL_NAME",
        description="Name of the portal",
    )
    legal_name: Text = Field("Link Soluciones S.L.", max_length=120, description="On invoices")
    tax_id: Text = Field("B35000000", max_length=20, description="CIF, on invoices")
    address: Text = Field(
        "Las Palmas de Gran Canaria, España", max_length=200, description="Postal"
    )
    phones: Annotated[tuple[str, ...], BeforeValidator(_split(","))] = Field(
        ("928 472 915", "922 032 835", "912 535 535"), min_length=1, description="Comma-separated"
    )
    web: Text = Field("www.linksoluciones.com", max_length=120, description="Web site")
    tagline: Text = Field("#nuestrocompromisoerestu", max_length=120, description="Under the logo")
    logo_path: OptionalPath = Field(
        None, validation_alias="PORTAL_COMPANY_LOGO", description="PNG for PDFs; default bundled"
    )

    # The portal's public address, for the verification QR on PDFs: always
    # PORTAL_BASE_URL (Settings copies it here), never a variable of its own.
    portal_url: Text = Field(
        "http://localhost:3000", validation_alias="PORTAL_BASE_URL", description="Public URL"
    )

    @property
    def no_reply_address(self) -> str:
        """The sender of the portal's emails unless ``PORTAL_MAIL_FROM`` says otherwise."""
        return f"{self.company_name} <no-reply@{self.web.removeprefix('www.')}>"


class MailSettings(_Section):
    """SMTP delivery; ``host`` None means no SMTP: mail stays in the outbox."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_SMTP_")

    host: OptionalText = Field(None, description="SMTP relay; unset: mail stays in the outbox")
    tls: Annotated[Literal["none", "starttls", "ssl"], BeforeValidator(_lowercase)] = Field(
        "none", description="Encryption to the relay"
    )
    port: int = Field(
        default_factory=lambda v: _SMTP_PORTS[v["tls"]], ge=1, le=65535, description="25/587/465"
    )
    user: OptionalText = Field(None, description="SMTP login")
    password: Annotated[str | None, _SECRET] = Field(None, repr=False, description="SMTP password")
    # Extra roots for a relay with a private certificate.
    ca_file: Annotated[OptionalText, AfterValidator(_is_file)] = Field(None, description="PEM")
    mail_from: Annotated[Text, AfterValidator(_sender)] = Field(
        default_factory=lambda: Branding().no_reply_address,
        validation_alias="PORTAL_MAIL_FROM",
        description="Default: the company's no-reply address",
    )
    timeout_seconds: int = Field(
        15, ge=1, le=300, validation_alias="PORTAL_SMTP_TIMEOUT", description="Seconds per try"
    )
    poll_seconds: int = Field(
        2, ge=1, le=3600, validation_alias="PORTAL_MAIL_POLL_SECONDS", description="Outbox polling"
    )
    max_attempts: int = Field(
        12, ge=1, le=100, validation_alias="PORTAL_MAIL_MAX_ATTEMPTS", description="Then give up"
    )
    # Production may leave delivery to `customer-portal deliver-mail --watch` processes.
    in_web: bool = Field(
        True, validation_alias="PORTAL_MAIL_IN_WEB", description="Web workers deliver mail too"
    )

    @property
    def enabled(self) -> bool:
        """Whether an SMTP relay is configured."""
        return self.host is not None


class InstanceSettings(_Section):
    """Where the portal keeps its files, and which rules apply: enough for ``init``."""

    env: Annotated[Literal["dev", "prod"], BeforeValidator(_lowercase)] = Field(
        "dev", description="prod refuses kept secrets and the demo certificate"
    )
    instance_dir: Path = Field(Path("instance"), description="Database, secrets, demo PKI")

    @field_validator("instance_dir")
    @classmethod
    def _absolute_folder(cls, value: Path) -> Path:
        value = value.expanduser().resolve()
        if value.exists() and not value.is_dir():
            raise ValueError(f"is not a folder: {value}")
        return value

    @property
    def is_dev(self) -> bool:
        """Whether this is a development machine."""
        return self.env == "dev"

    @property
    def pki_dir(self) -> Path:
        """Where the demo CA and signing certificate live (dev)."""
        return self.instance_dir / "pki"


class Settings(InstanceSettings):
    """The portal's configuration; build it with :func:`load_settings`."""

    # Derived defaults come first: pydantic skips a default factory once any earlier
    # field failed, and the production refusal of the demo PKI must always be reported.
    signing_p12: Path = Field(
        default_factory=lambda v: _demo_p12(v["instance_dir"]), description="Signs invoices"
    )
    signing_p12_password: SecretText = Field(
        default_factory=lambda v: DEMO_P12_PASSWORD if _uses_demo_pki(v) else "",
        repr=False,
        description="Password of the PKCS#12",
    )
    # Not validated by default: the demo CA only exists once init has made it.
    trust_roots: Annotated[tuple[ExistingPath, ...], BeforeValidator(_split(os.pathsep))] = Field(
        default_factory=lambda v: (v["instance_dir"] / "pki/ca.pem",) if _uses_demo_pki(v) else (),
        validate_default=False,
        description="For verify; default: the PKCS#12's own",
    )
    # Before database_url, whose check reads it.
    allow_sqlite: bool = Field(
        False, description="prod: accept SQLite (one machine, one web process)"
    )
    database_url: Annotated[str, _PASSWORD_IN_URL] = Field(
        default_factory=lambda v: f"sqlite:///{v['instance_dir'] / 'portal.db'}",
        description="sqlite:/// or postgresql://",
    )
    # Unset in dev: the ones `customer-portal init` keeps in the instance folder.
    secret_key: SecretText = Field(
        "", min_length=16, repr=False, description="Signs sessions, links"
    )
    api_key: SecretText = Field("", min_length=16, repr=False, description="Publishing API key")
    port: int = Field(3000, ge=1, le=65535, description="Port the portal serves")
    # `make dev`: Reflex's dev server (hot reload) serves the pages on `port` and the
    # backend (events, forms, links, downloads) listens here. Unset: one port for all.
    backend_port: int | None = Field(None, ge=1, le=65535, description="Dev only: hot reload")
    base_url: HttpUrl = Field(
        default_factory=lambda v: f"http://localhost:{v['port']}", description="Public URL"
    )
    host: Text = Field("127.0.0.1", max_length=100, description="Address to listen on")
    timezone: Text = Field("Europe/Madrid", description="Zone of the times customers read")
    trusted_proxy_hops: int = Field(0, ge=0, le=5, description="Proxies whose X-Forwarded-For")
    tsa_url: OptionalHttpUrl = Field(None, description="RFC 3161 timestamps (PAdES B-T)")
    geoip_database: OptionalPath = Field(
        None, description="GeoLite2/GeoIP2 City .mmdb: places in Mi cuenta's activity"
    )
    archive_timestamp_age_days: int = Field(
        730, ge=0, le=36_500, description="archive-timestamp: renew a timestamp this old"
    )
    max_request_bytes: int = Field(20 * 1024**2, ge=1024, le=1024**3, description="Body limit")
    max_batch_items: int = Field(500, ge=1, le=100_000, description="Per API request")
    branding: Branding = Field(default_factory=Branding, description="PORTAL_COMPANY_*")
    mail: MailSettings = Field(default_factory=MailSettings, description="PORTAL_SMTP_*")
    activation_ttl_hours: int = Field(7 * 24, ge=1, le=90 * 24, description="Activation links")
    reset_ttl_minutes: int = Field(60, ge=5, le=7 * 24 * 60, description="Password reset links")
    session_idle_minutes: int = Field(8 * 60, ge=5, le=7 * 24 * 60, description="Idle sessions")
    # The manual's floor is 6; NIST and ASVS ask for more, so operators may raise it.
    password_min_length: int = Field(6, ge=6, le=64, description="Shortest password accepted")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value.startswith(("sqlite:", "postgresql")):
            # Only the scheme: the rest may hold a password.
            scheme = value.split(":", 1)[0]
            raise ValueError(f"must be a sqlite:/// or postgresql:// URL, got {scheme!r}")
        env, allow_sqlite = _prior(info, "env", "allow_sqlite")
        if value.startswith("sqlite:") and env != "dev" and not allow_sqlite:
            # SQLite serves one machine and one web process: several workers, or a
            # publisher on another host, need the one store they all share.
            raise ValueError(
                "must be a postgresql:// URL when PORTAL_ENV=prod "
                "(set PORTAL_ALLOW_SQLITE=true to run one process on SQLite)"
            )
        # psycopg 3 is the driver we ship; SQLAlchemy's bare scheme means psycopg2.
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator(*KEPT_SECRETS, mode="before")
    @classmethod
    def _kept_in_instance(cls, value: Any, info: ValidationInfo) -> Any:
        """Unset in dev: the secret ``customer-portal init`` keeps in the instance folder.

        Kept on disk, sessions and links survive a restart without anyone
        having to invent a key; made by ``init`` so that reading settings
        never writes.
        """
        if isinstance(value, str) and value.strip():
            return value.strip()
        env, instance_dir = _prior(info, "env", "instance_dir")
        if env != "dev":
            raise ValueError("must be set when PORTAL_ENV=prod")
        path = instance_dir / info.field_name
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            variable = variable_name(cls, info.field_name)
            raise ValueError(
                f"not set and {path} does not exist: run `customer-portal init` (or set {variable})"
            ) from None
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror}") from None

    @field_validator("backend_port")
    @classmethod
    def _dev_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        (env, port) = _prior(info, "env", "port")
        if value is not None and env != "dev":
            raise ValueError("is for `make dev` only: in production one port serves everything")
        if value is not None and value == port:
            raise ValueError(f"must differ from PORTAL_PORT ({port})")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            example = "e.g. Europe/Madrid, Atlantic/Canary"
            raise ValueError(f"unknown time zone {value!r} ({example})") from None
        return value

    @field_validator("signing_p12")
    @classmethod
    def _signing_certificate(cls, value: Path, info: ValidationInfo) -> Path:
        env, instance_dir = _prior(info, "env", "instance_dir")
        if value == _demo_p12(instance_dir):
            if env != "dev":
                raise ValueError("must be set when PORTAL_ENV=prod (the demo one is for dev)")
            return value  # made by init when missing
        return _is_file(value)

    @field_validator("branding")
    @classmethod
    def _portal_url_in_branding(cls, value: Branding, info: ValidationInfo) -> Branding:
        """PDFs print the portal's own address (the verification QR)."""
        base_url = info.data.get("base_url")
        if base_url is None or value.portal_url == base_url:
            return value
        return value.model_copy(update={"portal_url": base_url})

    @field_validator("mail")
    @classmethod
    def _sender_from_branding(cls, value: MailSettings, info: ValidationInfo) -> MailSettings:
        """Mail comes from the configured company unless PORTAL_MAIL_FROM says otherwise."""
        branding = info.data.get("branding")
        if branding is None or "mail_from" in value.model_fields_set:
            return value
        return value.model_copy(update={"mail_from": branding.no_reply_address})

    @property
    def uses_demo_pki(self) -> bool:
        """Whether invoices are signed with the demo certificate (dev only)."""
        return self.signing_p12 == _demo_p12(self.instance_dir)

    @property
    def session_idle(self) -> timedelta:
        """How long a session lives without use."""
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def is_https(self) -> bool:
        """Whether the public URL is served over TLS."""
        return self.base_url.startswith("https://")

    @property
    def backend_origin(self) -> str:
        """Where forms, links and downloads go: "" (this origin) unless `make dev` splits ports."""
        if self.backend_port is None:
            return ""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.hostname}:{self.backend_port}"

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the base URL: the only origin the portal serves."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


_S = TypeVar("_S", bound=_Section)


def variable_name(section: type[_Section], field_name: str) -> str:
    """The ``PORTAL_*`` variable of a field: its alias, else the prefix and its name."""
    alias = section.model_fields[field_name].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{section.model_config['env_prefix']}{field_name}".upper()


def _subsection(field: FieldInfo) -> type[_Section] | None:
    annotation = field.annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, _Section) else None


class _Variables(PydanticBaseSettingsSource):
    """The ``PORTAL_*`` variables of one mapping: the environment, or a test's dict.

    Values are passed on as the strings they are (lists are split by the
    fields' own validators, never JSON-decoded); an empty value counts as unset.
    """

    def __init__(self, settings_cls: type[_Section], variables: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.variables = variables

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The variable's value (None when unset or empty), the field name, not complex."""
        value = self.variables.get(variable_name(self.settings_cls, field_name))
        return value or None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """Keyword arguments for the settings class: set variables, sections as dicts."""
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            if (section := _subsection(field)) is not None:
                values[name] = _Variables(section, self.variables)()
                continue
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


def _locate(section: type[_Section], loc: tuple[int | str, ...]) -> tuple[str | None, bool]:
    """The variable an error's location points at, and whether its value is secret."""
    for part in loc:
        for name, field in section.model_fields.items():
            if part in (name, field.validation_alias):
                break
        else:
            return None, False
        if (subsection := _subsection(field)) is None:
            return variable_name(section, name), any(isinstance(m, _Masked) for m in field.metadata)
        section = subsection
    return None, False


def _explain(section: type[_Section], error: ValidationError) -> SettingsError:
    """One line naming each wrong variable and what is wrong with it."""
    problems = []
    for item in error.errors(include_url=False):
        if item["type"] in (_UNCHECKED, "default_factory_not_called"):
            continue
        variable, masked = _locate(section, item["loc"])
        if item["type"] == "value_error":
            message = str(item["ctx"]["error"])  # ours: already says what was given
        else:
            message = item["msg"][0].lower() + item["msg"][1:]
            if not masked and isinstance(item["input"], str):
                given = item["input"]
                message += f", got {given if len(given) <= 60 else given[:57] + '...'!r}"
        problems.append(f"{variable}: {message}" if variable else message)
    return SettingsError("; ".join(problems))


def _load(section: type[_S], env: Mapping[str, str] | None) -> _S:
    try:
        return section(**_Variables(section, os.environ if env is None else env)())
    except ValidationError as exc:
        raise _explain(section, exc) from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: the process environment).

    Args:
        env: The variables to read; when given, the process environment is not read.

    Returns:
        The frozen settings.

    Raises:
        SettingsError: a variable has a value the portal cannot use.
    """
    return _load(Settings, env)


def load_instance_settings(env: Mapping[str, str] | None = None) -> InstanceSettings:
    """Only ``PORTAL_ENV`` and ``PORTAL_INSTANCE_DIR``: readable before ``init`` made secrets.

    Args:
        env: The variables to read; when given, the process environment is not read.

    Returns:
        The frozen instance settings.

    Raises:
        SettingsError: a variable has a value the portal cannot use.
    """
    return _load(InstanceSettings, env)


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def _shown(value: Any, masked: _Masked | None) -> str:
    if value is None or value == "":
        return "(not set)"
    if masked is not None and masked.url_password:
        parts = urlsplit(value)
        if parts.password is None:
            return value
        user, _, place = parts.netloc.rpartition("@")
        hidden = parts._replace(netloc=f"{user.split(':', 1)[0]}:********@{place}")
        return hidden.geturl()
    if masked is not None:
        return "********"
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


class ShownSetting(NamedTuple):
    """One row of ``customer-portal settings``."""

    variable: str
    value: str
    meaning: str


def effective_settings(section: _Section) -> Iterator[ShownSetting]:
    """Every setting as its ``PORTAL_*`` variable, its value as shown, and what it is for.

    Args:
        section: The settings to describe, usually :func:`get_settings`.

    Yields:
        One row per variable, secrets masked, in declaration order.
    """
    for name, field in type(section).model_fields.items():
        value = getattr(section, name)
        if isinstance(value, _Section):
            yield from effective_settings(value)
            continue
        masked = next((m for m in field.metadata if isinstance(m, _Masked)), None)
        yield ShownSetting(
            variable_name(type(section), name), _shown(value, masked), field.description or ""
        )
