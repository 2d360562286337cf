"""The tables. States are plain strings (never a native ENUM): adding a state needs no ALTER TYPE.

The complaint half is declared here, the retention half in ``schema_retention``; both are named from here.
The retention half is imported on the first use of one of its names, or of ``metadata`` (which then holds every
table): a command that lists complaints never declares its ten tables, a few milliseconds of every start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from recovery.store import metadata as declared
from recovery.store.metadata import Id as Id
from recovery.store.types import UTCDateTime

if TYPE_CHECKING:
    from recovery.store.metadata import metadata as metadata
    from recovery.store.schema_retention import answer_reasons as answer_reasons
    from recovery.store.schema_retention import customer_scores as customer_scores
    from recovery.store.schema_retention import customers_at_risk as customers_at_risk
    from recovery.store.schema_retention import follow_up_reminders as follow_up_reminders
    from recovery.store.schema_retention import loyalty_history as loyalty_history
    from recovery.store.schema_retention import model_fits as model_fits
    from recovery.store.schema_retention import purchases as purchases
    from recovery.store.schema_retention import staff_sign_ins as staff_sign_ins
    from recovery.store.schema_retention import survey_answers as survey_answers
    from recovery.store.schema_retention import survey_invitations as survey_invitations

RETENTION = (
    "answer_reasons",
    "customer_scores",
    "customers_at_risk",
    "follow_up_reminders",
    "loyalty_history",
    "model_fits",
    "purchases",
    "staff_sign_ins",
    "survey_answers",
    "survey_invitations",
)

customers = Table(
    "customers",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("external_source", String(64)),
    Column("external_id", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("language", String(8)),  # en | nl | de: the language surveys are sent in; NULL: the default
    UniqueConstraint("external_source", "external_id", name="uq_customers_external"),
)

staff = Table(
    "staff",
    declared.metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320)),
    Column("role", String(16), nullable=False, default="agent"),
    Column("created_at", UTCDateTime, nullable=False),
)

workflow_definitions = Table(
    "workflow_definitions",
    declared.metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("checksum", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
)

complaints = Table(
    "complaints",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("summary", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("workflow", String(64), nullable=False),
    Column("workflow_version", Integer, nullable=False),
    Column("state", String(64), nullable=False, index=True),
    Column("assignee", ForeignKey("staff.id")),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("state_entered_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("closed_as", String(32)),  # the role of the closing transition: resolution, withdrawal, defection
    # Step clock: deadline of the current state, its warning, the follow-up date, pauses.
    Column("deadline", UTCDateTime),
    Column("warn_at", UTCDateTime),
    Column("follow_up_due_at", UTCDateTime),
    Column("paused_at", UTCDateTime),
    Column("pause_reason", String(64)),
    Column("pause_ends_at", UTCDateTime),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("warned", Boolean, nullable=False, default=False),
    Column("follow_up_reminded", Boolean, nullable=False, default=False),
    # Whole-complaint clock: never paused.
    Column("final_deadline", UTCDateTime, nullable=False),
    Column("final_warn_at", UTCDateTime, nullable=False),
    Column("final_warned", Boolean, nullable=False, default=False),
    Column("final_breached", Boolean, nullable=False, default=False),
    # The next moment the scheduler must look; NULL once closed. The overdue scan reads this index only.
    Column("due_at", UTCDateTime),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("last_score", Integer),
    Column("ticket_source", String(64)),
    Column("ticket_id", String(200)),
    Column("version", Integer, nullable=False, default=1),
    # What the customer expected (refund, replacement, …): one side of the quality gap.
    Column("expected", String(32)),
    # Why an automatic opening happened (``winback:lost:12``): unique, so each cause opens one case.
    Column("open_key", String(200)),
    UniqueConstraint("ticket_source", "ticket_id", name="uq_complaints_ticket"),
    UniqueConstraint("open_key", name="uq_complaints_open_key"),
    Index("ix_complaints_due_at", "due_at"),
)

compensations = Table(
    "compensations",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", ForeignKey("complaints.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("value", Numeric(12, 2), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("recorded_by", String(64)),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("budget", Numeric(12, 2)),  # the customer's budget when it was given (their class's prescription)
    Column("approved_by", String(64)),  # the lead who approved a compensation above the budget
)

follow_ups = Table(
    "follow_ups",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", ForeignKey("complaints.id"), nullable=False, index=True),
    Column("score", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("perceived", String(32)),  # what the customer felt they received: the other side of the gap
    Column("recorded_by", String(64)),
    Column("recorded_at", UTCDateTime, nullable=False),
)

# Append-only: every applied transition, refused attempt, pause, resume and escalation.
audit_log = Table(
    "audit_log",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", ForeignKey("complaints.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("trigger", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("dest", String(64)),
    Column("actor", String(64)),
    Column("outcome", String(16), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("payload", JSON),
    Index("ix_audit_log_complaint", "complaint_id", "id"),
)

# Every side effect leaves through here, written in the transaction that decided it.
outbox = Table(
    "outbox",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("topic", String(64), nullable=False),
    Column("recipient", String(320)),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

# Helpdesk deliveries, stored before they are answered and applied in the events' own order.
inbox = Table(
    "inbox",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    Column("ticket", String(200)),
    Column("event_type", String(64)),
    Column("occurred_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("body", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("applied_at", UTCDateTime),
    Column("claimed_until", UTCDateTime),
    UniqueConstraint("source", "delivery_id", name="uq_inbox_delivery"),
    Index("ix_inbox_pending", "status", "source", "ticket", "occurred_at"),
)

flags = Table(
    "flags",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("staff_id", ForeignKey("staff.id"), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("signal", String(32), nullable=False, default="other"),
    Column("status", String(16), nullable=False, default="open"),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("window_ends_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(64)),
    Column("decision", String(64)),
    Column("earns", Boolean, nullable=False, default=True),
    Index("ix_flags_open", "status", "id"),  # the reward run walks each status in id order
    # One open flag per staff member per customer, even when two requests race: partial, see for_dialect.
    Index("uq_flags_open_per_staff", "customer_id", "staff_id", unique=True),
)

# Append-only points ledger; ``award_key`` makes each award happen exactly once.
ledger = Table(
    "ledger",
    declared.metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("award_key", String(200), nullable=False, unique=True),
    Column("staff_id", ForeignKey("staff.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("period", String(7), nullable=False),
    Column("points", Integer, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("flag_id", ForeignKey("flags.id")),
    Column("complaint_id", ForeignKey("complaints.id")),
    Column("note", Text, nullable=False, default=""),
    Index("ix_ledger_flag", "flag_id", "reason"),
    Index("ix_ledger_period", "period", "staff_id"),
)

# Small key/value facts the processes share: last tick, job markers.
runtime = Table(
    "runtime",
    declared.metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Partial indexes: name -> the rows they cover. Each dialect takes the condition as its own keyword
# (sqlite_where, postgresql_where), and naming one makes SQLAlchemy import that dialect to check it:
# written in the Index above, every command would load the PostgreSQL dialect (~20-50 ms) to read SQLite.
PARTIAL_INDEXES = {"uq_flags_open_per_staff": "status = 'open'"}


def for_dialect(name: str) -> None:
    """Give the partial indexes their condition in dialect ``name``'s terms; connect() calls it for each engine."""
    if name not in ("sqlite", "postgresql"):
        return
    indexes = {str(index.name): index for table in declared.metadata.tables.values() for index in table.indexes}
    for index_name, condition in PARTIAL_INDEXES.items():
        indexes[index_name].dialect_kwargs[f"{name}_where"] = text(condition)


def __getattr__(name: str) -> Any:
    """A retention table, or the metadata holding every table, importing the retention half first."""
    if name not in (*RETENTION, "metadata"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from recovery.store import schema_retention

    return getattr(schema_retention, name)
