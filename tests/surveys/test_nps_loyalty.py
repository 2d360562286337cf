"""NPS as a loyalty signal: a detractor is dissatisfied, a promoter loyal, each with a reason naming it."""

from __future__ import annotations

import pytest

from recovery.core.loyalty import Evidence, LoyaltyClass, classify
from recovery.core.surveys import nps_group


@pytest.mark.parametrize(
    ("score", "group"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_nps_groups_are_detractors_to_6_passives_to_8_promoters_above(score: int, group: str) -> None:
    assert nps_group(score) == group


def test_a_detractor_is_dissatisfied_with_the_nps_as_the_reason() -> None:
    kind, reasons = classify(Evidence(p_alive=0.9, repeat_purchases=5, nps=4, nps_survey="relationship"))
    assert kind is LoyaltyClass.DISSATISFIED
    assert reasons == ("NPS 4 (detractor) in the relationship survey",)


def test_a_promoter_with_no_purchase_model_yet_is_loyal_on_their_word() -> None:
    kind, reasons = classify(Evidence(nps=10, nps_survey="relationship"))
    assert (kind, reasons) == (LoyaltyClass.LOYAL, ("NPS 10 (promoter) in the relationship survey",))


def test_a_promoter_the_model_calls_loyal_keeps_the_nps_among_the_reasons() -> None:
    kind, reasons = classify(Evidence(p_alive=0.9, repeat_purchases=5, nps=9, nps_survey="relationship"))
    assert kind is LoyaltyClass.LOYAL
    assert reasons[-1] == "NPS 9 (promoter) in the relationship survey"


def test_a_promoter_the_model_sees_drifting_away_is_not_loyal() -> None:
    kind, _ = classify(Evidence(p_alive=0.6, repeat_purchases=5, nps=9, nps_survey="relationship"))
    assert kind is LoyaltyClass.SATISFIED


def test_a_passive_is_satisfied_with_the_nps_named() -> None:
    kind, reasons = classify(Evidence(nps=7, nps_survey="relationship"))
    assert (kind, reasons) == (LoyaltyClass.SATISFIED, ("NPS 7 (passive) in the relationship survey",))
