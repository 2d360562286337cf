"""The follow-up survey sent by itself when a complaint's follow-up falls due, once per complaint.

Called by the overdue scan inside its batch's transaction, where the complaint's row is claimed
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the single writer on SQLite): the look for an earlier
invitation and the insert cannot race, so a repeated or concurrent scan sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection, select

from recovery.core.complaint import Complaint
from recovery.engine.context import Context
from recovery.engine.surveys import Invitation, invite
from recovery.errors import NotFoundError
from recovery.store.schema import survey_invitations

log = logging.getLogger(__name__)

ACTOR = "system"


def send_follow_up_survey(
    ctx: Context, connection: Connection, complaint: Complaint, now: datetime
) -> Invitation | None:
    """Invite the complaint's customer to the follow-up survey unless it is off, unsigned or already sent."""
    config = ctx.surveys
    if not config.follow_up or not config.secret:
        log.debug("event=follow_up_survey_skipped complaint=%d reason=%s", complaint.id, _why_off(ctx))
        return None
    i = survey_invitations.c
    sent = connection.execute(
        select(i.id).where(i.survey == config.follow_up, i.complaint_id == complaint.id).limit(1)
    ).first()
    if sent is not None:
        return None
    try:
        survey = config.survey(config.follow_up)
    except NotFoundError as exc:
        log.warning("event=follow_up_survey_missing complaint=%d error=%s", complaint.id, exc)
        return None
    invitation = invite(ctx, connection, survey, complaint.customer_id, by=ACTOR, now=now, complaint_id=complaint.id)
    log.info("event=follow_up_survey_sent complaint=%d invitation=%d", complaint.id, invitation.id)
    return invitation


def _why_off(ctx: Context) -> str:
    return "surveys.follow_up is empty" if not ctx.surveys.follow_up else f"{ctx.surveys.secret_env} is not set"
