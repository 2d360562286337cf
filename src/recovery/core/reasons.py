"""The reason taxonomy and the rule-based coder of customers' open answers.

A taxonomy document (parsed here, read from YAML by recovery.reason_files) names each reason with
a label and a description per language, the recovery step role it points to, and its matching
rules per language: ``strong`` patterns code the reason alone, ``weak`` ones need a second hint.
A pattern is words in order (each within GAP words of the last), compared by their Snowball stems;
``pref*`` and ``*suff`` compare the word's start or end instead (compounds: ``preis*``). Words
within a few letters of a rule's word count too, with less weight (misspellings). A pattern right
after a negator ("not too expensive") does not count, nor does any pattern in a clause that holds
a dismissal ("the price was not the problem"). The coder only computes: snowballstemmer and
rapidfuzz are imported on the first coded answer, so listing the taxonomy stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recovery.core.reason_rules import Matcher
from recovery.core.roles import ROLES

LANGUAGES = ("en", "nl", "de")
REASON_KEYS = (
    "price_or_quality",
    "competitor_offer",
    "slow_response",
    "promise_broken",
    "complaint_unresolved",
    "overall_dissatisfaction",
    "moved_or_no_longer_needed",
    "other",
)
STRENGTHS = ("strong", "weak")
NEGATION_KEYS = ("negators", "intensifiers", "dismissals", "breaks")
# Function words by language for telling one language from the other two; none is a reason's word.
_FUNCTION_WORDS = {
    "en": "the a an and is was it to you i not my of for with too never no but they we your me this that did",
    "nl": "de het een en is was niet ik je jullie van te voor met nooit geen maar dat mijn er om niks nog ook wel",
    "de": "der die das und ist war nicht ich sie zu mit für nie kein keine aber mein es wurde auf nichts noch ein",
}
_WORDS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORDS.items()}
_LETTERS = {"de": re.compile("[äöüß]"), "nl": re.compile(r"ij\b|\bij")}
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class Coded:
    """One reason found in an answer, with the coder's confidence in it (0..1, two decimals)."""

    reason: str
    confidence: float


@dataclass(frozen=True)
class Rules:
    """One reason's patterns in one language."""

    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


@dataclass(frozen=True)
class Negation:
    """One language's words that negate the next pattern (over an intensifier: "not too"), dismissals, clause breaks."""

    negators: tuple[str, ...] = ()
    intensifiers: tuple[str, ...] = ()
    dismissals: tuple[str, ...] = ()
    breaks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    """One reason: its texts by language, the step role it points to, its rules by language."""

    key: str
    labels: Mapping[str, str]
    descriptions: Mapping[str, str]
    step: str | None
    rules: Mapping[str, Rules]


@dataclass(frozen=True, eq=False)  # hashed by identity: the coder keeps one compiled matcher per taxonomy
class Taxonomy:
    """The reasons answers are coded into, and how to recognise them."""

    reasons: tuple[Reason, ...]
    negation: Mapping[str, Negation]
    LANGUAGES = LANGUAGES

    @property
    def keys(self) -> tuple[str, ...]:
        """The reason keys, in the file's order."""
        return tuple(reason.key for reason in self.reasons)

    def reason(self, key: str) -> Reason:
        """The reason named ``key``; KeyError names the known ones."""
        for reason in self.reasons:
            if reason.key == key:
                return reason
        raise KeyError(f"unknown reason {key!r}; known: {', '.join(self.keys)}")

    def label(self, key: str, language: str) -> str:
        """The reason's short name in ``language``."""
        return self.reason(key).labels[language]

    def description(self, key: str, language: str) -> str:
        """What the reason covers, in ``language``."""
        return self.reason(key).descriptions[language]

    def step(self, key: str) -> str | None:
        """The recovery step role the reason points to, if one applies."""
        return self.reason(key).step


def taxonomy_from(document: Mapping[str, Any]) -> Taxonomy:
    """Parse a taxonomy document; ValueError names the first bad key path (``reasons.x.label.nl: missing``)."""
    reasons = _mapping(document.get("reasons"), "reasons")
    unknown = [key for key in reasons if key not in REASON_KEYS]
    if unknown:
        raise ValueError(f"reasons.{unknown[0]}: unknown reason; known: {', '.join(REASON_KEYS)}")
    parsed = tuple(_reason(key, reasons.get(key), f"reasons.{key}") for key in REASON_KEYS)
    negation = _mapping(document.get("negation", {}), "negation")
    return Taxonomy(parsed, {language: _negation(negation.get(language, {}), language) for language in LANGUAGES})


def _reason(key: str, value: object, where: str) -> Reason:
    entry = _mapping(value, where)
    step = entry.get("step")
    if step is not None and step not in ROLES:
        raise ValueError(f"{where}.step: unknown role {step!r}; known: {', '.join(ROLES)}")
    rules = _mapping(entry.get("match", {}), f"{where}.match")
    extra = [language for language in rules if language not in LANGUAGES]
    if extra:
        raise ValueError(f"{where}.match.{extra[0]}: unknown language; known: {', '.join(LANGUAGES)}")
    return Reason(
        key=key,
        labels=_texts(entry.get("label"), f"{where}.label"),
        descriptions=_texts(entry.get("description"), f"{where}.description"),
        step=step,
        rules={language: _rules(rules.get(language, {}), f"{where}.match.{language}") for language in LANGUAGES},
    )


def _texts(value: object, where: str) -> dict[str, str]:
    texts = _mapping(value, where)
    for language in LANGUAGES:
        text = texts.get(language)
        if text is None:
            raise ValueError(f"{where}.{language}: missing")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}.{language}: expected text, got {text!r}")
    return {language: texts[language].strip() for language in LANGUAGES}


def _rules(value: object, where: str) -> Rules:
    rules = _mapping(value, where)
    extra = [key for key in rules if key not in STRENGTHS]
    if extra:
        raise ValueError(f"{where}.{extra[0]}: unknown key; known: {', '.join(STRENGTHS)}")
    return Rules(**{strength: _phrases(rules.get(strength, []), f"{where}.{strength}") for strength in STRENGTHS})


def _negation(value: object, language: str) -> Negation:
    where = f"negation.{language}"
    negation = _mapping(value, where)
    extra = [key for key in negation if key not in NEGATION_KEYS]
    if extra:
        raise ValueError(f"{where}.{extra[0]}: unknown key; known: {', '.join(NEGATION_KEYS)}")
    return Negation(**{key: _phrases(negation.get(key, []), f"{where}.{key}") for key in NEGATION_KEYS})


def _phrases(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of phrases, got {type(value).__name__}")
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str) or not _TOKEN.search(phrase):
            raise ValueError(f"{where}[{i}]: expected a word or phrase, got {phrase!r}")
    return tuple(phrase.strip().lower() for phrase in value)


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        raise ValueError(f"{where}: missing")
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def detect_language(text: str) -> str | None:
    """The answer's language by its function words and letters; None when no language clearly leads."""
    tokens = [token.lower() for token in _TOKEN.findall(text)]
    scores = {language: sum(token in _WORDS[language] for token in tokens) for language in LANGUAGES}
    for language, letters in _LETTERS.items():
        scores[language] += 2 * len(letters.findall(text.lower()))
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top > second else None


def code_answer(
    taxonomy: Taxonomy, text: str, language: str | None = None, *, min_confidence: float = 0.6
) -> list[Coded]:
    """The reasons ``text`` gives at or above ``min_confidence``, best first; empty leaves it to a person.

    Without ``language`` it is detected; when it cannot be, every language is tried and the most
    confident coding kept.
    """
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    if not text.strip():
        return []
    languages: Sequence[str] = [language or detect_language(text) or ""]
    if not languages[0]:
        languages = LANGUAGES
    codings = [_code(taxonomy, text, candidate) for candidate in languages]
    best = max(codings, key=lambda coded: [c.confidence for c in coded])
    return [coded for coded in best if coded.confidence >= min_confidence]


def _code(taxonomy: Taxonomy, text: str, language: str) -> list[Coded]:
    scores = Matcher.of(taxonomy, language).scores(text)
    found = [Coded(reason, round(score, 2)) for reason, score in scores.items() if score > 0]
    return sorted(found, key=lambda coded: (-coded.confidence, taxonomy.keys.index(coded.reason)))
