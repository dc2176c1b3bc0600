"""The documented production mode, started for real: PostgreSQL, Redis, web workers, nginx.

What README "Despliegue" tells an operator to run, in the same order and
with the same commands: ``customer-portal migrate``, the pages built once
(``reflex export``), ``customer-portal serve`` once per worker,
``customer-portal nginx-config`` rendered and nginx started from it. Only
the addresses differ: every port is a free loopback port, the database is
a fresh PostgreSQL schema, Reflex's state a Redis database of its own, and
TLS a self-signed certificate for localhost.
"""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from customer_portal.deploy.worker import BUILD_COMMAND
from customer_portal.settings import DEMO_P12_PASSWORD
from tests.mail.smtp_server import free_port
from tests.portal_fixtures import _stop, _wait_until_up
from tests.tls import localhost_certificate

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NGINX = os.environ.get("PORTAL_TEST_NGINX", "/usr/sbin/nginx")
POSTGRES_ADMIN_URL = os.environ.get(
    "PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_SERVER = os.environ.get("PORTAL_TEST_REDIS_SERVER", "/usr/bin/redis-server")
API_KEY = "prod-api-key-0123456789abcdef"
#: How the harness's own requests trust the test's self-signed certificate.
_TEST_CERTIFICATE = ssl._create_unverified_context()
#: One line of nginx's access log (the ``portal`` format of the shipped template).
_ACCESS = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+)" (?P<status>\d+) \d+ upstream=(?P<up>.*?) rt='
)


@dataclass
class Worker:
    """One ``customer-portal serve`` process."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class Production:
    """The running deployment; :meth:`start` brings it up, :meth:`stop` takes it down."""

    folder: Path
    pki: object
    smtp_port: int
    workers: list[Worker] = field(default_factory=list)
    deliverers: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    schema: str = ""
    redis: subprocess.Popen | None = None
    redis_port: int = 0
    #: The PostgreSQL server (its admin URL) the deployment's schema goes in.
    postgres_url: str = POSTGRES_ADMIN_URL

    @property
    def url(self) -> str:
        # Not "localhost": Reflex's pages, served over https from a host named
        # localhost, drop the port from the websocket's URL (they assume a load
        # balancer on 443). A real deployment has a real name on 443 anyway.
        return f"https://127.0.0.1:{self.port}"

    @property
    def nginx_prefix(self) -> Path:
        return self.folder / "nginx"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        run = subprocess.run(
            [str(BIN / "customer-portal"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if check and run.returncode != 0:
            raise RuntimeError(f"customer-portal {args[0]} failed:\n{run.stdout}\n{run.stderr}")
        return run

    # --- Bringing it up, as README "Despliegue" says ------------------------------------

    def start(self, workers: int = 2) -> Production:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.schema = f"prod_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(self.postgres_url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {self.schema}")
        admin.dispose()
        self.redis_port = free_port()
        self.start_redis()
        instance = self.folder / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_"))}
        env.update(
            PORTAL_ENV="prod",
            PORTAL_INSTANCE_DIR=str(instance),
            # Named, so that drop_database_connections finds this deployment's only.
            PORTAL_DATABASE_URL=f"{self.postgres_url}?options=-csearch_path%3D{self.schema}"
            f"&application_name={self.schema}",
            PORTAL_SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex,
            PORTAL_API_KEY=API_KEY,
            PORTAL_SIGNING_P12=str(self.pki.signer_p12),
            PORTAL_SIGNING_P12_PASSWORD=DEMO_P12_PASSWORD,
            PORTAL_TRUST_ROOTS=str(self.pki.ca_pem),
            PORTAL_BASE_URL=self.url,
            PORTAL_TRUSTED_PROXY_HOPS="1",
            PORTAL_SMTP_HOST="127.0.0.1",
            PORTAL_SMTP_PORT=str(self.smtp_port),
            PORTAL_MAIL_POLL_SECONDS="1",
            # Mail goes out from deliverers of its own (start_deliverers), as README says.
            PORTAL_MAIL_IN_WEB="false",
            REFLEX_REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            REFLEX_USE_SYSTEM_BUN="1",
            # Its own build: the other browser tests' portals keep theirs.
            REFLEX_WEB_WORKDIR=str(ROOT / ".web-e2e-prod"),
            PATH=f"{ROOT / '.tools/node_modules/.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.env = env
        self.cli("migrate")
        self.cli("seed-demo")
        build = subprocess.run(
            [str(BIN / "reflex"), *BUILD_COMMAND.split()[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if build.returncode != 0:
            raise RuntimeError(f"building the pages failed:\n{build.stdout[-3000:]}{build.stderr}")
        for number in range(1, workers + 1):
            worker = Worker(f"web{number}", free_port(), self.folder / f"web{number}.log")
            self.workers.append(worker)
            self.start_worker(worker)
        self._start_nginx()
        return self

    def start_worker(self, worker: Worker) -> None:
        worker.process = self.spawn("serve", "--port", str(worker.port), log=worker.log.name)
        _wait_until_up(
            f"http://{worker.address}/api/v1/health", worker.process, worker.log, timeout=120
        )

    def drop_database_connections(self) -> int:
        """End every PostgreSQL connection of this deployment, as a server restart does."""
        admin = sa.create_engine(self.postgres_url)
        with admin.begin() as conn:
            ended = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": self.schema},
            ).scalar_one()
        admin.dispose()
        return ended

    def start_redis(self) -> None:
        """A Redis server of this deployment's own (the machine's stays untouched), no disk."""
        log = self.folder / "redis.log"
        with log.open("a") as out:
            self.redis = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.redis_port), "--bind", "127.0.0.1"]
                + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        import redis

        client = redis.Redis(port=self.redis_port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.redis.poll() is not None:
                    raise RuntimeError(f"redis did not start:\n{log.read_text()[-2000:]}") from None
                time.sleep(0.1)
        client.close()

    def stop_redis(self) -> None:
        """Stop the Redis server; whatever it held (tabs' state) is gone."""
        assert self.redis is not None
        _stop(self.redis)

    def spawn(self, *args: str, log: str) -> subprocess.Popen:
        """``customer-portal *args`` as a process of its own, its output in ``log``."""
        with (self.folder / log).open("a") as out:
            return subprocess.Popen(
                [str(BIN / "customer-portal"), *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_deliverers(self, count: int) -> None:
        """``customer-portal deliver-mail --watch``, ``count`` times side by side."""
        for number in range(1, count + 1):
            self.deliverers.append(
                self.spawn("-v", "deliver-mail", "--watch", log=f"mail{number}.log")
            )

    def kill_worker(self, worker: Worker) -> None:
        """SIGKILL the worker's whole process group: no goodbye to anyone."""
        assert worker.process is not None
        _stop(worker.process, signal.SIGKILL)

    def _start_nginx(self) -> None:
        prefix = self.nginx_prefix
        prefix.mkdir(parents=True, exist_ok=True)
        certificate, key = localhost_certificate(self.folder)
        args = ["nginx-config", "--listen", str(self.port), "--prefix", str(prefix)]
        args += ["--certificate", str(certificate), "--key", str(key)]
        for worker in self.workers:
            args += ["--worker", worker.address]
        (prefix / "nginx.conf").write_text(self.cli(*args).stdout)
        log = prefix / "nginx.out"
        # The tests may run as root: nginx's workers then stay this user, who
        # can read the test's folders (in production, nginx's own user must).
        user = "user root;" if os.getuid() == 0 else ""
        with log.open("w") as out:
            self.nginx = subprocess.Popen(
                [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log")]
                + ["-c", str(prefix / "nginx.conf"), "-g", f"daemon off; {user}"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until_up(
            f"{self.url}/api/v1/health", self.nginx, log, timeout=30, context=_TEST_CERTIFICATE
        )

    def stop(self) -> None:
        if self.nginx is not None:
            _stop(self.nginx, signal.SIGQUIT)
        for worker in self.workers:
            if worker.process is not None:
                _stop(worker.process)
        for deliverer in self.deliverers:
            _stop(deliverer)
        if self.redis is not None:
            _stop(self.redis)
        if self.schema:
            admin = sa.create_engine(self.postgres_url)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            admin.dispose()

    # --- What nginx saw -------------------------------------------------------------------

    def failures(self) -> list[str]:
        """The lines of nginx's access log where it answered 5xx itself or through a worker."""
        log = self.nginx_prefix / "access.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [line for line in lines if (m := _ACCESS.search(line)) and m["status"][0] == "5"]

    def served(self, path_prefix: str) -> Counter[str]:
        """How many requests under ``path_prefix`` each worker answered (nginx's access log).

        A websocket is logged when it closes, by the worker it was upgraded to.
        """
        counts: Counter[str] = Counter()
        names = {worker.address: worker.name for worker in self.workers}
        log = self.nginx_prefix / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            match = _ACCESS.search(line)
            if match is None or not match["path"].startswith(path_prefix):
                continue
            if match["status"].startswith("5"):
                continue  # nginx found no worker to answer
            # A retried request lists every worker tried: the last one answered.
            last = match["up"].split(",")[-1].strip()
            counts[names.get(last, last)] += 1
        return counts
