"""The live checklist under a new password, shared by every form that sets one.

The form posts natively to the server; this state only scores what is typed.
Each keystroke sends the two fields' current values to :meth:`check_rules`,
which keeps the rule results and never the password itself: nothing the
customer typed is stored in Reflex state (which Reflex may write to disk or
Redis). The server checks everything again with the same
:func:`check_password` when the form arrives.

Enter submits the form the way a browser does, but a browser ignores Enter
while the submit button is disabled, and the button follows the typing a
round trip late. So Enter on a disabled button asks :meth:`submit_on_enter`;
events run in order, so it sees the last keystroke's result: it has the page
submit the form if the password passes (``submit_requested``), and
otherwise names the rules still unmet.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from customer_portal.domain.password_rules import check_password
from customer_portal.i18n import _
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState

_MAX_TYPED = 256


@dataclass(frozen=True)
class RuleView:
    """One line of the checklist: which rule, in the manual's words, and whether it passes.

    ``passed`` stays False until the customer types a password: an empty
    field meets no rule, not even "No más de 72 caracteres".
    """

    key: str
    label: str
    passed: bool


def score(password: str, repeat: str) -> tuple[list[RuleView], bool, list[str]]:
    """The checklist for what is typed, whether it may be sent, and the labels still unmet.

    The labels are in the current language (the event's).
    """
    check = check_password(password, repeat, min_length=get_settings().password_min_length)
    typed = bool(password)
    rules = [
        RuleView(key=rule.key, label=rule.label, passed=typed and rule.passed)
        for rule in check.rules
    ]
    return rules, check.acceptable, [rule.label for rule in rules if not rule.passed]


def unmet_message(unmet: list[str]) -> str:
    """What Enter says when the password cannot be sent yet ("" when nothing is missing)."""
    if not unmet:
        return ""
    return _("Todavía no se puede actualizar. Requisitos pendientes: {rules}.").format(
        rules="; ".join(unmet)
    )


class PasswordFormState(AuthState):
    """Rule results of the password being typed, and the form's message."""

    rules: list[RuleView] = score("", "")[0]
    can_submit: bool = False
    asterisk_warning: bool = False
    error: str = ""
    notice: str = ""
    #: Set when Enter was pressed before every rule passed: what is missing.
    unmet: str = ""
    #: True once Enter found the password acceptable: the page then submits the form.
    submit_requested: bool = False

    @rx.event
    def check_rules(self, password: str, repeat: str):
        """Score ``password`` and ``repeat`` as typed; keep only the results."""
        if not isinstance(password, str) or not isinstance(repeat, str):
            return
        password, repeat = password[:_MAX_TYPED], repeat[:_MAX_TYPED]
        self.rules, self.can_submit, unmet = score(password, repeat)
        self.asterisk_warning = "*" in password
        if self.unmet:
            self.unmet = unmet_message(unmet)

    @rx.event
    def submit_on_enter(self):
        """Enter while Actualizar was disabled: submit if the password passes, else say why not."""
        self.unmet = unmet_message([rule.label for rule in self.rules if not rule.passed])
        if self.can_submit:
            # Off then on, so the page's submitter mounts again on a second Enter
            # (a form the browser refused to send, e.g. an empty email field).
            self.submit_requested = False
            yield
            self.submit_requested = True

    def _open_form(self) -> None:
        """A fresh page: empty fields, so an empty checklist, and the redirect's message."""
        self.rules, self.can_submit, _unmet = score("", "")
        self.asterisk_warning = False
        self.unmet, self.submit_requested = "", False
        self.error, self.notice = self._flash()
