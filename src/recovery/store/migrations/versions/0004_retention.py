"""compensation budgets and approvals, purchase days, customers at risk, second follow-ups

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recovery.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = recovery.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("compensations") as batch_op:
        batch_op.add_column(sa.Column("budget", sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(length=64), nullable=True))
    # Rows stored before this revision keep day NULL: their local day needs the configured time zone,
    # which a migration does not know; the readers compute it for them.
    with op.batch_alter_table("purchases") as batch_op:
        batch_op.add_column(sa.Column("day", sa.Date(), nullable=True))
    op.create_table(
        "customers_at_risk",
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("marked_at", _TIME, nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=False),
        sa.Column("clv", sa.Float(), nullable=False),
        sa.Column("last_purchase_at", _TIME, nullable=True),
        sa.Column("cleared_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customers_at_risk_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customers_at_risk")),
    )
    op.create_table(
        "follow_up_reminders",
        sa.Column("complaint_id", _ID, nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("raised_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_follow_up_reminders_complaint_id_complaints")
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_follow_up_reminders")),
    )
    op.create_index(op.f("ix_follow_up_reminders_due_at"), "follow_up_reminders", ["due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_up_reminders_due_at"), table_name="follow_up_reminders")
    op.drop_table("follow_up_reminders")
    op.drop_table("customers_at_risk")
    with op.batch_alter_table("purchases") as batch_op:
        batch_op.drop_column("day")
    with op.batch_alter_table("compensations") as batch_op:
        batch_op.drop_column("approved_by")
        batch_op.drop_column("budget")
