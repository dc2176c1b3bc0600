"""known devices, and an index for each person's activity.

``known_device``: the browsers an account has signed in from (the hash of a
cookie's token), so a sign-in from another one is emailed about.
``ix_audit_event_actor_at``: Mi cuenta lists one person's latest events.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 16:20:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import customer_portal.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "known_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", customer_portal.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_seen_at", customer_portal.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "token_hash"),
    )
    with op.batch_alter_table("known_device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_known_device_account_id"), ["account_id"])
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_actor_at", ["actor", "at"])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_actor_at")
    with op.batch_alter_table("known_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_device_account_id"))
    op.drop_table("known_device")
