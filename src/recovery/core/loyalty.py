"""The three kinds of customer — dissatisfied, satisfied, loyal — from rules a person can read, with reasons.

Pure: the scorer gathers each customer's evidence (the purchase model's P(alive), repeat purchases,
the latest follow-up score, open and lost complaints) and asks ``classify``. Every class comes
with the reasons that put the customer there, because the first question about a score is why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LoyaltyClass(StrEnum):
    """A customer's kind, as in the prescriptions; ``unknown`` until there is anything to go on."""

    DISSATISFIED = "dissatisfied"
    SATISFIED = "satisfied"
    LOYAL = "loyal"
    UNKNOWN = "unknown"


# NPS groups (core/surveys.nps_group): 0-6 detractors, a dissatisfied sign; 9-10 promoters, a loyal one.
DETRACTOR_NPS = 6
PROMOTER_NPS = 9


@dataclass(frozen=True, slots=True)
class LoyaltyRules:
    """The thresholds of the classes (``[retention]`` in the config)."""

    alive_low: float = 0.5  # below: more likely gone than not, a dissatisfied sign for a customer who came back before
    loyal_alive: float = 0.8  # at least this likely still a customer…
    loyal_repeat_purchases: int = 3  # …after at least this many repeat purchases
    low_score: int = 2  # a follow-up score at or below: dissatisfied
    good_score: int = 4  # a loyal customer's latest score, if any, is at least this


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of one customer; None where there is nothing yet."""

    p_alive: float | None = None
    previous_p_alive: float | None = None
    repeat_purchases: int | None = None
    latest_score: int | None = None
    scored_complaint: int | None = None
    open_complaints: tuple[int, ...] = ()
    lost_complaints: tuple[int, ...] = ()
    nps: int | None = None  # the latest NPS answer (0-10) to a survey
    nps_survey: str | None = None


def classify(evidence: Evidence, rules: LoyaltyRules = LoyaltyRules()) -> tuple[LoyaltyClass, tuple[str, ...]]:
    """The customer's class and the reasons for it, most telling first."""
    e = evidence
    if (
        e.p_alive is None
        and e.latest_score is None
        and e.nps is None
        and not e.open_complaints
        and not e.lost_complaints
    ):
        return LoyaltyClass.UNKNOWN, ("no purchases or complaints yet",)
    unhappy = _dissatisfied(evidence, rules)
    if unhappy:
        return LoyaltyClass.DISSATISFIED, unhappy
    loyal = _loyal(evidence, rules)
    if loyal:
        return LoyaltyClass.LOYAL, loyal
    return LoyaltyClass.SATISFIED, _satisfied(evidence)


def _dissatisfied(e: Evidence, rules: LoyaltyRules) -> tuple[str, ...]:
    reasons = []
    if e.latest_score is not None and e.latest_score <= rules.low_score:
        reasons.append(f"follow-up score {e.latest_score} on complaint {e.scored_complaint}")
    if e.nps is not None and e.nps <= DETRACTOR_NPS:
        reasons.append(_nps_reason(e))
    reasons.extend(f"complaint {c} ended lost" for c in e.lost_complaints)
    reasons.extend(f"complaint {c} is open" for c in e.open_complaints)
    if e.p_alive is not None and e.p_alive < rules.alive_low and (e.repeat_purchases or 0) > 0:
        reasons.append(_alive_reason(e))
    return tuple(reasons)


def _loyal(e: Evidence, rules: LoyaltyRules) -> tuple[str, ...]:
    promoter = e.nps is not None and e.nps >= PROMOTER_NPS
    if promoter and (e.p_alive is None or e.repeat_purchases is None):  # their own word, before any model
        if e.latest_score is not None and e.latest_score < rules.good_score:
            return ()
        return (_nps_reason(e),)
    if e.p_alive is None or e.repeat_purchases is None:
        return ()
    if e.p_alive < rules.loyal_alive or e.repeat_purchases < rules.loyal_repeat_purchases:
        return ()
    if e.latest_score is not None and e.latest_score < rules.good_score:
        return ()
    reasons = [f"{e.repeat_purchases} repeat purchases", _alive_reason(e)]
    if e.latest_score is not None:
        reasons.append(f"follow-up score {e.latest_score} on complaint {e.scored_complaint}")
    if promoter:
        reasons.append(_nps_reason(e))
    return tuple(reasons)


def _satisfied(e: Evidence) -> tuple[str, ...]:
    reasons = []
    if e.repeat_purchases is not None:
        reasons.append(f"{e.repeat_purchases} repeat purchases")
    if e.p_alive is not None:
        reasons.append(_alive_reason(e))
    if e.latest_score is not None:
        reasons.append(f"follow-up score {e.latest_score} on complaint {e.scored_complaint}")
    if e.nps is not None:
        reasons.append(_nps_reason(e))
    return tuple(reasons) or ("no sign of trouble",)


def _nps_reason(e: Evidence) -> str:
    assert e.nps is not None
    # Imported here: every command builds the loyalty rules, few read an NPS (core.surveys is a parser's worth).
    from recovery.core.surveys import nps_group

    return f"NPS {e.nps} ({nps_group(e.nps)}) in the {e.nps_survey or 'latest'} survey"


def _alive_reason(e: Evidence) -> str:
    assert e.p_alive is not None
    if e.previous_p_alive is not None and abs(e.previous_p_alive - e.p_alive) >= 0.01:
        direction = "fell" if e.p_alive < e.previous_p_alive else "rose"
        return f"p_alive {direction} from {e.previous_p_alive:.2f} to {e.p_alive:.2f}"
    return f"p_alive {e.p_alive:.2f}"
