"""The running-portal fixture itself: a port taken between picking and binding is not fatal."""

import socket

import pytest

from tests import portal_fixtures

pytestmark = pytest.mark.e2e


def test_the_portal_starts_elsewhere_when_its_port_was_taken(
    tmp_path_factory, pki, mail_server, monkeypatch
):
    """A fresh-clone run lost every browser test once to this race."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picks = iter([busy])
        pick = portal_fixtures._free_port
        monkeypatch.setattr(portal_fixtures, "_free_port", lambda: next(picks, None) or pick())
        with portal_fixtures.running_portal(tmp_path_factory, pki, mail_server) as portal:
            assert f":{busy}" not in portal.url
            assert "already in use" not in portal.log.read_text()  # the log of the run that won
