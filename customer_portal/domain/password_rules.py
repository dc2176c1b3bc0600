"""The password rules of the seed manual, as one pure function.

"Las contraseñas deben tener al menos 6 caracteres, y debe contener al menos
un carácter que no sea una letra ni un dígito, una letra en minúscula y una
letra en mayúscula", both fields must match, and the asterisk is advised
against (a warning, not a block). bcrypt cannot take more than 72 bytes, so
that limit is a rule with its own message instead of a crash.

The form's live checklist and the server's final check both call
:func:`check_password`, so what the button allows is exactly what the server
accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_portal.domain.passwords import MAX_PASSWORD_BYTES

MIN_LENGTH = 6


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    passed: bool


@dataclass(frozen=True)
class PasswordCheck:
    rules: tuple[Rule, ...]
    warnings: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        """True when every rule passes: the Actualizar button's state."""
        return all(rule.passed for rule in self.rules)

    def failed(self) -> list[str]:
        return [rule.label for rule in self.rules if not rule.passed]


ASTERISK_WARNING = "Desaconsejamos el uso del símbolo del asterisco (*)."


def check_password(password: str, repeat: str, *, min_length: int = MIN_LENGTH) -> PasswordCheck:
    rules = (
        Rule("length", f"Al menos {min_length} caracteres", len(password) >= min_length),
        Rule(
            "symbol",
            "Un carácter que no sea una letra ni un dígito",
            any(not ch.isalnum() for ch in password),
        ),
        Rule("lower", "Una letra en minúscula ('a'-'z')", any(ch.islower() for ch in password)),
        Rule("upper", "Una letra en mayúscula ('A'-'Z')", any(ch.isupper() for ch in password)),
        Rule(
            "max_bytes",
            f"No más de {MAX_PASSWORD_BYTES} bytes (las letras con tilde y los emojis ocupan más)",
            len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES,
        ),
        Rule("match", "Las dos contraseñas coinciden", bool(password) and password == repeat),
    )
    warnings = (ASTERISK_WARNING,) if "*" in password else ()
    return PasswordCheck(rules=rules, warnings=warnings)
