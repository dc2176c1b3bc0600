import pytest

from customer_portal.settings import SettingsError, load_settings


def test_dev_defaults_work_on_a_fresh_machine(tmp_path):
    settings = load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path / "inst")})
    assert settings.is_dev and settings.port == 3000
    assert settings.base_url == "http://localhost:3000"
    assert settings.database_url == f"sqlite:///{tmp_path / 'inst' / 'portal.db'}"
    assert settings.uses_demo_pki and settings.signing_p12 == tmp_path / "inst/pki/signer.p12"
    assert settings.branding.company_name == "Link Soluciones"
    assert settings.branding.phones == ("928 472 915", "922 032 835", "912 535 535")
    # The generated secrets are kept, so a restart keeps sessions and links valid.
    again = load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path / "inst")})
    assert again.secret_key == settings.secret_key and len(settings.secret_key) >= 32
    assert again.api_key == settings.api_key != settings.secret_key


def test_overrides(tmp_path):
    settings = load_settings(
        {
            "PORTAL_INSTANCE_DIR": str(tmp_path),
            "PORTAL_PORT": "8123",
            "PORTAL_DATABASE_URL": "postgresql://u@db/portal",
            "PORTAL_COMPANY_NAME": "Otra",
            "PORTAL_COMPANY_PHONES": "900 1, 900 2",
        }
    )
    assert settings.base_url == "http://localhost:8123"
    assert settings.database_url == "postgresql+psycopg://u@db/portal"
    assert settings.branding.company_name == "Otra"
    assert settings.branding.portal_name == "Otra Customer Portal Web"
    assert settings.branding.phones == ("900 1", "900 2")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORTAL_PORT": "tres mil"}, "PORTAL_PORT"),
        ({"PORTAL_PORT": "70000"}, "PORTAL_PORT"),
        ({"PORTAL_BASE_URL": "localhost:3000"}, "PORTAL_BASE_URL"),
        ({"PORTAL_TSA_URL": "ftp://tsa"}, "PORTAL_TSA_URL"),
        ({"PORTAL_DATABASE_URL": "mysql://x"}, "PORTAL_DATABASE_URL"),
        ({"PORTAL_ENV": "staging"}, "PORTAL_ENV"),
        ({"PORTAL_API_KEY": "short"}, "PORTAL_API_KEY"),
        ({"PORTAL_SIGNING_P12": "/nonexistent.p12"}, "PORTAL_SIGNING_P12"),
        ({"PORTAL_TRUST_ROOTS": "/nonexistent.pem"}, "PORTAL_TRUST_ROOTS"),
        ({"PORTAL_COMPANY_NAME": " "}, "PORTAL_COMPANY_NAME"),
        ({"PORTAL_COMPANY_LOGO": "/nonexistent.png"}, "PORTAL_COMPANY_LOGO"),
        ({"PORTAL_ENV": "prod"}, "PORTAL_SIGNING_P12"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, env, variable):
    with pytest.raises(SettingsError, match=variable):
        load_settings({"PORTAL_INSTANCE_DIR": str(tmp_path), **env})


def test_production_refuses_generated_secrets(tmp_path, pki):
    env = {
        "PORTAL_ENV": "prod",
        "PORTAL_INSTANCE_DIR": str(tmp_path),
        "PORTAL_SIGNING_P12": str(pki.signer_p12),
    }
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY must be set"):
        load_settings(env)
    env["PORTAL_SECRET_KEY"] = "s" * 32
    with pytest.raises(SettingsError, match="PORTAL_API_KEY must be set"):
        load_settings(env)
    env["PORTAL_API_KEY"] = "k" * 32
    assert not load_settings(env).is_dev
    assert not (tmp_path / "secret_key").exists()
