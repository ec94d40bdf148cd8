"""Bearer tokens and roles. Tokens are kept only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "support", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
_USER = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


class TokenConfigError(ValueError):
    """The token configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Principal:
    user: str
    role: str

    def may(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self) -> None:
        self._by_hash: dict[str, Principal] = {}

    def add(self, user: str, role: str, token_sha256: str) -> None:
        if not _USER.match(user):
            raise TokenConfigError(f"user name {user!r}: use letters, digits and . _ @ - only")
        if role not in _RANK:
            raise TokenConfigError(f"user {user!r}: role {role!r} is not one of {', '.join(ROLES)}")
        if not re.fullmatch(r"[0-9a-f]{64}", token_sha256):
            raise TokenConfigError(f"user {user!r}: token_sha256 must be 64 hex digits")
        self._by_hash[token_sha256] = Principal(user, role)

    def __len__(self) -> int:
        return len(self._by_hash)

    def authenticate(self, token: str) -> Principal | None:
        digest = hash_token(token)
        for known, principal in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return principal
        return None

    @classmethod
    def from_config(cls, entries: str, file: Path | None) -> TokenStore:
        """``entries``: "user:role:token" separated by commas; ``file``: a JSON list of
        {"user", "role", "token" or "token_sha256"}."""
        store = cls()
        for n, entry in enumerate(filter(None, (e.strip() for e in entries.split(","))), 1):
            parts = entry.split(":", 2)
            if len(parts) != 3 or not parts[2]:
                raise TokenConfigError(f"TASKDECK_TOKENS entry {n} is not user:role:token")
            store.add(parts[0], parts[1], hash_token(parts[2]))
        if file is not None:
            try:
                items = json.loads(file.read_text())
            except (OSError, ValueError) as exc:
                raise TokenConfigError(f"token file {file}: {exc}") from None
            if not isinstance(items, list):
                raise TokenConfigError(f"token file {file}: expected a JSON list of tokens")
            for n, item in enumerate(items, 1):
                if not isinstance(item, dict) or "user" not in item or "role" not in item:
                    raise TokenConfigError(f"token file {file}: entry {n} needs user and role")
                digest = item.get("token_sha256") or (
                    hash_token(str(item["token"])) if item.get("token") else None
                )
                if digest is None:
                    raise TokenConfigError(
                        f"token file {file}: entry {n} needs token or token_sha256"
                    )
                store.add(str(item["user"]), str(item["role"]), str(digest))
        return store
