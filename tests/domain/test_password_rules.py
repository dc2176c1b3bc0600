from hypothesis import given
from hypothesis import strategies as st

from customer_portal.domain.password_rules import ASTERISK_WARNING, check_password


def keys_passed(password, repeat, **kw):
    return {rule.key for rule in check_password(password, repeat, **kw).rules if rule.passed}


def test_the_manuals_example_rules():
    assert check_password("Abcde!", "Abcde!").acceptable
    assert keys_passed("abcde!", "abcde!") == {"length", "symbol", "lower", "max_bytes", "match"}
    assert keys_passed("Abcdef", "Abcdef") == {"length", "lower", "upper", "max_bytes", "match"}
    assert keys_passed("Ab!", "Ab!") == {"symbol", "lower", "upper", "max_bytes", "match"}
    assert not check_password("Abcde!", "Abcde?").acceptable


def test_asterisk_is_a_warning_not_a_block():
    check = check_password("Abc*de", "Abc*de")
    assert check.acceptable and check.warnings == (ASTERISK_WARNING,)


def test_over_72_bytes_is_its_own_failed_rule():
    password = "Aa!" + "ñ" * 35  # 73 bytes, 38 characters
    check = check_password(password, password)
    assert [rule.key for rule in check.rules if not rule.passed] == ["max_bytes"]
    # Worded for a customer, who counts characters, not bytes.
    assert check.failed() == ["No más de 72 caracteres (menos si usa acentos, eñes o emojis)"]


def test_no_rule_talks_of_bytes():
    assert all("byte" not in rule.label for rule in check_password("", "").rules)


def test_minimum_length_is_configurable():
    assert not check_password("Ab!defg", "Ab!defg", min_length=8).acceptable
    assert check_password("Ab!defgh", "Ab!defgh", min_length=8).acceptable


@given(st.text(max_size=80), st.text(max_size=80))
def test_the_button_state_is_the_conjunction_of_the_rules(password, repeat):
    check = check_password(password, repeat)
    expected = (
        len(password) >= 6
        and any(not c.isalnum() for c in password)
        and any(c.islower() for c in password)
        and any(c.isupper() for c in password)
        and len(password.encode()) <= 72
        and password == repeat
    )
    assert check.acceptable == expected == all(rule.passed for rule in check.rules)


@given(st.text(min_size=1, max_size=40))
def test_a_password_always_matches_itself_and_never_a_changed_copy(password):
    assert "match" in keys_passed(password, password)
    assert "match" not in keys_passed(password, password + "x")


def test_the_dummy_hash_costs_what_a_real_one_costs():
    # Unknown emails are checked against it: a cheaper hash would answer faster.
    from customer_portal.domain.auth import _DUMMY_HASH
    from customer_portal.domain.passwords import BCRYPT_ROUNDS

    assert _DUMMY_HASH.startswith(f"$2b${BCRYPT_ROUNDS:02d}$") and len(_DUMMY_HASH) == 60
