"""The dashboard's pages as HTML: Jinja2 templates under ``recovery/templates/dashboard``, and their headers.

Autoescape is on, so whatever a customer or a helpdesk wrote is shown as text. The pages carry no
script, and their Content-Security-Policy allows none; the only style is the dashboard's own
stylesheet (``/dashboard.css``), the only images its own charts. Times are shown as the CLI shows
them: the calendar's zone, to the minute, with the offset (``2026-12-03 08:48 +01:00``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse, Response

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a sign-in link in the address bar never leaves in a Referer
    "Cache-Control": "no-store",  # pages about customers stay out of shared and back-button caches
    "X-Frame-Options": "DENY",
}


def local_time(moment: datetime | str | None, tz: ZoneInfo) -> str:
    """``moment`` (aware, or ISO 8601 as the engine writes it) as ``YYYY-MM-DD HH:MM +HH:MM`` in ``tz``; ``-`` for None.

    The CLI's format (recovery.cli.times.shown), which this layer may not import.
    """
    if moment is None or moment == "":
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def time_left(seconds: int | None) -> str:
    """``2 h 05 min left``, ``35 min late``, ``3 d 4 h left``; ``-`` for None."""
    if seconds is None:
        return "-"
    word = "left" if seconds >= 0 else "late"
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {word}"
    if hours:
        return f"{hours} h {minutes:02d} min {word}"
    return f"{minutes} min {word}"


def money(amount: float | None) -> str:
    """``1,234.50``; ``-`` for None."""
    return "-" if amount is None else f"{amount:,.2f}"


class DashboardPages:
    """Renders ``dashboard/<name>.html`` with the common context, and serves the stylesheet."""

    def __init__(self, tz: ZoneInfo) -> None:
        loader = PackageLoader("recovery", "templates")
        self.env = Environment(
            loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
        )
        self.env.filters.update(
            when=lambda m: local_time(m, tz), day=lambda m: local_time(m, tz)[:10], left=time_left, money=money
        )
        self.css = loader.get_source(self.env, "dashboard/_style.html")[0].encode()
        self.css_version = hashlib.sha256(self.css).hexdigest()[:12]
        self.zone = tz.key

    def render(self, name: str, status: int = 200, cookie: str | None = None, **context: Any) -> HTMLResponse:
        """The page ``name`` with ``status``; ``cookie`` is a Set-Cookie header to send with it."""
        context.setdefault("staff", None)
        context.setdefault("csrf", "")
        context.setdefault("current", "")
        html = self.env.get_template(f"dashboard/{name}.html").render(
            css_version=self.css_version, zone=self.zone, **context
        )
        response = HTMLResponse(html, status_code=status, headers=HEADERS)
        if cookie is not None:
            response.headers.append("Set-Cookie", cookie)
        return response

    def problem(self, status: int, title: str, body: str, **context: Any) -> HTMLResponse:
        """A page that says what went wrong and what to do."""
        return self.render("problem", status, title=title, body=body, **context)

    def stylesheet(self) -> Response:
        """``/dashboard.css``: the same bytes for every request, cached by browsers (its URL names its version)."""
        headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
        return Response(self.css, media_type="text/css; charset=utf-8", headers=headers)
