"""What the tests share besides fixtures: settings on a temp dir, the datasets folder, a chat
turn read as plain data, and whether PostgreSQL is up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.llm_server import free_port  # noqa: F401 (the tests' too)
from assistant.settings import Settings

DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=2"):
            return True
    except Exception:
        return False


def make_settings(path: Path, **kw) -> Settings:
    base = {
        "data_dir": path,
        "database_url": None,
        "qdrant_url": None,
        "rate_limit_per_minute": 0,
        "datasets_dir": DATASETS,
        "explore_rate": 0.0,
    }
    return Settings(_env_file=None, **{**base, **kw})


def requires_dataset(name: str):
    return pytest.mark.skipif(not (DATASETS / name).exists(), reason=f"../shared/datasets/{name} is absent on this machine")


def events_of(shop, message: str, session: str = "s", user: str | None = None) -> list[dict]:
    """One chat turn's events as the API sends them: {"event": name, "data": body}."""
    return [{"event": ev.name, "data": ev.data()} for ev in shop.chat(message, session, user)]


def turn(shop, message: str, session: str = "s", user: str | None = None) -> tuple[dict, str, list[dict]]:
    """(the cards event's data, the prose shown, every event)."""
    events = events_of(shop, message, session, user)
    text = "".join(e["data"]["text"] for e in events if e["event"] == "token")
    return events[0]["data"], text, events


def shopper_token(shop, user_id: str, ttl_s: int = 3600) -> dict[str, str]:
    """The header a signed-in shopper's widget sends (the store's backend minted the token)."""
    from assistant import identity

    return {"X-Shopper-Token": identity.sign_shopper(user_id, shop.settings.shopper_secret(), ttl_s=ttl_s)}


def agent_login(client, name: str = "sam", password: str = "agent"):
    """Signs in to the console as a browser would: the login page sets the CSRF cookie, the
    form sends it back. Returns the login response."""
    client.get("/agent/login")
    return client.post(
        "/agent/login", data={"name": name, "password": password, "csrf": client.cookies.get("sa_csrf")}, follow_redirects=False
    )


def csrf(client) -> dict[str, str]:
    """The header the console's script sends on every change."""
    return {"X-CSRF-Token": client.cookies.get("sa_csrf") or ""}


def local_client(app, **kw):
    """A TestClient that calls from this machine (127.0.0.1), as a browser on it would."""
    from fastapi.testclient import TestClient

    return TestClient(app, client=("127.0.0.1", 50000), **kw)
