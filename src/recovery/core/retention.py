"""What the business's retention settings say: the models' horizon and value, the classes' thresholds,
each class's prescription, when a silent customer is at risk and how likely a complainant leaves.

Pure: the config builds one ``RetentionRules``; the scorer, the prescriptions, the at-risk marking
and the revenue-at-risk figures read it. The defaults follow ../DOMAIN.md's table of prescriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from recovery.core.loyalty import LoyaltyClass, LoyaltyRules

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Prescription:
    """How a class of customer is treated when they complain: the compensation budget and the extra care."""

    advice: str
    budget_share: float  # of the customer's CLV
    floor: Decimal  # the budget is never below this, even with no CLV known
    cap: Decimal  # nor above this
    severity: str | None = None  # the complaint's severity is raised to at least this
    second_follow_up: bool = False  # a second follow-up falls due after the complaint is resolved

    def budget(self, clv: float | None) -> Decimal:
        """The compensation budget for a customer worth ``clv`` (None: not yet known, the floor)."""
        share = Decimal(str(max(clv or 0.0, 0.0) * self.budget_share))
        return min(max(share, self.floor), self.cap).quantize(CENT, rounding=ROUND_HALF_UP)


_SATISFIED = Prescription(
    advice=(
        "treat them as a VIP: show appreciation, do them a favour, bend the rules, anticipate what they need, "
        "win their trust"
    ),
    budget_share=0.05,
    # What a business gives without asking anyone (a voucher, a refund of a dish or an item): the
    # floor applies to every customer not yet scored, so it must not send each refund to a lead.
    floor=Decimal("50"),
    cap=Decimal("100"),
)

DEFAULT_PRESCRIPTIONS: Mapping[str, Prescription] = MappingProxyType(
    {
        LoyaltyClass.DISSATISFIED: Prescription(
            advice=(
                "build the relationship: learn their concerns and address them; the damage may be done, try anyway"
            ),
            budget_share=0.10,
            floor=Decimal("50"),
            cap=Decimal("250"),
            severity="high",
            second_follow_up=True,
        ),
        LoyaltyClass.SATISFIED: _SATISFIED,
        LoyaltyClass.LOYAL: Prescription(
            advice=(
                "treat them as precious, the satisfied prescription in double dose; never take them for granted "
                "or test their patience"
            ),
            budget_share=_SATISFIED.budget_share * 2,
            floor=_SATISFIED.floor * 2,
            cap=_SATISFIED.cap * 2,
            severity="high",
            second_follow_up=True,
        ),
        LoyaltyClass.UNKNOWN: Prescription(
            advice="nothing is known of them yet: recover the complaint well and learn who they are",
            budget_share=_SATISFIED.budget_share,
            floor=_SATISFIED.floor,
            cap=_SATISFIED.cap,
        ),
    }
)


@dataclass(frozen=True, slots=True)
class RetentionRules:
    """Every retention setting, typed (``[retention]`` in the config)."""

    model: str = "auto"  # bgnbd | pareto_nbd | auto (the likelier of the two)
    horizon_weeks: float = 52.0  # how far ahead expected purchases and CLV look
    margin: float = 1.0  # the share of spend that is profit; 1 counts revenue
    monthly_discount: float = 0.01
    score_at: time = time(4, 0)  # the daemon fits and scores once a day at this local time
    loyalty: LoyaltyRules = field(default_factory=LoyaltyRules)
    prescriptions: Mapping[str, Prescription] = field(default_factory=lambda: DEFAULT_PRESCRIPTIONS)
    at_risk_alive_below: float = 0.5  # a silent customer is at risk below this P(alive)…
    at_risk_top_share: float = 0.2  # …when their CLV is in this top share of all customers
    leave_probability: float = 0.5  # P(a complainant with an unresolved complaint leaves) until measured
    leave_window_days: int = 180  # no purchase this long after a complaint ends counts as left
    leave_min_complainants: int = 30  # measured from history only with at least this many on each side

    def prescription(self, kind: str) -> Prescription:
        """The prescription of a class; an unconfigured class gets the unknown customer's."""
        return self.prescriptions.get(kind) or self.prescriptions.get(LoyaltyClass.UNKNOWN) or _SATISFIED


DEFAULT_RETENTION = RetentionRules()
