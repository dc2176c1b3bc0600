import os

import pytest

from customer_portal.instance import create_secret
from customer_portal.settings import (
    DEMO_P12_PASSWORD,
    Branding,
    SettingsError,
    effective_settings,
    load_instance_settings,
    load_settings,
)

SECRETS = {"PORTAL_SECRET_KEY": "s" * 32, "PORTAL_API_KEY": "k" * 32}


def files_under(root):
    return sorted(p for p in root.rglob("*")) if root.exists() else []


def test_dev_defaults(tmp_path):
    settings = load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path / "inst"), **SECRETS})
    assert settings.is_dev and settings.port == 3000 and settings.host == "127.0.0.1"
    assert settings.base_url == "http://localhost:3000" and settings.origin == settings.base_url
    assert settings.database_url == f"sqlite:///{tmp_path / 'inst' / 'portal.db'}"
    assert settings.uses_demo_pki and settings.signing_p12 == tmp_path / "inst/pki/signer.p12"
    assert settings.signing_p12_password == DEMO_P12_PASSWORD
    assert settings.trust_roots == (tmp_path / "inst/pki/ca.pem",)
    assert settings.branding == Branding()
    assert settings.branding.company_name == "Link Soluciones"
    assert settings.branding.portal_name == "Link Customer Portal Web"
    assert settings.branding.phones == ("928 472 915", "922 032 835", "912 535 535")
    assert not settings.mail.enabled and settings.mail.port == 25
    assert settings.mail.mail_from == "Link Soluciones <no-reply@linksoluciones.com>"
    assert settings.session_idle.total_seconds() == 8 * 3600
    assert (settings.max_request_bytes, settings.max_batch_items) == (20 * 1024 * 1024, 500)
    assert (settings.activation_ttl_hours, settings.reset_ttl_minutes) == (168, 60)
    assert settings.password_min_length == 6 and settings.trusted_proxy_hops == 0


def test_reading_never_writes(tmp_path):
    instance = tmp_path / "inst"
    load_settings({"PORTAL_INSTANCE_DIR": str(instance), **SECRETS})
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY.*customer-portal init"):
        load_settings({"PORTAL_INSTANCE_DIR": str(instance)})
    instance.mkdir()
    with pytest.raises(SettingsError, match="PORTAL_API_KEY.*customer-portal init"):
        load_settings({"PORTAL_INSTANCE_DIR": str(instance), "PORTAL_SECRET_KEY": "s" * 32})
    assert files_under(instance) == []


def test_dev_secrets_are_read_from_the_instance_folder(tmp_path):
    assert create_secret(tmp_path / "secret_key") and create_secret(tmp_path / "api_key")
    # A second writer (another process running init) keeps the first one's secret.
    kept = (tmp_path / "secret_key").read_text()
    assert not create_secret(tmp_path / "secret_key")
    assert (tmp_path / "secret_key").read_text() == kept
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == oct(0o600)

    settings = load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path)})
    assert settings.secret_key == kept.strip() and len(settings.secret_key) >= 32
    assert settings.api_key != settings.secret_key
    # The environment wins over the kept file.
    assert load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS}).api_key == "k" * 32


def test_overrides(tmp_path):
    settings = load_settings(
        {
            "PORTAL_INSTANCE_DIR": str(tmp_path),
            **SECRETS,
            "PORTAL_ENV": " DEV ",
            "PORTAL_PORT": "8123",
            "PORTAL_DATABASE_URL": "postgresql://u@db/portal",
            "PORTAL_COMPANY_NAME": "Otra",
            "PORTAL_COMPANY_WEB": "www.otra.example",
            "PORTAL_COMPANY_PHONES": "900 1, 900 2,",
            "PORTAL_SMTP_HOST": "smtp.otra.example",
            "PORTAL_SMTP_TLS": "STARTTLS",
            "PORTAL_SMTP_PASSWORD": " with spaces ",
            "PORTAL_TSA_URL": "",  # empty counts as unset
        }
    )
    assert settings.base_url == "http://localhost:8123"
    assert settings.database_url == "postgresql+psycopg://u@db/portal"
    assert settings.branding.company_name == "Otra"
    assert settings.branding.portal_name == "Otra Customer Portal Web"
    assert settings.branding.phones == ("900 1", "900 2")
    assert settings.mail.enabled and settings.mail.tls == "starttls" and settings.mail.port == 587
    assert settings.mail.password == " with spaces "  # passwords are taken as given
    assert settings.mail.mail_from == "Otra <no-reply@otra.example>"
    assert settings.tsa_url is None


def test_lists_keep_their_formats(tmp_path, pki):
    roots = os.pathsep.join([str(pki.ca_pem), str(pki.ca_pem)])
    settings = load_settings(
        {
            "PORTAL_INSTANCE_DIR": str(tmp_path),
            **SECRETS,
            "PORTAL_SIGNING_P12": str(pki.signer_p12),
            "PORTAL_TRUST_ROOTS": roots,
        }
    )
    assert not settings.uses_demo_pki and settings.signing_p12_password == ""
    assert settings.trust_roots == (pki.ca_pem, pki.ca_pem)


def test_a_given_mapping_is_the_only_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_PORT", "not a number")
    monkeypatch.setenv("PORTAL_COMPANY_NAME", "From os.environ")
    settings = load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS})
    assert settings.port == 3000 and settings.branding.company_name == "Link Soluciones"
    # Built directly, the sections never read the environment either.
    assert Branding().company_name == "Link Soluciones"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_PORT": "tres mil"}, "PORTAL_PORT: input should be a valid integer"),
        ({"PORTAL_PORT": "70000"}, "PORTAL_PORT: input should be less than or equal to 65535"),
        ({"PORTAL_BASE_URL": "localhost:3000"}, "PORTAL_BASE_URL: must be an http"),
        ({"PORTAL_TSA_URL": "ftp://tsa"}, "PORTAL_TSA_URL: must be an http"),
        ({"PORTAL_DATABASE_URL": "mysql://x"}, "PORTAL_DATABASE_URL: must be a sqlite"),
        ({"PORTAL_ENV": "staging"}, "PORTAL_ENV: input should be 'dev' or 'prod'"),
        ({"PORTAL_API_KEY": "short"}, "PORTAL_API_KEY: string should have at least 16"),
        ({"PORTAL_SIGNING_P12": "/nonexistent.p12"}, "PORTAL_SIGNING_P12: no such file"),
        ({"PORTAL_TRUST_ROOTS": "/nonexistent.pem"}, "PORTAL_TRUST_ROOTS: no such file"),
        ({"PORTAL_COMPANY_NAME": " "}, "PORTAL_COMPANY_NAME: string should have at least 1"),
        ({"PORTAL_COMPANY_TAX_ID": "B" * 21}, "PORTAL_COMPANY_TAX_ID: string should have at"),
        ({"PORTAL_COMPANY_PHONES": " , "}, "PORTAL_COMPANY_PHONES: tuple should have at least"),
        ({"PORTAL_COMPANY_LOGO": "/nonexistent.png"}, "PORTAL_COMPANY_LOGO: no such file"),
        ({"PORTAL_SMTP_TLS": "tls"}, "PORTAL_SMTP_TLS: input should be 'none', 'starttls'"),
        ({"PORTAL_SMTP_CA_FILE": "/nonexistent.pem"}, "PORTAL_SMTP_CA_FILE: no such file"),
        ({"PORTAL_SMTP_TIMEOUT": "0"}, "PORTAL_SMTP_TIMEOUT: input should be greater than"),
        ({"PORTAL_MAIL_FROM": "nadie"}, "PORTAL_MAIL_FROM: must hold an email address"),
        ({"PORTAL_MAIL_POLL_SECONDS": "x"}, "PORTAL_MAIL_POLL_SECONDS: input should be a valid"),
        ({"PORTAL_MAIL_MAX_ATTEMPTS": "101"}, "PORTAL_MAIL_MAX_ATTEMPTS: input should be less"),
        ({"PORTAL_TRUSTED_PROXY_HOPS": "-1"}, "PORTAL_TRUSTED_PROXY_HOPS: input should be"),
        ({"PORTAL_SESSION_IDLE_MINUTES": "4"}, "PORTAL_SESSION_IDLE_MINUTES: input should be"),
        ({"PORTAL_PASSWORD_MIN_LENGTH": "5"}, "PORTAL_PASSWORD_MIN_LENGTH: input should be"),
        ({"PORTAL_ENV": "prod"}, "PORTAL_SIGNING_P12: must be set when PORTAL_ENV=prod"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, env, message):
    with pytest.raises(SettingsError) as raised:
        load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS, **env})
    text = str(raised.value)
    assert message in text
    assert "\n" not in text and "pydantic" not in text and "errors.pydantic.dev" not in text


def test_every_wrong_variable_is_named_in_one_line(tmp_path):
    with pytest.raises(SettingsError) as raised:
        load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), "PORTAL_ENV": "staging"})
    # The secrets cannot be checked while PORTAL_ENV is wrong: only that is reported.
    assert str(raised.value) == "PORTAL_ENV: input should be 'dev' or 'prod', got 'staging'"


def test_secret_values_never_appear_in_errors(tmp_path):
    env = {
        "PORTAL_INSTANCE_DIR": str(tmp_path),
        "PORTAL_SECRET_KEY": "tiny-secret",
        "PORTAL_API_KEY": "k" * 32,
        "PORTAL_DATABASE_URL": "mysql://u:db-password@x/y",
    }
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert "PORTAL_SECRET_KEY" in str(raised.value) and "PORTAL_DATABASE_URL" in str(raised.value)
    assert "tiny-secret" not in str(raised.value) and "db-password" not in str(raised.value)


def test_production_refuses_kept_secrets_and_the_demo_pki(tmp_path, pki):
    for name in ("secret_key", "api_key"):
        create_secret(tmp_path / name)  # kept for dev: prod does not take them
    env = {"PORTAL_ENV": "prod", "PORTAL_INSTANCE_DIR": str(tmp_path)}
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value) == (
        "PORTAL_SIGNING_P12: must be set when PORTAL_ENV=prod (the demo one is for dev); "
        "PORTAL_SECRET_KEY: must be set when PORTAL_ENV=prod; "
        "PORTAL_API_KEY: must be set when PORTAL_ENV=prod"
    )
    env.update(
        SECRETS,
        PORTAL_SIGNING_P12=str(pki.signer_p12),
        PORTAL_DATABASE_URL="postgresql://portal@db.example/portal",
    )
    settings = load_settings(env)
    assert not settings.is_dev and not settings.uses_demo_pki and settings.trust_roots == ()
    assert settings.database_url == "postgresql+psycopg://portal@db.example/portal"


def test_production_takes_sqlite_only_when_told(tmp_path, pki):
    env = {
        "PORTAL_ENV": "prod",
        "PORTAL_INSTANCE_DIR": str(tmp_path),
        **SECRETS,
        "PORTAL_SIGNING_P12": str(pki.signer_p12),
    }
    with pytest.raises(SettingsError, match="^PORTAL_DATABASE_URL: must be a postgresql"):
        load_settings(env)
    settings = load_settings({**env, "PORTAL_ALLOW_SQLITE": "true"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.db'}"
    # Development never asks.
    assert load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS}).database_url.startswith(
        "sqlite:"
    )


def test_instance_settings_need_no_secret(tmp_path):
    instance = load_instance_settings({"PORTAL_INSTANCE_DIR": str(tmp_path / "new")})
    assert instance.is_dev and instance.instance_dir == tmp_path / "new"
    assert instance.pki_dir == tmp_path / "new" / "pki"
    assert not (tmp_path / "new").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(SettingsError, match="PORTAL_INSTANCE_DIR: is not a folder"):
        load_instance_settings({"PORTAL_INSTANCE_DIR": str(tmp_path / "file")})


def test_settings_are_frozen_and_hide_secrets_from_repr(tmp_path):
    settings = load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS})
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1
    with pytest.raises(ValueError, match="frozen"):
        settings.branding.company_name = "X"
    assert "s" * 32 not in repr(settings) and "k" * 32 not in repr(settings)
    assert hash(settings) == hash(load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS}))


def test_effective_settings_name_every_variable_and_mask_secrets(tmp_path):
    settings = load_settings(
        {
            "PORTAL_INSTANCE_DIR": str(tmp_path),
            **SECRETS,
            "PORTAL_DATABASE_URL": "postgresql://portal:db-pass@db:5432/portal",
            "PORTAL_SMTP_PASSWORD": "smtp-pass",
        }
    )
    rows = list(effective_settings(settings))
    shown = {row.variable: row.value for row in rows}
    # Every variable says what it is for.
    assert all(row.meaning for row in rows)
    assert len(shown) == 44 and all(name.startswith("PORTAL_") for name in shown)
    assert shown["PORTAL_DATABASE_URL"] == "postgresql+psycopg://portal:********@db:5432/portal"
    for name in (
        "PORTAL_SECRET_KEY",
        "PORTAL_API_KEY",
        "PORTAL_SMTP_PASSWORD",
        "PORTAL_SIGNING_P12_PASSWORD",
    ):
        assert shown[name] == "********"
    assert shown["PORTAL_COMPANY_PHONES"] == "928 472 915, 922 032 835, 912 535 535"
    assert shown["PORTAL_NAME"] == "Link Customer Portal Web"
    assert shown["PORTAL_SMTP_HOST"] == "(not set)" and shown["PORTAL_PORT"] == "3000"


def test_times_are_read_in_the_company_zone(tmp_path):
    env = {"PORTAL_INSTANCE_DIR": str(tmp_path), **SECRETS}
    assert load_settings(env).timezone == "Europe/Madrid"
    assert (
        load_settings({**env, "PORTAL_TIMEZONE": "Atlantic/Canary"}).timezone == "Atlantic/Canary"
    )
    with pytest.raises(SettingsError, match="PORTAL_TIMEZONE: unknown time zone 'Mars/Olympus'"):
        load_settings({**env, "PORTAL_TIMEZONE": "Mars/Olympus"})
