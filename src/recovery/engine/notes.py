"""Notes on a complaint: a line in its history by a named actor, with no change to the complaint itself."""

from __future__ import annotations

from recovery.core.complaint import Complaint
from recovery.engine.actors import check_known
from recovery.engine.context import Context
from recovery.engine.input_checks import check_actor, check_texts
from recovery.errors import InvalidInputError
from recovery.store import audit
from recovery.store import complaints as store

TRIGGER = "note"  # the audit entry's trigger: no workflow trigger, the state stays as it was


def add_note(ctx: Context, complaint_id: int, text: str, *, actor: str) -> Complaint:
    """Append ``text`` to the complaint's history as said by ``actor`` (a staff member or a reserved actor)."""
    check_actor(actor)
    check_texts(note=text)
    if not text.strip():
        raise InvalidInputError("note: a note needs some text")
    with ctx.db.begin() as connection:
        check_known(connection, actor)
        complaint = store.load(connection, complaint_id)
        state = complaint.state
        entry = audit.entry(complaint.id, ctx.clock.now(), TRIGGER, state, state, actor, "applied", text.strip())
        audit.append(connection, [entry])
    # The version stays: a note changes nothing a concurrent step could conflict with.
    return complaint
