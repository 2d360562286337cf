"""The reason coder on the labelled open answers, against plain keyword matching, in the same run.

Reads tests/data/reasons/answers.csv and codes every answer with the shipped taxonomy, the
answer's language given (and once more detected, overall only). Prints precision and recall per
reason and per language, and overall (micro-averaged), on the tune and the test split separately.
The baseline: the taxonomy's strong patterns as plain lower-case substrings of the answer (no
stems, no misspellings, no negation), any hit coding its reason. Then times both over every answer
``--repeat`` times and prints answers per second and the coder's speed as a ratio of the baseline's.
Targets (issue 13): precision >= 0.8 for every reason, recall >= 0.6 overall.

    .venv/bin/python benchmarks/bench_reasons.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from recovery.config import shipped_reasons
from recovery.core.reasons import REASON_KEYS, Taxonomy, code_answer
from recovery.reason_files import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "tests" / "data" / "reasons" / "answers.csv"
LANGUAGES = ("en", "nl", "de")

Coder = Callable[[str, str | None], set[str]]


@dataclass(frozen=True)
class Answer:
    language: str
    text: str
    reasons: frozenset[str]
    split: str


@dataclass
class Score:
    """Counts of right, wrong and missed codes."""

    hits: int = 0
    wrong: int = 0
    missed: int = 0

    def add(self, expected: set[str] | frozenset[str], found: set[str]) -> None:
        self.hits += len(expected & found)
        self.wrong += len(found - expected)
        self.missed += len(expected - found)

    def __str__(self) -> str:
        coded, labelled = self.hits + self.wrong, self.hits + self.missed
        precision = f"{self.hits / coded:.2f}" if coded else "  - "
        recall = f"{self.hits / labelled:.2f}" if labelled else "  - "
        return f"P {precision}  R {recall}  ({self.hits:>3} right, {self.wrong:>2} wrong, {self.missed:>3} missed)"


def read_answers() -> list[Answer]:
    with ANSWERS.open(encoding="utf-8", newline="") as file:
        return [
            Answer(row["language"], row["text"], frozenset(filter(None, row["reasons"].split(";"))), row["split"])
            for row in csv.DictReader(file)
        ]


def coder(taxonomy: Taxonomy) -> Coder:
    return lambda text, language: {c.reason for c in code_answer(taxonomy, text, language)}


def baseline(taxonomy: Taxonomy) -> Coder:
    """Each strong pattern as a plain lower-case substring, markers (``=``, ``*``) removed."""
    keywords = {
        language: [
            (reason.key, re.sub(r"[=*]", "", phrase))
            for reason in taxonomy.reasons
            for phrase in reason.rules[language].strong
        ]
        for language in LANGUAGES
    }

    def code(text: str, language: str | None) -> set[str]:
        lowered = text.lower()
        pairs = keywords[language] if language else [pair for found in keywords.values() for pair in found]
        return {reason for reason, keyword in pairs if keyword in lowered}

    return code


def report(name: str, code: Coder, answers: Iterable[Answer], *, detect: bool = False) -> None:
    for split in ("tune", "test"):
        chosen = [a for a in answers if a.split == split]
        by_reason: dict[str, Score] = {key: Score() for key in REASON_KEYS}
        by_language: dict[str, Score] = {language: Score() for language in LANGUAGES}
        overall = Score()
        for answer in chosen:
            found = code(answer.text, None if detect else answer.language)
            overall.add(answer.reasons, found)
            by_language[answer.language].add(answer.reasons, found)
            for key in REASON_KEYS:
                by_reason[key].add(answer.reasons & {key}, found & {key})
        print(f"\n{name}, {split} split ({len(chosen)} answers)")
        if not detect:
            for key, score in by_reason.items():
                print(f"  {key:<27} {score}")
            for language, score in by_language.items():
                print(f"  {language:<27} {score}")
        print(f"  {'overall':<27} {overall}")


def speed(code: Coder, answers: list[Answer], repeat: int) -> float:
    """Answers coded per second, language given."""
    code(answers[0].text, answers[0].language)  # the coder compiles its rules on first use
    start = time.perf_counter()
    for _ in range(repeat):
        for answer in answers:
            code(answer.text, answer.language)
    return repeat * len(answers) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=20, help="Times every answer is coded for the timing.")
    args = parser.parse_args()
    taxonomy = load_taxonomy(shipped_reasons())
    answers = read_answers()
    ours, plain = coder(taxonomy), baseline(taxonomy)
    report("coder", ours, answers)
    report("coder, language detected", ours, answers, detect=True)
    report("baseline (keyword substrings)", plain, answers)
    ours_rate, plain_rate = speed(ours, answers, args.repeat), speed(plain, answers, args.repeat)
    print(f"\nspeed: coder {ours_rate:,.0f} answers/s, baseline {plain_rate:,.0f} answers/s, "
          f"coder/baseline {ours_rate / plain_rate:.3f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
