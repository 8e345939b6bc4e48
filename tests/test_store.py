"""The store, on SQLite and on the real local PostgreSQL when it answers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from assistant.store import Store
from records import Event, Product, Review, User
from tests.helpers import POSTGRES_URL, postgres_available


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'shop.db'}")
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432 (database test)")
    schema = f"t_{uuid.uuid4().hex[:8]}"  # a schema of its own: tests never touch each other's tables
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = POSTGRES_URL + f"?options=-csearch_path%3D{schema}"
    yield Store(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def keyboard(pid="k1", **kw) -> Product:
    base = dict(
        id=pid, title="Quiet Keyboard", brand="Acme", price=50.0, category="Electronics > Keyboards", attributes={"color": "white"}, stock=3
    )
    return Product(**{**base, **kw})


def test_upsert_products_is_idempotent_and_reports_content_changes(store):
    assert store.upsert_products([keyboard(), keyboard("k2")]) == ["k1", "k2"]
    assert store.upsert_products([keyboard(), keyboard("k2")]) == []
    # a stock change is stored but needs no re-embedding; a title change does
    assert store.upsert_products([keyboard(stock=0)]) == []
    assert store.get_product("k1").stock == 0
    assert store.upsert_products([keyboard(title="Silent Keyboard")]) == ["k1"]
    assert store.get_product("k1").title == "Silent Keyboard"
    assert store.count_products() == 2


def test_events_are_stored_once_and_history_is_time_ordered(store):
    store.upsert_products([keyboard(), keyboard("k2")])
    t0 = datetime(2026, 1, 1)
    events = [
        Event(user_id="u1", product_id="k2", kind="purchase", ts=t0 + timedelta(days=1)),
        Event(user_id="u1", product_id="k1", kind="view", ts=t0),
    ]
    assert len(store.add_events(events)) == 2
    assert store.add_events(events) == []
    assert [e.product_id for e in store.history("u1")] == ["k1", "k2"]
    assert store.get_user("u1") is not None  # unknown shoppers are created with their first event


def test_stats_and_co_purchases(store):
    store.upsert_products([keyboard(), keyboard("k2"), keyboard("k3")])
    t = datetime(2026, 1, 1)
    store.add_events(
        [
            Event(user_id="a", product_id="k1", kind="purchase", ts=t),
            Event(user_id="a", product_id="k2", kind="purchase", ts=t),
            Event(user_id="b", product_id="k1", kind="purchase", ts=t),
            Event(user_id="b", product_id="k2", kind="cart", ts=t),
            Event(user_id="c", product_id="k3", kind="purchase", ts=t),
        ]
    )
    store.add_reviews([Review(id="r1", product_id="k1", rating=4, text="Good"), Review(id="r2", product_id="k1", rating=2, text="Loud")])
    rating, n, pop = store.product_stats(["k1"])["k1"]
    assert (rating, n, pop) == (3.0, 2, 2.0)
    assert store.co_purchased(["k1"]) == [("k2", 2)]


def test_sessions_and_summaries_round_trip(store):
    store.save_session("s1", "u1", {"shown": ["k1"], "when": datetime(2026, 1, 1)})
    assert store.load_session("s1")["shown"] == ["k1"]
    store.save_session("s1", "u1", {"shown": ["k2"]})
    assert store.load_session("s1") == {"shown": ["k2"]}
    store.save_summary("k1", {"likes": []}, 3)
    assert store.get_summary("k1") == ({"likes": []}, 3)


def test_users_upsert(store):
    assert store.upsert_users([User(id="u1", name="Ana")]) == 1
    assert store.upsert_users([User(id="u1", name="Ana B")]) == 0
    assert store.get_user("u1").name == "Ana B"


def test_a_new_sqlite_folder_is_created(tmp_path):
    Store(f"sqlite:///{tmp_path / 'new' / 'deeper' / 'shop.db'}").engine.dispose()
    assert (tmp_path / "new" / "deeper" / "shop.db").exists()


def test_a_store_written_by_an_earlier_version_is_brought_up_to_date(tmp_path):
    import sqlite3

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as c:  # the schema as an earlier version wrote it: stock NOT NULL, no hand-over column
        c.executescript(
            """
            CREATE TABLE products (id VARCHAR(128) PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, brand VARCHAR(200) NOT NULL,
              price FLOAT, currency VARCHAR(8) NOT NULL, category VARCHAR(500) NOT NULL, attributes JSON NOT NULL, stock INTEGER NOT NULL,
              content_hash VARCHAR(64) NOT NULL, updated_at DATETIME NOT NULL);
            CREATE INDEX ix_products_brand ON products (brand);
            INSERT INTO products VALUES ('a', 'Kite', '', 'B', 1.0, 'USD', 'Toys', '{}', 3, 'h', '2026-01-01 00:00:00');
            INSERT INTO products VALUES ('a-red', 'Kite, Red', '', 'B', 1.0, 'USD', 'Toys', '{"color": "red"}', 3, 'h', '2026-01-01 00:00:00');
            CREATE TABLE chat_sessions (id VARCHAR(64) PRIMARY KEY, user_id VARCHAR(128), state JSON NOT NULL, updated_at DATETIME NOT NULL);
            INSERT INTO chat_sessions VALUES ('s', NULL, '{}', '2026-01-01 00:00:00');
            """
        )
    store = Store(f"sqlite:///{db}")
    store.upsert_products([Product(id="b", title="Ball", stock=None)])
    assert store.get_product("a").stock == 3 and store.get_product("b").stock is None
    assert store.session_owner("s") == (True, None) and store.handoffs() == []
    # the model column is filled for the old rows and indexed: variants are found through it
    assert [p.id for p in store.variants(store.get_product("a"))] == ["a-red"]
    assert "ix_products_model" in {i["name"] for i in inspect(store.engine).get_indexes("products")}
