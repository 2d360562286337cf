"""The daily digest: each morning every lead and manager gets the overview by email — HTML with the key chart
and a plain-text alternative — through the outbox.

Safe to run every tick, twice, concurrently or after a SIGKILL: one message per person per local day (the
outbox's dedupe key), and a read first, so a tick after the day's send costs one query.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from recovery.engine.context import Context
from recovery.engine.overview import overview
from recovery.store.outbox import enqueue_many
from recovery.store.schema import outbox, staff

TOPIC = "digest.daily"
ROLES = ("lead", "manager")
CHART = "steps"  # the inline image's content id


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What one call did: the local day it looked at and the digests it queued."""

    day: date
    queued: int


def send_digests(ctx: Context, *, at: time, dashboard_url: str | None = None) -> DigestRun:
    """Queue today's digest for every lead and manager with an email address, once ``at`` has passed locally."""
    now = ctx.clock.now()
    local = now.astimezone(ctx.calendar.tz)
    if local.time() < at:
        return DigestRun(local.date(), 0)
    people = _recipients(ctx, local.date())
    if not people:
        return DigestRun(local.date(), 0)
    data = overview(ctx, None)
    html, text = render(data, local, dashboard_url)
    chart = base64.b64encode(steps_chart(data)).decode()
    subject = f"Complaints on {local:%A %d %B}: {data['open']} open, {data['overdue']} overdue"
    messages = [
        {
            "dedupe_key": key,
            "topic": TOPIC,
            "recipient": staff_id,
            "payload": {"email": email, "subject": subject, "text": text, "html": html, "images": {CHART: chart}},
        }
        for key, staff_id, email in people
    ]
    with ctx.db.begin() as connection:
        enqueue_many(connection, messages, now)
    return DigestRun(local.date(), len(messages))


def _recipients(ctx: Context, day: date) -> list[tuple[str, str, str]]:
    """(dedupe key, staff id, email) of each lead and manager whose digest of ``day`` is not queued yet."""
    with ctx.read() as connection:
        query = select(staff.c.id, staff.c.email).where(staff.c.role.in_(ROLES), staff.c.email.is_not(None))
        people = [(f"digest:{day.isoformat()}:{row.id}", row.id, row.email) for row in connection.execute(query)]
        keys = [key for key, _, _ in people]
        sent = set(connection.execute(select(outbox.c.dedupe_key).where(outbox.c.dedupe_key.in_(keys))).scalars())
    return [person for person in people if person[0] not in sent]


def render(data: dict[str, Any], local: datetime, dashboard_url: str | None) -> tuple[str, str]:
    """The digest as HTML (the chart by its content id) and as plain text."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("recovery", "templates"), autoescape=select_autoescape(["html"]))
    values = {"data": data, "day": f"{local:%A %d %B %Y}", "chart": CHART, "dashboard_url": dashboard_url}
    return env.get_template("digest/digest.html").render(values), env.get_template("digest/digest.txt").render(values)


def steps_chart(data: dict[str, Any]) -> bytes:
    """A PNG bar chart of open complaints by step, the overdue part hatched: readable in greyscale."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = data["by_step"] or [{"workflow": "", "state": "none open", "open": 0, "overdue": 0}]
    labels = [f"{r['state']}" if r["workflow"] in ("", "standard") else f"{r['workflow']}: {r['state']}" for r in rows]
    on_time = [r["open"] - r["overdue"] for r in rows]
    late = [r["overdue"] for r in rows]
    figure = Figure(figsize=(6.4, 0.45 * len(rows) + 1.4), dpi=100)
    axes = figure.subplots()
    axes.barh(labels, on_time, color="#4a4a4a", label="on time")
    axes.barh(labels, late, left=on_time, color="white", edgecolor="black", hatch="///", label="overdue")
    axes.invert_yaxis()
    axes.set_xlabel("open complaints")
    axes.set_title("Open complaints by step")
    axes.legend(loc="lower right", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
