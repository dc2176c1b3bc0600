"""The sign-in throttle's arithmetic on a fake clock: no database, exact boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customer_portal.domain import throttle
from customer_portal.domain.throttle import Decision, History, backoff, decide

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def ago(*, minutes: float = 0, seconds: float = 0) -> datetime:
    return NOW - timedelta(minutes=minutes, seconds=seconds)


def burst(count: int, *, last: datetime = NOW, step: timedelta = SECOND) -> list[datetime]:
    """``count`` failures one ``step`` apart, the newest at ``last``."""
    return [last - i * step for i in range(count)]


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (9, 15), (10, 15), (500, 15)],
)
def test_backoff_doubles_from_the_fifth_failure_up_to_fifteen_minutes(failures, minutes):
    assert backoff(failures) == timedelta(minutes=minutes)


def test_the_pair_query_fetches_just_enough_rows_to_reach_the_cap():
    assert backoff(throttle.PAIR_FETCH) == throttle.MAX_WAIT
    assert backoff(throttle.PAIR_FETCH - 1) < throttle.MAX_WAIT


def test_four_failures_are_free():
    assert decide(History(pair=burst(4), account=burst(4), address=burst(4)), NOW).allowed


def test_the_wait_runs_from_the_latest_failure_of_the_pair():
    pair = burst(5, last=ago(seconds=59))
    refused = decide(History(pair=pair, account=pair, address=pair), NOW)
    assert (refused.allowed, refused.rule, refused.retry_after) == (False, "pair", SECOND)
    assert refused.retry_after_minutes == 1
    pair = burst(5, last=ago(minutes=1))
    assert decide(History(pair=pair, account=pair, address=pair), NOW).allowed


def test_sixth_failure_waits_two_minutes():
    pair = burst(6, last=ago(seconds=30))
    assert decide(History(pair=pair), NOW).retry_after == timedelta(seconds=90)
    assert decide(History(pair=pair), NOW + 90 * SECOND).allowed


def test_an_attacker_at_one_address_is_held_to_one_try_per_quarter_hour():
    pair = burst(30, step=15 * MINUTE, last=ago(minutes=14))
    assert decide(History(pair=pair), NOW).retry_after == MINUTE
    assert decide(History(pair=pair), NOW + MINUTE).allowed


def test_pair_failures_count_for_24_hours_exactly():
    day = throttle.PAIR_WINDOW
    recent = burst(4, last=ago(seconds=1))
    assert decide(History(pair=[NOW - day, *recent]), NOW).allowed
    counted = decide(History(pair=[NOW - day + SECOND, *recent]), NOW)
    assert counted.retry_after == MINUTE - SECOND


@pytest.mark.parametrize("usual", [False, True])
def test_a_busy_address_slows_only_the_emails_that_never_signed_in_from_it(usual):
    address = burst(throttle.ADDRESS_LIMIT, last=ago(minutes=5), step=5 * SECOND)
    decision = decide(History(address=address, usual_address=usual), NOW)
    if usual:
        assert decision.allowed
    else:
        # Allowed again when the oldest of the 50 leaves the 15-minute window.
        oldest = address[-1]
        assert decision.rule == "address"
        assert decision.retry_after == oldest + throttle.ADDRESS_WINDOW - NOW


def test_the_address_ceiling_boundaries():
    limit, window = throttle.ADDRESS_LIMIT, throttle.ADDRESS_WINDOW
    assert decide(History(address=burst(limit - 1)), NOW).allowed
    # Exactly 15 minutes old no longer counts.
    leaving = [NOW - window] + burst(limit - 1)
    assert decide(History(address=leaving), NOW).allowed
    staying = [NOW - window + SECOND] + burst(limit - 1)
    assert decide(History(address=staying), NOW).retry_after == SECOND


def test_the_wait_is_until_the_count_is_back_under_the_limit_not_until_the_oldest_leaves():
    # 60 failures: the first 10 leaving the window would still leave 50.
    address = burst(60, last=ago(minutes=1), step=10 * SECOND)
    fiftieth = address[throttle.ADDRESS_LIMIT - 1]
    assert decide(History(address=address), NOW).retry_after == (
        fiftieth + throttle.ADDRESS_WINDOW - NOW
    )


def test_the_account_ceiling_leaves_only_usual_addresses():
    account = burst(throttle.ACCOUNT_LIMIT, last=ago(minutes=30), step=MINUTE)
    elsewhere = decide(History(account=account), NOW)
    assert (elsewhere.rule, elsewhere.retry_after) == (
        "account",
        account[-1] + throttle.ACCOUNT_WINDOW - NOW,
    )
    assert decide(History(account=account, usual_address=True), NOW).allowed
    assert decide(History(account=account[:-1]), NOW).allowed


def test_the_hard_ceiling_holds_for_usual_addresses_too():
    account = burst(throttle.ACCOUNT_HARD_LIMIT, last=ago(minutes=30), step=MINUTE)
    decision = decide(History(account=account, usual_address=True), NOW)
    assert decision.rule == "account_hard" and not decision.allowed
    assert decide(History(account=account[:-1], usual_address=True), NOW).allowed


def test_failures_before_a_password_change_never_count():
    changed = ago(minutes=10)
    before = burst(throttle.ACCOUNT_HARD_LIMIT, last=changed)  # the last one at the change
    history = History(pair=before, account=before, password_changed_at=changed)
    assert decide(history, NOW).allowed
    after = burst(5, last=ago(seconds=10))
    history = History(pair=before + after, account=before + after, password_changed_at=changed)
    assert decide(history, NOW).rule == "pair"


def test_a_password_change_does_not_excuse_the_address():
    address = burst(throttle.ADDRESS_LIMIT, last=ago(minutes=1))
    history = History(address=address, password_changed_at=NOW - SECOND)
    assert decide(history, NOW).rule == "address"


def test_the_longest_wait_wins():
    history = History(
        pair=burst(5),  # one minute
        account=burst(throttle.ACCOUNT_LIMIT, step=MINUTE),  # most of a day
    )
    decision = decide(history, NOW)
    assert decision.rule == "account" and decision.retry_after > timedelta(hours=23)


@pytest.mark.parametrize(
    ("retry_after", "minutes"),
    [(timedelta(0), 0), (SECOND, 1), (MINUTE, 1), (MINUTE + SECOND, 2), (15 * MINUTE, 15)],
)
def test_minutes_are_rounded_up(retry_after, minutes):
    assert Decision(retry_after=retry_after, rule="pair").retry_after_minutes == minutes


def _simulate(addresses, *, usual: frozenset[str] = frozenset()) -> dict[str, list[datetime]]:
    """An attacker trying from every address once a minute for a day, when the policy lets him.

    Returns the failures the policy let through, per address.
    """
    failures: dict[str, list[datetime]] = {a: [] for a in addresses}
    for minute in range(24 * 60):
        now = NOW + minute * MINUTE
        for address in addresses:
            history = History(
                pair=failures[address],
                address=failures[address],
                account=[at for stamps in failures.values() for at in stamps],
                usual_address=address in usual,
            )
            if decide(history, now).allowed:
                failures[address].append(now)
    return failures


def test_one_address_backs_off_to_one_try_per_quarter_hour():
    tries = _simulate(["203.0.113.9"])["203.0.113.9"]
    gaps = [(b - a) / MINUTE for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps[:8] == [1, 1, 1, 1, 1, 2, 4, 8]
    assert set(gaps[8:]) == {15}


def test_no_mix_of_addresses_gets_100_tries_a_day_on_one_account():
    botnet = [f"203.0.113.{i}" for i in range(40)]
    failures = _simulate(["198.51.100.7", *botnet], usual=frozenset({"198.51.100.7"}))
    # The usual address's own failures count towards the 50 too.
    assert sum(len(failures[a]) for a in botnet) <= throttle.ACCOUNT_LIMIT
    assert sum(len(stamps) for stamps in failures.values()) == throttle.ACCOUNT_HARD_LIMIT
