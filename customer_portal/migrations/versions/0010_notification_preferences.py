"""notification preferences per account.

``account.notify_new_invoices`` (default true: every account so far got
Nueva Factura emails) and ``account.attach_pdf`` (default false).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 16:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify_new_invoices", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("attach_pdf", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("attach_pdf")
        batch_op.drop_column("notify_new_invoices")
