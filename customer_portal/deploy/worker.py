"""One production web worker: pages, events, forms and API on one port, built beforehand.

``reflex run --env prod`` compiles and builds the pages every time it
starts, in its own ``.web`` folder: fine for one process (``make run``), but
several workers starting together would build the same folder at once, and a
restarted worker would take a minute to answer. In production the pages are
built once per release (``reflex export --frontend-only --no-zip``) and
every worker serves that build, as ``reflex run --env prod --single-port``
serves its own: the same Reflex backend, with the built pages mounted, so the
portal's edge (:mod:`customer_portal.api.edge`) puts the same headers on
every page whichever worker answers.
"""

from __future__ import annotations

import os
from pathlib import Path

from customer_portal.settings import Settings

BUILD_COMMAND = "reflex export --frontend-only --no-zip --env prod"


class NotReady(RuntimeError):
    """The worker cannot start; the message says what to do."""


def built_pages() -> Path:
    """The folder of the built pages that workers serve (and nginx serves /assets/ from)."""
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


def check_ready(settings: Settings) -> Path:
    """The built pages' folder, once everything a production worker needs is there.

    Raises:
        NotReady: the pages are not built, or several workers would not
            share the customers' tabs (no Redis).
    """
    pages = built_pages()
    if not (pages / "index.html").is_file():
        raise NotReady(f"the pages are not built in {pages}: run `{BUILD_COMMAND}` first")
    if not settings.is_dev and not os.environ.get("REFLEX_REDIS_URL", "").strip():
        raise NotReady(
            "REFLEX_REDIS_URL is not set: production workers keep customers' tabs in Redis, "
            "so that any worker can answer any tab"
        )
    return pages


def serve(*, host: str, port: int) -> None:
    """Serve one worker on ``host:port`` until stopped (granian, one process)."""
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    # Built already: compiling here would rewrite the folder other workers serve.
    environment.REFLEX_SKIP_COMPILE.set(True)
    # One process per worker: the operator (systemd, the tests) runs as many as wanted.
    os.environ.setdefault("GRANIAN_WORKERS", "1")
    reflex_exec.run_backend_prod(
        host, port, constants.LogLevel.WARNING, mount_frontend_compiled_app=True
    )
