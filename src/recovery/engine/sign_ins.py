"""Staff sign-in links to the dashboard: asked for, sent through the outbox, used once; the session each starts.

A link carries a random nonce of 32 bytes; the row keeps only its SHA-256, so whoever reads the table
signs nobody in, and no key is needed to check a link (the CLI and the daemon agree without sharing
one). Using a link is a conditional UPDATE: of two concurrent uses exactly one wins. The used row is the
session: it ends when signed out or when its lifetime has passed, both read with the engine's clock.

RecoveryError
└── SignInError      a link that cannot be used
    ├── LinkUnknown  forged, damaged, or naming no link
    ├── LinkUsed     used already
    └── LinkExpired  past its lifetime
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, or_, select, update

from recovery.engine.context import Context
from recovery.engine.queries import iso
from recovery.errors import NotFoundError, RecoveryError
from recovery.store.outbox import enqueue
from recovery.store.schema import staff, staff_sign_ins
from recovery.store.sql import inserted_id

log = logging.getLogger("recovery.engine")

TOPIC = "staff.sign_in"
MAX_NONCE = 100  # characters; a real one is 43


class SignInError(RecoveryError):
    """A sign-in link that cannot be used."""


class LinkUnknown(SignInError):
    """Forged or damaged, or naming no link."""


class LinkUsed(SignInError):
    """The link was used already: each works once."""


class LinkExpired(SignInError):
    """The link's lifetime is over."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    """Who is signed in: their id, name and role (agent, lead, manager)."""

    id: str
    name: str
    role: str

    @property
    def sees_all(self) -> bool:
        """Leads and managers see every complaint; an agent only their own."""
        return self.role != "agent"


@dataclass(frozen=True, slots=True)
class SignInLink:
    """A link made for one staff member: its address and when it stops working."""

    staff_id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """A used link: the session it started and who it signed in."""

    id: int
    staff: StaffMember
    started_at: datetime


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _link(
    connection: Connection, staff_id: str, via: str, base_url: str, lifetime: timedelta, now: datetime
) -> tuple[int, SignInLink]:
    """Insert a new link's row; its id and the link."""
    nonce = secrets.token_urlsafe(32)
    row = {
        "staff_id": staff_id,
        "nonce_hash": _hash(nonce),
        "via": via,
        "created_at": now,
        "expires_at": now + lifetime,
    }
    link_id = inserted_id(connection.execute(staff_sign_ins.insert().values(row)))
    return link_id, SignInLink(staff_id, f"{base_url.rstrip('/')}/sign-in/{nonce}", now + lifetime)


def request_link(ctx: Context, who: str, *, base_url: str, lifetime: timedelta) -> bool:
    """Send a sign-in link to the staff member whose id or email is ``who``, through the outbox.

    True when one was queued; False (nothing written) for nobody known or someone without an email.
    The caller must answer the same either way, or the form tells who is on the staff.
    """
    text = who.strip()
    if not text or len(text) > 320:
        return False
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        found = connection.execute(
            select(staff.c.id, staff.c.name, staff.c.email).where(
                or_(staff.c.id == text, func.lower(staff.c.email) == text.lower())
            )
        ).first()
        if found is None or not found.email:
            log.info("event=dashboard_sign_in_not_sent reason=%s", "unknown" if found is None else "no_email")
            return False
        link_id, link = _link(connection, found.id, "email", base_url, lifetime, now)
        payload = {
            "staff": found.id,
            "name": found.name,
            "email": found.email,
            "url": link.url,
            "expires_at": iso(link.expires_at),
        }
        enqueue(connection, f"sign_in:{link_id}", TOPIC, payload, now, found.email)
    log.info("event=dashboard_sign_in_sent staff=%s", found.id)
    return True


def print_link(ctx: Context, staff_id: str, *, base_url: str, lifetime: timedelta) -> SignInLink:
    """A sign-in link for ``staff_id`` handed to whoever runs the command (no mail needed); kept and logged."""
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        if connection.execute(select(staff.c.id).where(staff.c.id == staff_id)).first() is None:
            raise NotFoundError(f"no staff member {staff_id!r}")
        _, link = _link(connection, staff_id, "cli", base_url, lifetime, now)
    log.info("event=dashboard_sign_in_link_printed staff=%s expires_at=%s", staff_id, iso(link.expires_at))
    return link


def check_link(ctx: Context, nonce: str) -> None:
    """SignInError if the link could not be used now; nothing is written (opening a link uses nothing up)."""
    now = ctx.clock.now()
    with ctx.read() as connection:
        _usable(connection, nonce, now)


def _usable(connection: Connection, nonce: str, now: datetime) -> int:
    """The id of the link's row if it may be used at ``now``; SignInError says why not."""
    if not nonce or len(nonce) > MAX_NONCE:
        raise LinkUnknown("this sign-in link does not work: it may have been copied only in part")
    row = connection.execute(
        select(staff_sign_ins.c.id, staff_sign_ins.c.used_at, staff_sign_ins.c.expires_at).where(
            staff_sign_ins.c.nonce_hash == _hash(nonce)
        )
    ).first()
    if row is None:
        raise LinkUnknown("this sign-in link does not work: it may have been copied only in part")
    if row.used_at is not None:
        raise LinkUsed("this sign-in link was used already: each link works once")
    if row.expires_at <= now:
        raise LinkExpired("this sign-in link has expired")
    return int(row.id)


def use_link(ctx: Context, nonce: str) -> Session:
    """Use a link once: the session it starts; SignInError says why it cannot be used."""
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        link_id = _usable(connection, nonce, now)
        claimed = connection.execute(
            update(staff_sign_ins)
            .where(staff_sign_ins.c.id == link_id, staff_sign_ins.c.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # a concurrent use won
            raise LinkUsed("this sign-in link was used already: each link works once")
        session = _session(connection, link_id)
    if session is None:  # the staff member is gone: cannot happen while the foreign key holds
        raise LinkUnknown("this sign-in link does not work")
    log.info("event=dashboard_signed_in staff=%s session=%s", session.staff.id, session.id)
    return session


def _session(connection: Connection, session_id: int) -> Session | None:
    found = connection.execute(
        select(staff.c.id, staff.c.name, staff.c.role, staff_sign_ins.c.used_at)
        .join(staff, staff.c.id == staff_sign_ins.c.staff_id)
        .where(
            staff_sign_ins.c.id == session_id,
            staff_sign_ins.c.used_at.is_not(None),
            staff_sign_ins.c.signed_out_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    return Session(session_id, StaffMember(found.id, found.name, found.role), found.used_at)


def current_session(ctx: Context, session_id: int, staff_id: str, lifetime: timedelta) -> Session | None:
    """The session ``session_id`` of ``staff_id`` if it is still on (not signed out, within ``lifetime``)."""
    with ctx.read() as connection:
        session = _session(connection, session_id)
    if session is None or session.staff.id != staff_id:
        return None
    if session.started_at + lifetime <= ctx.clock.now():
        return None
    return session


def sign_out(ctx: Context, session_id: int) -> None:
    """End a session: its cookie no longer signs anyone in, even if kept."""
    with ctx.db.begin() as connection:
        connection.execute(
            update(staff_sign_ins)
            .where(staff_sign_ins.c.id == session_id, staff_sign_ins.c.signed_out_at.is_(None))
            .values(signed_out_at=ctx.clock.now())
        )
    log.info("event=dashboard_signed_out session=%s", session_id)
