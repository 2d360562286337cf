"""Settings of the retention half: purchase models and prescriptions, win-back, surveys and their reasons, the
retention report and its goals, the dashboard and the daily digest. ``recovery.config`` reads them."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Literal

from recovery.sections import Section, setting
from recovery.setting_checks import positive_clock_time

_PACKAGE = Path(__file__).parent  # the installed package's own directory, its data files inside


def shipped_surveys() -> Path:
    """The directory of the surveys that ship inside the package (relationship, follow_up, win_back)."""
    return _PACKAGE / "surveys"


def shipped_reasons() -> Path:
    """The reason taxonomy that ships inside the package (the checkout's config/reasons.yaml links to it)."""
    return _PACKAGE / "reasons" / "reasons.yaml"


class PrescriptionSettings(Section):
    """One class's prescription; a key left out keeps the default of ``recovery.core.retention``."""

    advice: str | None = None
    budget_share: float | None = setting(default=None, ge=0, le=1)
    floor: Decimal | None = setting(default=None, ge=0)
    cap: Decimal | None = setting(default=None, ge=0)
    severity: str | None = None
    second_follow_up: bool | None = None


class RetentionSettings(Section):
    model: Literal["bgnbd", "pareto_nbd", "auto"] = "auto"
    horizon_weeks: float = setting(default=52.0, gt=0, le=520)
    margin: float = setting(default=1.0, gt=0, le=1)
    monthly_discount: float = setting(default=0.01, ge=0, lt=1)
    score_at: time = time(4, 0)
    alive_low: float = setting(default=0.5, ge=0, le=1)
    loyal_alive: float = setting(default=0.8, ge=0, le=1)
    loyal_repeat_purchases: int = setting(default=3, ge=1)
    low_score: int = setting(default=2, ge=1, le=5)
    good_score: int = setting(default=4, ge=1, le=5)
    at_risk_alive_below: float = setting(default=0.5, ge=0, le=1)
    at_risk_top_share: float = setting(default=0.2, gt=0, le=1)
    leave_probability: float = setting(default=0.5, ge=0, le=1)
    leave_window: str = setting(default="180d", after=positive_clock_time)
    leave_min_complainants: int = setting(default=30, ge=1)
    prescriptions: dict[Literal["dissatisfied", "satisfied", "loyal", "unknown"], PrescriptionSettings] = setting(
        factory=dict
    )


class WinBackSettings(Section):
    """When a win-back case opens by itself; each cause opens at most one case."""

    workflow: str = "win_back"
    open_on_lost: bool = True  # a complaint ends lost (its defection role)
    open_on_helpdesk_lost: bool = True  # a helpdesk sends customer.lost
    open_on_at_risk: bool = True  # the daily run marks a valuable customer at risk


class SurveySettings(Section):
    """Where surveys are read from and how their links are made."""

    dir: Path = setting(factory=shipped_surveys)
    base_url: str = "http://127.0.0.1:8080"  # the public address links are built from: {base_url}/s/{token}
    secret_env: str = "RECOVERY_SURVEY_SECRET"  # the variable holding the key that signs the links
    token_lifetime: str = setting(default="30d", after=positive_clock_time)
    default_language: Literal["en", "nl", "de"] = "en"
    max_answer: int = setting(default=4000, ge=1)  # characters of one open answer
    follow_up: str = "follow_up"  # the survey a complaint's follow-up step sends; "" sends none


class ReasonSettings(Section):
    """The reason taxonomy open answers are coded into."""

    file: Path = setting(factory=shipped_reasons)
    min_confidence: float = setting(default=0.6, gt=0, le=1)  # below it an answer waits for a person


class ReportSettings(Section):
    """``recovery report retention``: how it judges a customer gone without a model, and a chronic complainer."""

    defected_after_intervals: float = setting(default=3.0, gt=0)  # no purchase for this many expected intervals
    chronic_complaints: int = setting(default=3, ge=2)  # complaints in the report's window that make one chronic


class GoalSettings(Section):
    """Retention goals, each shown against the report's figure with met or missed; a goal left out is not shown."""

    early_defection_below: float | None = setting(default=None, ge=0, le=1)  # new customers gone after 1-2 purchases
    repeat_purchase_rate_above: float | None = setting(default=None, ge=0, le=1)
    spend_per_transaction_above: float | None = setting(default=None, ge=0)
    recovery_rate_above: float | None = setting(default=None, ge=0, le=1)  # closed complaints resolved
    on_time_above: float | None = setting(default=None, ge=0, le=1)  # steps done before their escalation
    won_back_above: float | None = setting(default=None, ge=0, le=1)  # closed win-back cases won back
    nps_above: float | None = setting(default=None, ge=-100, le=100)
    csat_above: float | None = setting(default=None, ge=0, le=1)  # answers of 4 or 5 out of 5
    flag_precision_above: float | None = setting(default=None, ge=0, le=1)  # decided flags confirmed


class DashboardSettings(Section):
    """The team's dashboard at ``/``: staff sign in with a single-use link sent through the outbox."""

    enabled: bool = True
    base_url: str = "http://127.0.0.1:8080"  # where staff open it: sign-in links start with it; https → Secure cookie
    secret_env: str = "RECOVERY_DASHBOARD_SECRET"  # the key that signs session cookies; required off loopback
    session_lifetime: str = setting(default="12h", after=positive_clock_time)
    link_lifetime: str = setting(default="15m", after=positive_clock_time)


class DigestSettings(Section):
    """The morning digest each lead and manager gets by email: the overview with its key chart."""

    enabled: bool = True
    at: time = time(7, 30)  # local time (the calendar's zone) after which the day's digest goes out
