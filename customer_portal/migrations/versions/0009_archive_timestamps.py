"""archive timestamps on signed PDFs.

``signed_document.archived_at``: when the latest archive timestamp (PAdES
B-LTA) was appended to the PDF by ``customer-portal archive-timestamp``;
NULL until the first. Nothing to fill in: no PDF has one yet.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 16:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import customer_portal.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("signed_document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "archived_at", customer_portal.models.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("signed_document", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
