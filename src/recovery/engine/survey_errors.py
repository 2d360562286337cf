"""What a survey link or an answer can go wrong with; each message is what the customer or the caller reads.

RecoveryError
├── SurveyLinkError      the link cannot be used
│   ├── LinkInvalid      forged, damaged, or naming no invitation
│   ├── LinkExpired      past its lifetime
│   └── AlreadyAnswered  the invitation's answers are in
└── InvalidInputError
    └── AnswerError      an answer does not fit its question (``question``, ``problems`` for every one)
"""

from __future__ import annotations

from collections.abc import Mapping

from recovery.errors import InvalidInputError, RecoveryError


class SurveyLinkError(RecoveryError):
    """A survey link that cannot be used; ``language`` is the invitation's, when the link named one."""

    def __init__(self, message: str, language: str | None = None) -> None:
        super().__init__(message)
        self.language = language


class LinkInvalid(SurveyLinkError):
    """The link is forged or damaged, or names no invitation."""


class LinkExpired(SurveyLinkError):
    """The invitation's lifetime is over."""


class AlreadyAnswered(SurveyLinkError):
    """The invitation was answered already: a link is used once."""


class AnswerError(InvalidInputError):
    """An answer that does not fit its question; nothing was stored.

    ``question`` and ``message`` are the first problem; ``problems`` maps every question with one to
    its message (a form shows them all at once).
    """

    def __init__(self, question: str, message: str, problems: Mapping[str, str] | None = None) -> None:
        self.question = question
        self.message = message
        self.problems = dict(problems) if problems else {question: message}
        super().__init__(f"{question}: {message}")
