"""Who is who: shopper tokens, API keys, agent accounts and their sessions (no HTTP here; the
API turns headers and cookies into calls on these).

- A shopper token is the store's backend saying "this browser is shopper X until T": an HMAC
  of the shopper id and an expiry with the store's secret (`SHOPPER_SECRET`). Any language can
  mint one (SECURITY.md has the five lines); only a valid one unlocks a shopper's history.
- An API key (`sa_<id>_<secret>`) lets another service call with scopes (recommend, events,
  chat); only its SHA-256 is stored (the secret is random and long, so a slow hash adds nothing).
- An agent signs in with a password hashed by argon2; failures lock the account for a while; a
  signed-in agent holds a random session token whose hash the store keeps, so logging out, or
  idling past the limit, really ends it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assistant.store import Store
from records import utcnow

SCOPES = ("recommend", "events", "chat", "admin")  # admin: maintenance through the server (api/ops.py)
LOCK_AFTER = 5  # failed passwords in a row …
LOCK_FOR = timedelta(minutes=15)  # … lock the account this long
AGENT_IDLE = timedelta(minutes=30)  # a console untouched this long signs out
_hasher = PasswordHasher()


# ---- shopper tokens ---------------------------------------------------------------------------------
def sign_shopper(user_id: str, secret: str, ttl_s: int = 86400, now: float | None = None) -> str:
    """`<base64url(user id)>.<expiry, unix seconds>.<hex HMAC-SHA256 of the first two>`."""
    uid = base64.urlsafe_b64encode(user_id.encode()).decode().rstrip("=")
    expires = int(now if now is not None else time.time()) + ttl_s
    mac = hmac.new(secret.encode(), f"{uid}.{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{uid}.{expires}.{mac}"


def verify_shopper(token: str, secret: str, now: float | None = None) -> str | None:
    """The shopper id the token vouches for, or None (forged, altered or expired)."""
    try:
        uid, expires, mac = token.split(".")
        wanted = hmac.new(secret.encode(), f"{uid}.{expires}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, wanted) or int(expires) < (now if now is not None else time.time()):
            return None
        return base64.urlsafe_b64decode(uid + "=" * (-len(uid) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


# ---- API keys --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(store: Store, name: str, scopes: list[str]) -> str:
    """Stores a new key's hash and returns the key: it is shown this once."""
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {sorted(unknown)[0]!r}; known: {', '.join(SCOPES)}")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    store.add_api_key(key_id, name, _digest(secret), sorted(set(scopes)))
    return f"sa_{key_id}_{secret}"


def check_api_key(store: Store, presented: str) -> ApiKey | None:
    try:
        prefix, key_id, secret = presented.split("_", 2)
    except ValueError:
        return None
    row = store.api_key(key_id) if prefix == "sa" else None
    if row is None or row["revoked"] or not hmac.compare_digest(row["key_hash"], _digest(secret)):
        return None
    return ApiKey(row["id"], row["name"], tuple(row["scopes"]))


# ---- agents ------------------------------------------------------------------------------------------------
def add_agent(store: Store, name: str, password: str) -> None:
    if len(password) < 10:
        raise ValueError("an agent's password needs at least 10 characters")
    store.upsert_agent(name, _hasher.hash(password))


@dataclass(frozen=True)
class Login:
    agent: str | None  # signed in as, or None
    locked: bool = False  # the account is locked after too many failures


def check_login(store: Store, name: str, password: str) -> Login:
    row = store.agent(name)
    if row is None:
        _hasher.hash(password)  # the same work as a real check: no telling accounts apart by timing
        return Login(None)
    if row["locked_until"] is not None and row["locked_until"] > utcnow():
        return Login(None, locked=True)
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        store.agent_failed(name, LOCK_AFTER, LOCK_FOR)
        return Login(None)
    store.agent_succeeded(name)
    return Login(name)


def open_agent_session(store: Store, agent: str) -> str:
    token = secrets.token_urlsafe(32)
    store.open_agent_session(_digest(token), agent)
    return token


def agent_for(store: Store, token: str | None, idle: timedelta = AGENT_IDLE) -> str | None:
    return store.agent_session(_digest(token), idle) if token else None


def close_agent_session(store: Store, token: str | None) -> None:
    if token:
        store.close_agent_session(_digest(token))


def same(a: str, b: str) -> bool:
    """Compares secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
