"""The nginx configuration the portal ships: rendered from the settings, accepted by nginx."""

from __future__ import annotations

import subprocess

import pytest

from customer_portal.api.edge import IMMUTABLE_CACHE
from customer_portal.deploy.nginx import BadWorker, NginxSite, render
from tests.deploy.production import NGINX
from tests.tls import localhost_certificate


@pytest.fixture
def site(tmp_path) -> NginxSite:
    certificate, key = localhost_certificate(tmp_path)
    pages = tmp_path / "pages"
    (pages / "assets").mkdir(parents=True)
    return NginxSite(
        workers=("127.0.0.1:8001", "127.0.0.1:8002"),
        listen_port=8443,
        http_port=8080,
        certificate=certificate,
        certificate_key=key,
        prefix=tmp_path / "nginx",
        pages=pages,
    )


def test_the_configuration_follows_the_settings(site, settings):
    https = settings.__class__(
        **{
            **settings.__dict__,
            "base_url": "https://facturas.example.com",
            "max_request_bytes": 4096,
        }
    )
    text = render(site, https)
    assert "server 127.0.0.1:8001 max_fails=0;" in text and "server 127.0.0.1:8002" in text
    assert "listen 8443 ssl http2;" in text and "server_name facturas.example.com;" in text
    assert "client_max_body_size 4096;" in text
    assert f'add_header Cache-Control "{IMMUTABLE_CACHE}" always;' in text
    assert f"root {site.pages.resolve()};" in text
    # The plain-HTTP port only redirects, keeping the non-standard HTTPS port.
    assert "return 301 https://$host:8443$request_uri;" in text
    # The log holds neither query strings nor the tokens of account and download links.
    log_format = text.split("log_format")[1].split(";")[0]
    assert "$request_uri" not in log_format and "$uri" not in log_format
    assert "$portal_logged_uri" in log_format


def test_nginx_accepts_it(site, settings):
    site.prefix.mkdir()
    config = site.prefix / "nginx.conf"
    config.write_text(render(site, settings))
    check = subprocess.run(
        [NGINX, "-t", "-p", str(site.prefix), "-e", str(site.prefix / "error.log")]
        + ["-c", str(config), "-g", "user root;"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr


@pytest.mark.parametrize("worker", ["localhost", "127.0.0.1:", "127.0.0.1:70000", "a b:80", ""])
def test_a_worker_must_be_host_and_port(site, settings, worker):
    bad = NginxSite(**{**site.__dict__, "workers": (worker,)})
    with pytest.raises(BadWorker):
        render(bad, settings)
    with pytest.raises(BadWorker, match="at least one worker"):
        render(NginxSite(**{**site.__dict__, "workers": ()}), settings)
