"""Who may be named as the actor of a step a person takes: a staff member or a reserved actor.

Checked where a person acts by hand (the CLI's ``--by``). The helpdesk path records the actor its
event names and is not checked here: a helpdesk agent need not be on our staff for the step to count.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from recovery.engine.context import Context
from recovery.errors import NotFoundError
from recovery.store.schema import staff

RESERVED = ("customer", "system")
HELPDESK = "helpdesk:"  # followed by the source's name, as the actor of a step a helpdesk took


def is_reserved(actor: str) -> bool:
    """True for ``customer``, ``system`` and ``helpdesk:<source>``: actors that are no staff member."""
    return actor in RESERVED or (actor.startswith(HELPDESK) and len(actor) > len(HELPDESK))


def check_known(connection: Connection, actor: str) -> None:
    """NotFoundError unless ``actor`` is a staff member's id or a reserved actor."""
    if is_reserved(actor):
        return
    if connection.execute(select(staff.c.id).where(staff.c.id == actor)).first() is None:
        raise NotFoundError(
            f"unknown actor {actor!r}: no staff member has that id (add one with `recovery staff add`); "
            f"the reserved actors are {', '.join(RESERVED)} and {HELPDESK}SOURCE"
        )


def require_known(ctx: Context, actor: str) -> None:
    """``check_known`` in a read of its own, for a use case that does not check its actor itself."""
    with ctx.read() as connection:
        check_known(connection, actor)
