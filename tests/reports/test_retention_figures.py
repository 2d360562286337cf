"""Every figure of the retention report on the shop of data.py, each worked out by hand in its test."""

from __future__ import annotations

from typing import Any

from recovery.engine.context import Context
from recovery.engine.retention_report import ReportRequest, retention_report
from recovery.engine.value import value_report

from .data import END, START


def column(section: dict[str, Any], name: str) -> list[Any]:
    return [row[name] for row in section["periods"]]


def test_the_periods_are_the_months_of_the_window(report: dict[str, Any]) -> None:
    assert [p["period"] for p in report["periods"]] == ["2026-01", "2026-02", "2026-03"]
    assert report["periods"][1] == {"period": "2026-02", "from": "2026-02-01", "to": "2026-02-28"}


def test_a_quarter_report_has_one_period_for_the_three_months(ctx: Context, shop: dict[str, int]) -> None:
    report = retention_report(ctx, ReportRequest(START, END, "quarter"))
    # The same counts as the months added up: 2 + 1 + 1 new customers, 3 + 3 + 2 transactions.
    assert [p["period"] for p in report["periods"]] == ["2026-Q1"]
    assert report["customers"]["periods"][0]["new"] == 4
    assert report["customers"]["periods"][0]["transactions"] == 8


def test_the_json_has_one_key_per_section(report: dict[str, Any]) -> None:
    sections = {"customers", "value", "recovery", "winback", "voice", "staff", "goals", "periods"}
    assert sections <= set(report)


def test_new_customers_are_those_whose_first_purchase_falls_in_the_period(report: dict[str, Any]) -> None:
    # January: c1 (01-05) and c2 (01-10); February: c3 (02-01); March: c5 (03-30). c4 first bought in 2025.
    assert column(report["customers"], "new") == [2, 1, 1]


def test_active_customers_bought_in_the_period(report: dict[str, Any]) -> None:
    # January c1, c2; February c1, c3; March c4, c5.
    assert column(report["customers"], "active") == [2, 2, 2]


def test_the_repeat_purchase_rate_counts_active_customers_buying_again(report: dict[str, Any]) -> None:
    # January: c1 bought twice (1 of 2); February: c1 again and c3 twice (2 of 2); March: c4 (bought in 2025) of 2.
    # The window: (1 + 2 + 1) / (2 + 2 + 2) = 4 / 6.
    assert column(report["customers"], "repeat_purchase_rate") == [0.5, 1.0, 0.5]
    assert report["customers"]["total"]["repeat_purchase_rate"] == 0.6667


def test_a_one_time_buyer_silent_for_three_typical_intervals_is_gone(report: dict[str, Any]) -> None:
    # Intervals of returning customers: c1 (02-10 - 01-05) / 2 = 18 days, c3 10, c4 (03-05 - 2025-12-01) 94:
    # the median is 18. c2 bought once on 01-10; by 03-31 that is 80 days > 3 x 18 = 54: gone (January's 1).
    assert report["customers"]["basis"]["typical_interval_days"] == 18.0
    assert column(report["customers"], "early_defected")[0] == 1


def test_a_two_time_buyer_silent_for_three_of_their_own_intervals_is_gone(report: dict[str, Any]) -> None:
    # c3 bought 02-01 and 02-11 (10 days apart); 03-31 is 48 days after 02-11 > 3 x 10 = 30: gone (February's 1).
    assert column(report["customers"], "early_defected")[1] == 1


def test_a_scored_customer_is_judged_by_p_alive(report: dict[str, Any]) -> None:
    # c5 bought once on 03-30; P(alive) 0.9 is not below 0.5: not gone, whatever the days say.
    assert column(report["customers"], "early_defected")[2] == 0


def test_the_early_defection_rate_is_of_the_new_customers(report: dict[str, Any]) -> None:
    # 1/2, 1/1, 0/1; the window (1 + 1 + 0) / (2 + 1 + 1) = 0.5.
    assert column(report["customers"], "early_defection_rate") == [0.5, 1.0, 0.0]
    assert report["customers"]["total"]["early_defection_rate"] == 0.5


def test_spend_per_transaction_leaves_refunds_out(report: dict[str, Any]) -> None:
    # January (100 + 50 + 200) / 3 = 116.67; February (30 + 40 + 60) / 3 = 43.33 (the -10 refund apart);
    # March (20 + 10) / 2 = 15; the window 510 / 8 = 63.75.
    assert column(report["customers"], "spend_per_transaction") == [116.67, 43.33, 15.0]
    assert report["customers"]["total"]["spend_per_transaction"] == 63.75


def test_revenue_is_net_of_refunds(report: dict[str, Any]) -> None:
    # February: 30 + 40 + 60 - 10 = 120.
    assert column(report["customers"], "revenue") == [350.0, 120.0, 30.0]


def test_the_classes_are_counted_at_each_periods_end(report: dict[str, Any]) -> None:
    # c1 satisfied 01-05, loyal 02-12; c2 satisfied 01-10, dissatisfied 03-03.
    assert column(report["customers"], "classes") == [
        {"satisfied": 2},
        {"satisfied": 1, "loyal": 1},
        {"loyal": 1, "dissatisfied": 1},
    ]


def test_movements_between_classes_are_counted_in_their_period(report: dict[str, Any]) -> None:
    assert column(report["customers"], "movements") == [
        [{"from": None, "to": "satisfied", "customers": 2}],
        [{"from": "satisfied", "to": "loyal", "customers": 1}],
        [{"from": "satisfied", "to": "dissatisfied", "customers": 1}],
    ]


def test_revenue_lost_and_at_risk_are_those_of_the_value_report(ctx: Context, report: dict[str, Any]) -> None:
    # The open complaint k3 is c1's, whose CLV is 1000: 1000 x the default leave probability 0.5 = 500.
    year = value_report(ctx)
    assert report["value"]["revenue_at_risk"] == 500.0
    assert report["value"]["revenue_lost_per_year"] == year["revenue_lost_per_year"]


def test_the_revenue_pareto_split_is_the_top_fifths_share(report: dict[str, Any]) -> None:
    # Net spend in the window: c2 200, c1 180, c3 90, c4 20, c5 10 = 500; the top ceil(5 / 5) = 1: 200 / 500.
    assert report["value"]["pareto"]["revenue_share_top_20"] == 0.4
    assert report["value"]["pareto"]["revenue_curve"][-1] == [1.0, 1.0]


def test_the_complaint_pareto_split_leaves_win_back_cases_out(report: dict[str, Any]) -> None:
    # Complaints: c1 3, c2 1 (the two win-back cases do not count): the top ceil(2 / 5) = 1 has 3 of 4.
    assert report["value"]["pareto"]["complaint_share_top_20"] == 0.75
    assert report["value"]["pareto"]["complainers"] == 2


def test_chronic_complainers_are_listed_with_how_their_complaints_ended(report: dict[str, Any]) -> None:
    # c1: k1 and k4 resolved, k3 open; spent 100 + 50 + 30 in the window; CLV 1000.
    chronic = report["value"]["chronic_complainers"]
    assert chronic["count"] == 1
    assert chronic["listed"] == [
        {
            "customer": chronic["listed"][0]["customer"],
            "email": "c1@example.com",
            "name": "c1",
            "complaints": 3,
            "recovered": 2,
            "open": 1,
            "revenue": 180.0,
            "clv": 1000.0,
        }
    ]


def test_complaints_opened_closed_and_resolved_per_period(report: dict[str, Any]) -> None:
    # January k1 (resolved), k2 (lost); February k3 (open), k4 (resolved); the win-back cases apart.
    recovery = report["recovery"]
    assert column(recovery, "opened") == [2, 2, 0]
    assert column(recovery, "closed") == [2, 1, 0]
    assert column(recovery, "recovery_rate") == [0.5, 1.0, None]
    assert recovery["total"]["recovery_rate"] == 0.6667  # 2 resolved of 3 closed


def test_a_step_with_an_escalation_while_waiting_is_late(report: dict[str, Any]) -> None:
    # k1: apologised 2 h after opening (on time), escalated, acted 24 h later (late); k4: apologised in 4 h.
    steps = {row["step"]: row for row in report["recovery"]["steps"]}
    assert steps["apologize"]["on_time_share"] == 1.0
    assert steps["act"]["on_time_share"] == 0.0
    assert column(report["recovery"], "on_time") == [0.5, 1.0, None]


def test_the_median_time_of_a_step_is_in_hours(report: dict[str, Any]) -> None:
    # apologize: 2 h and 4 h, the median of two is their mean, 3 h; act: 24 h.
    steps = {row["step"]: row["median_hours"] for row in report["recovery"]["steps"]}
    assert steps == {"apologize": 3.0, "act": 24.0}


def test_steps_are_listed_in_the_order_they_are_taken(report: dict[str, Any]) -> None:
    assert [row["step"] for row in report["recovery"]["steps"]] == ["apologize", "act"]


def test_the_recovery_outcome_compares_resolved_unresolved_and_silent(report: dict[str, Any]) -> None:
    # Within 30 days of the end: k1 (resolved 01-08) c1 bought 01-20 for 50; k4 (resolved 02-25) nothing by 03-27:
    # 1 of 2, spend (50 + 0) / 2 = 25. k2 (lost 01-20) c2 nothing; k3 (open since 02-03) c1 bought 02-10 for 30:
    # 1 of 2, (0 + 30) / 2 = 15. Never complained: c3 (first 02-01, then 02-11 for 60); c4 and c5 first bought
    # after 03-01, too late to judge: 1 of 1, 60.
    groups = {g["group"]: g for g in report["recovery"]["outcome"]["groups"]}
    assert groups["recovered"] == {
        "group": "recovered",
        "count": 2,
        "repurchased": 1,
        "repurchase_rate": 0.5,
        "mean_spend": 25.0,
    }
    assert (groups["unresolved_or_lost"]["repurchase_rate"], groups["unresolved_or_lost"]["mean_spend"]) == (0.5, 15.0)
    assert (groups["never_complained"]["count"], groups["never_complained"]["mean_spend"]) == (1, 60.0)


def test_win_back_cases_and_those_won_back(report: dict[str, Any]) -> None:
    # w1 (February) closed as repurchase, w2 (March) gone: 1 won back of 2 closed.
    winback = report["winback"]
    assert column(winback, "cases") == [0, 1, 1]
    assert column(winback, "won") == [0, 1, 0]
    assert winback["total"]["won_rate"] == 0.5


def test_reasons_are_ranked_with_a_persons_coding_winning(report: dict[str, Any]) -> None:
    # a1 (nl): the rules said price, lena said competitor: competitor. a2 (en): price and slow; a3 (en): price.
    assert report["winback"]["reasons"] == [
        {"reason": "price_or_quality", "answers": 2, "by_language": {"en": 2}},
        {"reason": "competitor_offer", "answers": 1, "by_language": {"nl": 1}},
        {"reason": "slow_response", "answers": 1, "by_language": {"en": 1}},
    ]
    assert report["winback"]["languages"] == {"en": 2, "nl": 1}


def test_nps_is_promoters_minus_detractors_in_percent(report: dict[str, Any]) -> None:
    # January 10, 9, 7, 3: (2 - 1) / 4 = 25; February 5: -100; the window (2 - 2) / 5 = 0.
    assert column(report["voice"], "nps") == [25.0, -100.0, None]
    assert report["voice"]["total"]["nps"] == 0.0


def test_csat_is_the_share_answering_four_or_five(report: dict[str, Any]) -> None:
    # January 5, 4, 2: 2 of 3; mean 11 / 3 = 3.67.
    assert column(report["voice"], "csat") == [0.6667, None, None]
    assert report["voice"]["total"]["csat_mean"] == 3.67


def test_the_quality_gaps_cover_the_windows_complaints(report: dict[str, Any]) -> None:
    assert report["voice"]["gaps"]["complaints"] == 4


def test_flag_precision_is_confirmed_of_decided(report: dict[str, Any]) -> None:
    # January s1: confirmed, rejected: 1 / 2; February s2: open, confirmed: 1 / 1; the window 2 / 3.
    assert column(report["staff"], "precision") == [0.5, 1.0, None]
    assert report["staff"]["total"]["precision"] == 0.6667


def test_points_are_the_ledgers_in_the_period(report: dict[str, Any]) -> None:
    assert column(report["staff"], "points") == [10, 10, 25]
    people = {row["staff"]: (row["flags"], row["points"]) for row in report["staff"]["people"]}
    assert people == {"s2": (2, 35), "s1": (2, 10)}


def test_goals_are_shown_against_the_windows_figures(report: dict[str, Any]) -> None:
    # early defection 0.5 is not below 0.3: missed; NPS 0 is above -10: met; csat has no target: not shown.
    goals = {row["goal"]: (row["actual"], row["met"]) for row in report["goals"]}
    assert goals == {"early_defection_below": (0.5, False), "nps_above": (0.0, True)}


def test_by_default_the_report_covers_the_last_twelve_whole_months(ctx: Context) -> None:
    # The clock stands on 25 November 2026: October is the last whole month, November 2025 the first.
    report = retention_report(ctx, ReportRequest())
    assert (report["from"], report["to"], len(report["periods"])) == ("2025-11-01", "2026-10-31", 12)
