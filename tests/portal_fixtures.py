"""The running portal, started as `make run` starts it, and a real Chromium (a pytest plugin)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from customer_portal.settings import DEMO_P12_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
API_KEY = "e2e-api-key-0123456789"


@dataclass(frozen=True)
class Portal:
    url: str
    env: dict[str, str]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "customer-portal"), *args], env=self.env, capture_output=True, text=True
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(
    url: str, process: subprocess.Popen, log: Path, timeout: float, *, context=None
) -> None:
    """Return once ``url`` answers 200; raise with the end of ``log`` if ``process`` dies first.

    ``context``: an ``ssl.SSLContext`` for https (tests/deploy trusts its own certificate).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name}: exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def mail_server():
    """The SMTP relay of the running portal: a real server on loopback."""
    from tests.mail.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@contextmanager
def running_portal(tmp_path_factory, pki, mail_server, **extra_env: str) -> Iterator[Portal]:
    """A portal started as `make run` starts it, on a free port with its own instance."""
    instance = tmp_path_factory.mktemp("instance")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_"))}
    env.update(
        PORTAL_INSTANCE_DIR=str(instance),
        PORTAL_PORT=str(port),
        PORTAL_API_KEY=API_KEY,
        PORTAL_SIGNING_P12=str(pki.signer_p12),
        PORTAL_SIGNING_P12_PASSWORD=DEMO_P12_PASSWORD,
        PORTAL_TRUST_ROOTS=str(pki.ca_pem),
        PORTAL_SMTP_HOST="127.0.0.1",
        PORTAL_SMTP_PORT=str(mail_server.port),
        PORTAL_MAIL_POLL_SECONDS="1",
        REFLEX_USE_SYSTEM_BUN="1",
        # Its own build folder: a `make run` beside the tests keeps its .web.
        REFLEX_WEB_WORKDIR=str(ROOT / ".web-e2e"),
        PATH=f"{ROOT / '.tools/node_modules/.bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra_env)
    for command in (["init"], ["seed-demo"]):
        subprocess.run(
            [str(BIN / "customer-portal"), *command], env=env, check=True, capture_output=True
        )
    log = instance / "reflex.log"
    # The port was free when picked, but any outbound connection may take it as
    # its own ephemeral port before Reflex binds it: then start again elsewhere.
    for attempt in range(3):
        if attempt:
            port = _free_port()
            env["PORTAL_PORT"] = str(port)
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [str(BIN / "reflex"), "run", "--env", "prod", "--single-port"],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://localhost:{port}"
        try:
            _wait_until_up(f"{url}/api/v1/health", process, log, timeout=420)
            break
        except RuntimeError:
            _stop(process)
            if "already in use" not in log.read_text() or attempt == 2:
                raise
    try:
        _wait_until_up(f"{url}/", process, log, timeout=120)
        yield Portal(url=url, env=env, log=log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """End a process group (Reflex and its server, a worker...) with ``sig``, however far it got."""
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=20)
    except ProcessLookupError:  # already gone
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def portal(tmp_path_factory, pki, mail_server) -> Iterator[Portal]:
    """The portal as `make run` serves it: one process, Reflex state in memory."""
    with running_portal(tmp_path_factory, pki, mail_server) as running:
        yield running


@pytest.fixture(scope="session")
def redis_portal(tmp_path_factory, pki, mail_server) -> Iterator[Portal]:
    """The portal with Reflex state in Redis and several backend workers.

    Its own build folder, so it never rebuilds under the other portal's feet.
    """
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    with running_portal(
        tmp_path_factory,
        pki,
        mail_server,
        REFLEX_REDIS_URL=REDIS_URL,
        REFLEX_WEB_WORKDIR=str(ROOT / ".web-e2e-redis"),
    ) as running:
        yield running
    client.flushdb()
    client.close()


# Per module, not per session: Playwright's sync API keeps an event loop
# running in this thread, which would break async tests that run after it.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        # A browser speaks Spanish unless a test says otherwise (the portal follows
        # Accept-Language, and Chromium's default is English).
        new_context = browser.new_context

        def spanish_by_default(**options):
            options.setdefault("locale", "es-ES")
            return new_context(**options)

        new_page = browser.new_page

        def spanish_page(**options):
            options.setdefault("locale", "es-ES")
            return new_page(**options)

        browser.new_context = spanish_by_default
        browser.new_page = spanish_page
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-ES")
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed browser test, attach what the page showed and the portal's log."""
    report = yield
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        portal = item.funcargs.get("portal")
        if page is not None:
            try:
                report.sections.append(("page text", page.locator("body").inner_text()[:3000]))
                page.screenshot(path=str(Path(item.config.rootpath) / f"failed-{item.name}.png"))
            except Exception as exc:  # the page may be gone; the report must still print
                report.sections.append(("page", f"unavailable: {exc}"))
        # (Some tests' own "portal" fixture is an HTTP client, without a log.)
        if getattr(portal, "log", None) is not None:
            report.sections.append(("portal log", portal.log.read_text()[-3000:]))
    return report
