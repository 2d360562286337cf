"""win-back cases, survey invitations and answers, answer reasons, the quality gap

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import recovery.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = recovery.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("complaints") as batch_op:
        batch_op.add_column(sa.Column("expected", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("open_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_complaints_open_key", ["open_key"])
    with op.batch_alter_table("follow_ups") as batch_op:
        batch_op.add_column(sa.Column("perceived", sa.String(length=32), nullable=True))
    op.create_table(
        "survey_invitations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("survey", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("complaint_id", _ID, nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("sent_by", sa.String(length=64), nullable=True),
        sa.Column("answered_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_invitations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_survey_invitations_complaint_id_complaints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("nonce", name=op.f("uq_survey_invitations_nonce")),
    )
    op.create_index(op.f("ix_survey_invitations_customer_id"), "survey_invitations", ["customer_id"])
    op.create_table(
        "survey_answers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("invitation_id", _ID, nullable=True),
        sa.Column("survey", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("complaint_id", _ID, nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("answered_at", _TIME, nullable=False),
        sa.Column("coding", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_survey_answers_invitation_id_survey_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_answers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_survey_answers_complaint_id_complaints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("invitation_id", "question", name="uq_survey_answers_question"),
    )
    op.create_index(op.f("ix_survey_answers_customer_id"), "survey_answers", ["customer_id"])
    op.create_index(op.f("ix_survey_answers_complaint_id"), "survey_answers", ["complaint_id"])
    op.create_index("ix_survey_answers_coding", "survey_answers", ["coding", "id"])
    op.create_table(
        "answer_reasons",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("answer_id", _ID, nullable=False),
        sa.Column("reason", sa.String(length=48), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("coded_by", sa.String(length=64), nullable=False),
        sa.Column("coded_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["survey_answers.id"], name=op.f("fk_answer_reasons_answer_id_survey_answers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_reasons")),
    )
    op.create_index(op.f("ix_answer_reasons_answer_id"), "answer_reasons", ["answer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_answer_reasons_answer_id"), table_name="answer_reasons")
    op.drop_table("answer_reasons")
    op.drop_index("ix_survey_answers_coding", table_name="survey_answers")
    op.drop_index(op.f("ix_survey_answers_complaint_id"), table_name="survey_answers")
    op.drop_index(op.f("ix_survey_answers_customer_id"), table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_index(op.f("ix_survey_invitations_customer_id"), table_name="survey_invitations")
    op.drop_table("survey_invitations")
    with op.batch_alter_table("follow_ups") as batch_op:
        batch_op.drop_column("perceived")
    with op.batch_alter_table("complaints") as batch_op:
        batch_op.drop_constraint("uq_complaints_open_key", type_="unique")
        batch_op.drop_column("open_key")
        batch_op.drop_column("expected")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("language")
