"""staff sign-in links for the dashboard: single-use, expiring, the session they start

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recovery.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = recovery.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_sign_ins",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        sa.Column("signed_out_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_sign_ins_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sign_ins")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_staff_sign_ins_nonce_hash")),
    )
    op.create_index(op.f("ix_staff_sign_ins_staff_id"), "staff_sign_ins", ["staff_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_sign_ins_staff_id"), table_name="staff_sign_ins")
    op.drop_table("staff_sign_ins")
