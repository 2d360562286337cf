"""``recovery inbox test SOURCE FILE [--headers FILE] [--json]``: a payload tried against the rules, stored nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.world import FIXTURES
from recovery.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
HELPSCOUT = FIXTURES / "helpscout" / "convo-created-v1-conversation.json"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A configuration with a Help Scout source whose secret is not set: trying needs none."""
    path = tmp_path / "recovery.toml"
    path.write_text(
        f'[workflows]\ndir = "{ROOT / "workflows"}"\n'
        "[[webhook.sources]]\n"
        'name = "helpscout"\nkind = "helpscout"\nsecret_env = "RECOVERY_UNSET_SECRET"\n'
        'options = { complaint_tags = ["tag1"], status_triggers = { closed = "withdrawal" } }\n'
    )
    return path


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--database-url", "sqlite:////nonexistent/never-opened.db", "--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def headers(tmp_path: Path, text: str) -> str:
    path = tmp_path / "headers.txt"
    path.write_text(text)
    return str(path)


def test_a_payload_prints_the_events_it_would_store_without_a_database(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    given = headers(tmp_path, "X-HelpScout-Event: convo.created\n")
    code, out, err = run(capsys, config, "inbox", "test", "helpscout", str(HELPSCOUT), "--headers", given)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "202: would store 2 event(s)", out
    assert lines[1].split()[:2] == ["complaint.opened", "ticket=291938"], out
    assert '"rule": "complaint_tags \'tag1\'"' in lines[1], out
    assert lines[2].split()[:2] == ["ticket.assigned", "ticket=291938"], out


def test_json_gives_the_answer_and_every_event_as_it_would_be_stored(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    given = headers(tmp_path, json.dumps({"X-HelpScout-Event": "convo.status"}))
    closed = FIXTURES / "helpscout" / "convo-status-closed-v1-conversation.json"
    code, out, err = run(capsys, config, "inbox", "test", "helpscout", str(closed), "--headers", given, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["status"] == 202
    assert [(e["type"], e.get("role")) for e in answer["events"]] == [
        ("complaint.opened", None),
        ("ticket.assigned", None),
        ("complaint.trigger", "withdrawal"),
    ]
    assert answer["events"][0]["customer"]["email"] == "vbear@mywork.com"


def test_a_delivery_that_matches_no_rule_shows_why_it_would_be_ignored(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    given = headers(tmp_path, "X-HelpScout-Event: customer.created\n")
    customer = FIXTURES / "helpscout" / "customer-created-v1-customer.json"
    code, out, _ = run(capsys, config, "inbox", "test", "helpscout", str(customer), "--headers", given, "--json")
    assert code == 0
    [event] = json.loads(out)["events"]
    assert (event["type"], event["reason"]) == (
        "ignored",
        "Help Scout event 'customer.created' carries nothing for complaints",
    )


def test_a_body_the_webhook_would_refuse_gives_its_status_and_reason(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    zammad = FIXTURES / "zammad" / "default-payload-ticket-article-docs.json"  # trailing commas, as published
    code, out, err = run(capsys, config, "inbox", "test", "helpscout", str(zammad))
    assert (code, out) == (1, ""), out
    assert err.startswith("error: 400: malformed JSON"), err

    rating = tmp_path / "rating.json"
    rating.write_text(json.dumps({"rating": "Great", "createdAt": "2026-11-25T09:00:00Z"}))
    given = headers(tmp_path, "X-HelpScout-Event: satisfaction.ratings\n")
    code, out, err = run(capsys, config, "inbox", "test", "helpscout", str(rating), "--headers", given, "--json")
    assert code == 1
    assert json.loads(out) == {
        "status": 422,
        "events": [],
        "error": "ticketId: is required (the rated conversation's id)",
        "field": "ticketId",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("inbox", "test", "shop", str(HELPSCOUT)), "error: unknown source 'shop'; known: helpscout"),
        (("inbox", "test", "helpscout", "nowhere.json"), "does not exist"),
    ],
    ids=["unknown-source", "missing-file"],
)
def test_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str], config: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, config, *args)
    assert code in (1, 2)
    assert message in err, err
    assert "Traceback" not in err


def test_a_malformed_headers_file_is_named(capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path) -> None:
    given = headers(tmp_path, "X-HelpScout-Event convo.created\n")
    code, _, err = run(capsys, config, "inbox", "test", "helpscout", str(HELPSCOUT), "--headers", given)
    assert code == 1
    assert err.strip() == "error: headers: line 1: expected 'Name: value', got 'X-HelpScout-Event convo.created'"
