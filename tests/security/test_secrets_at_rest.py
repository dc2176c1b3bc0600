"""Finding 4: secrets at rest in plain text, world-readable.

The instance folder (database, secrets, signing key) is the service user's
alone; Reflex state, whatever manager keeps it, never holds a password, a
session token or a live link.
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from customer_portal.instance import lock_down
from customer_portal.state.credentials import CredentialsState
from customer_portal.state.password_form import PasswordFormState
from tests.factories import state_for

MARKER_PASSWORD = "Marcador-Clave-7f3a!"


def modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_init_makes_every_instance_file_owner_only(portal_env, tmp_path):
    env = {**os.environ, **portal_env}
    env.pop("PORTAL_SIGNING_P12"), env.pop("PORTAL_TRUST_ROOTS")  # the demo PKI, made here
    cli = Path(sys.executable).with_name("customer-portal")
    subprocess.run([str(cli), "init"], env=env, check=True, capture_output=True)
    instance = Path(portal_env["PORTAL_INSTANCE_DIR"])
    found = modes(instance)
    assert "portal.db" in found and "pki/signer.p12" in found
    for name, mode in found.items():
        wanted = 0o700 if (instance / name).is_dir() else 0o600
        assert mode == wanted, f"{name} is {oct(mode)}"


def test_init_repairs_an_instance_made_world_readable(tmp_path):
    (tmp_path / "pki").mkdir()
    for name in ("portal.db", "portal.db-wal", "secret_key", "pki/signer.p12"):
        (tmp_path / name).write_text("x")
        os.chmod(tmp_path / name, 0o644)
    os.chmod(tmp_path, 0o755)
    lock_down(tmp_path)
    assert set(modes(tmp_path).values()) == {0o700, 0o600}


@pytest.mark.parametrize("state_cls", [PasswordFormState, CredentialsState])
def test_typing_a_password_leaves_nothing_of_it_in_state(settings, state_cls):
    state = state_for(state_cls)
    for typed in ("M", "Marcador", MARKER_PASSWORD):
        state_cls.check_rules.fn(state, typed, MARKER_PASSWORD)
    assert state.can_submit  # the checklist did its work...
    # ...and what Reflex would write to disk or Redis holds no trace of the password.
    for blob in (pickle.dumps(state), state._serialize(), repr(state.dict()).encode()):
        assert MARKER_PASSWORD.encode() not in blob
        assert b"Marcador" not in blob
