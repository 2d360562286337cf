"""The retention half's tables: purchases, model fits and scores, classes, marks, reminders, surveys and their
coded answers, the dashboard's sign-ins. Declared on the one metadata; ``recovery.store.schema`` names them all."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from recovery.store.metadata import Id, metadata
from recovery.store.types import UTCDateTime

# What customers bought (issue 12's feed): a refund is a row of its own with a negative amount.
purchases = Table(
    "purchases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("order_id", String(200), nullable=False),
    Column("kind", String(8), nullable=False),  # purchase | refund
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3)),
    Column("imported_at", UTCDateTime, nullable=False),
    # The business's local day of the purchase, fixed at import: the models count purchase-days, and
    # grouping by a stored day keeps the time zone out of SQL. NULL only for rows stored before 0004.
    Column("day", Date),
    UniqueConstraint("source", "order_id", "kind", name="uq_purchases_order"),
    Index("ix_purchases_customer", "customer_id", "ordered_at"),
)

# Every fitted purchase model, newest last; customers are scored with the newest.
model_fits = Table(
    "model_fits",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("log_likelihood", Float, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("spend", JSON),
    Column("fitted_at", UTCDateTime, nullable=False),
)

# Each customer's latest score (one row a customer, replaced by every scoring run).
customer_scores = Table(
    "customer_scores",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("p_alive", Float),
    Column("expected_purchases", Float),
    Column("expected_spend", Float),
    Column("clv", Float),
    Column("loyalty_class", String(16), nullable=False),
    Column("class_reasons", JSON, nullable=False),
    Column("model_fit_id", ForeignKey("model_fits.id")),
    Column("scored_at", UTCDateTime, nullable=False),
    Index("ix_customer_scores_class", "loyalty_class", "clv"),
)

# Every change of a customer's class, kept: why a customer moved is the first question.
loyalty_history = Table(
    "loyalty_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("from_class", String(16)),
    Column("to_class", String(16), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# Customers marked at risk: silent, valuable and fading. One row a customer; ``cleared_at`` re-arms the
# mark when they buy again, so each fall is noticed exactly once.
customers_at_risk = Table(
    "customers_at_risk",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("marked_at", UTCDateTime, nullable=False),
    Column("p_alive", Float, nullable=False),
    Column("clv", Float, nullable=False),
    Column("last_purchase_at", UTCDateTime),  # their latest purchase when marked: a later one re-arms
    Column("cleared_at", UTCDateTime),
)

# A second follow-up a class's prescription asks for: due after the complaint is resolved, raised once.
follow_up_reminders = Table(
    "follow_up_reminders",
    metadata,
    Column("complaint_id", ForeignKey("complaints.id"), primary_key=True),
    Column("due_at", UTCDateTime, nullable=False, index=True),
    Column("raised_at", UTCDateTime),
)

# A survey sent to one customer: the token's nonce is single-use, so the row is what makes it so.
survey_invitations = Table(
    "survey_invitations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("survey", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("complaint_id", ForeignKey("complaints.id")),
    Column("nonce", String(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("sent_by", String(64)),
    Column("answered_at", UTCDateTime),
)

# One answer to one question, from the form, a webhook, a phone call or a win-back interview.
survey_answers = Table(
    "survey_answers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invitation_id", ForeignKey("survey_invitations.id")),
    Column("survey", String(64), nullable=False),
    Column("question", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # open | csat | nps | ces | choice
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("complaint_id", ForeignKey("complaints.id"), index=True),
    Column("language", String(8), nullable=False),
    Column("number", Integer),  # the score of csat, nps and ces
    Column("text", Text),  # an open answer, or the chosen option's key
    Column("source", String(16), nullable=False),  # form | webhook | phone | interview
    Column("recorded_by", String(64)),
    Column("answered_at", UTCDateTime, nullable=False),
    # Open answers only: rules (coded confidently), queued (for a person), person (coded by one).
    Column("coding", String(16)),
    UniqueConstraint("invitation_id", "question", name="uq_survey_answers_question"),
    Index("ix_survey_answers_coding", "coding", "id"),
)

# The reasons an open answer was coded into. The rules' coding is kept beside a person's, which wins:
# the pairs measure the rules.
answer_reasons = Table(
    "answer_reasons",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("answer_id", ForeignKey("survey_answers.id"), nullable=False, index=True),
    Column("reason", String(48), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("coded_by", String(64), nullable=False),  # "rules", or the staff member's id
    Column("coded_at", UTCDateTime, nullable=False),
)

# A staff member's sign-in link to the dashboard: single-use and expiring. The link carries a random
# nonce; only its SHA-256 is kept, so reading this table signs nobody in. Once used, the row is the
# session it started (signed out, or past its lifetime, it ends) and the record of who signed in how.
staff_sign_ins = Table(
    "staff_sign_ins",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("staff_id", ForeignKey("staff.id"), nullable=False, index=True),
    Column("nonce_hash", String(64), nullable=False, unique=True),
    Column("via", String(16), nullable=False),  # email (through the outbox) | cli (printed by a person)
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("signed_out_at", UTCDateTime),
)
