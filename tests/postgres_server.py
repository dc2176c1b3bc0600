"""A PostgreSQL server of a test's own, to stop and start while the portal works.

The machine's server (127.0.0.1:5432) is shared by every test and must stay
up; a restart or an outage is staged on a cluster made for the test with the
same PostgreSQL's ``initdb`` and ``pg_ctl``, on a free loopback port, with no
Unix socket and no fsync (its data is thrown away). PostgreSQL refuses to
run as root, so as root it runs as the ``postgres`` user, from a folder that
user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.mail.smtp_server import free_port


def _bin_dir() -> Path:
    configured = os.environ.get("PORTAL_TEST_POSTGRES_BIN")
    if configured:
        return Path(configured)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL's initdb was not found under /usr/lib/postgresql/*/bin: install the"
            " server package (postgresql) or set PORTAL_TEST_POSTGRES_BIN"
        )
    return Path(found[-1]).parent


class PostgresServer:
    """``start()``, ``stop()`` and ``start()`` again: the same data, a real restart."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_postgres = os.getuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_postgres else command

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            self._command(tool, *args), capture_output=True, text=True, cwd=self.folder
        )
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} {args[-1]} failed:\n{done.stdout}\n{done.stderr}\n{log}")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def start(self) -> PostgresServer:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            " -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._pg_ctl("-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop it: ``fast`` ends every connection (a restart), ``immediate`` is a crash."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        """Stop it if it runs, and delete its data."""
        subprocess.run(
            self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
