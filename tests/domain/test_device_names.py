"""Mi cuenta names each signed-in browser as a customer would: "Chrome en Linux"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from customer_portal.db import unit_of_work
from customer_portal.domain.sessions import device_name, live_sessions, start_session
from tests.factories import make_account

# Real User-Agent strings, as browsers send them.
TABLE = [
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Chrome en Linux",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0.6778.85 Safari/537.36",
        "Chrome en Linux",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Safari en iPhone",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        "Chrome en iPad",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Firefox en Windows",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
        "Edge en Windows",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.4 Safari/605.1.15",
        "Safari en Mac",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/125.0.6422.113 Mobile Safari/537.36",
        "Chrome en Android",
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Samsung Internet en Android",
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
        "Firefox en Linux",
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Chrome en ChromeOS",
    ),
    ("", "Navegador desconocido"),
    ("   ", "Navegador desconocido"),
    ("python-httpx/0.27.0", "Navegador desconocido"),
    # What the column kept of a browser string cut mid-word: the system is still known.
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessC",
        "Navegador desconocido en Linux",
    ),
]


@pytest.mark.parametrize(("user_agent", "expected"), TABLE)
def test_a_user_agent_reads_as_browser_en_system(user_agent, expected):
    assert device_name(user_agent) == expected


def test_the_name_never_shows_the_raw_string():
    for user_agent, _ in TABLE:
        name = device_name(user_agent)
        assert "Mozilla" not in name and "/" not in name and len(name) < 40


def test_live_sessions_name_the_device(engine):
    chrome, _ = TABLE[0]
    with unit_of_work(engine) as session:
        account = make_account(session)
        token = start_session(
            session=session, account=account, idle=timedelta(hours=1), user_agent=chrome
        )
        start_session(session=session, account=account, idle=timedelta(hours=1))
    with unit_of_work(engine) as session:
        rows = live_sessions(session=session, account_id=account.id, current_token=token)
    assert sorted((row.device, row.current) for row in rows) == [
        ("Chrome en Linux", True),
        ("Navegador desconocido", False),
    ]
