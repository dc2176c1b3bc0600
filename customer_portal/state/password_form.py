"""The password fields and their live checklist, shared by every form that sets one."""

from __future__ import annotations

import reflex as rx

from customer_portal.domain.password_rules import check_password
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState


class PasswordFormState(AuthState):
    password: str = ""
    repeat: str = ""
    error: str = ""

    @rx.event
    def set_password(self, value: str):
        self.password = str(value)[:256]

    @rx.event
    def set_repeat(self, value: str):
        self.repeat = str(value)[:256]

    @rx.var
    def rules(self) -> list[dict[str, str]]:
        """The checklist under the password, updated on every keystroke."""
        check = check_password(
            self.password, self.repeat, min_length=get_settings().password_min_length
        )
        return [
            {"key": rule.key, "label": rule.label, "passed": "yes" if rule.passed else ""}
            for rule in check.rules
        ]

    @rx.var
    def can_submit(self) -> bool:
        return check_password(
            self.password, self.repeat, min_length=get_settings().password_min_length
        ).acceptable

    @rx.var
    def asterisk_warning(self) -> bool:
        return "*" in self.password

    def _clear_passwords(self) -> None:
        self.password = self.repeat = ""
