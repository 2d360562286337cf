"""Survey definitions: questions in three languages, the kinds of answer, and reading one answer.

A survey file (``surveys/*.yaml``, read by ``recovery.survey_files``) is parsed here into frozen
dataclasses; every mistake is reported at once with its path inside the document. A question may
declare what its answer means to the engine with ``role:`` (``score``: the complaint's follow-up
score; ``expected``: what the customer expected), so the engine never compares question names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from recovery.core.values import text_problem
from recovery.errors import ConfigError

LANGUAGES = ("en", "nl", "de")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_NUMBER = re.compile(r"[0-9]{1,2}")


class Kind(StrEnum):
    """What kind of answer a question takes."""

    OPEN = "open"  # free text
    CSAT = "csat"  # satisfaction, 1 (very dissatisfied) to 5 (very satisfied)
    NPS = "nps"  # how likely to recommend us, 0 to 10
    CES = "ces"  # how easy it was, 1 to 7
    CHOICE = "choice"  # one of the question's options


SCALES = {Kind.CSAT: (1, 5), Kind.NPS: (0, 10), Kind.CES: (1, 7)}
QUESTION_ROLES = ("score", "expected")  # score: a csat that becomes the follow-up score; expected: a choice


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a single-choice question: a stable key and its label in each language."""

    key: str
    label: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Question:
    """One question; ``low``/``high`` label a scale's ends, ``options`` a choice's answers."""

    key: str
    kind: Kind
    text: Mapping[str, str]
    required: bool = False
    role: str | None = None
    options: tuple[Option, ...] = ()
    low: Mapping[str, str] | None = None
    high: Mapping[str, str] | None = None

    @property
    def scale(self) -> tuple[int, int] | None:
        """The lowest and highest score of a scale question; None for open and choice questions."""
        return SCALES.get(self.kind)


@dataclass(frozen=True, slots=True)
class Survey:
    """A named survey: its title, an introduction and the questions, in file order."""

    name: str
    title: Mapping[str, str]
    intro: Mapping[str, str]
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question:
        """The question named ``key``; KeyError naming the known ones otherwise."""
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(f"unknown question {key!r}; known: {', '.join(q.key for q in self.questions)}")

    def with_role(self, role: str) -> Question | None:
        """The question that plays ``role``, if any."""
        return next((q for q in self.questions if q.role == role), None)


def parse_answer(question: Question, raw: str, *, max_length: int | None = None) -> int | str:
    """The answer ``raw`` as stored: a score for a scale, an option's key, or trimmed text.

    ValueError with a message a customer can read when it does not fit the question.
    """
    value = raw.strip()
    if not value:
        raise ValueError("an answer is needed")
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"the answer {problem}")
    scale = question.scale
    if scale is not None:
        low, high = scale
        if not _NUMBER.fullmatch(value) or not low <= int(value) <= high:
            raise ValueError(f"a whole number from {low} to {high} is needed, got {_short(value)}")
        return int(value)
    if question.kind is Kind.CHOICE:
        keys = [o.key for o in question.options]
        if value not in keys:
            raise ValueError(f"unknown option {_short(value)}; choose one of {', '.join(keys)}")
        return value
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"at most {max_length} characters, got {len(value)}")
    return value


def nps_group(score: int) -> str:
    """The NPS group of a 0-10 score: detractor (0-6), passive (7-8) or promoter (9-10)."""
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS score is 0 to 10, got {score}")
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _short(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def parse_survey(document: Any, origin: str = "<survey>") -> Survey:
    """A Survey from a mapping; ConfigError listing every problem as ``origin: path: message``."""
    parser = _Parser(origin)
    survey = parser.survey(document)
    if parser.problems or survey is None:
        raise ConfigError("; ".join(parser.problems))
    return survey


class _Parser:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.origin}: {path}: {message}")

    def survey(self, document: Any) -> Survey | None:
        if not isinstance(document, Mapping):
            self.problem("(top)", "a survey file is a mapping with name, title, intro and questions")
            return None
        self._unknown(document, ("name", "title", "intro", "questions"), "(top)")
        name = self._key(document.get("name"), "name")
        items = document.get("questions")
        if not isinstance(items, list) or not items:
            self.problem("questions", "a list of at least one question is needed")
            items = []
        questions = tuple(q for i, item in enumerate(items) if (q := self._question(item, f"questions[{i}]")))
        keys = [q.key for q in questions]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem("questions", f"question {key!r} is defined twice")
        for role in QUESTION_ROLES:
            if sum(q.role == role for q in questions) > 1:
                self.problem("questions", f"role {role!r} is given to more than one question")
        title = self._text(document.get("title"), "title")
        intro = self._text(document.get("intro"), "intro")
        return Survey(name, title, intro, questions)

    def _question(self, item: Any, path: str) -> Question | None:
        if not isinstance(item, Mapping):
            self.problem(path, "a question is a mapping with key, kind and text")
            return None
        known = ("key", "kind", "text", "required", "role", "options", "low", "high")
        self._unknown(item, known, path)
        key = self._key(item.get("key"), f"{path}.key")
        kind = self._kind(item.get("kind"), f"{path}.kind")
        required = item.get("required", False)
        if not isinstance(required, bool):
            self.problem(f"{path}.required", "true or false")
        role = self._role(item.get("role"), kind, f"{path}.role")
        options = self._options(item.get("options"), kind, f"{path}.options")
        ends = {end: self._end(item.get(end), kind, f"{path}.{end}") for end in ("low", "high")}
        text = self._text(item.get("text"), f"{path}.text")
        return Question(key, kind, text, required is True, role, options, ends["low"], ends["high"])

    def _kind(self, value: Any, path: str) -> Kind:
        try:
            return Kind(value)
        except ValueError:
            self.problem(path, f"unknown kind {value!r}; known: {', '.join(k.value for k in Kind)}")
            return Kind.OPEN

    def _role(self, value: Any, kind: Kind, path: str) -> str | None:
        if value is None:
            return None
        if value not in QUESTION_ROLES:
            self.problem(path, f"unknown role {value!r}; known: {', '.join(QUESTION_ROLES)}")
        elif value == "score" and kind is not Kind.CSAT:
            self.problem(path, "role 'score' needs a csat question (the follow-up score is 1 to 5)")
        elif value == "expected" and kind is not Kind.CHOICE:
            self.problem(path, "role 'expected' needs a choice question")
        return str(value)

    def _options(self, value: Any, kind: Kind, path: str) -> tuple[Option, ...]:
        if kind is not Kind.CHOICE:
            if value is not None:
                self.problem(path, f"only a choice question has options, not a {kind.value} one")
            return ()
        if not isinstance(value, list) or len(value) < 2:
            self.problem(path, "a choice question needs a list of at least two options")
            return ()
        options = []
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            if not isinstance(item, Mapping):
                self.problem(where, "an option is a mapping with key and label")
                continue
            self._unknown(item, ("key", "label"), where)
            options.append(Option(self._key(item.get("key"), f"{where}.key"), self._text(item.get("label"), where)))
        keys = [o.key for o in options]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem(path, f"option {key!r} is given twice")
        return tuple(options)

    def _end(self, value: Any, kind: Kind, path: str) -> Mapping[str, str] | None:
        if value is None:
            return None
        if kind not in SCALES:
            self.problem(path, f"only a scale question (csat, nps, ces) has end labels, not a {kind.value} one")
            return None
        return self._text(value, path)

    def _key(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _KEY.fullmatch(value):
            self.problem(path, f"a name of lower-case letters, digits and _ is needed, got {value!r}")
            return str(value)
        return value

    def _text(self, value: Any, path: str) -> Mapping[str, str]:
        if not isinstance(value, Mapping):
            self.problem(path, f"a text in every language is needed: {', '.join(LANGUAGES)}")
            return {}
        missing = [lang for lang in LANGUAGES if not isinstance(value.get(lang), str) or not value[lang].strip()]
        if missing:
            self.problem(path, f"missing text in {', '.join(missing)}")
        extra = sorted(str(k) for k in value if k not in LANGUAGES)
        if extra:
            self.problem(path, f"unknown language {', '.join(extra)}; known: {', '.join(LANGUAGES)}")
        return {lang: str(value[lang]).strip() for lang in LANGUAGES if isinstance(value.get(lang), str)}

    def _unknown(self, mapping: Mapping[Any, Any], known: tuple[str, ...], path: str) -> None:
        extra = sorted(str(k) for k in mapping if k not in known)
        if extra:
            self.problem(path, f"unknown key {', '.join(extra)}; known: {', '.join(known)}")
