"""Password hashing with bcrypt.

bcrypt 5 refuses passwords over 72 bytes instead of silently cutting them;
:class:`PasswordTooLong` turns that into a rule the forms can explain.

bcrypt is slow on purpose (a quarter of a second of CPU at cost 12), and the
forms run it in worker threads. Twenty logins at once would be twenty such
threads taking the CPUs from the event loop that answers every other
customer's websocket (benchmark 3 measured events 14× slower). So bcrypt
runs in a pool of its own: one thread per CPU but one (so one CPU is always
left to the event loop), each at the lowest CPU priority on Linux. Logins
queue there, and when the event loop has work the kernel gives it the CPU
first.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt

MAX_PASSWORD_BYTES = 72
BCRYPT_ROUNDS = 12
#: How much nicer (lower CPU priority) bcrypt's threads are than the portal's others: the most
#: (nice 19), so an event always goes first; bcrypt still gets every idle cycle.
BCRYPT_NICENESS = 19


class PasswordTooLong(ValueError):
    """The password is longer than bcrypt's 72-byte limit."""


def _encode(password: str) -> bytes:
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise PasswordTooLong(f"a password can be at most {MAX_PASSWORD_BYTES} bytes long")
    return data


def _lower_priority() -> None:
    """Make this (new) thread nicer. Linux only: elsewhere the call would renice the process."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + BCRYPT_NICENESS))
    except OSError:
        pass  # a sandbox that refuses: bcrypt still runs, at the usual priority


def bcrypt_threads() -> int:
    """How many passwords are checked at once: one per CPU but one, at least one."""
    return max(1, (os.cpu_count() or 1) - 1)


@functools.cache
def _pool(pid: int) -> ThreadPoolExecutor:
    """The threads bcrypt runs on in process ``pid`` (a forked worker makes its own)."""
    return ThreadPoolExecutor(
        max_workers=bcrypt_threads(),
        thread_name_prefix="bcrypt",
        initializer=_lower_priority,
    )


def _in_pool(fn, *args):
    return _pool(os.getpid()).submit(fn, *args).result()


def hash_password(password: str, *, rounds: int = BCRYPT_ROUNDS) -> str:
    """The bcrypt hash to store for ``password``, with a fresh salt.

    Slow on purpose (``rounds``): callers run it outside any transaction.

    Raises:
        PasswordTooLong: ``password`` is over 72 bytes in UTF-8.
    """
    data = _encode(password)
    return _in_pool(bcrypt.hashpw, data, bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True if ``password`` matches; a too-long password simply does not match."""
    try:
        data = _encode(password)
    except PasswordTooLong:
        return False
    return _in_pool(bcrypt.checkpw, data, password_hash.encode("ascii"))
