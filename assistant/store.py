"""The one store: products, shoppers, behaviour, reviews, sessions and cached summaries.

SQLAlchemy 2 over SQLite by default (a file under `data/`), PostgreSQL when
`DATABASE_URL` says so. Writes are idempotent upserts keyed by the records' own ids,
so re-running an ingest adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.event import listen
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from tqdm import tqdm

from assistant.vocabulary import model_key
from ranking.behaviour import EVENT_WEIGHT
from records import Event, Product, Review, User, utcnow

log = logging.getLogger(__name__)

CHUNK = 500  # rows per statement: keeps IN (...) lists and memory small on big ingests
EXPLORE_WINDOW = timedelta(days=7)  # a cart or purchase this soon after an impression counts as its outcome


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    __tablename__ = "products"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str] = mapped_column(String(200), default="", index=True)
    price: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    category: Mapped[str] = mapped_column(String(500), default="", index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stock: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: unknown
    image_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # which model it is a colour or size of (a digest of `vocabulary.model_key`): its variants are
    # found by this index, not by reading its whole brand and category (thousands at 1M products)
    model: Mapped[str] = mapped_column(String(32), default="", index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EventRow(Base):
    __tablename__ = "events"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    product_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(DateTime, index=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReviewRow(Base):
    __tablename__ = "reviews"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(128), index=True)
    user_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    rating: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(DateTime)


class SessionRow(Base):
    """A conversation's memory, so it survives a restart of the server."""

    __tablename__ = "chat_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # waiting for a person
    owner: Mapped[str | None] = mapped_column(String(160), nullable=True)  # "user:<id>" or "visitor:<id>": who may continue it


class FeedbackRow(Base):
    """A shopper's thumbs up or down on one answer (the latest vote counts)."""

    __tablename__ = "feedback"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(8))  # "up" | "down"
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ImpressionRow(Base):
    """One item shown in a list without a message, with the chance it had of being shown there
    (its propensity) and whether the exploration slot chose it: what off-policy evaluation reads."""

    __tablename__ = "impressions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    product_id: Mapped[str] = mapped_column(String(128), index=True)
    position: Mapped[int] = mapped_column(Integer)
    propensity: Mapped[float] = mapped_column(Float)
    explore: Mapped[bool] = mapped_column(Boolean, default=False)
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class MessageRow(Base):
    """What a person (an agent) sent into a shopper's conversation, in order: the widget reads
    these as server-sent events, so the conversation survives restarts and several workers."""

    __tablename__ = "session_messages"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    product_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SummaryRow(Base):
    __tablename__ = "review_summaries"
    product_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_count: Mapped[int] = mapped_column(Integer)  # reviews seen; fewer than now = stale
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FaqRow(Base):
    """One entry of the store's own policies and answers (shipping, returns, …)."""

    __tablename__ = "faq"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)


class ApiKeyRow(Base):
    """A server-to-server key: only its hash is kept; the key itself is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AgentRow(Base):
    """A customer-service agent's account (password hashed with argon2)."""

    __tablename__ = "agents"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AgentSessionRow(Base):
    """A signed-in agent: the cookie holds a random token, this its hash; logging out deletes it."""

    __tablename__ = "agent_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditRow(Base):
    """Who looked at or changed what: agents viewing customers, exports, deletions."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), default="")


class MetaRow(Base):
    """Small key/value facts: ingest checkpoints, which model built the index, …"""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def upgrade(engine) -> None:
    """Brings a store written by an earlier version up to this schema: columns added since are
    added (with their defaults), and `products.stock` may be unknown (NULL)."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            have = {c["name"]: c for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=engine.dialect)
                    default = column.default.arg if column.default is not None and not callable(column.default.arg) else None
                    literal = "" if default is None else f" DEFAULT {str(default).upper() if isinstance(default, bool) else repr(default)}"
                    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}{literal}"))
            for index in table.indexes:  # an added column's index (create_all makes none on a table that exists)
                index.create(conn, checkfirst=True)
        stock = {c["name"]: c for c in inspector.get_columns("products")}.get("stock") if inspector.has_table("products") else None
        if stock is not None and not stock["nullable"]:
            if engine.dialect.name == "sqlite":  # SQLite cannot drop NOT NULL: rebuild the table
                cols = ", ".join(c.name for c in ProductRow.__table__.columns)
                indexes = [index["name"] for index in inspector.get_indexes("products")]
                conn.execute(text("ALTER TABLE products RENAME TO products_old"))
                for name in indexes:
                    conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
                ProductRow.__table__.create(conn)
                conn.execute(text(f"INSERT INTO products ({cols}) SELECT {cols} FROM products_old"))
                conn.execute(text("DROP TABLE products_old"))
            else:
                conn.execute(text("ALTER TABLE products ALTER COLUMN stock DROP NOT NULL"))
    fill_models(engine)


def fill_models(engine, chunk: int = 5000) -> None:
    """Products written before the `model` column get their model digest (once; resumable: only
    rows still without one are read)."""
    with engine.connect() as conn:
        todo = conn.execute(select(func.count()).select_from(ProductRow).where(ProductRow.model == "")).scalar_one()
    if not todo:
        return
    with tqdm(total=todo, desc="products' model keys", unit="product", disable=todo < chunk) as bar:
        while True:
            with Session(engine) as s, s.begin():
                rows = list(s.scalars(select(ProductRow).where(ProductRow.model == "").limit(chunk)))
                if not rows:
                    return
                s.execute(update(ProductRow), [{"id": r.id, "model": model_of(_product(r))} for r in rows])
            bar.update(len(rows))


def model_of(product: Product) -> str:
    """The indexed digest of the product's model key: equal for its colour and size variants."""
    return hashlib.sha1(model_key(product).encode()).hexdigest()[:32]


def content_hash(product: Product) -> str:
    """What the embedding depends on: a changed hash means the product must be re-embedded."""
    return hashlib.sha256(product.embedding_text().encode()).hexdigest()


def event_id(event: Event) -> str:
    key = f"{event.user_id}|{event.product_id}|{event.kind}|{event.ts.isoformat()}|{event.value}"
    return hashlib.sha1(key.encode()).hexdigest()


def keyed_event_id(user_id: str, key: str) -> str:
    """The id of an event its sender named (a client's id or Idempotency-Key), per shopper."""
    return hashlib.sha1(f"key|{user_id}|{key}".encode()).hexdigest()


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# How stale a read of a product, its stats, reviews or variants may be when ANOTHER process
# (an API worker sharing the database) wrote it; this process's own writes clear what they touch.
CACHE_TTL_S = 5.0
LIST_KEPT_S = 300.0  # a shopper's ranked lists are dropped when none was ranked again for this long
CATALOG_VERSION = "catalog_version"  # meta key
# other shoppers' behaviour (popularity) reaches a kept list this often, when nothing it read changed
LIST_RERANK_S = 60.0
RECIPE_KEPT_S = 600.0  # a list asked for this recently is ranked again after the shopper's event
RECIPES_AFTER_EVENT = 2  # how many of a shopper's latest list shapes an event ranks again
CACHE_ENTRIES = 50_000
# the most lists (and recipes) kept per shopper, the latest: every anonymous visitor is one
# "shopper" (None), whose lists grew without bound while any of them asked within LIST_KEPT_S
LISTS_PER_SHOPPER = 64


@dataclass
class _Kept:
    """One ranked list as kept: what it is, when it was ranked, and the fingerprint of what it
    read (the shopper's events, the catalog's version) when it was."""

    value: Any
    built: float  # ranked, or last found unchanged
    inputs: Any
    ranked: float = 0.0


def _latest(kept: dict, key: Any, value: Any) -> dict:
    """A new dict of a shopper's kept entries with this one last, and at most LISTS_PER_SHOPPER
    of them (the oldest go): a copy, so a reader holding the old one is not disturbed."""
    entries = [(k, v) for k, v in kept.items() if k != key][-(LISTS_PER_SHOPPER - 1) :]
    return {**dict(entries), key: value}


class ReadCache:
    """Products, their stats, reviews and variants as every answer reads them (each card used to
    cost four queries, and under load the store's reads were half of a recommendation's time),
    and the ranked lists themselves: a shopper's page asks for the same list on every view, and
    ranking it again costs ~30 ms of CPU that 16 shoppers at once queue behind.

    Lists are ranked off the request wherever they can be: after a shopper's event their recent
    lists are ranked again in the background (their next page finds them ready, and waits for a
    ranking already under way instead of starting a second), and a list older than CACHE_TTL_S is
    checked beside the request against what it read, ranked again only when that changed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.products: TTLCache[str, Product] = TTLCache(CACHE_ENTRIES, CACHE_TTL_S)
        self.stats: TTLCache[str, tuple[float | None, int, float]] = TTLCache(CACHE_ENTRIES, CACHE_TTL_S)
        # lists read with a limit: (the first rows, whether that is all of them)
        self.reviews: TTLCache[str, tuple[list[Review], bool]] = TTLCache(CACHE_ENTRIES // 10, CACHE_TTL_S)
        self.variants: TTLCache[str, tuple[list[Product], bool]] = TTLCache(CACHE_ENTRIES // 10, CACHE_TTL_S)
        self.histories: TTLCache[str, tuple[list[Event], bool]] = TTLCache(CACHE_ENTRIES // 5, CACHE_TTL_S)  # by shopper
        # ranked lists by shopper, then by the request's shape (assistant.recommend.Recommender)
        self.lists: TTLCache[str | None, dict[Any, _Kept]] = TTLCache(CACHE_ENTRIES // 5, LIST_KEPT_S)
        # how each shopper's recent lists are ranked, to rank them again after their events
        self.recipes: TTLCache[str | None, dict[Any, tuple[Callable[[], Any], Callable[[], Any]]]] = TTLCache(
            CACHE_ENTRIES // 5, RECIPE_KEPT_S
        )
        # rankings under way in the background, with the token they were begun with
        self.running: dict[tuple[str | None, Any], tuple[tuple[int, int], Future]] = {}
        self.refresh_pool = ThreadPoolExecutor(1, thread_name_prefix="list-refresh")  # its thread starts on first use
        # what a list was ranked against: a ranking begun before a forget is not kept
        self.epoch = 0  # the catalog, reviews, the model: every list
        self.shopper_epochs: TTLCache[str | None, int] = TTLCache(CACHE_ENTRIES // 5, 2 * LIST_KEPT_S)

    def first(self, part: TTLCache, key: Any, limit: int | None, read: Callable[[int | None], list]) -> list:
        """The first `limit` rows of a list (all with None), from the cache when it holds that many."""
        with self.lock:
            hit = part.get(key)
        if hit is not None and (hit[1] or (limit is not None and len(hit[0]) >= limit)):
            return hit[0][:limit] if limit else list(hit[0])
        rows = read(limit)
        with self.lock:
            part[key] = (rows, limit is None or len(rows) < limit)
        return list(rows)

    def listing(self, user_id: str | None, key: Any, build: Callable[[], Any], inputs: Callable[[], Any], page: bool = False) -> Any:
        """A shopper's ranked list for one request shape; `inputs()` fingerprints what `build()`
        reads. Their own events, the catalog, reviews or a new model drop it (`forget…`): the next
        request ranks again, or waits for the ranking the event started. A list older than
        CACHE_TTL_S (another process may have written since) is served once more while its inputs
        are checked beside the request. `page`: a list a page asks for on every view (not a chat
        message's), ranked again after the shopper's events."""
        now = time.monotonic()
        with self.lock:
            if page:
                self.recipes[user_id] = _latest(self.recipes.get(user_id, {}), key, (build, inputs))
            hit = self.lists.get(user_id, {}).get(key)
            token = self._token(user_id)
            running = self.running.get((user_id, key), (None, None))[1]
            if hit is not None and now - hit.built > CACHE_TTL_S and running is None:
                self._submit(user_id, key, build, inputs, token, hit)
        if hit is not None:
            return hit.value
        if running is not None and not running.cancel():  # under way (an event started it): wait, don't rank twice
            try:
                kept = running.result()
                if kept is not None:
                    return kept.value
            except Exception:  # ranked inline below, where the failure shows to the caller
                pass
        elif running is not None:  # it was still queued: ranked here, sooner
            with self.lock:
                if self.running.get((user_id, key), (None, None))[1] is running:
                    del self.running[(user_id, key)]
        fingerprint = inputs()
        value = build()
        self._keep(user_id, key, _Kept(value, now, fingerprint, now), token)
        return value

    def _token(self, user_id: str | None) -> tuple[int, int]:
        return self.epoch, self.shopper_epochs.get(user_id, 0)

    def _submit(self, user_id: str | None, key: Any, build: Callable, inputs: Callable, token: tuple[int, int], kept: _Kept | None) -> None:
        """Under the lock: one background ranking of this list."""
        self.running[(user_id, key)] = (token, self.refresh_pool.submit(self._refresh, user_id, key, build, inputs, token, kept))

    def _refresh(
        self, user_id: str | None, key: Any, build: Callable[[], Any], inputs: Callable[[], Any], token: tuple, kept: _Kept | None
    ) -> _Kept | None:
        """Ranks a list again, or only stamps it fresh when what it read has not changed."""
        try:
            if token != self._token(user_id):  # forgotten again since: a newer ranking is due
                return None
            started = time.monotonic()
            fingerprint = inputs()
            same = kept is not None and kept.inputs == fingerprint and started - kept.ranked < LIST_RERANK_S
            fresh = _Kept(kept.value, started, fingerprint, kept.ranked) if same and kept else _Kept(build(), started, fingerprint, started)
            return fresh if self._keep(user_id, key, fresh, token) else None
        except Exception as exc:  # the old list stays until its entry expires; requests rank inline then
            log.warning("list refresh failed: %s", exc)
            raise
        finally:
            with self.lock:
                if self.running.get((user_id, key), (None, None))[0] == token:
                    del self.running[(user_id, key)]

    def _keep(self, user_id: str | None, key: Any, kept: _Kept, token: tuple[int, int]) -> bool:
        with self.lock:
            if self._token(user_id) != token:  # something it read was forgotten while it was ranked
                return False
            self.lists[user_id] = _latest(self.lists.get(user_id, {}), key, kept)  # kept LIST_KEPT_S from now
            return True

    def forget(self, product_ids: Iterable[str], products: bool = False, reviews: bool = False) -> None:
        with self.lock:
            if products or reviews:  # what a list shows and why
                self.lists.clear()
                self.epoch += 1
            for pid in product_ids:
                self.stats.pop(pid, None)
                if products:
                    self.products.pop(pid, None)
                if reviews:
                    self.reviews.pop(pid, None)
            if products:
                self.variants.clear()

    def forget_shoppers(self, user_ids: Iterable[str]) -> None:
        """Their events changed what their lists read: the lists they asked for lately are ranked
        again at once, beside the requests, so their next page finds them ready."""
        with self.lock:
            for user_id in user_ids:
                self.shopper_epochs[user_id] = self.shopper_epochs.get(user_id, 0) + 1
                self.histories.pop(user_id, None)
                self.lists.pop(user_id, None)
                token = self._token(user_id)
                for key, (build, inputs) in list(self.recipes.get(user_id, {}).items())[-RECIPES_AFTER_EVENT:]:
                    self._submit(user_id, key, build, inputs, token, None)

    def forget_lists(self) -> None:
        """Every ranked list (a new model serves)."""
        with self.lock:
            self.lists.clear()
            self.epoch += 1

    def clear(self) -> None:
        with self.lock:
            for part in (self.products, self.stats, self.reviews, self.variants, self.histories, self.lists, self.recipes):
                part.clear()
            self.epoch += 1


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead logging: readers (every recommendation reads the shopper's history) never
    wait for a writer (an event, an impression log), and a writer waits for another instead of
    failing. `synchronous=NORMAL` is durable against a crashed or killed process (the log is
    on disk before a commit returns); only a power cut can lose the last commits."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    def __init__(self, url: str):
        sqlite = url.startswith("sqlite")
        connect_args = {"check_same_thread": False} if sqlite else {}
        database = make_url(url).database
        if sqlite and database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # a new DATA_DIR just works
        # a ping before each checkout finds a server's dropped connections; a file needs none
        self.engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not sqlite)
        if sqlite:
            listen(self.engine, "connect", _sqlite_pragmas)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self.cache = ReadCache()
        Base.metadata.create_all(self.engine)
        upgrade(self.engine)

    def session(self) -> Session:
        return self._session()

    def drop_all(self) -> None:
        """Empties the store (tests and `ingest --reset`)."""
        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)
        self.cache.clear()

    # ---- products -------------------------------------------------------------------
    def upsert_products(self, products: Iterable[Product]) -> list[str]:
        """Inserts new products and updates changed ones; returns the ids that changed."""
        changed: list[str] = []
        rows = {p.id: p for p in products}
        with self.session() as s, s.begin():
            for ids in _chunks(list(rows)):
                existing = {r.id: r for r in s.scalars(select(ProductRow).where(ProductRow.id.in_(ids)))}
                new, updates = [], []
                for pid in ids:
                    product = rows[pid]
                    values = _product_values(product)
                    if pid not in existing:
                        new.append(values)
                        changed.append(pid)
                    elif _differs(existing[pid], values):
                        updates.append(values)
                        if existing[pid].content_hash != values["content_hash"]:
                            changed.append(pid)
                if new:
                    s.execute(insert(ProductRow), new)
                if updates:
                    s.execute(update(ProductRow), updates)
                if new or updates:
                    _catalog_changed(s)
        self.cache.forget(rows, products=True)
        return changed

    def get_product(self, product_id: str) -> Product | None:
        found = self.get_products([product_id])
        return found.get(product_id)

    def get_products(self, ids: Iterable[str]) -> dict[str, Product]:
        """Products by id with their rating, review count and popularity (copies: callers may
        change them)."""
        ids = list(dict.fromkeys(ids))
        with self.cache.lock:
            found = {pid: p for pid in ids if (p := self.cache.products.get(pid)) is not None}
        missing = [pid for pid in ids if pid not in found]
        if missing:
            with self.session() as s:
                for chunk in _chunks(missing):
                    for row in s.scalars(select(ProductRow).where(ProductRow.id.in_(chunk))):
                        found[row.id] = _product(row)
            with self.cache.lock:
                for pid in missing:
                    if pid in found:
                        self.cache.products[pid] = found[pid]
        stats = self.product_stats(list(found))
        out = {}
        for pid in ids:
            if pid in found:
                rating, count, popularity = stats.get(pid, (None, 0, 0.0))
                out[pid] = found[pid].model_copy(update={"rating": rating, "review_count": count, "popularity": popularity})
        return out

    def iter_products(self, batch: int = 1000) -> Iterator[Product]:
        with self.session() as s:
            result = s.execute(select(ProductRow).order_by(ProductRow.id).execution_options(yield_per=batch))
            for row in result.scalars():
                yield _product(row)

    def product_hashes(self) -> dict[str, str]:
        with self.session() as s:
            return dict(s.execute(select(ProductRow.id, ProductRow.content_hash)).all())

    def count_products(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(ProductRow)) or 0

    def variants(self, product: Product, limit: int = 200) -> list[Product]:
        """The other colours and sizes of the product's model (same `model_key`), by id."""
        key = model_of(product)

        def read(n: int | None) -> list[Product]:
            with self.session() as s:
                q = select(ProductRow).where(ProductRow.model == key)
                return [_product(r) for r in s.scalars(q.order_by(ProductRow.id).limit(n))]

        group = self.cache.first(self.cache.variants, key, limit + 1, read)
        return [p.model_copy() for p in group if p.id != product.id][:limit]

    def brands(self) -> list[str]:
        with self.session() as s:
            return [b for b in s.scalars(select(ProductRow.brand).distinct()) if b]

    def categories(self) -> list[str]:
        with self.session() as s:
            return [c for c in s.scalars(select(ProductRow.category).distinct()) if c]

    def product_stats(self, ids: Sequence[str] | None = None) -> dict[str, tuple[float | None, int, float]]:
        """(mean rating, review count, popularity) per product; popularity weighs events by kind.
        For given `ids`, every id gets an entry (cached); without, every product with any."""
        if ids is None:
            return self._stats(None)
        with self.cache.lock:
            out = {pid: v for pid in ids if (v := self.cache.stats.get(pid)) is not None}
        missing = [pid for pid in ids if pid not in out]
        if missing:
            fresh = self._stats(missing)
            with self.cache.lock:
                for pid in missing:
                    out[pid] = self.cache.stats[pid] = fresh.get(pid, (None, 0, 0.0))
        return out

    def _stats(self, ids: Sequence[str] | None) -> dict[str, tuple[float | None, int, float]]:
        stats: dict[str, list[Any]] = defaultdict(lambda: [None, 0, 0.0])
        with self.session() as s:
            for chunk in _chunks(list(ids)) if ids is not None else [None]:
                q = select(ReviewRow.product_id, func.avg(ReviewRow.rating), func.count()).group_by(ReviewRow.product_id)
                e = select(EventRow.product_id, EventRow.kind, func.count()).group_by(EventRow.product_id, EventRow.kind)
                if chunk is not None:
                    q = q.where(ReviewRow.product_id.in_(chunk))
                    e = e.where(EventRow.product_id.in_(chunk))
                for pid, avg, n in s.execute(q):
                    stats[pid][0], stats[pid][1] = round(float(avg), 2), int(n)
                for pid, kind, n in s.execute(e):
                    stats[pid][2] += EVENT_WEIGHT.get(kind, 0.0) * n
        return {pid: (v[0], v[1], v[2]) for pid, v in stats.items()}

    # ---- users and behaviour --------------------------------------------------------
    def upsert_users(self, users: Iterable[User]) -> int:
        rows = {u.id: u for u in users}
        added = 0
        with self.session() as s, s.begin():
            for ids in _chunks(list(rows)):
                existing = set(s.scalars(select(UserRow.id).where(UserRow.id.in_(ids))))
                new = [rows[i].model_dump() for i in ids if i not in existing]
                upd = [rows[i].model_dump() for i in ids if i in existing]
                if new:
                    s.execute(insert(UserRow), new)
                if upd:
                    s.execute(update(UserRow), upd)
                added += len(new)
        return added

    def get_user(self, user_id: str) -> User | None:
        with self.session() as s:
            row = s.get(UserRow, user_id)
            return User(id=row.id, name=row.name, attributes=row.attributes or {}) if row else None

    def list_users(self, limit: int = 200, query: str = "", offset: int = 0) -> list[User]:
        """Shoppers by id, those whose id or name holds `query` (any case), a page at a time."""
        stmt = select(UserRow)
        if query:
            like = f"%{query.lower()}%"
            stmt = stmt.where(func.lower(UserRow.id).like(like) | func.lower(UserRow.name).like(like))
        with self.session() as s:
            rows = s.scalars(stmt.order_by(UserRow.id).offset(offset).limit(limit))
            return [User(id=r.id, name=r.name, attributes=r.attributes or {}) for r in rows]

    def count_users(self, query: str = "") -> int:
        stmt = select(func.count()).select_from(UserRow)
        if query:
            like = f"%{query.lower()}%"
            stmt = stmt.where(func.lower(UserRow.id).like(like) | func.lower(UserRow.name).like(like))
        with self.session() as s:
            return int(s.scalar(stmt) or 0)

    def add_events(self, events: Iterable[Event]) -> list[Event]:
        """Stores events not seen before (by id) and returns those; unknown users are created."""
        batch = {}
        for ev in events:
            ev = ev.model_copy(update={"id": ev.id or event_id(ev)})
            batch[ev.id] = ev
        added: list[Event] = []
        with self.session() as s, s.begin():
            for ids in _chunks(list(batch)):
                existing = set(s.scalars(select(EventRow.id).where(EventRow.id.in_(ids))))
                new = [batch[i] for i in ids if i not in existing]
                if new:
                    s.execute(insert(EventRow), [e.model_dump() for e in new])
                    added.extend(new)
            users = {e.user_id for e in added}
            for ids in _chunks(list(users)):
                known = set(s.scalars(select(UserRow.id).where(UserRow.id.in_(ids))))
                missing = [{"id": u, "name": "", "attributes": {}} for u in ids if u not in known]
                if missing:
                    s.execute(insert(UserRow), missing)
        self.cache.forget({e.product_id for e in added})
        self.cache.forget_shoppers({e.user_id for e in added})
        return added

    def recent_shoppers(self, limit: int) -> list[str]:
        """Shoppers with events, the latest active first (read from the latest events only)."""
        with self.session() as s:
            rows = s.scalars(select(EventRow.user_id).order_by(EventRow.ts.desc()).limit(20 * limit))
            return list(dict.fromkeys(rows))[:limit]

    def history(self, user_id: str, limit: int = 200) -> list[Event]:
        """The shopper's behaviour, oldest first (the most recent `limit` events); an event this
        process stores for them is seen at once (their cached history is dropped)."""

        def read(n: int | None) -> list[Event]:  # newest first, as the cache keeps lists
            with self.session() as s:
                q = select(EventRow).where(EventRow.user_id == user_id).order_by(EventRow.ts.desc(), EventRow.id)
                return [_event(r) for r in s.scalars(q.limit(n) if n else q)]

        return list(reversed(self.cache.first(self.cache.histories, user_id, limit, read)))

    def iter_events(self, kinds: Sequence[str] | None = None) -> Iterator[Event]:
        with self.session() as s:
            q = select(EventRow).order_by(EventRow.user_id, EventRow.ts, EventRow.id)
            if kinds:
                q = q.where(EventRow.kind.in_(kinds))
            for row in s.execute(q.execution_options(yield_per=5000)).scalars():
                yield _event(row)

    def sequences(self, users: set[str] | None = None) -> dict[str, list[Event]]:
        """Each shopper's events in time order (all shoppers, or only `users`): what training and
        the evaluations read."""
        out: dict[str, list[Event]] = {}
        for e in self.iter_events():
            if users is None or e.user_id in users:
                out.setdefault(e.user_id, []).append(e)
        return out

    def count_events(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(EventRow)) or 0

    def co_purchased(self, product_ids: Sequence[str], limit: int = 50) -> list[tuple[str, int]]:
        """Products most often bought by the shoppers who bought any of `product_ids`."""
        if not product_ids:
            return []
        kinds = ("purchase", "cart")
        with self.session() as s:
            buyers = select(EventRow.user_id).where(EventRow.product_id.in_(list(product_ids)), EventRow.kind.in_(kinds))
            q = (
                select(EventRow.product_id, func.count(func.distinct(EventRow.user_id)))
                .where(EventRow.user_id.in_(buyers), EventRow.kind.in_(kinds), EventRow.product_id.not_in(list(product_ids)))
                .group_by(EventRow.product_id)
                .order_by(func.count(func.distinct(EventRow.user_id)).desc(), EventRow.product_id)
                .limit(limit)
            )
            return [(pid, int(n)) for pid, n in s.execute(q)]

    # ---- reviews ----------------------------------------------------------------------
    def add_reviews(self, reviews: Iterable[Review]) -> int:
        rows = {r.id: r for r in reviews}
        added = 0
        with self.session() as s, s.begin():
            for ids in _chunks(list(rows)):
                existing = set(s.scalars(select(ReviewRow.id).where(ReviewRow.id.in_(ids))))
                new = [rows[i].model_dump() for i in ids if i not in existing]
                if new:
                    s.execute(insert(ReviewRow), new)
                    added += len(new)
                    _catalog_changed(s)
        self.cache.forget({r.product_id for r in rows.values()}, reviews=True)
        return added

    def reviews_for(self, product_id: str, limit: int | None = None) -> list[Review]:
        """Newest first."""

        def read(n: int | None) -> list[Review]:
            with self.session() as s:
                q = select(ReviewRow).where(ReviewRow.product_id == product_id).order_by(ReviewRow.ts.desc(), ReviewRow.id)
                return [_review(r) for r in s.scalars(q.limit(n) if n else q)]

        return self.cache.first(self.cache.reviews, product_id, limit, read)

    def get_reviews(self, ids: Iterable[str]) -> dict[str, Review]:
        out: dict[str, Review] = {}
        with self.session() as s:
            for chunk in _chunks(list(ids)):
                out.update({r.id: _review(r) for r in s.scalars(select(ReviewRow).where(ReviewRow.id.in_(chunk)))})
        return out

    def review_counts(self, ids: Sequence[str] | None = None) -> dict[str, int]:
        """Reviews per product: of `ids` only, or of every reviewed product."""
        with self.session() as s:
            q = select(ReviewRow.product_id, func.count()).group_by(ReviewRow.product_id)
            if ids is not None:
                q = q.where(ReviewRow.product_id.in_(list(ids)))
            return {pid: int(n) for pid, n in s.execute(q)}

    # ---- summaries, sessions, meta --------------------------------------------------------
    def save_summary(self, product_id: str, summary: dict[str, Any], review_count: int) -> None:
        with self.session() as s, s.begin():
            s.merge(SummaryRow(product_id=product_id, summary=summary, review_count=review_count, updated_at=utcnow()))

    def get_summary(self, product_id: str) -> tuple[dict[str, Any], int] | None:
        with self.session() as s:
            row = s.get(SummaryRow, product_id)
            return (row.summary, row.review_count) if row else None

    def load_session(self, session_id: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(SessionRow, session_id)
            return dict(row.state) if row else None

    def save_session(
        self, session_id: str, user_id: str | None, state: dict[str, Any], handoff: bool = False, owner: str | None = None
    ) -> None:
        with self.session() as s, s.begin():
            s.merge(
                SessionRow(
                    id=session_id,
                    user_id=user_id,
                    state=json.loads(json.dumps(state, default=str)),
                    updated_at=utcnow(),
                    handoff=handoff,
                    owner=owner,
                )
            )

    def session_owner(self, session_id: str) -> tuple[bool, str | None]:
        """(whether the session exists, who may continue it: "user:<id>", "visitor:<id>" or None)."""
        with self.session() as s:
            row = s.get(SessionRow, session_id)
            return (row is not None, row.owner if row else None)

    # ---- who may do what: API keys, agents, their sessions, the audit log ---------------------------
    def add_api_key(self, key_id: str, name: str, key_hash: str, scopes: list[str]) -> None:
        with self.session() as s, s.begin():
            s.add(ApiKeyRow(id=key_id, name=name, key_hash=key_hash, scopes=scopes, created_at=utcnow()))

    def api_key(self, key_id: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None:
                return None
            return {
                "id": row.id,
                "name": row.name,
                "key_hash": row.key_hash,
                "scopes": row.scopes or [],
                "revoked": row.revoked_at is not None,
            }

    def api_keys(self) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
            return [
                {
                    "id": r.id,
                    "name": r.name,
                    "scopes": r.scopes or [],
                    "created": r.created_at.isoformat(),
                    "revoked": r.revoked_at is not None,
                }
                for r in rows
            ]

    def revoke_api_key(self, key_id: str) -> bool:
        with self.session() as s, s.begin():
            row = s.get(ApiKeyRow, key_id)
            if row is None:
                return False
            row.revoked_at = utcnow()
            return True

    def upsert_agent(self, name: str, password_hash: str) -> None:
        with self.session() as s, s.begin():
            s.merge(AgentRow(name=name, password_hash=password_hash, failures=0, locked_until=None))

    def agent(self, name: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(AgentRow, name)
            return (
                {"name": row.name, "password_hash": row.password_hash, "failures": row.failures, "locked_until": row.locked_until}
                if row
                else None
            )

    def count_agents(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(AgentRow)) or 0

    def agent_failed(self, name: str, lock_after: int, lock_for: timedelta) -> None:
        with self.session() as s, s.begin():
            row = s.get(AgentRow, name)
            if row is not None:
                row.failures += 1
                if row.failures >= lock_after:
                    row.locked_until, row.failures = utcnow() + lock_for, 0

    def agent_succeeded(self, name: str) -> None:
        with self.session() as s, s.begin():
            row = s.get(AgentRow, name)
            if row is not None:
                row.failures, row.locked_until = 0, None

    def open_agent_session(self, token_hash: str, agent: str) -> None:
        with self.session() as s, s.begin():
            s.add(AgentSessionRow(token_hash=token_hash, agent=agent, created_at=utcnow(), last_seen=utcnow()))

    def agent_session(self, token_hash: str, idle: timedelta) -> str | None:
        """The agent signed in with this token, unless idle for longer than `idle` (then it ends)."""
        with self.session() as s, s.begin():
            row = s.get(AgentSessionRow, token_hash)
            if row is None:
                return None
            if utcnow() - row.last_seen > idle:
                s.delete(row)
                return None
            row.last_seen = utcnow()
            return row.agent

    def close_agent_session(self, token_hash: str) -> None:
        with self.session() as s, s.begin():
            row = s.get(AgentSessionRow, token_hash)
            if row is not None:
                s.delete(row)

    def audit(self, actor: str, action: str, subject: str = "") -> None:
        with self.session() as s, s.begin():
            s.add(AuditRow(ts=utcnow(), actor=actor, action=action, subject=subject))

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit))
            return [{"ts": r.ts.isoformat(), "actor": r.actor, "action": r.action, "subject": r.subject} for r in rows]

    # ---- a shopper's own data: export, forget, retention -----------------------------------------
    def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything held about a shopper, as JSON-ready data."""
        user = self.get_user(user_id)
        with self.session() as s:
            events = [
                _event(r).model_dump(mode="json")
                for r in s.scalars(select(EventRow).where(EventRow.user_id == user_id).order_by(EventRow.ts))
            ]
            reviews = [_review(r).model_dump(mode="json") for r in s.scalars(select(ReviewRow).where(ReviewRow.user_id == user_id))]
            sessions = s.scalars(select(SessionRow).where(SessionRow.user_id == user_id)).all()
            conversations = [{"session_id": r.id, "updated_at": r.updated_at.isoformat(), "state": r.state} for r in sessions]
            messages = [
                {"session_id": m.session_id, "author": m.author, "text": m.text, "ts": m.ts.isoformat()}
                for m in s.scalars(select(MessageRow).where(MessageRow.session_id.in_([r.id for r in sessions])))
            ]
        return {
            "user": user.model_dump() if user else None,
            "impressions": self.impressions(user_id),
            "events": events,
            "reviews": reviews,
            "conversations": conversations,
            "agent_messages": messages,
        }

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Deletes a shopper's account, behaviour, conversations (with what agents wrote into
        them), reviews, and the cached summaries that quoted those reviews. The audit log keeps
        which agent looked at the id: that record is the shop's accountability, not the shopper's data."""
        with self.session() as s, s.begin():
            sessions = list(s.scalars(select(SessionRow.id).where(SessionRow.user_id == user_id)))
            reviewed = list(s.scalars(select(ReviewRow.product_id).where(ReviewRow.user_id == user_id)))
            removed = {
                "events": s.execute(delete(EventRow).where(EventRow.user_id == user_id)).rowcount,
                "conversations": s.execute(delete(SessionRow).where(SessionRow.user_id == user_id)).rowcount,
                "agent_messages": s.execute(delete(MessageRow).where(MessageRow.session_id.in_(sessions))).rowcount if sessions else 0,
                "feedback": s.execute(delete(FeedbackRow).where(FeedbackRow.session_id.in_(sessions))).rowcount if sessions else 0,
                "reviews": s.execute(delete(ReviewRow).where(ReviewRow.user_id == user_id)).rowcount,
                "summaries": s.execute(delete(SummaryRow).where(SummaryRow.product_id.in_(reviewed))).rowcount if reviewed else 0,
                "impressions": s.execute(delete(ImpressionRow).where(ImpressionRow.user_id == user_id)).rowcount,
                "user": s.execute(delete(UserRow).where(UserRow.id == user_id)).rowcount,
            }
            if removed["reviews"]:
                _catalog_changed(s)
        self.cache.clear()  # their reviews and events leave every product's cached reads
        return removed

    def expire_sessions(self, older_than: datetime) -> int:
        """Deletes conversations (and what agents wrote into them) not touched since `older_than`."""
        with self.session() as s, s.begin():
            old = [r for r in s.scalars(select(SessionRow.id).where(SessionRow.updated_at < older_than))]
            if not old:
                return 0
            s.execute(delete(MessageRow).where(MessageRow.session_id.in_(old)))
            s.execute(delete(FeedbackRow).where(FeedbackRow.session_id.in_(old)))
            return s.execute(delete(SessionRow).where(SessionRow.id.in_(old))).rowcount

    def set_feedback(self, session_id: str, answer_id: str, value: str) -> None:
        with self.session() as s, s.begin():
            s.merge(FeedbackRow(session_id=session_id, answer_id=answer_id, value=value, ts=utcnow()))

    def feedback_counts(self) -> dict[str, int]:
        with self.session() as s:
            found = dict(s.execute(select(FeedbackRow.value, func.count()).group_by(FeedbackRow.value)).all())
        return {"up": int(found.get("up", 0)), "down": int(found.get("down", 0))}

    def log_impressions(self, list_id: str, user_id: str, shown: list[tuple[str, float, bool]]) -> None:
        """One list's items in order: (product id, propensity, chosen by the exploration slot)."""
        now = utcnow()
        rows = [
            {"list_id": list_id, "user_id": user_id, "product_id": pid, "position": i, "propensity": p, "explore": x, "ts": now}
            for i, (pid, p, x) in enumerate(shown, start=1)
        ]
        if rows:
            with self.session() as s, s.begin():
                s.execute(insert(ImpressionRow), rows)

    def impressions(self, user_id: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        """Logged impressions, newest first, each with whether the shopper carted or bought the
        item within EXPLORE_WINDOW afterwards (the outcome off-policy evaluation counts)."""
        with self.session() as s:
            q = select(ImpressionRow).order_by(ImpressionRow.id.desc()).limit(limit)
            if user_id is not None:
                q = q.where(ImpressionRow.user_id == user_id)
            rows = list(s.scalars(q))
            won = self._won(s, [(r.user_id, r.product_id, r.ts) for r in rows])
        return [
            {
                "list_id": r.list_id,
                "user_id": r.user_id,
                "product_id": r.product_id,
                "position": r.position,
                "propensity": r.propensity,
                "explore": r.explore,
                "ts": r.ts.isoformat(),
                "won": w,
            }
            for r, w in zip(rows, won)
        ]

    def explore_record(self, product_ids: list[str]) -> dict[str, tuple[int, int]]:
        """Per product: (exploration impressions, those followed by a cart or purchase)."""
        if not product_ids:
            return {}
        with self.session() as s:
            rows = s.execute(
                select(ImpressionRow.user_id, ImpressionRow.product_id, ImpressionRow.ts)
                .where(ImpressionRow.explore.is_(True), ImpressionRow.product_id.in_(product_ids))
                .order_by(ImpressionRow.id.desc())
                .limit(20_000)
            ).all()
            won = self._won(s, [tuple(r) for r in rows])
        record: dict[str, list[int]] = {}
        for (_, pid, _), w in zip(rows, won):
            shown_won = record.setdefault(pid, [0, 0])
            shown_won[0] += 1
            shown_won[1] += int(w)
        return {pid: (n, w) for pid, (n, w) in record.items()}

    @staticmethod
    def _won(s: Session, shown: list[tuple[str, str, datetime]]) -> list[bool]:
        """Whether each (shopper, product, when shown) was followed by a cart or purchase in time."""
        if not shown:
            return []
        users = {u for u, _, _ in shown}
        products = {p for _, p, _ in shown}
        after: dict[tuple[str, str], list[datetime]] = {}
        q = select(EventRow.user_id, EventRow.product_id, EventRow.ts).where(
            EventRow.user_id.in_(users), EventRow.product_id.in_(products), EventRow.kind.in_(("cart", "purchase"))
        )
        for u, p, ts in s.execute(q):
            after.setdefault((u, p), []).append(ts)
        return [any(ts <= t <= ts + EXPLORE_WINDOW for t in after.get((u, p), [])) for u, p, ts in shown]

    def handoffs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Conversations waiting for a person, oldest first, with their transcripts."""
        with self.session() as s:
            rows = s.scalars(select(SessionRow).where(SessionRow.handoff.is_(True)).order_by(SessionRow.updated_at).limit(limit))
            return [
                {"session_id": r.id, "user_id": r.user_id, "since": r.updated_at.isoformat(), "turns": (r.state or {}).get("turns", [])}
                for r in rows
            ]

    def set_handoff(self, session_id: str, waiting: bool) -> None:
        with self.session() as s, s.begin():
            row = s.get(SessionRow, session_id)
            if row is not None:
                row.handoff = waiting
                row.state = {**(row.state or {}), "handoff": waiting}

    def add_message(self, session_id: str, author: str, text: str, product_ids: list[str] | None = None) -> int:
        with self.session() as s, s.begin():
            row = MessageRow(session_id=session_id, author=author, text=text, product_ids=product_ids or [], ts=utcnow())
            s.add(row)
            s.flush()
            return row.seq

    def messages(self, session_id: str, after: int = 0) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(MessageRow).where(MessageRow.session_id == session_id, MessageRow.seq > after).order_by(MessageRow.seq)
            return [
                {"seq": r.seq, "author": r.author, "text": r.text, "product_ids": r.product_ids or [], "ts": r.ts.isoformat()}
                for r in s.scalars(q)
            ]

    def upsert_faq(self, entries: Iterable[dict[str, str]]) -> int:
        """Adds or replaces FAQ entries by id; returns how many were written."""
        n = 0
        with self.session() as s, s.begin():
            for e in entries:
                s.merge(FaqRow(id=str(e["id"]), topic=e.get("topic") or "", question=e["question"], answer=e["answer"]))
                n += 1
        return n

    def faq(self) -> list[dict[str, str]]:
        with self.session() as s:
            return [
                {"id": r.id, "topic": r.topic, "question": r.question, "answer": r.answer}
                for r in s.scalars(select(FaqRow).order_by(FaqRow.id))
            ]

    def get_meta(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(MetaRow, key)
            return row.value if row else None

    def catalog_version(self) -> str | None:
        """Changes whenever any process changes a product or a review: what a kept list checks."""
        return self.get_meta(CATALOG_VERSION)

    def delete_meta(self, key: str) -> None:
        with self.session() as s, s.begin():
            row = s.get(MetaRow, key)
            if row is not None:
                s.delete(row)

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as s, s.begin():
            s.merge(MetaRow(key=key, value=value))


def _catalog_changed(s: Session) -> None:
    """In the writing transaction: a new catalog version, for every process's kept lists."""
    s.merge(MetaRow(key=CATALOG_VERSION, value=uuid.uuid4().hex))


def _product_values(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "brand": p.brand,
        "price": p.price,
        "currency": p.currency,
        "category": p.category,
        "attributes": p.attributes,
        "stock": p.stock,
        "image_url": p.image_url,
        "url": p.url,
        "content_hash": content_hash(p),
        "model": model_of(p),
        "updated_at": utcnow(),
    }


def _differs(row: ProductRow, values: dict[str, Any]) -> bool:
    return any(getattr(row, k) != v for k, v in values.items() if k != "updated_at")


def _product(row: ProductRow) -> Product:
    return Product(
        id=row.id,
        title=row.title,
        description=row.description or "",
        brand=row.brand or "",
        price=row.price,
        currency=row.currency or "USD",
        category=row.category or "",
        attributes=row.attributes or {},
        stock=row.stock,
        image_url=row.image_url,
        url=row.url,
    )


def _event(row: EventRow) -> Event:
    return Event(id=row.id, user_id=row.user_id, product_id=row.product_id, kind=row.kind, ts=row.ts, value=row.value)  # type: ignore[arg-type]


def _review(row: ReviewRow) -> Review:
    return Review(
        id=row.id, product_id=row.product_id, user_id=row.user_id, rating=row.rating, title=row.title or "", text=row.text, ts=row.ts
    )
