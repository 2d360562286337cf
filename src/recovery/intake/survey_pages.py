"""What a customer sees of a survey: the form, the thank-you page and the problem pages, as HTML.

Rendered on the server with Jinja2 (autoescape on: every customer-written string is escaped) and
sent with headers that allow no script at all, keep the link out of Referer headers and caches,
and forbid framing. The only style is the inline stylesheet, allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

from recovery.core.surveys import Kind, Question, Survey
from recovery.intake.survey_texts import texts

PROBLEMS = ("answered", "expired", "invalid", "forbidden", "too_large", "bad_request", "unavailable")


@dataclass(frozen=True)
class Field:
    """One question as the form shows it: the input's name and id, its words, its value and error."""

    name: str
    id: str
    kind: str  # open | choice | scale
    label: str
    required: bool
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value, label) of each radio button
    value: str = ""
    error: str = ""
    described_by: str = field(default="")

    @property
    def anchor(self) -> str:
        """The id the error summary links to: the text box, or a choice's first radio button."""
        return self.id if self.kind == "open" else f"{self.id}-0"


def field_name(question: Question) -> str:
    """The form field of a question's answer (prefixed, so no question can collide with the CSRF field)."""
    return f"a.{question.key}"


def fields_of(
    survey: Survey, language: str, max_answer: int, values: Mapping[str, str], errors: Mapping[str, str]
) -> list[Field]:
    """The form's fields in question order, with the customer's ``values`` and ``errors`` by question key."""
    words = texts(language)
    found = []
    for question in survey.questions:
        ident = f"q-{question.key}"
        kind, hint, options = _shape(question, language, max_answer, words)
        error = errors.get(question.key, "")
        described = " ".join(part for part, shown in ((f"{ident}-hint", hint), (f"{ident}-error", error)) if shown)
        found.append(
            Field(
                name=field_name(question),
                id=ident,
                kind=kind,
                label=question.text.get(language, ""),
                required=question.required,
                hint=hint,
                options=options,
                value=values.get(question.key, ""),
                error=error,
                described_by=described,
            )
        )
    return found


def _shape(
    question: Question, language: str, max_answer: int, words: Mapping[str, str]
) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    if question.kind is Kind.OPEN:
        return "open", words["max_chars"].format(max=max_answer), ()
    if question.kind is Kind.CHOICE:
        return "choice", "", tuple((o.key, o.label.get(language, o.key)) for o in question.options)
    low, high = question.scale or (0, 0)
    low_label = question.low.get(language) if question.low else None
    high_label = question.high.get(language) if question.high else None
    hint = words["scale_hint"].format(
        low=low,
        high=high,
        low_label=low_label or words[f"{question.kind.value}_low"],
        high_label=high_label or words[f"{question.kind.value}_high"],
    )
    return "scale", hint, tuple((str(n), str(n)) for n in range(low, high + 1))


class Pages:
    """The Jinja2 templates under ``recovery/templates/survey`` and the headers every page is sent with."""

    def __init__(self) -> None:
        loader = PackageLoader("recovery", "templates")
        self.env = Environment(
            loader=loader,
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        css = loader.get_source(self.env, "survey/_style.html")[0]
        self.css = Markup(css)  # our own file, put verbatim into <style>: its hash is what the CSP allows
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        self.headers = {
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # the link is the customer's key: never sent onwards
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        }

    def render(
        self, template: str, language: str, status: int = 200, cookie: str | None = None, **context: object
    ) -> HTMLResponse:
        """``survey/<template>.html`` in ``language`` with ``status``; ``cookie`` is a Set-Cookie header."""
        words = texts(language)
        html = self.env.get_template(f"survey/{template}.html").render(
            language=language, t=words, css=self.css, **context
        )
        headers = {**self.headers, "Content-Language": language}
        response = HTMLResponse(html, status_code=status, headers=headers)
        if cookie is not None:
            response.headers.append("Set-Cookie", cookie)
        return response

    def problem(self, problem: str, language: str, status: int) -> HTMLResponse:
        """A page that says what went wrong with the link or the form, and what the customer can do."""
        words = texts(language)
        return self.render(
            "problem",
            language,
            status,
            title=words[f"{problem}_title"],
            body=words[f"{problem}_body"],
            problem=problem,
        )
