"""complaints.closed_as: the role of the transition that closed a complaint

Revision ID: 0002
Revises: 0001

The engine reads step roles, never state names; rewards and reports ask how a complaint ended
through this column. Complaints closed before it existed followed the role-less standard
workflows, whose final states are named here once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_LEGACY_FINAL_STATES = {"resolved": "resolution", "withdrawn": "withdrawal", "lost": "defection"}


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("closed_as", sa.String(length=32), nullable=True))
    complaints = sa.table("complaints", sa.column("state", sa.String), sa.column("closed_as", sa.String))
    for state, role in _LEGACY_FINAL_STATES.items():
        op.execute(complaints.update().where(complaints.c.state == state).values(closed_as=role))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("closed_as")
