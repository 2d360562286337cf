"""A real survey site for tests: the daemon's app on loopback over a real SQLite file, and what it stored."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from intake.server import serve
from recovery.clock import SettableClock
from recovery.config import Settings, WebhookSettings, shipped_surveys, shipped_workflows
from recovery.core.calendar import BusinessCalendar
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.registry import WorkflowRegistry
from recovery.engine.survey_config import SurveyConfig
from recovery.engine.surveys import Invitation, send_survey
from recovery.intake.app import create_app
from recovery.store.database import connect, upgrade
from recovery.store.schema import survey_answers, survey_invitations
from recovery.survey_files import load_surveys
from recovery.workflow_files import load_dir

SECRET = "a-long-random-secret-for-the-survey-form-tests"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Amsterdam
MAX_BODY = 256 * 1024
SURVEYS = load_surveys(shipped_surveys())


@dataclass
class Site:
    """The served app's address, the engine context behind it, and helpers to invite and read back."""

    url: str
    ctx: Context
    clock: SettableClock
    _serial: Iterator[int] = field(default_factory=itertools.count)

    def invite(self, survey: str, language: str, name: str = "Jo Customer") -> Invitation:
        """A new customer invited to ``survey`` in ``language``: the invitation, with the link they were sent."""
        customer = add_customer(self.ctx, f"customer{next(self._serial)}@example.com", name)
        (invitation,) = send_survey(self.ctx, survey, [customer], by="sam", language=language)
        return invitation

    def answers(self, invitation_id: int) -> dict[str, int | str]:
        """The answers stored for an invitation, by question: the score of a scale, else the text."""
        query = select(survey_answers).where(survey_answers.c.invitation_id == invitation_id)
        with self.ctx.read() as connection:
            rows = connection.execute(query).mappings().all()
        return {row["question"]: row["number"] if row["number"] is not None else row["text"] for row in rows}

    def answered_at(self, invitation_id: int) -> datetime | None:
        """When the invitation was answered, or None."""
        query = select(survey_invitations.c.answered_at).where(survey_invitations.c.id == invitation_id)
        with self.ctx.read() as connection:
            value: datetime | None = connection.execute(query).scalar_one()
        return value

    def count_answers(self) -> int:
        """Every stored answer of every invitation."""
        with self.ctx.read() as connection:
            return len(connection.execute(select(survey_answers.c.id)).all())


def token_of(url: str) -> str:
    """The token at the end of a survey link."""
    return url.rsplit("/s/", 1)[1]


@contextmanager
def survey_site(directory: Path) -> Iterator[Site]:
    """Serve the daemon's whole app (webhooks and survey form) on 127.0.0.1 over ``directory``/recovery.db."""
    db = connect(f"sqlite:///{directory / 'recovery.db'}")
    upgrade(db)
    clock = SettableClock(T0)
    workflows = WorkflowRegistry(load_dir(shipped_workflows()))
    ctx = Context(db=db, workflows=workflows, calendar=BusinessCalendar(ZoneInfo("Europe/Amsterdam")), clock=clock)
    ctx.surveys = SurveyConfig(secret=SECRET)
    settings = Settings(webhook=WebhookSettings(max_body=f"{MAX_BODY // 1024}KiB"))
    app = create_app(ctx, settings, environ={})  # the form reads its secret and limits from ctx.surveys
    add_staff(ctx, "sam", "Sam Staff")
    try:
        with serve(app, settings.webhook) as url:
            ctx.surveys.base_url = url
            yield Site(url, ctx, clock)
    finally:
        db.dispose()
