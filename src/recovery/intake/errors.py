"""What an adapter raises about a delivery: bad credentials (401) or a body of the wrong shape (422)."""

from __future__ import annotations


class SignatureError(Exception):
    """The delivery's signature or credentials are missing, wrong or too old (401)."""


class ShapeError(Exception):
    """Valid JSON that is not an event this source sends; ``field`` names the culprit (422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
