"""The instance folder: the database, secrets and signing key, for the service user only.

Everything under it is private: the folder and its subfolders 0700, files
0600. New files are created that way; :func:`lock_down` also repairs an
instance made before (``customer-portal init`` runs it).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter (created if missing)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and owner-only if missing, so nothing ever writes it world-readable.

    SQLite gives its -wal and -shm files the mode of the database file, so
    creating the database this way keeps those private too.
    """
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    return path


def create_secret(path: Path) -> bool:
    """Write a new random secret to ``path``, owner-only, unless it already exists.

    Two processes running ``init`` at once agree on the first one written
    (O_EXCL), so neither invalidates the sessions and links of the other.

    Args:
        path: Where the secret is kept, e.g. ``instance/secret_key``.

    Returns:
        True if this call wrote it, False if it was already there.
    """
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return True


def lock_down(root: Path) -> None:
    """Make ``root`` and everything under it owner-only (folders 0700, files 0600)."""
    if not root.is_dir():
        return
    os.chmod(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder, name), DIR_MODE)
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                os.chmod(path, FILE_MODE)
