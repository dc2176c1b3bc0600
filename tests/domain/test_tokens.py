"""Activation and reset links: tamper, expiry, purpose, single use."""

from __future__ import annotations

import time

import pytest

from customer_portal.db import unit_of_work
from customer_portal.domain.tokens import TokenError, TokenKeys, TokenPurpose
from customer_portal.models import Account, utcnow
from tests.factories import make_account

KEYS = TokenKeys("token-test-secret-0123456789")


@pytest.fixture
def account(engine) -> Account:
    with unit_of_work(engine) as session:
        return make_account(session, email="ana@example.com", activated=False)


def redeem(engine, token, purpose=TokenPurpose.ACTIVATION, max_age=3600):
    with unit_of_work(engine) as session:
        return KEYS.redeem(session=session, purpose=purpose, token=token, max_age_seconds=max_age)


def test_a_fresh_token_names_its_account(engine, account):
    assert redeem(engine, KEYS.issue(TokenPurpose.ACTIVATION, account)).id == account.id


# Not the last character: its low bits are base64 padding, so some changes
# to it decode to the same bytes and prove nothing.
@pytest.mark.parametrize("position", [0, 10, -12, -3])
def test_tampered_tokens_are_invalid(engine, account, position):
    token = KEYS.issue(TokenPurpose.ACTIVATION, account)
    position %= len(token)
    swapped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + swapped + token[position + 1 :]
    with pytest.raises(TokenError) as caught:
        redeem(engine, tampered)
    assert caught.value.reason == "invalid"


def test_expired_token(engine, account):
    token = KEYS.issue(TokenPurpose.ACTIVATION, account)
    time.sleep(1.1)
    with pytest.raises(TokenError) as caught:
        redeem(engine, token, max_age=0)
    assert caught.value.reason == "expired"


def test_a_token_for_one_purpose_is_useless_for_another(engine, account):
    token = KEYS.issue(TokenPurpose.ACTIVATION, account)
    with pytest.raises(TokenError):
        redeem(engine, token, TokenPurpose.PASSWORD_RESET)


def test_another_secret_key_rejects(engine, account):
    token = TokenKeys("another-secret-0123456789").issue(TokenPurpose.ACTIVATION, account)
    with pytest.raises(TokenError):
        redeem(engine, token)


def test_activating_or_changing_the_password_kills_every_earlier_link(engine, account):
    activation = KEYS.issue(TokenPurpose.ACTIVATION, account)
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        stored.password_hash, stored.activated_at = "$2b$12$" + "a" * 53, utcnow()
        stored.password_changed_at = utcnow()
        session.add(stored)
        session.commit()
        session.refresh(stored)
        reset = KEYS.issue(TokenPurpose.PASSWORD_RESET, stored)
    with pytest.raises(TokenError):
        redeem(engine, activation)  # used: the account is active now
    assert redeem(engine, reset, TokenPurpose.PASSWORD_RESET).id == account.id
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        stored.password_hash, stored.password_changed_at = "$2b$12$" + "b" * 53, utcnow()
        session.add(stored)
        session.commit()
    with pytest.raises(TokenError):
        redeem(engine, reset, TokenPurpose.PASSWORD_RESET)
