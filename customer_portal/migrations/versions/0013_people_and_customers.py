"""several people per customer, several customers per person.

``customer_access`` links a login (a person) to each customer whose invoices
they may see; every existing account keeps its one customer as its first
link. ``account.customer_id`` goes: the links are the only authority.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 16:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import customer_portal.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "customer_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("added_at", customer_portal.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "account_id"),
    )
    with op.batch_alter_table("customer_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_access_account_id"), ["account_id"])
        batch_op.create_index(batch_op.f("ix_customer_access_customer_id"), ["customer_id"])
    op.create_table(
        "removed_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("removed_at", customer_portal.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "email"),
    )
    op.execute(
        "INSERT INTO customer_access (customer_id, account_id, added_at) "
        "SELECT customer_id, id, created_at FROM account"
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_customer_id"))
        batch_op.drop_column("customer_id")


def downgrade() -> None:
    """Undo this revision: each account keeps the first customer it was linked to."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE account SET customer_id = (SELECT min(customer_id) FROM customer_access "
        "WHERE customer_access.account_id = account.id)"
    )
    op.execute("DELETE FROM account WHERE customer_id IS NULL")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_account_customer_id", "customer", ["customer_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_account_customer_id"), ["customer_id"])
    with op.batch_alter_table("customer_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_access_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_access_account_id"))
    op.drop_table("customer_access")
    op.drop_table("removed_person")
