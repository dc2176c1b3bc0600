"""The password checklist: neutral until typed, and Enter on a disabled button."""

from __future__ import annotations

import pytest

from customer_portal.state.account import AccountState
from customer_portal.state.credentials import CredentialsState
from customer_portal.state.password_form import score, unmet_message
from tests.factories import state_for


def passed(rules) -> set[str]:
    return {rule.key for rule in rules if rule.passed}


def test_nothing_is_green_before_the_customer_types():
    rules, can_submit, unmet = score("", "")
    # "No más de 72 caracteres" is true of an empty field, yet not shown as met.
    assert passed(rules) == set() and not can_submit
    assert len(unmet) == len(rules) == 6


def test_rules_turn_green_as_the_password_is_typed():
    assert passed(score("a", "")[0]) == {"lower", "max_bytes"}
    assert passed(score("aB!def", "aB!def")[0]) == {
        "length",
        "symbol",
        "lower",
        "upper",
        "max_bytes",
        "match",
    }
    assert score("aB!def", "aB!def")[1] is True


def test_a_repeat_typed_first_makes_nothing_green():
    assert passed(score("", "aB!def")[0]) == set()


def test_the_unmet_message_names_the_rules_in_order():
    assert unmet_message([]) == ""
    assert unmet_message(["Al menos 6 caracteres", "Las dos contraseñas coinciden"]) == (
        "Todavía no se puede actualizar. Requisitos pendientes: Al menos 6 caracteres; "
        "Las dos contraseñas coinciden."
    )


@pytest.mark.parametrize("state_cls", [CredentialsState, AccountState])
def test_enter_on_an_unfinished_password_names_what_is_missing(portal_env, state_cls):
    state = state_for(state_cls, url="/cuenta")
    state.check_rules("aB!def", "aB!de")
    assert list(state.submit_on_enter()) == []
    assert state.unmet.endswith("Requisitos pendientes: Las dos contraseñas coinciden.")
    assert not state.submit_requested
    # The message follows the typing, and goes once everything passes.
    state.check_rules("aB!def", "aB!def")
    assert state.unmet == ""


def test_enter_right_after_the_last_keystroke_submits(portal_env):
    """The button had not caught up yet; the handler, run after the keystroke's, sends."""
    state = state_for(CredentialsState, url="/credenciales")
    state.check_rules("aB!def", "aB!def")
    steps = state.submit_on_enter()
    next(steps)
    assert state.submit_requested is False  # off first, so the submitter mounts again
    with pytest.raises(StopIteration):
        next(steps)
    assert state.submit_requested is True and state.unmet == ""


def test_typed_text_is_not_kept(portal_env):
    state = state_for(CredentialsState, url="/credenciales")
    state.check_rules("Secreto-1", "Secreto-1")
    assert "Secreto-1" not in repr(state.dict())
