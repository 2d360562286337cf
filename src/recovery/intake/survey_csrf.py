"""Cross-site request forgery protection of the survey form: a signed double-submit cookie.

The form's GET sets a random value in a ``SameSite=Strict``, ``HttpOnly`` cookie and puts an HMAC
of that value and the survey link into a hidden field. A POST is accepted only when the cookie
comes back and the field is the HMAC of it for this link. Another site can neither read the
field nor make the browser send the cookie (SameSite=Strict), and a cookie planted from a sibling
domain does not help without the key. Nothing is stored on the server.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

COOKIE = "recovery_survey"
FIELD = "csrf"
_VALUE = re.compile(r"[A-Za-z0-9_-]{22,64}")


class CsrfGuard:
    """Issues and checks the cookie and field pair; ``key`` signs, ``secure`` marks the cookie HTTPS-only."""

    def __init__(self, key: bytes, *, secure: bool, path: str = "/s/") -> None:
        self._key, self.secure, self.path = key, secure, path

    def cookie_value(self, current: str | None) -> str:
        """The cookie's value: the browser's current one when well-formed (so open tabs share it), else a new one."""
        if current is not None and _VALUE.fullmatch(current):
            return current
        return secrets.token_urlsafe(24)

    def field(self, token: str, cookie: str) -> str:
        """The hidden field's value for ``cookie`` on the form of the link ``token``."""
        message = b"survey-form\x00" + token.encode() + b"\x00" + cookie.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, token: str, cookie: str | None, field: str | None) -> bool:
        """Whether a POST to the link ``token`` carries a matching cookie and field."""
        if not cookie or not field or not _VALUE.fullmatch(cookie):
            return False
        return hmac.compare_digest(self.field(token, cookie).encode(), field.encode("utf-8", "replace"))

    def set_cookie_header(self, value: str) -> str:
        """The ``Set-Cookie`` header: a session cookie, for the survey paths only, never sent cross-site."""
        secure = "; Secure" if self.secure else ""
        return f"{COOKIE}={value}; Path={self.path}; HttpOnly; SameSite=Strict{secure}"
