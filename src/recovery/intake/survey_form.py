"""The survey form's routes: ``GET /s/{token}`` shows one invitation's form, ``POST`` stores its answers once.

Public (the signed, expiring, single-use link is the customer's key), but never trusting: the
body is capped while it streams, the POST must carry the CSRF cookie and field (``survey_csrf``),
and every refusal is a page in the customer's language with a 4xx status. The engine does the
checking and storing, in the threadpool so the event loop never waits on the database.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from recovery.core.surveys import Kind, Survey
from recovery.engine.context import Context
from recovery.engine.survey_errors import AlreadyAnswered, AnswerError, LinkExpired, LinkInvalid, SurveyLinkError
from recovery.engine.surveys import InvitationView, open_invitation, submit_answers
from recovery.errors import ConfigError
from recovery.intake.survey_csrf import COOKIE, FIELD, CsrfGuard
from recovery.intake.survey_pages import Pages, field_name, fields_of
from recovery.intake.survey_texts import negotiate, texts

log = logging.getLogger("recovery.intake")
T = TypeVar("T")

MAX_TOKEN = 400  # characters; a real link's token is far shorter, a longer one is not worth a lookup
FORM_TYPE = "application/x-www-form-urlencoded"
LINK_PROBLEMS: dict[type[Exception], tuple[str, int]] = {
    LinkInvalid: ("invalid", 404),
    LinkExpired: ("expired", 410),
    AlreadyAnswered: ("answered", 409),
}


class Problem(Exception):
    """A request the form answers with a problem page: which page, and its status."""

    def __init__(self, problem: str, status: int, language: str | None = None) -> None:
        self.problem, self.status, self.language = problem, status, language
        super().__init__(problem)


class SurveyForm:
    """The handlers of ``/s/{token}`` and what they need: the engine's context, the pages, the CSRF guard."""

    def __init__(
        self, ctx: Context, pages: Pages, csrf: CsrfGuard, *, max_body: int, max_answer: int, default_language: str
    ) -> None:
        self.ctx, self.pages, self.csrf = ctx, pages, csrf
        self.max_body, self.max_answer, self.default_language = max_body, max_answer, default_language

    async def show(self, request: Request) -> Response:
        """The form of the invitation the link names, or the page that says why it cannot be answered."""
        token = str(request.path_params["token"])
        try:
            view = await self._open(token)
        except Problem as problem:
            return self._problem(request, problem)
        cookie = self.csrf.cookie_value(request.cookies.get(COOKIE))
        return self._form(view, token, cookie, {}, {}, status=200)

    async def submit(self, request: Request) -> Response:
        """Store the answers once: the thank-you page; the form again (422) with each problem by its question."""
        token = str(request.path_params["token"])
        try:
            form = await self._read_form(request)
            view = await self._open(token)
            cookie = request.cookies.get(COOKIE)
            if cookie is None or not self.csrf.valid(token, cookie, form.get(FIELD)):
                log.warning("event=survey_form_refused reason=csrf invitation=%s", view.invitation_id)
                raise Problem("forbidden", 403, view.language)
            values = {q.key: _normalized(form.get(field_name(q), "")) for q in view.survey.questions}
            try:
                await self._engine(submit_answers, self.ctx, token, values, source="form")
            except AnswerError as exc:
                errors = _messages(view.survey, view.language, values, exc.problems, self.max_answer)
                return self._form(view, token, cookie, values, errors, status=422)
        except Problem as problem:
            return self._problem(request, problem)
        log.info("event=survey_form_answered invitation=%s survey=%s", view.invitation_id, view.survey.name)
        language = view.language
        return self.pages.render("done", language, 200, title=view.survey.title.get(language, ""))

    async def _open(self, token: str) -> InvitationView:
        if len(token) > MAX_TOKEN:
            raise Problem("invalid", 404)
        return await self._engine(open_invitation, self.ctx, token)

    async def _engine(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call an engine function in the threadpool; its link errors and outages become problem pages."""
        try:
            return await run_in_threadpool(function, *args, **kwargs)
        except SurveyLinkError as exc:
            problem, status = next((v for k, v in LINK_PROBLEMS.items() if isinstance(exc, k)), ("invalid", 404))
            # The invitation's language where the engine says it; else the browser's (_problem).
            raise Problem(problem, status, getattr(exc, "language", None)) from None
        except (SQLAlchemyError, ConfigError) as exc:
            log.error("event=survey_form_unavailable error=%s: %s", type(exc).__name__, str(exc)[:200])
            raise Problem("unavailable", 503) from None

    async def _read_form(self, request: Request) -> dict[str, str]:
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != FORM_TYPE:
            raise Problem("bad_request", 415)
        body = await _read_capped(request, self.max_body)
        form = _parse(body)
        if form is None:
            raise Problem("bad_request", 400)
        return form

    def _form(
        self,
        view: InvitationView,
        token: str,
        cookie: str,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        *,
        status: int,
    ) -> Response:
        language, survey = view.language, view.survey
        words = texts(language)
        name = (view.customer_name or "").strip()
        greeting = words["greeting"].format(name=name) if name else words["greeting_anonymous"]
        return self.pages.render(
            "form",
            language,
            status,
            cookie=self.csrf.set_cookie_header(cookie),
            title=survey.title.get(language, ""),
            intro=survey.intro.get(language, ""),
            greeting=greeting,
            fields=fields_of(survey, language, self.max_answer, values, errors),
            form_error=errors.get("answers", ""),
            csrf=self.csrf.field(token, cookie),
            max_answer=self.max_answer,
        )

    def _problem(self, request: Request, problem: Problem) -> Response:
        language = problem.language or negotiate(request.headers.get("accept-language", ""), self.default_language)
        return self.pages.problem(problem.problem, language, problem.status)


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes ``limit`` bytes, declared or streamed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem("too_large", 413)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem("too_large", 413)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem("bad_request", 400) from None
    return b"".join(chunks)


def _parse(body: bytes) -> dict[str, str] | None:
    """A URL-encoded form as a mapping; None when it is not UTF-8, malformed, too many fields or a field twice."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=200)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            return None
        form[key] = value
    return form


def _normalized(value: str) -> str:
    """Line breaks as one character: browsers count them so for ``maxlength`` but send them as CR LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _messages(
    survey: Survey, language: str, values: Mapping[str, str], problems: Mapping[str, str], max_answer: int
) -> dict[str, str]:
    """The engine's problems by question, said in the customer's language (its own words are for logs)."""
    words = texts(language)
    messages: dict[str, str] = {}
    for key in problems:
        if key == "answers":
            messages[key] = words["error_empty"]
            continue
        question = next((q for q in survey.questions if q.key == key), None)
        if question is None:
            continue
        value = values.get(key, "").strip()
        if not value:
            messages[key] = words["error_required"]
        elif question.scale is not None:
            low, high = question.scale
            messages[key] = words["error_scale"].format(low=low, high=high)
        elif question.kind is Kind.CHOICE:
            messages[key] = words["error_choice"]
        elif len(value) > max_answer:
            messages[key] = words["error_too_long"].format(max=max_answer, count=len(value))
        else:
            messages[key] = words["error_text"]
    return messages


def survey_routes(ctx: Context, max_body: int) -> list[Route]:
    """The public survey form's routes, served beside the webhooks; ``ctx.surveys`` holds their settings."""
    surveys = ctx.surveys
    # Derived from the link secret, so every worker and restart agree on it. Without a secret there
    # are no links to answer (the engine refuses them all), and a random key does no harm.
    secret = surveys.secret
    key = hmac.new(secret.encode(), b"survey form csrf", hashlib.sha256).digest() if secret else secrets.token_bytes(32)
    csrf = CsrfGuard(key, secure=surveys.base_url.lower().startswith("https://"))
    form = SurveyForm(
        ctx,
        Pages(),
        csrf,
        max_body=max_body,
        max_answer=surveys.max_answer,
        default_language=surveys.default_language,
    )
    return [
        Route("/s/{token}", form.show, methods=["GET"]),
        Route("/s/{token}", form.submit, methods=["POST"]),
    ]
