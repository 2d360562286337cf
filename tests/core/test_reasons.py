"""The reason taxonomy and the rule-based coder of open answers (tests/data/reasons holds the labelled set)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.config import shipped_reasons
from recovery.core.reasons import LANGUAGES, REASON_KEYS, Coded, Taxonomy, code_answer, detect_language, taxonomy_from
from recovery.errors import ConfigError
from recovery.reason_files import load_taxonomy

SHIPPED = shipped_reasons()


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(SHIPPED)


@pytest.fixture
def document() -> dict[str, Any]:
    """The shipped file as a mapping, for tests to break."""
    return copy.deepcopy(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))


def reasons(taxonomy: Taxonomy, text: str, language: str | None = None) -> list[str]:
    return [coded.reason for coded in code_answer(taxonomy, text, language)]


# The taxonomy


def test_the_shipped_taxonomy_has_the_eight_reasons_in_order(taxonomy: Taxonomy) -> None:
    assert taxonomy.keys == REASON_KEYS


def test_the_checkout_config_links_to_the_shipped_taxonomy() -> None:
    link = Path(__file__).resolve().parents[2] / "config" / "reasons.yaml"
    assert link.is_symlink()
    assert link.resolve() == SHIPPED.resolve()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_has_a_label_and_a_description_in_every_language(taxonomy: Taxonomy, language: str) -> None:
    for key in taxonomy.keys:
        assert taxonomy.label(key, language).strip(), key
        assert len(taxonomy.description(key, language)) > len(taxonomy.label(key, language)), key


@pytest.mark.parametrize(
    ("key", "step"),
    [
        ("slow_response", "action"),
        ("complaint_unresolved", "resolution"),
        ("promise_broken", "follow_up"),
        ("price_or_quality", None),
        ("moved_or_no_longer_needed", None),
    ],
)
def test_a_reason_points_to_the_recovery_step_that_answers_it(taxonomy: Taxonomy, key: str, step: str | None) -> None:
    assert taxonomy.step(key) == step


def test_an_unknown_reason_key_names_the_known_ones(taxonomy: Taxonomy) -> None:
    with pytest.raises(KeyError, match="known: price_or_quality, competitor_offer"):
        taxonomy.label("pricey", "en")


# Coding


@pytest.mark.parametrize(
    ("language", "text", "reason"),
    [
        ("en", "Way too expensive for what you get", "price_or_quality"),
        ("nl", "Ik ben overgestapt naar een andere aanbieder", "competitor_offer"),
        ("de", "Auf meine Mails hat nie jemand geantwortet, keine Antwort seit Wochen", "slow_response"),
        ("en", "You promised me a refund", "promise_broken"),
        ("nl", "Mijn klacht is nooit opgelost", "complaint_unresolved"),
        ("de", "Insgesamt bin ich sehr unzufrieden", "overall_dissatisfaction"),
        ("en", "We moved house last month", "moved_or_no_longer_needed"),
        ("de", "Die Öffnungszeiten passen mir nicht", "other"),
    ],
    ids=lambda value: value if value in REASON_KEYS else None,
)
def test_an_answer_with_one_clear_reason_is_coded_with_it(
    taxonomy: Taxonomy, language: str, text: str, reason: str
) -> None:
    assert reasons(taxonomy, text, language) == [reason]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "the price was not the problem"),
        ("nl", "de prijs was niet het probleem"),
        ("de", "der Preis war nicht das Problem"),
    ],
    ids=["en", "nl", "de"],
)
def test_a_price_said_not_to_be_the_problem_is_not_coded_as_price(taxonomy: Taxonomy, language: str, text: str) -> None:
    assert "price_or_quality" not in reasons(taxonomy, text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "the price was not the problem, it was the waiting"),
        ("nl", "De prijs was niet het probleem, het wachten wel"),
        ("de", "Der Preis war nicht das Problem, sondern die Warterei"),
    ],
    ids=["en", "nl", "de"],
)
def test_a_dismissed_reason_leaves_the_real_one(taxonomy: Taxonomy, language: str, text: str) -> None:
    assert reasons(taxonomy, text, language) == ["slow_response"]


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "it is not too expensive"), ("nl", "het is niet te duur"), ("de", "es ist nicht zu teuer")],
    ids=["en", "nl", "de"],
)
def test_a_negator_before_a_reason_cancels_it(taxonomy: Taxonomy, language: str, text: str) -> None:
    assert reasons(taxonomy, text, language) == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Too expensive and nobody ever answers the phone"),
        ("nl", "Te duur en de klantenservice neemt nooit op"),
        ("de", "Zu teuer und beim Kundenservice geht nie jemand ran"),
    ],
    ids=["en", "nl", "de"],
)
def test_an_answer_with_two_reasons_gets_both(taxonomy: Taxonomy, language: str, text: str) -> None:
    assert sorted(reasons(taxonomy, text, language)) == ["price_or_quality", "slow_response"]


@pytest.mark.parametrize(
    ("language", "misspelt", "spelt"),
    [
        ("en", "expnsive compared to last year", "expensive compared to last year"),
        ("nl", "duurr", "duur"),
        ("de", "Die Konkurenz ist günstiger", "Die Konkurrenz ist günstiger"),
    ],
    ids=["en", "nl", "de"],
)
def test_a_misspelt_reason_is_coded_with_less_confidence(
    taxonomy: Taxonomy, language: str, misspelt: str, spelt: str
) -> None:
    [wrong] = code_answer(taxonomy, misspelt, language)
    [right] = code_answer(taxonomy, spelt, language)
    assert wrong.reason == right.reason
    assert 0.6 <= wrong.confidence < right.confidence


def test_a_stem_finds_other_forms_of_a_word(taxonomy: Taxonomy) -> None:
    assert reasons(taxonomy, "they keep promising things", "en") == ["promise_broken"]


def test_a_compound_is_found_by_its_part(taxonomy: Taxonomy) -> None:
    assert reasons(taxonomy, "Ständig diese Werbeprospekte im Briefkasten", "de") == ["other"]


def test_words_sharing_a_stem_with_a_reason_are_kept_apart_when_written_exactly(taxonomy: Taxonomy) -> None:
    """Dutch "duurde" (it took) and "duur" (expensive) have one Snowball stem."""
    assert "price_or_quality" not in reasons(taxonomy, "het duurde eeuwen voor er iemand reageerde", "nl")


@pytest.mark.parametrize("text", ["", "   ", "\n"], ids=["empty", "spaces", "newline"])
def test_an_empty_answer_codes_nothing(taxonomy: Taxonomy, text: str) -> None:
    assert code_answer(taxonomy, text) == []


@pytest.mark.parametrize(
    "text", ["no idea", "alles prima", "keine Ahnung", "no complaints, the price is fair", "Nothing, keep it up!"]
)
def test_an_answer_without_a_reason_codes_nothing(taxonomy: Taxonomy, text: str) -> None:
    assert code_answer(taxonomy, text) == []


def test_a_single_weak_hint_is_left_to_a_person(taxonomy: Taxonomy) -> None:
    assert code_answer(taxonomy, "the price", "en") == []


def test_two_weak_hints_of_one_reason_code_it(taxonomy: Taxonomy) -> None:
    assert reasons(taxonomy, "the price, and the quality", "en") == ["price_or_quality"]


def test_reasons_come_best_first_with_rounded_confidences(taxonomy: Taxonomy) -> None:
    coded = code_answer(taxonomy, "expnsive, and you promised a refund", "en")
    assert [c.reason for c in coded] == ["promise_broken", "price_or_quality"]
    assert all(c.confidence == round(c.confidence, 2) for c in coded)


def test_min_confidence_keeps_only_what_reaches_it(taxonomy: Taxonomy) -> None:
    text = "expnsive, and you promised a refund"
    assert code_answer(taxonomy, text, "en", min_confidence=0.8) == [Coded("promise_broken", 0.85)]


def test_an_unknown_language_is_refused(taxonomy: Taxonomy) -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'; known: en, nl, de"):
        code_answer(taxonomy, "trop cher", "fr")


@given(text=st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_text_is_coded_into_distinct_known_reasons_within_bounds(taxonomy: Taxonomy, text: str) -> None:
    coded = code_answer(taxonomy, text)
    assert len({c.reason for c in coded}) == len(coded)
    assert all(c.reason in REASON_KEYS and 0.6 <= c.confidence <= 1 for c in coded)


# Languages


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The delivery was late and nobody told me", "en"),
        ("De bezorging was te laat en niemand heeft het me verteld", "nl"),
        ("Die Lieferung kam zu spät und niemand hat es mir gesagt", "de"),
        ("Te duur", "nl"),
        ("Zu teuer", "de"),
        ("Schöne Grüße", "de"),
    ],
)
def test_the_language_of_an_answer_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["overpriced", "", "Vodafone"])
def test_an_answer_in_no_clear_language_is_not_detected(text: str) -> None:
    assert detect_language(text) is None


def test_an_undetected_language_is_coded_with_the_most_confident_of_all(taxonomy: Taxonomy) -> None:
    assert reasons(taxonomy, "overpriced") == ["price_or_quality"]
    assert reasons(taxonomy, "Konkurrenz") == ["competitor_offer"]


# Bad taxonomy files


def test_a_missing_label_names_its_key_path(document: dict[str, Any]) -> None:
    del document["reasons"]["price_or_quality"]["label"]["nl"]
    with pytest.raises(ValueError, match=r"^reasons\.price_or_quality\.label\.nl: missing$"):
        taxonomy_from(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("reasons"), "reasons: missing"),
        (lambda d: d["reasons"].pop("other"), "reasons.other: missing"),
        (lambda d: d["reasons"].update(pricey={}), "reasons.pricey: unknown reason; known: price_or_quality, "),
        (lambda d: d["reasons"]["other"].update(step="apologise"), "reasons.other.step: unknown role 'apologise'"),
        (lambda d: d["reasons"]["other"]["description"].update(de=""), "reasons.other.description.de: expected text"),
        (lambda d: d["reasons"]["other"]["match"].update(fr={}), "reasons.other.match.fr: unknown language"),
        (lambda d: d["reasons"]["other"]["match"]["en"].update(strong="a"), "reasons.other.match.en.strong: expected"),
        (lambda d: d["reasons"]["other"]["match"]["en"].update(strong=[3]), r"reasons.other.match.en.strong\[0\]: "),
        (lambda d: d["reasons"]["other"]["match"]["en"].update(maybe=[]), "reasons.other.match.en.maybe: unknown key"),
        (lambda d: d["negation"]["de"].update(negatoren=[]), "negation.de.negatoren: unknown key"),
    ],
    ids=["no reasons", "no other", "unknown key", "bad step", "blank text", "bad language", "not a list",
         "not a phrase", "bad strength", "bad negation"],
)  # fmt: skip
def test_a_bad_taxonomy_names_the_key_path(document: dict[str, Any], change: Any, message: str) -> None:
    change(document)
    with pytest.raises(ValueError, match=f"^{message}"):
        taxonomy_from(document)


def test_a_bad_taxonomy_file_names_the_file_and_the_key(tmp_path: Path, document: dict[str, Any]) -> None:
    del document["reasons"]["slow_response"]["label"]["de"]
    path = tmp_path / "reasons.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(path)
    assert str(caught.value) == f"{path}: reasons.slow_response.label.de: missing"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"reasons: [", "file: not valid YAML"),
        (b"\xff\xfe", "file: not UTF-8 text"),
        (b"- a list", "top: expected a mapping with 'reasons', got list"),
    ],
    ids=["not yaml", "not utf-8", "not a mapping"],
)
def test_an_unreadable_taxonomy_file_says_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "reasons.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: {message}"):
        load_taxonomy(path)


def test_a_missing_taxonomy_file_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file: cannot read: No such file"):
        load_taxonomy(tmp_path / "nope.yaml")
