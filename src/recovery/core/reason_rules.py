"""A taxonomy's rules for one language compiled for matching: stems, compounds, misspellings, negation.

Built once per taxonomy and language (``Matcher.of``), on the first answer coded: snowballstemmer
and rapidfuzz are imported here and only here, and only then.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recovery.core.reasons import Taxonomy

STEMMERS = {"en": "english", "nl": "dutch", "de": "german"}
WEIGHTS = {"strong": 0.85, "weak": 0.4}  # two weak hints of one reason make 0.64: just over the default bar
FUZZY_WEIGHT = 0.9  # a pattern matched through a misspelt word counts a little less
FUZZY_CUTOFF = 85  # rapidfuzz ratio: one letter dropped or doubled in a word of four or more
FUZZY_MIN_LENGTH = 4
TOKEN_CACHE = 20_000
GAP = 3  # words allowed between two words of a pattern ("promised … a refund")
DISMISSAL_GAP = 1  # a dismissal's words are (nearly) next to each other: "not the problem", "not really the problem"
_CLAUSE = re.compile(r"[.,;:!?()\n]+|\s[-–]\s")
_WORD = re.compile(r"[=*]?[^\W\d_]+(?:'[^\W\d_]+)?\*?")


@dataclass(frozen=True)
class Token:
    """A word of an answer: as written (lower case), its stem, and whether the stem came through a misspelling."""

    raw: str
    stem: str
    word: str  # as written, or the rule's word a misspelling was taken for
    fuzzy: bool = False


@dataclass(frozen=True)
class Pattern:
    """Words to find in order within a clause; a word is a stem, ``=exact``, ``pref*``, ``*suff`` or ``*part*``."""

    reason: str
    words: tuple[str, ...]
    weight: float
    gap: int = GAP

    def find(self, clause: list[Token], negators: frozenset[str], intensifiers: frozenset[str]) -> Hit | None:
        """Where the pattern occurs in ``clause`` without a negator just before it, and its weight there."""
        for start, token in enumerate(clause):
            if not _same(self.words[0], token):
                continue
            if self.words[0] not in negators and negated(clause[:start], negators, intensifiers):
                continue
            positions = self._rest(clause, start)
            if positions is not None:
                fuzzy = any(clause[i].fuzzy for i in positions)
                return Hit(self.weight * (FUZZY_WEIGHT if fuzzy else 1.0), frozenset(positions))
        return None

    def _rest(self, clause: list[Token], start: int) -> list[int] | None:
        """The positions of the pattern's words from ``start`` on, or None if the rest does not follow."""
        positions = [start]
        for word in self.words[1:]:
            window = range(positions[-1] + 1, min(len(clause), positions[-1] + 2 + self.gap))
            position = next((i for i in window if _same(word, clause[i])), -1)
            if position < 0:
                return None
            positions.append(position)
        return positions


@dataclass(frozen=True)
class Hit:
    """A pattern found in a clause: its weight there and the positions of its words."""

    weight: float
    positions: frozenset[int]


def negated(before: list[Token], negators: frozenset[str], intensifiers: frozenset[str]) -> bool:
    """Whether the words before a pattern end in a negator, maybe with one intensifier between ("not too")."""
    if before and before[-1].raw in intensifiers:
        before = before[:-1]
    return bool(before) and before[-1].raw in negators


def _same(word: str, token: Token) -> bool:
    if word[0] not in "=*" and word[-1] != "*":  # a stem: by far the most patterns' words
        return word == token.stem
    if word.startswith("="):
        return token.word == word[1:]
    if word.startswith("*") and word.endswith("*"):
        return word.strip("*") in token.raw
    if word.endswith("*"):
        return token.raw.startswith(word[:-1])
    if word.startswith("*"):
        return token.raw.endswith(word[1:])
    return word == token.stem


class Matcher:
    """One language's patterns, negators, dismissals and clause breaks, ready to score answers."""

    def __init__(self, taxonomy: Taxonomy, language: str) -> None:
        import snowballstemmer  # type: ignore[import-untyped]  # no type information shipped

        self._stem: Callable[[str], str] = snowballstemmer.stemmer(STEMMERS[language]).stemWord
        self._tokens: dict[str, Token] = {}
        negation = taxonomy.negation[language]
        self.negators = frozenset(_words(" ".join(negation.negators)))
        self.intensifiers = frozenset(_words(" ".join(negation.intensifiers)))
        self.breaks = frozenset(_words(" ".join(negation.breaks)))
        self.dismissals = [self._pattern("", phrase, 1.0, gap=DISMISSAL_GAP) for phrase in negation.dismissals]
        found: dict[tuple[str, tuple[str, ...]], Pattern] = {}
        for reason in taxonomy.reasons:
            for strength, weight in WEIGHTS.items():  # strong first: a phrase written twice keeps its strong weight
                for phrase in getattr(reason.rules[language], strength):
                    pattern = self._pattern(reason.key, phrase, weight)
                    found.setdefault((reason.key, pattern.words), pattern)  # "wait", "waited": one hint
        # Strong and longer patterns first: they take their words before a weaker one inside them can.
        self.patterns = sorted(found.values(), key=lambda p: (-p.weight, -len(p.words)))
        self._starting: dict[str, list[int]] = {}  # a pattern's index by its first word (stem or =exact)
        self._anywhere: list[int] = []  # patterns starting with a part of a word, checked in every clause
        for index, pattern in enumerate(self.patterns):
            first = pattern.words[0]
            if "*" in first:
                self._anywhere.append(index)
            else:
                self._starting.setdefault(first, []).append(index)
        surface = {w for p in (*reason_phrases(taxonomy, language), *negation.dismissals) for w in _words(p)}
        plain = {word.lstrip("=") for word in surface if "*" not in word}
        self.known = {self._stem(word) for word in plain} | self.negators
        self.spellings = {word: self._stem(word) for word in plain if len(word) >= FUZZY_MIN_LENGTH}

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def of(taxonomy: Taxonomy, language: str) -> Matcher:
        """The compiled matcher of ``taxonomy`` in ``language``, built on first use."""
        return Matcher(taxonomy, language)

    def scores(self, text: str) -> dict[str, float]:
        """Each reason's confidence in ``text``: its patterns' weights combined as independent hints."""
        best: dict[int, float] = {}
        for clause in self.clauses(text):
            if any(d.find(clause, frozenset(), frozenset()) for d in self.dismissals):
                continue  # "the price was not the problem": nothing in this clause is a reason
            credited: dict[str, set[int]] = {}  # a word is one hint for a reason, however many patterns hold it
            for index in self._candidates(clause):
                pattern = self.patterns[index]
                hit = pattern.find(clause, self.negators, self.intensifiers)
                used = credited.setdefault(pattern.reason, set())
                if hit is None or hit.positions & used:
                    continue
                used |= hit.positions
                best[index] = max(best.get(index, 0.0), hit.weight)
        doubt: dict[str, float] = {}
        for index, weight in best.items():
            reason = self.patterns[index].reason
            doubt[reason] = doubt.get(reason, 1.0) * (1.0 - weight)
        return {reason: 1.0 - left for reason, left in doubt.items()}

    def _candidates(self, clause: list[Token]) -> list[int]:
        """The patterns that can occur in ``clause`` (their first word is in it), in the order of ``patterns``."""
        found = set(self._anywhere)
        for token in clause:
            found.update(self._starting.get(token.stem, ()))
            found.update(self._starting.get("=" + token.word, ()))
        return sorted(found)

    def clauses(self, text: str) -> Iterator[list[Token]]:
        """The answer's clauses (split at punctuation and at words such as "but"), as tokens."""
        for part in _CLAUSE.split(text.lower().replace("’", "'")):
            clause: list[Token] = []
            for raw in _words(part):
                if raw in self.breaks:
                    yield clause
                    clause = []
                else:
                    clause.append(self._token(raw))
            yield clause

    def _token(self, raw: str) -> Token:
        token = self._tokens.get(raw)
        if token is None:
            token = self._tokens[raw] = self._read(raw)
            if len(self._tokens) > TOKEN_CACHE:  # an answer's words repeat across answers; a bounded memory
                self._tokens.pop(next(iter(self._tokens)))
        return token

    def _read(self, raw: str) -> Token:
        stem = self._stem(raw)
        if stem in self.known or len(raw) < FUZZY_MIN_LENGTH:
            return Token(raw, stem, raw)
        from rapidfuzz import fuzz, process

        found = process.extractOne(raw, self.spellings.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return Token(raw, self.spellings[found[0]], found[0], fuzzy=True) if found else Token(raw, stem, raw)

    def _pattern(self, reason: str, phrase: str, weight: float, gap: int = GAP) -> Pattern:
        words = tuple(word if word[0] == "=" or "*" in word else self._stem(word) for word in _words(phrase))
        return Pattern(reason, words, weight, gap)


def reason_phrases(taxonomy: Taxonomy, language: str) -> Iterator[str]:
    """Every pattern of every reason in ``language``, as written."""
    for reason in taxonomy.reasons:
        rules = reason.rules[language]
        yield from (*rules.strong, *rules.weak)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))
