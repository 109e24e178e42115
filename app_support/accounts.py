"""Local accounts: salted scrypt password hashes (standard library) in one JSON file.

A password is never stored: each account keeps a random 16-byte salt and
scrypt(password, salt, n=2**14, r=8, p=1) as hex. Verification uses `hmac.compare_digest`.
The file is written atomically, so a crash leaves the old or the new list, never half of one.
On first use, when the file does not exist, the demo accounts below are created.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tiered.errors import UsageError
from tiered.files import atomic_write_bytes

ROLES: tuple[str, ...] = ("staff", "analyst", "leader", "admin")
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MIN_PASSWORD = 6
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")

# The demo's accounts (printed in the README): username -> (password, roles, display name).
DEMO_ACCOUNTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "admin": ("admin123", ("admin",), "系统管理员"),
    "staff": ("staff123", ("staff",), "业务科室工作人员"),
    "analyst": ("analyst123", ("analyst",), "信用分析员"),
    "leader": ("leader123", ("leader",), "局领导"),
}


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    roles: tuple[str, ...]
    salt: str
    hash: str
    n: int = SCRYPT["n"]
    r: int = SCRYPT["r"]
    p: int = SCRYPT["p"]
    disabled: bool = False
    # True for the demo accounts until their password is changed: the app makes their user
    # choose a new one before working on a real (non-demo) workspace.
    must_change: bool = False
    # Counts sign-outs, password changes and disablings: a session token carries the count it
    # was issued under and is refused once the count has moved on (app_support.session).
    session_gen: int = 0


def hash_password(password: str, salt: bytes, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT["dklen"]
    ).hex()


def make_account(username: str, password: str, roles: tuple[str, ...], display: str) -> Account:
    _check_name(username)
    _check_password(password)
    _check_roles(roles)
    salt = secrets.token_bytes(16)
    digest = hash_password(password, salt, SCRYPT["n"], SCRYPT["r"], SCRYPT["p"])
    return Account(username, display or username, tuple(roles), salt.hex(), digest)


def _check_name(username: str) -> None:
    if not _NAME.match(username or ""):
        raise UsageError(
            "用户名须为 2-32 位字母、数字、点、下划线或连字符 "
            "(username: 2-32 letters, digits, '.', '_' or '-')"
        )


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UsageError(
            f"密码至少 {MIN_PASSWORD} 位 (password must have at least {MIN_PASSWORD} characters)"
        )


def _check_roles(roles: tuple[str, ...]) -> None:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise UsageError(
            f"角色须为 {', '.join(ROLES)} 中的一个或多个 (roles must be among {ROLES}): {bad}"
        )


class AccountStore:
    """The accounts file; every call re-reads it, so several app processes stay consistent."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def ensure(self) -> None:
        """Create the file with the demo accounts when it does not exist yet."""
        if self.path.exists():
            return
        accounts = [
            replace(make_account(u, pw, roles, d), must_change=True)
            for u, (pw, roles, d) in DEMO_ACCOUNTS.items()
        ]
        self._write(accounts)

    def all(self) -> list[Account]:
        self.ensure()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            known = set(Account.__dataclass_fields__)
            rows = [{k: v for k, v in a.items() if k in known} for a in data["accounts"]]
            return [Account(**{**a, "roles": tuple(a["roles"])}) for a in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"账户文件已损坏 (accounts file is damaged): {exc}", file=str(self.path)
            ) from None

    def get(self, username: str) -> Account | None:
        return next((a for a in self.all() if a.username == username), None)

    def verify(self, username: str, password: str) -> Account | None:
        """The account when the password matches, else None (same work either way)."""
        acc = self.get((username or "").strip())
        if acc is None:
            hash_password(password or "", b"\0" * 16, SCRYPT["n"], SCRYPT["r"], SCRYPT["p"])
            return None
        digest = hash_password(password or "", bytes.fromhex(acc.salt), acc.n, acc.r, acc.p)
        return acc if hmac.compare_digest(digest, acc.hash) else None

    def usable(self, username: str) -> Account | None:
        """The account when it exists and is not disabled (a session token's owner)."""
        acc = self.get(username)
        return acc if acc is not None and not acc.disabled else None

    def add(self, username: str, password: str, roles: tuple[str, ...], display: str = "") -> None:
        accounts = self.all()
        if any(a.username == username for a in accounts):
            raise UsageError(f"用户名 {username} 已存在 (username already exists)")
        self._write([*accounts, make_account(username, password, roles, display)])

    def set_password(self, username: str, password: str, must_change: bool = False) -> None:
        """A new password; every session of the account ends. An admin's reset sets
        `must_change`, so the user picks their own at the next sign-in."""
        acc = self._require(username)
        if must_change is False and self.verify(username, password) is not None:
            raise UsageError("新密码不能与原密码相同 (the new password must differ from the old)")
        new = make_account(username, password, acc.roles, acc.display_name)
        self._replace(
            replace(
                new,
                disabled=acc.disabled,
                must_change=must_change,
                session_gen=acc.session_gen + 1,
            )
        )

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (no sign-in, every session ends) or enable an account."""
        acc = self._require(username)
        if disabled:
            self._guard_last_admin(username, ())
        self._replace(replace(acc, disabled=disabled, session_gen=acc.session_gen + 1))

    def revoke(self, username: str) -> None:
        """End every session of the account (signing out)."""
        acc = self.get(username)
        if acc is not None:
            self._replace(replace(acc, session_gen=acc.session_gen + 1))

    def generations(self) -> dict[str, int]:
        """username -> session generation, for checking session tokens."""
        return {a.username: a.session_gen for a in self.all() if not a.disabled}

    def set_roles(self, username: str, roles: tuple[str, ...]) -> None:
        _check_roles(roles)
        acc = self._require(username)
        self._guard_last_admin(username, roles)
        self._replace(Account(**{**asdict(acc), "roles": tuple(roles)}))

    def remove(self, username: str) -> None:
        self._require(username)
        self._guard_last_admin(username, ())
        self._write([a for a in self.all() if a.username != username])

    def _require(self, username: str) -> Account:
        acc = self.get(username)
        if acc is None:
            raise UsageError(f"用户 {username} 不存在 (no such user)")
        return acc

    def _guard_last_admin(self, username: str, roles: tuple[str, ...]) -> None:
        admins = [a.username for a in self.all() if "admin" in a.roles and not a.disabled]
        if admins == [username] and "admin" not in roles:
            raise UsageError("至少保留一个管理员账户 (keep at least one admin account)")

    def _replace(self, new: Account) -> None:
        self._write([new if a.username == new.username else a for a in self.all()])

    def _write(self, accounts: list[Account]) -> None:
        data = {"version": 1, "accounts": [{**asdict(a), "roles": list(a.roles)} for a in accounts]}
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        atomic_write_bytes(self.path, text.encode("utf-8"))
        os.chmod(self.path, 0o600)
