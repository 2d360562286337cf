"""``recovery report retention`` run in-process: each output, the goals from the config, bad usage."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from recovery.cli.main import cli
from recovery.engine.context import Context

from .data import build

WINDOW = ["--from", "2026-01-01", "--to", "2026-03-31", "--clock-start", "2026-11-25T09:00:00"]


def run(ctx: Context, tmp_path: Path, *args: str, goals: str = "") -> tuple[int, str]:
    config = tmp_path / "recovery.toml"
    config.write_text(f"[calendar]\nholidays = []\n[goals]\n{goals}\n", encoding="utf-8")
    url = ctx.db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--config", str(config), "--database-url", url, "report", "retention", *args])
    return result.exit_code, result.output


def test_json_has_one_key_per_section(ctx: Context, tmp_path: Path) -> None:
    build(ctx)
    code, output = run(ctx, tmp_path, *WINDOW, "--json")
    assert code == 0, output
    data = json.loads(output)
    assert {"customers", "value", "recovery", "winback", "voice", "staff", "goals", "periods"} <= set(data)


def test_goals_come_from_the_config(ctx: Context, tmp_path: Path) -> None:
    build(ctx)
    code, output = run(ctx, tmp_path, *WINDOW, "--json", goals="nps_above = 40")
    assert code == 0, output
    # The window's NPS is 0 (data.py): below 40.
    assert json.loads(output)["goals"] == [
        {
            "goal": "nps_above",
            "label": "NPS",
            "figure": "voice.nps",
            "direction": "above",
            "target": 40.0,
            "actual": 0.0,
            "met": False,
        }
    ]


def test_csv_has_a_row_per_period(ctx: Context, tmp_path: Path) -> None:
    build(ctx)
    code, output = run(ctx, tmp_path, *WINDOW, "--csv")
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [row["period"] for row in rows] == ["2026-01", "2026-02", "2026-03"]
    assert rows[0]["customers.new"] == "2"


def test_html_and_png_are_written(ctx: Context, tmp_path: Path) -> None:
    build(ctx)
    code, output = run(ctx, tmp_path, *WINDOW, "--html", str(tmp_path / "r.html"), "--png", str(tmp_path / "png"))
    assert code == 0, output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == sorted(
        f"{name}.png" for name in ("customers", "classes", "pareto", "recovery", "outcome", "reasons", "voice", "staff")
    )


def test_the_text_summary_ends_with_the_goals(ctx: Context, tmp_path: Path) -> None:
    code, output = run(ctx, tmp_path, *WINDOW)
    assert code == 0, output
    assert "no goals set ([goals] in the config)" in output


def test_an_end_before_the_start_is_bad_usage(ctx: Context, tmp_path: Path) -> None:
    code, output = run(ctx, tmp_path, "--from", "2026-03-01", "--to", "2026-01-01")
    assert code == 2, output
    assert "is before --from" in output


def test_json_and_csv_together_are_bad_usage(ctx: Context, tmp_path: Path) -> None:
    code, output = run(ctx, tmp_path, "--json", "--csv")
    assert code == 2, output
