"""One recommendation, as a readable pipeline: recall → rank → serve rules → cards with reasons.

Works for a known shopper, a new one, or none; with a message (search), with products to be
like ("more like #2"), or with neither (what will they buy next).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.facts import HABIT_PURCHASES, build_reasons
from assistant.store import Store
from ranking.behaviour import event_weight
from ranking.rank import Ranker, serve
from records import Constraints, Event, Product, Reason, utcnow
from retrieval.embedder import Embedder
from retrieval.recall import Recall, RecallRequest
from retrieval.vectorstore import VectorStore

log = logging.getLogger(__name__)
# A shopper's events read per request: enough for a weekly grocery shopper's rhythm (the repeat
# model counts and spaces their purchases), few enough to read in milliseconds.
HISTORY_EVENTS = 1000


@dataclass
class Card:
    product: Product
    position: int
    score: float
    reasons: list[Reason]
    channels: dict[str, int] = field(default_factory=dict)
    alternative: bool = False  # shown because nothing matched every constraint
    due: bool = False  # the shopper re-buys it and is likely to now (the repeat model): "running low"

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "product": self.product.model_dump(),
            "score": round(self.score, 4),
            "reasons": [r.model_dump() for r in self.reasons],
            "channels": self.channels,
            "alternative": self.alternative,
        }


class Recommender:
    """Recall (Qdrant) → rank (the two-tower and repeat models, when trained) → rules → reasons."""

    def __init__(
        self,
        store: Store,
        vectors: VectorStore,
        embedder: Embedder,
        recall: Recall,
        praise: Callable[[np.ndarray], np.ndarray],
        cards: int = 4,
        recall_limit: int = 100,
    ):
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.recall = recall
        self.praise = praise  # review sentences' polarity, for review reasons
        self.cards = cards
        self.recall_limit = recall_limit
        self.ranker: Ranker | None = None  # set by the shop once a model is trained

    def history(self, user_id: str | None) -> list[Event]:
        return self.store.history(user_id, limit=HISTORY_EVENTS) if user_id else []

    def recommend(
        self,
        user_id: str | None,
        text: str = "",
        constraints: Constraints | None = None,
        k: int | None = None,
        like: list[str] | None = None,
        max_per_category: int | None = None,
    ) -> list[Card]:
        k = k or self.cards
        c = constraints or Constraints()
        history = self.history(user_id)
        bought = [e.product_id for e in history if e.kind == "purchase"]
        again = self.again(user_id, history)
        texts = self.recall.query_texts(text) if text.strip() else None  # spelling fixed once per request
        query_vec = self.embedder.encode_one(texts[0]) if texts else None
        candidates = self.recall.recall(self._recall_request(text, c, history, bought, again, like or [], query_vec, texts))
        if not candidates:
            return []
        ids = [cand.product_id for cand in candidates]
        products = self.store.get_products(ids + [e.product_id for e in history])
        vectors = self.vectors.vectors(list({*ids, *(e.product_id for e in history)}))
        if like and query_vec is None:
            liked = [vectors[i] for i in like if i in vectors] or list(self.vectors.vectors(like).values())
            query_vec = np.mean(liked, axis=0) if liked else None
        what_next = not text.strip() and not like  # no message: rank by what they will buy next
        ranker = self.ranker
        scored: list[Any] = candidates
        if ranker is not None:
            scored = ranker.rank(history, products, [products[i] for i in ids if i in products], vectors, query_vec, popularity=what_next)
        due_at = ranker.repeat.due_at if ranker is not None and ranker.repeat is not None else None
        ranked = serve(scored, products, set(bought), again, due_at, what_next, top=k, max_per_category=max_per_category)[:k]
        by_id = {cand.product_id: cand for cand in candidates}
        cards = []
        for pos, item in enumerate(ranked, start=1):
            p = products[item.product_id]
            # "running low" is a claim about a habit: it needs the purchases the again reason cites;
            # a grinder bought once may still lead the list, but is not called due
            due = due_at is not None and p.id in bought and again.get(p.id, 0.0) >= due_at and bought.count(p.id) >= HABIT_PURCHASES
            reasons = self.reasons(p, text, c, history, products, vectors, query_vec)
            cards.append(Card(p, pos, float(item.score), reasons, by_id[p.id].channels if p.id in by_id else {}, due=due))
        return cards

    def _recall_request(
        self, text: str, c: Constraints, history: list[Event], bought: list[str], again: dict[str, float], like: list[str], query_vec, texts
    ) -> RecallRequest:
        now = max((e.ts for e in history), default=None)
        taste = [(e.product_id, event_weight(e, now)) for e in history] if now is not None else []
        likeliest = sorted(again, key=lambda pid: -again[pid])[:50]
        co_purchased = [p for p, _ in self.store.co_purchased(bought[-20:])]
        return RecallRequest(
            text=text,
            constraints=c,
            history=taste,
            co_purchased=co_purchased,
            like=like,
            again=likeliest,
            query_vec=query_vec,
            texts=texts,
            limit=self.recall_limit,
        )

    def again(self, user_id: str | None, history: list[Event]) -> dict[str, float]:
        """Past product → chance the shopper buys it again now; empty when the store taught no
        repeat model (nobody re-buys anything) or the shopper has no history."""
        if self.ranker is None or self.ranker.repeat is None or not history:
            return {}
        return self.ranker.repeat.chances(user_id, history, utcnow())

    def reasons(
        self,
        p: Product,
        text: str,
        c: Constraints,
        history: list[Event],
        products: dict[str, Product],
        vectors: dict[str, np.ndarray],
        query_vec: np.ndarray | None,
    ) -> list[Reason]:
        reviews = self.store.reviews_for(p.id, limit=50)
        return build_reasons(p, text, c, history, products, vectors, reviews, query_vec, self.embedder.encode_cached, self.praise)
