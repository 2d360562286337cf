"""The team's dashboard at ``/``: read-only pages for signed-in staff, and the sign-in by a link.

Thin on purpose: each handler checks the session, calls one engine read in the threadpool (the event
loop never waits on the database) and renders a page. Agents see their own complaints only (another's
is a 404, as if it did not exist); leads and managers see all. A POST must come from our own pages
(``Origin``/``Sec-Fetch-Site``), and signing out also needs the session's CSRF token.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery.config import DashboardSettings, Settings, clock_duration
from recovery.engine import sign_ins
from recovery.engine.context import Context
from recovery.engine.sign_ins import Session, SignInError
from recovery.errors import InvalidInputError, NotFoundError
from recovery.intake.dashboard_auth import COOKIE, Cookie, SessionCookies, dashboard_key
from recovery.intake.dashboard_pages import DashboardPages
from recovery.intake.dashboard_reads import Reads

if TYPE_CHECKING:
    from recovery.engine.retention_report import ReportRequest

log = logging.getLogger("recovery.intake")
T = TypeVar("T")
Page = Callable[[Request, Session, Cookie], Awaitable[Response]]

MAX_FORM = 4096  # bytes: the sign-in and sign-out forms are tiny
LINK_PROBLEMS = {
    sign_ins.LinkUnknown: (404, "This sign-in link does not work", "It may have been copied only in part."),
    sign_ins.LinkUsed: (409, "This sign-in link was used already", "Each link works once."),
    sign_ins.LinkExpired: (410, "This sign-in link has expired", "Links work for a short time only."),
}


class Refused(Exception):
    """A request answered with a problem page."""

    def __init__(self, status: int, title: str, body: str) -> None:
        self.status, self.title, self.body = status, title, body
        super().__init__(title)


class Dashboard:
    """The handlers and what they need: the engine context, the cookies, the pages, the reads."""

    def __init__(
        self,
        ctx: Context,
        settings: DashboardSettings,
        cookies: SessionCookies,
        pages: DashboardPages,
        report: Callable[[], ReportRequest] | None = None,
    ) -> None:
        self.ctx, self.settings, self.cookies, self.pages = ctx, settings, cookies, pages
        self.reads = Reads(ctx, report)
        self.link_lifetime = clock_duration(settings.link_lifetime).clock()

    # Signing in and out

    async def sign_in_form(self, request: Request) -> Response:
        """The form that asks for an email or a staff id."""
        return self.pages.render("sign_in", current="sign-in")

    async def sign_in_request(self, request: Request) -> Response:
        """Send a link if the address is a staff member's; the same answer either way."""
        try:
            self._same_origin(request)
            form = await _form(request)
            who = form.get("who", "")
            await self._engine(
                sign_ins.request_link, self.ctx, who, base_url=self.settings.base_url, lifetime=self.link_lifetime
            )
        except Refused as refused:
            return self._refused(refused)
        return self.pages.render("sign_in_sent", lifetime=self.settings.link_lifetime)

    async def link(self, request: Request) -> Response:
        """A sign-in link opened: a button that uses it (a mail scanner's GET must not use it up)."""
        nonce = str(request.path_params["nonce"])
        try:
            await self._engine(sign_ins.check_link, self.ctx, nonce)
        except Refused as refused:
            return self._refused(refused)
        return self.pages.render("sign_in_link", nonce=nonce)

    async def use_link(self, request: Request) -> Response:
        """Use the link: the session cookie, and on to the overview."""
        nonce = str(request.path_params["nonce"])
        try:
            self._same_origin(request)
            session = await self._engine(sign_ins.use_link, self.ctx, nonce)
        except Refused as refused:
            return self._refused(refused)
        response = RedirectResponse("/", status_code=303)
        response.headers.append("Set-Cookie", self.cookies.set_header(session.id, session.staff.id))
        response.headers["Cache-Control"] = "no-store"
        return response

    async def sign_out(self, request: Request) -> Response:
        """End the session: only with its CSRF token."""
        try:
            self._same_origin(request)
            cookie = self.cookies.read(request.cookies.get(COOKIE))
            form = await _form(request)
            if cookie is None or not self.cookies.csrf_valid(cookie, form.get("csrf")):
                raise Refused(
                    403,
                    "You could not be signed out",
                    "The form was stale or came from elsewhere: reload the page and try again.",
                )
            await self._engine(sign_ins.sign_out, self.ctx, cookie.session_id)
        except Refused as refused:
            return self._refused(refused)
        response = RedirectResponse("/sign-in", status_code=303)
        response.headers.append("Set-Cookie", self.cookies.clear_header())
        return response

    # The pages

    def page(self, handler: Page) -> Callable[[Request], Awaitable[Response]]:
        """``handler`` for signed-in staff only: anyone else is sent to the sign-in form."""

        async def endpoint(request: Request) -> Response:
            cookie = self.cookies.read(request.cookies.get(COOKIE))
            try:
                session = None
                if cookie is not None:
                    lifetime = clock_duration(self.settings.session_lifetime).clock()
                    session = await self._engine(
                        sign_ins.current_session, self.ctx, cookie.session_id, cookie.staff_id, lifetime
                    )
                if session is None or cookie is None:
                    response = RedirectResponse("/sign-in", status_code=303)
                    if cookie is not None or COOKIE in request.cookies:
                        response.headers.append("Set-Cookie", self.cookies.clear_header())
                    return response
                return await handler(request, session, cookie)
            except Refused as refused:
                return self._refused(refused, session, cookie)

        return endpoint

    def _common(self, session: Session, cookie: Cookie, current: str) -> dict[str, Any]:
        return {"staff": session.staff, "csrf": self.cookies.csrf_token(cookie), "current": current}

    def _scope(self, session: Session) -> str | None:
        return None if session.staff.sees_all else session.staff.id

    async def overview(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """Open complaints by step, what is late now, revenue at risk, today's arrivals."""
        found = await self._engine(self.reads.overview, self._scope(session))
        return self.pages.render("overview", **self._common(session, cookie, "overview"), o=found)

    async def complaints(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """Complaints filtered as ``recovery complaint list`` filters them."""
        query = request.query_params
        asked = {
            "state": query.getlist("state"),
            "severity": query.getlist("severity"),
            "overdue": query.get("overdue", ""),
            "customer": query.get("customer", ""),
            "assignee": query.get("assignee", "") if session.staff.sees_all else "",
            "source": query.get("source", ""),
            "since": query.get("since", ""),
            "search": query.get("search", ""),
            "workflow": query.get("workflow", ""),
            "limit": query.get("limit", "100"),
        }
        found = await self._engine(self.reads.complaints, asked, self._scope(session))
        return self.pages.render("complaints", **self._common(session, cookie, "complaints"), asked=asked, **found)

    async def complaint(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """One complaint and its timeline; another agent's complaint is not found."""
        raw = str(request.path_params["complaint_id"])
        if not raw.isdigit() or len(raw) > 18:
            raise Refused(404, "No such complaint", "Check the number, or find it in the list.")
        found = await self._engine(self.reads.complaint, int(raw), self._scope(session))
        return self.pages.render("complaint", **self._common(session, cookie, "complaints"), **found)

    async def at_risk(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """Customers marked at risk, the most valuable first."""
        found = await self._engine(self.reads.at_risk)
        return self.pages.render("at_risk", **self._common(session, cookie, "at-risk"), customers=found)

    async def winback(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """The win-back pipeline: cases by step, won back, gone."""
        found = await self._engine(self.reads.winback, self._scope(session))
        return self.pages.render("winback", **self._common(session, cookie, "winback"), **found)

    async def leaderboard(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """Flags, confirmations, recoveries and points per staff member for a month."""
        period = request.query_params.get("period") or None
        found = await self._engine(self.reads.leaderboard, period)
        return self.pages.render("leaderboard", **self._common(session, cookie, "leaderboard"), **found)

    async def retention(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """The retention charts."""
        found = await self._engine(self.reads.retention)
        return self.pages.render("retention", **self._common(session, cookie, "retention"), **found)

    async def chart(self, request: Request, session: Session, cookie: Cookie) -> Response:
        """One retention chart as SVG, for the charts page's ``<img>``."""
        svg = await self._engine(self.reads.chart_svg, str(request.path_params["name"]))
        headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return Response(svg, media_type="image/svg+xml", headers=headers)

    async def stylesheet(self, request: Request) -> Response:
        """The stylesheet, public: the sign-in pages use it too."""
        return self.pages.stylesheet()

    # What every handler shares

    async def _engine(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """An engine call in the threadpool; its expected errors become problem pages."""
        try:
            return await run_in_threadpool(function, *args, **kwargs)
        except SignInError as exc:
            status, title, body = next(v for k, v in LINK_PROBLEMS.items() if isinstance(exc, k))
            raise Refused(status, title, f"{body} Ask for a new one on the sign-in page.") from None
        except NotFoundError:
            raise Refused(404, "Not found", "It does not exist, or it is not yours to see.") from None
        except InvalidInputError as exc:
            raise Refused(400, "That filter cannot be used", str(exc)) from None
        except SQLAlchemyError as exc:
            log.error("event=dashboard_unavailable error=%s", type(exc).__name__)
            raise Refused(503, "The dashboard cannot read the database right now", "Try again in a minute.") from None

    def _same_origin(self, request: Request) -> None:
        """Refuse a POST another site's page made the browser send."""
        site = request.headers.get("sec-fetch-site")
        origin = request.headers.get("origin")
        if site is not None and site not in ("same-origin", "none"):
            raise Refused(403, "Refused", "This form must be sent from the dashboard's own pages.")
        if origin is not None and origin != "null" and origin != _own_origin(request):
            raise Refused(403, "Refused", "This form must be sent from the dashboard's own pages.")

    def _refused(self, refused: Refused, session: Session | None = None, cookie: Cookie | None = None) -> Response:
        context = self._common(session, cookie, "") if session is not None and cookie is not None else {}
        return self.pages.problem(refused.status, refused.title, refused.body, **context)


def _own_origin(request: Request) -> str:
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}"


async def _form(request: Request) -> dict[str, str]:
    """A small URL-encoded form; a problem page for anything else."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise Refused(415, "Something went wrong with the form", "Reload the page and try again.")
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                raise Refused(413, "Something went wrong with the form", "It was too long.")
    except ClientDisconnect:
        raise Refused(400, "Something went wrong with the form", "Reload the page and try again.") from None
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10))
    except ValueError:
        raise Refused(400, "Something went wrong with the form", "Reload the page and try again.") from None


def dashboard_routes(ctx: Context, every: Settings, *, loopback: bool, environ: Mapping[str, str]) -> list[Route]:
    """The dashboard's routes; each answers 503 when it may not serve here (off loopback without a secret)."""
    settings = every.dashboard
    if not settings.enabled:
        return []
    pages = DashboardPages(ctx.calendar.tz)
    key = dashboard_key(settings, loopback, environ)
    paths = [
        ("/", ["GET"]),
        ("/complaints", ["GET"]),
        ("/complaints/{complaint_id}", ["GET"]),
        ("/customers/at-risk", ["GET"]),
        ("/winback", ["GET"]),
        ("/retention", ["GET"]),
        ("/retention/{name}.svg", ["GET"]),
        ("/leaderboard", ["GET"]),
        ("/sign-in", ["GET", "POST"]),
        ("/sign-in/{nonce}", ["GET", "POST"]),
        ("/sign-out", ["POST"]),
    ]
    if key is None:
        return [Route(path, _unavailable(pages, settings), methods=methods) for path, methods in paths] + [
            Route("/dashboard.css", lambda r: _css(pages), methods=["GET"])
        ]
    secure = settings.base_url.lower().startswith("https://")
    lifetime = clock_duration(settings.session_lifetime).clock()
    board = Dashboard(ctx, settings, SessionCookies(key, secure=secure, lifetime=lifetime), pages, _report(every))
    return [
        Route("/", board.page(board.overview), methods=["GET"]),
        Route("/complaints", board.page(board.complaints), methods=["GET"]),
        Route("/complaints/{complaint_id}", board.page(board.complaint), methods=["GET"]),
        Route("/customers/at-risk", board.page(board.at_risk), methods=["GET"]),
        Route("/winback", board.page(board.winback), methods=["GET"]),
        Route("/retention", board.page(board.retention), methods=["GET"]),
        Route("/retention/{name}.svg", board.page(board.chart), methods=["GET"]),
        Route("/leaderboard", board.page(board.leaderboard), methods=["GET"]),
        Route("/sign-in", board.sign_in_form, methods=["GET"]),
        Route("/sign-in", board.sign_in_request, methods=["POST"]),
        Route("/sign-in/{nonce}", board.link, methods=["GET"]),
        Route("/sign-in/{nonce}", board.use_link, methods=["POST"]),
        Route("/sign-out", board.sign_out, methods=["POST"]),
        Route("/dashboard.css", board.stylesheet, methods=["GET"]),
    ]


def _report(settings: Settings) -> Callable[[], ReportRequest]:
    """The retention report the charts page draws: the default window, with the configured goals and rules."""

    def request() -> ReportRequest:
        from recovery.engine.retention_report import ReportRequest

        return ReportRequest(
            goals=dataclasses.asdict(settings.goals),
            defected_after_intervals=settings.report.defected_after_intervals,
            chronic_complaints=settings.report.chronic_complaints,
        )

    return request


async def _css(pages: DashboardPages) -> Response:
    return pages.stylesheet()


def _unavailable(pages: DashboardPages, settings: DashboardSettings) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return pages.problem(
            503,
            "The dashboard is switched off here",
            f"It listens beyond this machine without a secret: set ${settings.secret_env} where the daemon runs "
            "and restart it, or listen on 127.0.0.1.",
        )

    return endpoint
