"""A person's language: saving their choice, remembering their browser's, and the one emails use."""

from __future__ import annotations

from sqlmodel import Session

from customer_portal.i18n import DEFAULT_LANGUAGE, known
from customer_portal.models import Account


def save_language(*, session: Session, account_id: int, code: str, ip: str | None = None) -> bool:
    """«Idioma» for a signed-in person: their pages and emails from now on.

    Args:
        session: the unit of work (committed by the caller).
        account_id: whose choice (the signed-in account, never a form field).
        code: a language the portal speaks; anything else changes nothing.
        ip: the client address, for the audit trail.

    Returns:
        Whether the choice was saved.
    """
    from customer_portal.domain.audit import record_event

    code = known(code) or ""
    account = session.get(Account, account_id)
    if not code or account is None:
        return False
    if account.language != code:
        record_event(
            session=session,
            actor=account.email,
            action="language.changed",
            ip=ip,
            detail={"from": account.language, "to": code},
        )
        account.language = code
        session.add(account)
    return True


def note_browser_language(account: Account, code: str | None) -> None:
    """Keep the language the browser asked for at sign-in (for emails before any choice)."""
    code = known(code)
    if code and account.browser_language != code:
        account.browser_language = code


def email_language(account: Account | None) -> str:
    """The language of a person's emails: their choice, else their browser's, else Spanish."""
    if account is None:
        return DEFAULT_LANGUAGE
    return known(account.language) or known(account.browser_language) or DEFAULT_LANGUAGE


def sign_in_language(*, session: Session, account_id: int, browser: str | None) -> str | None:
    """At sign-in: keep the browser's language for emails; the person's saved choice, if any.

    Args:
        session: the unit of work (committed by the caller).
        account_id: who has just signed in.
        browser: the language the browser asked for (cookie or Accept-Language).

    Returns:
        The saved choice, for this browser to remember too; None without one.
    """
    account = session.get(Account, account_id)
    if account is None:
        return None
    before = account.browser_language
    note_browser_language(account, browser)
    if account.browser_language != before:
        session.add(account)
    return known(account.language)
