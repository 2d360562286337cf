"""purchases, model_fits, customer_scores, loyalty_history: the purchase feed, the models and the scores

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recovery.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = recovery.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "purchases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ordered_at", _TIME, nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("imported_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_purchases_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
        sa.UniqueConstraint("source", "order_id", "kind", name="uq_purchases_order"),
    )
    op.create_index("ix_purchases_customer", "purchases", ["customer_id", "ordered_at"])
    op.create_table(
        "model_fits",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("until", _TIME, nullable=False),
        sa.Column("spend", sa.JSON(), nullable=True),
        sa.Column("fitted_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_fits")),
    )

    op.create_table(
        "customer_scores",
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_purchases", sa.Float(), nullable=True),
        sa.Column("expected_spend", sa.Float(), nullable=True),
        sa.Column("clv", sa.Float(), nullable=True),
        sa.Column("loyalty_class", sa.String(length=16), nullable=False),
        sa.Column("class_reasons", sa.JSON(), nullable=False),
        sa.Column("model_fit_id", _ID, nullable=True),
        sa.Column("scored_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_scores_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["model_fit_id"], ["model_fits.id"], name=op.f("fk_customer_scores_model_fit_id_model_fits")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_scores")),
    )
    op.create_index("ix_customer_scores_class", "customer_scores", ["loyalty_class", "clv"])
    op.create_table(
        "loyalty_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("from_class", sa.String(length=16), nullable=True),
        sa.Column("to_class", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_loyalty_history_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_history")),
    )
    op.create_index(op.f("ix_loyalty_history_customer_id"), "loyalty_history", ["customer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_loyalty_history_customer_id"), table_name="loyalty_history")
    op.drop_table("loyalty_history")
    op.drop_index("ix_customer_scores_class", table_name="customer_scores")
    op.drop_table("customer_scores")
    op.drop_table("model_fits")
    op.drop_index("ix_purchases_customer", table_name="purchases")
    op.drop_table("purchases")
