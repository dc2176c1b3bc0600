"""outbox without live links.

Revision ID: 0004
Revises: 0003

Activation and reset links used to be written into the outbox: in ``context``
while queued, and in the rendered ``html``/``text`` once sent, so a copy of
the database was a set of working account-takeover links. From this revision
the row only says which link to make (``signed_link``: purpose and account id)
and the link is minted at delivery. This data migration rewrites the rows
queued the old way to that shape and blanks the token out of stored bodies;
the schema does not change.

It is self-contained on purpose (no import of the mail code): it must keep
doing exactly this after that code moves on.
"""

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SENT_LINK_MARKER = "[enlace enviado]"
# The token of an activation or reset link: itsdangerous output, URL-safe
# base64 pieces joined by dots. The marker starts with "[", so it never matches
# and running this twice changes nothing.
LIVE_LINK = re.compile(r"(/(?:credenciales|restablecer)/)[A-Za-z0-9_\-.]+")
PURPOSE_OF_KIND = {"welcome": "activation", "password_reset": "password-reset"}

outbox = sa.table(
    "outbox_email",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("context", sa.Text),
    sa.column("dedupe_key", sa.String),
    sa.column("html", sa.Text),
    sa.column("text", sa.Text),
)
invoice = sa.table("invoice", sa.column("number", sa.String), sa.column("customer_id", sa.Integer))
account = sa.table("account", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer))


def _redact(value: str | None) -> str | None:
    return None if value is None else LIVE_LINK.sub(rf"\g<1>{SENT_LINK_MARKER}", value)


def _account_id(conn: sa.Connection, dedupe_key: str) -> int | None:
    """The account a link was for, from the dedupe key the notices wrote.

    ``activation:<account id>:<random>`` and ``password-reset:<account id>:<random>``
    name it; ``invoice-notice:<number>`` leads to it through the invoice's customer.
    """
    prefix, _, rest = dedupe_key.partition(":")
    if prefix in ("activation", "password-reset"):
        head = rest.partition(":")[0]
        return int(head) if head.isdigit() else None
    if prefix == "invoice-notice":
        return conn.execute(
            sa.select(account.c.id)
            .select_from(invoice.join(account, account.c.customer_id == invoice.c.customer_id))
            .where(invoice.c.number == rest)
            .order_by(account.c.id)
            .limit(1)
        ).scalar()
    return None


def _new_context(conn: sa.Connection, kind: str, dedupe_key: str, context: str) -> str:
    try:
        data = json.loads(context)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _redact(context)
    purpose = PURPOSE_OF_KIND.get(kind)
    if purpose is not None and "signed_link" not in data:
        data.pop("link", None)
        data.pop("expires", None)  # computed when the link is minted
        # An account that cannot be found gives account_id None: delivery
        # then drops the email with a reason instead of sending a dead link.
        data["signed_link"] = {"purpose": purpose, "account_id": _account_id(conn, dedupe_key)}
    # Anything else that looks like a live link (it should not exist) goes too.
    return _redact(json.dumps(data, ensure_ascii=False))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.context,
            outbox.c.dedupe_key,
            outbox.c.html,
            outbox.c.text,
        ).order_by(outbox.c.id)
    ).all()
    for row in rows:
        values = {
            "context": _new_context(conn, row.kind, row.dedupe_key, row.context),
            "html": _redact(row.html),
            "text": _redact(row.text),
        }
        if values != {"context": row.context, "html": row.html, "text": row.text}:
            conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(**values))


def downgrade() -> None:
    # Nothing to undo that can be undone: the links are gone, and re-creating
    # them would need the secret key. Rows queued in the new shape stay queued
    # under the old code (its templates miss "link") until upgraded again.
    pass
