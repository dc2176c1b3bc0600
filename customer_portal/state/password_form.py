"""The live checklist under a new password, shared by every form that sets one.

The form posts natively to the server; this state only scores what is typed.
Each keystroke sends the two fields' current values to :meth:`check_rules`,
which keeps the rule results and never the password itself: nothing the
customer typed is stored in Reflex state (which Reflex may write to disk or
Redis). The server checks everything again with the same
:func:`check_password` when the form arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from customer_portal.domain.password_rules import check_password
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState

_MAX_TYPED = 256


@dataclass(frozen=True)
class RuleView:
    """One line of the checklist: which rule, in the manual's words, and whether it passes."""

    key: str
    label: str
    passed: bool


def _rules(password: str, repeat: str) -> tuple[list[RuleView], bool]:
    check = check_password(password, repeat, min_length=get_settings().password_min_length)
    rules = [RuleView(key=rule.key, label=rule.label, passed=rule.passed) for rule in check.rules]
    return rules, check.acceptable


class PasswordFormState(AuthState):
    """Rule results of the password being typed, and the form's message."""

    rules: list[RuleView] = _rules("", "")[0]
    can_submit: bool = False
    asterisk_warning: bool = False
    error: str = ""
    notice: str = ""

    @rx.event
    def check_rules(self, password: str, repeat: str):
        """Score ``password`` and ``repeat`` as typed; keep only the results."""
        if not isinstance(password, str) or not isinstance(repeat, str):
            return
        password, repeat = password[:_MAX_TYPED], repeat[:_MAX_TYPED]
        self.rules, self.can_submit = _rules(password, repeat)
        self.asterisk_warning = "*" in password

    def _open_form(self) -> None:
        """A fresh page: empty fields, so an empty checklist, and the redirect's message."""
        self.rules, self.can_submit = _rules("", "")
        self.asterisk_warning = False
        self.error, self.notice = self._flash()
