"""The shop: opens the store, the vector index, the embedder and the models once per process,
wires the parts together and hands each call to the part that owns it.

One turn: understand → recall (Qdrant, constraints as filters) → rank (two-tower + rules) →
cards with cited reasons → LLM prose, verified sentence by sentence, streamed after the cards.

| part | module |
|---|---|
| what the catalog's words are (vocabulary, speller, verifier) | assistant/catalog.py |
| the dialogue policy and the session | assistant/conversation.py |
| recall → rank → rules → reasons | assistant/recommend.py |
| the LLM's verified prose | assistant/explain.py |
| review summaries | assistant/summaries.py |
| a turn's typed events | assistant/events.py |
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import numpy as np

from assistant.answers import Answers
from assistant.catalog import Catalog
from assistant.conversation import Conversation, Session
from assistant.events import Cards, ChatEvent, Done, Token
from assistant.explain import PROSE_RATE, Explainer, ProseReport
from assistant.faq import FAQ
from assistant.llm import get_llm
from assistant.recommend import Card, Recommender
from assistant.sentiment import get_sentiment
from assistant.settings import Settings
from assistant.store import Store
from assistant.summaries import Summaries
from assistant.understand import Request, Vocabulary
from assistant.verifier import Verifier
from ranking.features import SchemaMismatch
from ranking.rank import Ranker
from records import Constraints, Event, utcnow
from retrieval.backends import open_vector_store
from retrieval.embedder import Embedder, get_embedder
from retrieval.indexer import SyncReport, sync
from retrieval.recall import Recall
from retrieval.vectorstore import IndexUnavailable, VectorStore

log = logging.getLogger(__name__)
RANKER_CHECK_S = 10.0  # how often a serving process looks for a newer trained ranker


class Shop:
    def __init__(self, settings: Settings, store: Store, vectors: VectorStore, embedder: Embedder):
        self._settings = settings
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.stats: Counter[str] = Counter()
        self.catalog = Catalog(store, vectors, embedder)
        self.recall = Recall(vectors, embedder, self.catalog.speller)
        self.summaries = Summaries(settings, store, embedder, self.catalog.verifier, self.stats)
        self.faq = FAQ(store, embedder)
        self.recommender = Recommender(
            store,
            vectors,
            embedder,
            self.recall,
            self.summaries.praise,
            settings.cards,
            settings.recall_limit,
            settings.diversity,
            settings.explore_rate,
        )
        answers = Answers(self.catalog, self.recommender, embedder, self.summaries, self.faq)
        self.conversation = Conversation(settings, self.catalog, self.recommender, answers, vectors, embedder, self.stats)
        self.explainer = Explainer(settings, self.catalog.verifier, self.stats, self.measured_prose_rate)
        self._session_locks: dict[str, threading.Lock] = {}
        self._ranker_checked = time.monotonic()
        self.load_ranker()

    @classmethod
    def open(cls, settings: Settings) -> Shop:
        store = Store(settings.db_url)
        vectors = open_vector_store(
            path=str(settings.qdrant_path), url=settings.qdrant_url, collection=settings.qdrant_collection, api_key=settings.qdrant_api_key
        )
        return cls(settings, store, vectors, get_embedder(settings.embedding_model, settings.embedding_batch_size))

    def close(self) -> None:
        self.vectors.close()

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        """New settings reach every part (an evaluation switches LLM backends this way)."""
        self._settings = settings
        for part in (self.summaries, self.conversation, self.explainer):
            part.settings = settings

    @property
    def ranker(self) -> Ranker | None:
        return self.recommender.ranker

    def load_ranker(self) -> None:
        path = self.settings.ranker_path
        self.recommender.ranker = None
        self._ranker_stamp = path.stat().st_mtime if path.exists() else None
        if path.exists():
            try:
                self.recommender.ranker = Ranker.load(path, self.embedder.dim, self.embedder.name)
            except SchemaMismatch as exc:
                log.warning("ranker not used: %s", exc)

    def fresh_ranker(self) -> None:
        """Loads the ranker again when its file changed (a `train` by another process or worker),
        looking at most every RANKER_CHECK_S: every worker serves the newest model."""
        now = time.monotonic()
        if now - self._ranker_checked < RANKER_CHECK_S:
            return
        self._ranker_checked = now
        path = self.settings.ranker_path
        stamp = path.stat().st_mtime if path.exists() else None
        if stamp != self._ranker_stamp:
            log.info("ranker file changed: loading %s", path)
            self.load_ranker()

    # ---- what the catalog knows ----------------------------------------------------------------
    def vocabulary(self) -> Vocabulary:
        return self.catalog.vocabulary()

    def verifier(self) -> Verifier:
        return self.catalog.verifier()

    def warm_up(self) -> None:
        """Builds what the first request would otherwise wait for (vocabulary, speller, review
        sentiment model, anchor embeddings, recall and ranking, the LLM): a cold first recommend is
        seconds slower."""
        self.catalog.vocabulary()
        self.catalog.speller()
        self.summaries.praise(["warm up"], self.embedder.encode_cached(["warm up"]), np.array([5.0]))
        get_sentiment()  # the first review summary does not wait for the sentiment model to load
        self.conversation.off_topic(Request("warm up", Constraints(), "search", said="warm up"))
        self.conversation.range.warm()
        self.recommender.recommend(None)  # recall and ranking's first calls (nobody's: nothing is logged)
        self.recommender.warm()  # the lists of the shoppers seen lately
        self.vectors.warm()  # last: what it reads is in memory when the first shopper comes
        get_llm(self.settings)

    def index(self, rebuild: bool = False, progress: bool = True) -> SyncReport:
        """Brings the vector index in line with the store (only what changed is embedded);
        `rebuild` starts from an empty collection (a new model, a broken index). An empty store
        never empties a populated index: that is a lost database, not a wish."""
        held = 0 if self.vectors.broken else self.vectors.count()
        if held and not self.store.count_products():
            raise IndexUnavailable(
                f"the store holds no products but the vector index holds {held}: the database looks missing or replaced, "
                "so the index was left as it is. Restore the database first."
            )
        if rebuild:  # a fresh collection: the new model may have another dimension
            self.vectors.drop()
        stats = self.store.product_stats()

        def load(ids: list[str]):
            found = self.store.get_products(ids)
            return [found[i] for i in ids if i in found]

        report = sync(self.vectors, self.embedder, self.store.product_hashes(), load, progress=progress)
        self.refresh_popularity(stats)
        self.catalog.changed()
        self.faq.changed()
        return report

    def refresh_popularity(self, stats: dict[str, tuple] | None = None) -> None:
        stats = stats if stats is not None else self.store.product_stats()
        for pid, (_, _, pop) in stats.items():
            if pop:
                try:
                    self.vectors.set_payload(pid, {"popularity": float(pop)})
                except Exception:  # the product may not be indexed yet
                    continue

    def measured_prose_rate(self, llm_name: str) -> float | None:
        value = self.store.get_meta(f"{PROSE_RATE}{llm_name}")
        return float(value) if value is not None else None

    # ---- recommendations and behaviour -----------------------------------------------------------
    def recommend(
        self,
        user_id: str | None,
        text: str = "",
        constraints: Constraints | None = None,
        k: int | None = None,
        like: list[str] | None = None,
        max_per_category: int | None = None,
    ) -> list[Card]:
        """Recall → rank → rules → cards with reasons. Works for a known user, a new one, or none."""
        self.fresh_ranker()
        return self.recommender.recommend(user_id, text, constraints, k, like, max_per_category)

    def record_event(self, event: Event) -> bool:
        """Stores one behaviour event; the next recommendation for that shopper reflects it at once
        (the user vector is computed from the history on every request)."""
        return self.recommender.record(event)

    # ---- the conversation ------------------------------------------------------------------------
    def chat(
        self,
        message: str,
        session_id: str | None = None,
        user_id: str | None = None,
        audience: str = "shopper",
        product_id: str | None = None,
        owner: str | None = None,
    ) -> Iterator[ChatEvent]:
        """One turn as events: `Cards` (immediately), `Token`… (verified prose), `Done`.
        `audience="agent"`: an agent asks about the customer `user_id`, who is spoken of by name.
        `owner` is who the API proved is talking ("user:<id>", "visitor:<id>", "agent:<name>"):
        a session opened by someone else is never continued, it starts afresh."""
        session_id = session_id or uuid.uuid4().hex
        started = time.perf_counter()
        self.fresh_ranker()
        with self._session_locks.setdefault(session_id, threading.Lock()):
            saved = self.store.load_session(session_id)
            if saved is not None and (saved.get("user_id") != user_id or saved.get("owner") != owner):
                session_id, saved = uuid.uuid4().hex, None
            session = Session.from_dict(saved) if saved else Session(user_id=user_id, owner=owner)
            if product_id and not session.shown.ids:  # the product page the shopper is on
                session.show(self.store.get_products([product_id]).values())
            answer = self.conversation.answer(message, session, user_id, audience)
            session.user_id = user_id
            session.record(message, answer)
            self.store.save_session(session_id, user_id, session.to_dict(), handoff=session.handoff, owner=owner)
        yield Cards(
            session_id,
            answer.message,
            answer.request.intent,
            answer.request.constraints.model_dump(),
            answer.cards,
            answer.table,
            answer.citations,
            answer.actions,
            uuid.uuid4().hex[:16],
        )
        report, prose = ProseReport(), ""
        if answer.facts is not None and audience == "shopper":
            for text in self.explainer.stream(answer.facts, message, report):
                prose += text
                yield Token(text)
        yield Done(session_id, prose, round((time.perf_counter() - started) * 1000), report)

    def dismiss(self, session_id: str, product_id: str) -> list[str]:
        """ "Not interested": the product (with its other colours and sizes) is never listed again in
        this conversation; a known shopper's dismissal is recorded as an event too. Returns what
        the conversation now leaves out."""
        with self._session_locks.setdefault(session_id, threading.Lock()):
            saved = self.store.load_session(session_id) or {}
            session = Session.from_dict(saved)
            gone = [product_id, *session.variants.get(product_id, [])]
            session.dismissed = list(dict.fromkeys([*session.dismissed, *gone]))
            self.store.save_session(session_id, session.user_id, session.to_dict(), handoff=session.handoff, owner=session.owner)
        if session.user_id:
            self.record_event(Event(user_id=session.user_id, product_id=product_id, kind="dismiss", ts=utcnow()))
        self.stats["dismissed"] += 1
        return session.dismissed

    # ---- privacy -----------------------------------------------------------------------------------
    def forget_user(self, user_id: str) -> dict[str, int]:
        """Deletes what the shop holds about a shopper (store rows) and what this process
        remembers of their words (the embedding cache holds request texts)."""
        removed = self.store.forget_user(user_id)
        self.embedder.forget_cache()
        return removed

    # ---- reviews -----------------------------------------------------------------------------------
    def review_summary(self, product_id: str, refresh: bool = False) -> dict:
        """Cached; recomputed when reviews were added since it was written."""
        return self.summaries.summary(product_id, refresh)

    def build_summary(self, product_id: str) -> dict:
        """Extractive points from the reviews, not cached."""
        return self.summaries.build(product_id)
