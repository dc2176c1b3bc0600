"""the language of each person.

``account.language`` (their own choice in «Idioma», null until they make
one) and ``account.browser_language`` (what their browser asked for at their
last sign-in): emails go out in the first of the two, else in Spanish.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 20:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("browser_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("browser_language")
        batch_op.drop_column("language")
