"""A shopper's data: all of it can be exported, all of it forgotten (then they are a stranger to
the shop), and conversations are not kept past the retention period."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from assistant import identity
from assistant.ingest import ingest_demo
from assistant.shop import Shop
from records import Review, utcnow
from tests.helpers import agent_login, csrf, local_client, make_settings, shopper_token
from tests.test_cli import run

TABLES_WITH_USER = ("events", "reviews", "chat_sessions", "impressions", "users")


def rows_about(shop: Shop, user_id: str) -> dict[str, int]:
    """Rows in every table that names the shopper (by column, or anywhere in a conversation)."""
    with shop.store.engine.connect() as c:
        out = {
            t: c.execute(text(f"SELECT count(*) FROM {t} WHERE {'id' if t == 'users' else 'user_id'} = :u"), {"u": user_id}).scalar()
            for t in TABLES_WITH_USER
        }
        out["messages"] = c.execute(
            text("SELECT count(*) FROM session_messages WHERE session_id IN (SELECT id FROM chat_sessions WHERE user_id = :u)"),
            {"u": user_id},
        ).scalar()
    return out


def ids(cards) -> list[str]:
    return [c.product.id for c in cards]


def test_export_holds_everything_and_forget_leaves_nothing(fresh_shop):
    fresh_shop.store.add_reviews(
        [Review(id="rv-u03", product_id="coffee-01a", user_id="u03", rating=5, text="Lovely beans, rich and smooth.")]
    )
    fresh_shop.review_summary("coffee-01a")  # a cached summary that quotes the shopper's review
    list(fresh_shop.chat("a french press", "s-u03", "u03", owner="user:u03"))
    exported = fresh_shop.store.export_user("u03")
    assert exported["user"]["id"] == "u03" and exported["events"] and exported["conversations"]
    assert any(r["id"] == "rv-u03" for r in exported["reviews"])
    json.dumps(exported)  # JSON as it is

    stranger = ids(fresh_shop.recommend("never-seen-shopper", k=8))
    assert ids(fresh_shop.recommend("u03", k=8)) != stranger
    removed = fresh_shop.forget_user("u03")
    assert removed["events"] and removed["conversations"] and removed["reviews"] == 1 and removed["user"] == 1
    assert removed["impressions"] >= 8  # the lists shown to them above, logged for off-policy evaluation
    assert set(rows_about(fresh_shop, "u03").values()) == {0}
    assert fresh_shop.store.get_summary("coffee-01a") is None  # it quoted them: rebuilt without them
    assert "rv-u03" not in json.dumps(fresh_shop.review_summary("coffee-01a"))
    assert fresh_shop.store.export_user("u03") == {
        "user": None,
        "impressions": [],
        "events": [],
        "reviews": [],
        "conversations": [],
        "agent_messages": [],
    }
    assert ids(fresh_shop.recommend("u03", k=8)) == stranger  # a stranger to the shop now
    assert fresh_shop.vectors.count() == fresh_shop.store.count_products()  # the index holds products only


def test_the_console_exports_and_forgets_a_customer(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        agent_login(c)
        exported = c.get("/agent/api/customers/u05/export").json()
        assert exported["user"]["id"] == "u05" and exported["events"]
        r = c.post("/agent/api/customers/u05/forget", headers=csrf(c))
        assert r.status_code == 200 and r.json()["deleted"]["events"] == len(exported["events"])
        assert c.get("/agent/api/customers/u05").status_code == 404
        audit = {(e["action"], e["subject"]) for e in c.get("/agent/api/audit").json()["log"]}
        assert {("export customer", "u05"), ("forget customer", "u05")} <= audit
        # the shopper's own token now gets a stranger's picks, with no history reasons
        items = c.post("/v1/recommendations", json={"k": 5}, headers=shopper_token(fresh_shop, "u05")).json()["items"]
        assert not any(r["kind"] in ("history", "again") for i in items for r in i["reasons"])


def test_conversations_older_than_the_retention_are_deleted_by_the_job(tmp_path):
    shop = Shop.open(make_settings(tmp_path, transcript_retention_days=30))
    ingest_demo(shop.store)
    try:
        shop.store.save_session("old", "u01", {"turns": [{"role": "user", "text": "hello"}]}, owner="user:u01")
        shop.store.save_session("new", "u01", {"turns": []}, owner="user:u01")
        shop.store.add_message("old", "sam", "hi", [])
        with shop.store.engine.begin() as c:
            c.execute(text("UPDATE chat_sessions SET updated_at = :t WHERE id = 'old'"), {"t": utcnow() - timedelta(days=31)})
        with TestClient(create_app(shop.settings, shop)):  # the job runs at start, then hourly
            pass
        assert shop.store.load_session("old") is None and shop.store.messages("old", 0) == []
        assert shop.store.load_session("new") is not None
    finally:
        shop.close()


def test_the_command_line_exports_forgets_and_manages_keys_and_agents(tmp_path, monkeypatch):
    assert run(["ingest", "--demo"], tmp_path, monkeypatch).exit_code == 0
    r = run(["user", "export", "u02"], tmp_path, monkeypatch)
    assert r.exit_code == 0 and json.loads(r.output)["user"]["id"] == "u02"
    r = run(["user", "forget", "u02", "--yes"], tmp_path, monkeypatch)
    assert r.exit_code == 0 and "1 user" in r.output
    assert json.loads(run(["user", "export", "u02"], tmp_path, monkeypatch).output)["events"] == []

    r = run(["apikey", "create", "--name", "backend", "--scopes", "recommend,events"], tmp_path, monkeypatch)
    key = r.output.strip().splitlines()[-1]
    assert r.exit_code == 0 and key.startswith("sa_")
    listed = run(["apikey", "list"], tmp_path, monkeypatch).output
    assert "backend" in listed and key.split("_", 2)[2] not in listed
    assert run(["apikey", "revoke", key.split("_")[1]], tmp_path, monkeypatch).exit_code == 0
    assert "revoked" in run(["apikey", "list"], tmp_path, monkeypatch).output
    assert run(["apikey", "create", "--name", "x", "--scopes", "superuser"], tmp_path, monkeypatch).exit_code != 0

    r = run(["agent", "add", "sam"], tmp_path, monkeypatch, input="correct horse battery\ncorrect horse battery\n")
    assert r.exit_code == 0, r.output
    from assistant.store import Store

    assert identity.check_login(Store(f"sqlite:///{tmp_path}/shop.db"), "sam", "correct horse battery").agent == "sam"
    r = run(["agent", "add", "kim"], tmp_path, monkeypatch, input="short\nshort\n")
    assert r.exit_code != 0 and "10 characters" in r.output


def test_serve_refuses_a_public_address_without_a_secret(tmp_path, monkeypatch):
    r = run(["serve", "--host", "0.0.0.0", "--no-bootstrap"], tmp_path, monkeypatch)
    assert r.exit_code == 2 and "SECRET_KEY" in r.output
