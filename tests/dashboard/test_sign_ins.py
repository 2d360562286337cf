"""Sign-in links and sessions in the engine, on SQLite and PostgreSQL; ``recovery staff sign-in-link`` in-process."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from recovery.cli.main import main
from recovery.clock import SettableClock
from recovery.engine import sign_ins
from recovery.engine.context import Context
from recovery.engine.people import add_staff
from recovery.errors import NotFoundError
from recovery.store.schema import outbox, staff_sign_ins

BASE = "https://recovery.example"
LINK = timedelta(minutes=15)
SESSION = timedelta(hours=12)


@pytest.fixture
def team(ctx: Context) -> Context:
    add_staff(ctx, "ann", "Ann Agent", "Ann@Example.com")
    add_staff(ctx, "max", "Max Manager", role="manager")
    return ctx


def nonce_of(url: str) -> str:
    return url.rsplit("/sign-in/", 1)[1]


def sent(ctx: Context) -> list[dict[str, object]]:
    with ctx.read() as connection:
        rows = connection.execute(select(outbox).where(outbox.c.topic == "staff.sign_in").order_by(outbox.c.id))
        return [dict(r) for r in rows.mappings()]


def test_a_link_is_sent_by_id_or_email_to_staff_with_an_address_only(team: Context) -> None:
    assert sign_ins.request_link(team, "ann", base_url=BASE, lifetime=LINK)
    assert sign_ins.request_link(team, " ANN@example.com ", base_url=BASE, lifetime=LINK)
    assert not sign_ins.request_link(team, "max", base_url=BASE, lifetime=LINK)  # no email
    assert not sign_ins.request_link(team, "nobody@example.com", base_url=BASE, lifetime=LINK)
    assert not sign_ins.request_link(team, "", base_url=BASE, lifetime=LINK)
    messages = sent(team)
    assert [m["recipient"] for m in messages] == ["ann@example.com", "ann@example.com"]
    payload = messages[0]["payload"]
    assert isinstance(payload, dict)
    assert payload["url"].startswith(f"{BASE}/sign-in/")
    assert payload["expires_at"] == "2026-11-25T09:15:00Z"
    with team.read() as connection:
        stored = connection.execute(select(staff_sign_ins.c.nonce_hash)).scalars().all()
    assert nonce_of(payload["url"]) not in stored  # only the hash is kept


def test_a_link_works_once_and_starts_a_session(team: Context, clock: SettableClock) -> None:
    link = sign_ins.print_link(team, "ann", base_url=BASE, lifetime=LINK)
    sign_ins.check_link(team, nonce_of(link.url))  # looking does not use it
    session = sign_ins.use_link(team, nonce_of(link.url))
    assert (session.staff.id, session.staff.role, session.staff.sees_all) == ("ann", "agent", False)
    with pytest.raises(sign_ins.LinkUsed):
        sign_ins.use_link(team, nonce_of(link.url))
    with pytest.raises(sign_ins.LinkUsed):
        sign_ins.check_link(team, nonce_of(link.url))
    assert sign_ins.current_session(team, session.id, "ann", SESSION) == session
    assert sign_ins.current_session(team, session.id, "max", SESSION) is None  # another's cookie body
    clock.set(clock.now() + SESSION)
    assert sign_ins.current_session(team, session.id, "ann", SESSION) is None


def test_an_expired_or_unknown_link_is_refused(team: Context, clock: SettableClock) -> None:
    link = sign_ins.print_link(team, "ann", base_url=BASE, lifetime=LINK)
    for bad in ("", "x" * 101, "not-a-link"):
        with pytest.raises(sign_ins.LinkUnknown):
            sign_ins.use_link(team, bad)
    clock.set(clock.now() + LINK)
    with pytest.raises(sign_ins.LinkExpired):
        sign_ins.use_link(team, nonce_of(link.url))


def test_signing_out_ends_the_session(team: Context) -> None:
    link = sign_ins.print_link(team, "max", base_url=BASE, lifetime=LINK)
    session = sign_ins.use_link(team, nonce_of(link.url))
    assert session.staff.sees_all
    sign_ins.sign_out(team, session.id)
    assert sign_ins.current_session(team, session.id, "max", SESSION) is None


def test_a_link_for_nobody_is_refused(team: Context) -> None:
    with pytest.raises(NotFoundError):
        sign_ins.print_link(team, "nobody", base_url=BASE, lifetime=LINK)


def test_the_cli_prints_a_link_and_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'recovery.db'}"
    config = tmp_path / "recovery.toml"
    config.write_text('[dashboard]\nbase_url = "https://recovery.example/"\nlink_lifetime = "1h"\n')
    run = ["--database-url", url, "--config", str(config)]
    assert main([*run, "init"]) == 0
    assert main([*run, "staff", "add", "lea", "--name", "Lea", "--role", "lead"]) == 0
    capsys.readouterr()
    assert main([*run, "staff", "sign-in-link", "lea"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("https://recovery.example/sign-in/"), out
    assert "works once, until" in err
    assert main([*run, "staff", "sign-in-link", "nobody"]) == 1
    assert "no staff member 'nobody'" in capsys.readouterr().err
