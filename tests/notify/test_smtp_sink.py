"""The smtp sink against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message as Email
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from recovery.engine.context import Context
from recovery.notify.dispatcher import dispatch
from recovery.notify.sinks import DeliveryError, Message, PermanentDeliveryError
from recovery.notify.smtp import SMTPSink

Queue = Callable[..., None]
Box = Callable[[], dict[str, dict[str, Any]]]


class Mailbox:
    """An aiosmtpd handler that keeps every message, or refuses recipients with ``refuse``."""

    def __init__(self) -> None:
        self.mail: list[tuple[list[str], Email]] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mail.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_an_escalation_arrives_as_a_plain_email(
    ctx: Context, queue: Queue, box: Box, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    queue("escalation:7:2:ann")

    dispatch(ctx, SMTPSink("127.0.0.1", port, "recovery@example.com"))

    [(to, email)] = handler.mail
    assert to == ["ann@example.com"]
    assert email["Subject"] == "Complaint 7 is overdue: escalation level 2"
    assert email["From"] == "recovery@example.com"
    assert "level: 2" in email.get_payload()
    assert box()["escalation:7:2:ann"]["status"] == "sent"


def test_a_recipient_without_an_address_is_dead_at_once(ctx: Context, queue: Queue, box: Box) -> None:
    queue("m1", recipient="mia", email=None)

    dispatch(ctx, SMTPSink("127.0.0.1", 9, "recovery@example.com"))

    assert (box()["m1"]["status"], box()["m1"]["last_error"]) == ("dead", "no email address for recipient 'mia'")


@pytest.mark.parametrize(
    ("answer", "error"),
    [("550 no such user", PermanentDeliveryError), ("450 mailbox busy", DeliveryError)],
    ids=["permanent", "temporary"],
)
def test_a_refused_recipient_is_final_only_for_a_5xx_answer(
    mailbox: tuple[Mailbox, int], answer: str, error: type[DeliveryError]
) -> None:
    handler, port = mailbox
    handler.refuse = answer
    sink = SMTPSink("127.0.0.1", port, "recovery@example.com")

    with pytest.raises(DeliveryError) as raised:
        sink.deliver(Message(1, "k", "complaint.warning", "ann", {"email": "ann@example.com", "complaint_id": 1}))

    assert type(raised.value) is error


def test_an_unreachable_server_is_a_retryable_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens
    sink = SMTPSink("127.0.0.1", port, "recovery@example.com", timeout=2)

    with pytest.raises(DeliveryError) as raised:
        sink.deliver(Message(1, "k", "complaint.warning", "ann@example.com", {}))

    assert type(raised.value) is DeliveryError


def test_a_message_no_email_can_carry_is_dead_at_once_and_the_rest_of_its_batch_is_sent(
    ctx: Context, queue: Queue, box: Box, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    queue("broken", recipient="eve", email="eve@example.com\nBcc: all@example.com")  # a header injection
    queue("fine", recipient="ann", email="ann@example.com")

    dispatch(ctx, SMTPSink("127.0.0.1", port, "recovery@example.com"))

    broken = box()["broken"]
    assert (broken["status"], broken["attempts"]) == ("dead", 1)
    assert broken["last_error"].startswith("cannot write an email to 'eve@example.com\\nBcc: all@example.com'")
    assert box()["fine"]["status"] == "sent"
    assert [to for to, _ in handler.mail] == [["ann@example.com"]]


def test_an_assignment_notice_reaches_the_assignee_by_email(
    ctx: Context, box: Box, mailbox: tuple[Mailbox, int]
) -> None:
    from recovery.core.commands import OpenComplaint
    from recovery.engine import open_complaint
    from recovery.engine.people import add_customer, add_staff

    handler, port = mailbox
    add_staff(ctx, "bob", "Bob", "bob@example.com")
    customer = add_customer(ctx, "cy@example.com")
    complaint_id = open_complaint(ctx, OpenComplaint(customer, "cold soup", assignee="bob"))

    dispatch(ctx, SMTPSink("127.0.0.1", port, "recovery@example.com"))

    assert box()[f"assigned:{complaint_id}:bob"]["status"] == "sent"
    [(to, email)] = handler.mail
    assert (to, email["Subject"]) == (["bob@example.com"], f"Complaint {complaint_id} is assigned to you")
