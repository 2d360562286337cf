"""The smtp sink: one plain-text email per message through the standard library's smtplib."""

from __future__ import annotations

import base64
import smtplib
from email.message import EmailMessage

from recovery.notify.sinks import DeliveryError, Message, PermanentDeliveryError

SUBJECTS = {
    "complaint.warning": "Complaint {id} is close to its deadline",
    "complaint.escalated": "Complaint {id} is overdue: escalation level {level}",
    "complaint.follow_up_due": "Complaint {id}: time to follow up with the customer",
    "complaint.final_warning": "Complaint {id} is close to its final-response deadline",
    "complaint.final_breach": "Complaint {id} has passed its final-response deadline",
    "complaint.assigned": "Complaint {id} is assigned to you",
    "customer.at_risk": "A valuable customer may be leaving",
}


def address_of(message: Message) -> str | None:
    """The email address a message goes to: the payload's ``email``, else a recipient that is one."""
    email = message.payload.get("email")
    if isinstance(email, str) and "@" in email:
        return email
    if message.recipient and "@" in message.recipient:
        return message.recipient
    return None


def compose(message: Message, sender: str, to: str) -> EmailMessage:
    """The email for ``message``: its own ``subject`` and ``text`` (with ``html`` and inline ``images``) when it
    was written as an email, else a subject naming the complaint and one ``key: value`` line per field."""
    if isinstance(message.payload.get("text"), str) and isinstance(message.payload.get("subject"), str):
        return _written(message, sender, to)
    email = EmailMessage()
    fields = dict(message.payload)
    template = SUBJECTS.get(message.topic, "Complaint {id}: " + message.topic)
    email["Subject"] = template.format(id=fields.get("complaint_id", "?"), level=fields.get("level", "?"))
    email["From"] = sender
    email["To"] = to
    email["Message-ID"] = f"<{message.key.replace(':', '.')}@recovery>"
    lines = [f"{key}: {value}" for key, value in sorted(fields.items()) if key != "email"]
    email.set_content("\n".join(lines) + "\n")
    return email


def _written(message: Message, sender: str, to: str) -> EmailMessage:
    """A message that carries its own email: plain text, an HTML alternative, its images inline (``cid:NAME``)."""
    payload = message.payload
    email = EmailMessage()
    email["Subject"], email["From"], email["To"] = payload["subject"], sender, to
    email["Message-ID"] = f"<{message.key.replace(':', '.')}@recovery>"
    email.set_content(payload["text"])
    if isinstance(payload.get("html"), str):
        email.add_alternative(payload["html"], subtype="html")
        html = email.get_body(("html",))
        assert isinstance(html, EmailMessage)  # the part just added
        for name, data in (payload.get("images") or {}).items():
            html.add_related(base64.b64decode(data), "image", "png", cid=f"<{name}>")
    return email


class SMTPSink:
    """Sends through one SMTP server; 5xx answers and messages without an address are final, the rest retry."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def deliver(self, message: Message) -> None:
        """Send one email; raise DeliveryError (retry) or PermanentDeliveryError (dead)."""
        to = address_of(message)
        if to is None:
            raise PermanentDeliveryError(f"no email address for recipient {message.recipient!r}")
        try:
            email = compose(message, self.sender, to)
        except ValueError as exc:  # e.g. a line break in an address: it will not change on a retry
            raise PermanentDeliveryError(f"cannot write an email to {to!r}: {exc}") from exc
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                server.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            final = all(code >= 500 for code, _ in exc.recipients.values())
            raise (PermanentDeliveryError if final else DeliveryError)(f"{to}: refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            problem = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            raise (PermanentDeliveryError if exc.smtp_code >= 500 else DeliveryError)(problem) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc
