"""Sign-in that survives a reload, and that resists guessing.

A signed-in browser keeps a cookie holding a token made by `itsdangerous` (Pallets' maintained
signing library): the username and the account's session generation, signed with HMAC-SHA256
under a secret key kept in the data folder and stamped with the time of issue. A token is good
for `lifetime()` seconds after signing in, and only while the account exists, is enabled and
has not been signed out since: each account counts its sign-outs, password changes and
disablings, a token carries the count it was issued under, and a token of an older
count is refused.

Failed sign-ins are counted per username in `signin_failures.json` beside the accounts file.
From the `FREE_FAILURES`-th failure on, the name is locked for a growing time (1, 2, 4 ...
minutes, at most an hour); a correct password during the lock is refused like a wrong one, and a
success after it resets the count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app_support import bootstrap
from tiered.files import atomic_write_bytes

COOKIE = "tiered_session"
DEFAULT_HOURS = 8.0  # one working day without activity
FREE_FAILURES = 5  # failures before the first lock
FIRST_LOCK_S = 60
MAX_LOCK_S = 3600
_SALT = "tiered-supervision.session"


def lifetime() -> float:
    """Seconds a session lasts without activity: `$TIERED_SESSION_HOURS`, else the admin's
    setting (`session_hours` in settings.json), else 8 hours."""
    env = os.environ.get("TIERED_SESSION_HOURS")
    for text in (env, bootstrap.read_settings().get("session_hours")):
        try:
            hours = float(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if hours > 0:
            return hours * 3600.0
    return DEFAULT_HOURS * 3600.0


def _key_path() -> Path:
    return bootstrap.accounts_path().with_name("session.key")


def secret_key() -> str:
    """`$TIERED_SESSION_SECRET`, else a random key made once and kept (0600) in the data folder."""
    env = os.environ.get("TIERED_SESSION_SECRET")
    if env:
        return env
    p = _key_path()
    try:
        return p.read_text(encoding="ascii").strip()
    except OSError:
        key = secrets.token_hex(32)
        atomic_write_bytes(p, key.encode("ascii"))
        os.chmod(p, 0o600)
        return p.read_text(encoding="ascii").strip()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key(), salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def issue(username: str, generation: int) -> str:
    """A token for `username` under the account's current session generation."""
    return _serializer().dumps({"u": username, "g": int(generation)})


@dataclass(frozen=True)
class TokenCheck:
    username: str | None  # set when the token is good
    ended: str | None  # "expired", "revoked", "invalid" or None


def check(token: str | None, generations: dict[str, int]) -> TokenCheck:
    """The username a cookie's token stands for, or why it no longer does.

    `generations` maps each usable (existing, enabled) account to its session generation: a
    token of another generation was ended by a sign-out, a password change or a disabling."""
    if not token:
        return TokenCheck(None, None)
    try:
        data = _serializer().loads(token, max_age=lifetime())
    except SignatureExpired:
        return TokenCheck(None, "expired")
    except BadSignature:
        return TokenCheck(None, "invalid")
    name = data.get("u") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return TokenCheck(None, "invalid")
    if name not in generations or generations[name] != data.get("g"):
        return TokenCheck(None, "revoked")
    return TokenCheck(name, None)


# ---------------------------------------------------------------------------- failed sign-ins
def _failures_path() -> Path:
    return bootstrap.accounts_path().with_name("signin_failures.json")


def _read_failures() -> dict[str, dict]:
    try:
        data = json.loads(_failures_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_failures(data: dict[str, dict]) -> None:
    p = _failures_path()
    atomic_write_bytes(p, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    os.chmod(p, 0o600)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def locked_until(username: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """The UTC time until which `username` may not sign in, or None."""
    rec = _read_failures().get(_norm(username))
    if not rec or not rec.get("locked_until"):
        return None
    until = dt.datetime.fromisoformat(rec["locked_until"])
    return until if until > (now or _now()) else None


def failures(username: str) -> int:
    return int(_read_failures().get(_norm(username), {}).get("count", 0))


def record_failure(username: str, now: dt.datetime | None = None) -> tuple[int, dt.datetime | None]:
    """Count one failed sign-in; (failures so far, lock end when this failure locks the name)."""
    now = now or _now()
    data = _read_failures()
    name = _norm(username)
    rec = data.get(name, {})
    count = int(rec.get("count", 0)) + 1
    until = None
    if count >= FREE_FAILURES:
        seconds = min(FIRST_LOCK_S * 2 ** (count - FREE_FAILURES), MAX_LOCK_S)
        until = (now + dt.timedelta(seconds=seconds)).replace(microsecond=0)
    data[name] = {
        "count": count,
        "last": now.isoformat(timespec="seconds"),
        "locked_until": until.isoformat(timespec="seconds") if until else rec.get("locked_until"),
    }
    _write_failures(data)
    return count, until


def clear_failures(username: str) -> None:
    data = _read_failures()
    if data.pop(_norm(username), None) is not None:
        _write_failures(data)


def _norm(username: str) -> str:
    return (username or "").strip().lower()
