"""bcrypt: the hash, and where it runs so twenty logins do not stall the event loop."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import bcrypt
import pytest

from customer_portal.domain import passwords
from customer_portal.domain.passwords import (
    PasswordTooLong,
    hash_password,
    verify_password,
)


def test_a_hash_verifies_its_password_only():
    stored = hash_password("Buena-Clave1", rounds=4)
    assert stored.startswith("$2b$04$")
    assert verify_password("Buena-Clave1", stored)
    assert not verify_password("Mala-Clave1", stored)
    assert not verify_password("x" * 73, stored)
    with pytest.raises(PasswordTooLong):
        hash_password("ñ" * 37)


def test_the_portal_stores_cost_12():
    assert passwords.BCRYPT_ROUNDS == 12


@pytest.fixture
def watched_checkpw(monkeypatch):
    """bcrypt.checkpw that records the threads it ran on, their niceness and the peak overlap."""
    seen: list[tuple[str, int]] = []
    running, peak = [0], [0]
    lock = threading.Lock()

    def checkpw(password: bytes, hashed: bytes) -> bool:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            seen.append((threading.current_thread().name, nice))
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return True

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    return seen, peak


def test_twenty_logins_at_once_leave_a_cpu_to_the_event_loop(watched_checkpw):
    seen, peak = watched_checkpw
    with ThreadPoolExecutor(20) as logins:
        assert all(logins.map(lambda _: verify_password("x", "$2b$04$x"), range(20)))
    assert len(seen) == 20
    assert peak[0] <= passwords.bcrypt_threads() == max(1, (os.cpu_count() or 1) - 1)
    assert all(name.startswith("bcrypt") for name, _ in seen)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
def test_bcrypt_runs_at_a_lower_cpu_priority_than_the_caller(watched_checkpw):
    seen, _ = watched_checkpw
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    verify_password("x", "$2b$04$x")
    ((_, nice),) = seen
    assert nice == min(19, caller + passwords.BCRYPT_NICENESS)
