"""The dashboard's session cookie and CSRF token, and the key both are signed with.

The cookie carries the session's id (a used sign-in link's row), the staff id and a random seed,
signed with itsdangerous; the row says whether the session is still on (signed out, past
``dashboard.session_lifetime``), so the cookie alone never outlives a sign-out. The CSRF token of a
signed-in form is an HMAC of the seed: another site can neither read it nor make it.

The key is ``$<dashboard.secret_env>``; without it the dashboard runs on loopback only, with a key
made at start (sessions end when the daemon restarts), and refuses to serve anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadData, URLSafeSerializer

from recovery.config import DashboardSettings

log = logging.getLogger("recovery.intake")

COOKIE = "recovery_dashboard"
SALT = "recovery.dashboard.session"


@dataclass(frozen=True, slots=True)
class Cookie:
    """What a session cookie says: the session, the staff member, the seed of its CSRF token."""

    session_id: int
    staff_id: str
    seed: str


def dashboard_key(settings: DashboardSettings, loopback: bool, environ: Mapping[str, str]) -> bytes | None:
    """The signing key: the configured secret; a key of this process's own on loopback; else None (refuse)."""
    secret = environ.get(settings.secret_env) or ""
    if secret:
        return hashlib.sha256(b"recovery dashboard\0" + secret.encode()).digest()
    if loopback:
        log.info(
            "event=dashboard_ephemeral_key: $%s is unset; sessions end when the daemon restarts", settings.secret_env
        )
        return secrets.token_bytes(32)
    log.error(
        "event=dashboard_refused reason=no_secret: the dashboard listens beyond loopback and $%s is unset; "
        "set it to a long random secret (openssl rand -hex 32) or listen on 127.0.0.1",
        settings.secret_env,
    )
    return None


class SessionCookies:
    """Makes and reads the signed session cookie and the CSRF tokens derived from it."""

    def __init__(self, key: bytes, *, secure: bool, lifetime: timedelta) -> None:
        self._serializer = URLSafeSerializer(key, salt=SALT)
        self._csrf_key = hmac.new(key, b"dashboard csrf", hashlib.sha256).digest()
        self.secure, self.lifetime = secure, lifetime

    def set_header(self, session_id: int, staff_id: str) -> str:
        """The Set-Cookie header of a new session (HttpOnly, SameSite=Lax, Secure over https)."""
        value = self._serializer.dumps({"i": session_id, "s": staff_id, "c": secrets.token_hex(16)})
        seconds = int(self.lifetime.total_seconds())
        return self._header(str(value), seconds)

    def clear_header(self) -> str:
        """The Set-Cookie header that removes the cookie."""
        return self._header("", 0)

    def _header(self, value: str, max_age: int) -> str:
        # Lax, not Strict: a sign-in link opened from a mail program is a cross-site navigation, and
        # the dashboard's first page must see the cookie; every state change is a POST with a token.
        parts = [f"{COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    def read(self, value: str | None) -> Cookie | None:
        """The cookie's contents if we signed it; None for a missing, forged or damaged one."""
        if not value or len(value) > 400:
            return None
        try:
            found = self._serializer.loads(value)
        except BadData:
            return None
        if not isinstance(found, dict):
            return None
        session_id, staff_id, seed = found.get("i"), found.get("s"), found.get("c")
        if not isinstance(session_id, int) or not isinstance(staff_id, str) or not isinstance(seed, str):
            return None
        return Cookie(session_id, staff_id, seed)

    def csrf_token(self, cookie: Cookie) -> str:
        """The token a signed-in form carries."""
        return hmac.new(self._csrf_key, f"{cookie.session_id}:{cookie.seed}".encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, cookie: Cookie, given: str | None) -> bool:
        """Whether ``given`` is this session's token (compared in constant time)."""
        return given is not None and hmac.compare_digest(self.csrf_token(cookie), given)
