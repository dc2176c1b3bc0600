"""Checking a signed PDF from outside our code: poppler's pdfsig, and a PDF with one byte changed.

Used by the signing tests and by ``bench/signed_output.py``, which checks a
publishing run's output the same way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def pdfsig(pdf: bytes, folder: Path, nss_db: Path | None = None) -> str:
    """What ``pdfsig`` prints for ``pdf`` (written into ``folder``); with ``nss_db``, trust too."""
    path = folder / "signed.pdf"
    path.write_bytes(pdf)
    command = ["pdfsig"] + (["-nssdir", f"sql:{nss_db}"] if nss_db else []) + [str(path)]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    return run.stdout + run.stderr


def flip_one_byte(pdf: bytes, at: int) -> bytes:
    """``pdf`` with the byte at ``at`` changed by one bit."""
    data = bytearray(pdf)
    data[at] ^= 0x01
    return bytes(data)
