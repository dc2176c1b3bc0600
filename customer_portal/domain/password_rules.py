"""The password rules of the seed manual, as one pure function.

"Las contraseñas deben tener al menos 6 caracteres, y debe contener al menos
un carácter que no sea una letra ni un dígito, una letra en minúscula y una
letra en mayúscula", both fields must match, and the asterisk is advised
against (a warning, not a block). bcrypt cannot take more than 72 bytes, so
that limit is a rule with its own message instead of a crash, worded in
characters: a customer counts letters, and accented letters, eñes and
emojis (and a few rarer symbols, such as €) take more than one byte in UTF-8.

The form's live checklist and the server's final check both call
:func:`check_password`, so what the button allows is exactly what the server
accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_portal.domain.passwords import MAX_PASSWORD_BYTES
from customer_portal.i18n import N_, _

MIN_LENGTH = 6


@dataclass(frozen=True)
class Rule:
    """One line of the password checklist and whether the password meets it.

    Attributes:
        key: a stable name for the rule (``length``, ``symbol``...), for the
            page to tag its checklist item with.
        label: the requirement as customers read it, in the current language.
        passed: whether the password meets it.
    """

    key: str
    label: str
    passed: bool


@dataclass(frozen=True)
class PasswordCheck:
    """Every rule's outcome for one password, plus advice that does not block it.

    Attributes:
        rules: each rule in checklist order, passed or not.
        warnings: texts to show without refusing the password (the asterisk).
    """

    rules: tuple[Rule, ...]
    warnings: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        """True when every rule passes: the Actualizar button's state."""
        return all(rule.passed for rule in self.rules)

    def failed(self) -> list[str]:
        """The labels of the rules not met, in order, for the refusal message."""
        return [rule.label for rule in self.rules if not rule.passed]


ASTERISK_WARNING = N_("Desaconsejamos el uso del símbolo del asterisco (*).")


def check_password(password: str, repeat: str, *, min_length: int = MIN_LENGTH) -> PasswordCheck:
    """Check a new password and its repetition against every rule.

    Pure and cheap, so the form can run it on every keystroke and the server
    once more on submit. The labels are in the current language.

    Args:
        password: the new password as typed.
        repeat: the second field, which must be equal (and not empty).
        min_length: the portal's configured minimum length.

    Returns:
        Every rule's outcome, and the asterisk warning when the password has one.
    """
    rules = (
        Rule(
            "length",
            _("Al menos {n} caracteres").format(n=min_length),
            len(password) >= min_length,
        ),
        Rule(
            "symbol",
            _("Un carácter que no sea una letra ni un dígito"),
            any(not ch.isalnum() for ch in password),
        ),
        Rule("lower", _("Una letra en minúscula ('a'-'z')"), any(ch.islower() for ch in password)),
        Rule("upper", _("Una letra en mayúscula ('A'-'Z')"), any(ch.isupper() for ch in password)),
        Rule(
            "max_bytes",
            _("No más de {n} caracteres (menos si usa acentos, eñes o emojis)").format(
                n=MAX_PASSWORD_BYTES
            ),
            len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES,
        ),
        Rule("match", _("Las dos contraseñas coinciden"), bool(password) and password == repeat),
    )
    warnings = (_(ASTERISK_WARNING),) if "*" in password else ()
    return PasswordCheck(rules=rules, warnings=warnings)
