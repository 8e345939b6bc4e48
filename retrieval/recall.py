"""Recall: several channels, each one Qdrant query with the shopper's constraints as filters,
fused by weighted reciprocal rank.

- query: the message against the catalog: dense + word BM25 + trigram BM25, each in the engine, fused by score
- history: the shopper's recent behaviour (recency- and kind-weighted mean vector)
- item: products co-purchased with what the shopper bought (ids from the store, filtered in Qdrant)
- again: the shopper's own past products most likely bought again now (the repeat model), when
  there is no message: a "for you" list should hold the coffee beans that are due
- popular: most popular products, the cold-start fallback
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from records import Candidate, Constraints
from retrieval.analysis import grams_query, sparse_query
from retrieval.embedder import Embedder
from retrieval.hybrid import search
from retrieval.spelling import Speller
from retrieval.vectorstore import Hit, VectorStore

RRF_K = 60


@dataclass
class RecallRequest:
    text: str = ""
    constraints: Constraints = field(default_factory=Constraints)
    # the shopper's behaviour as (product id, weight): how much each event says about their taste now
    history: list[tuple[str, float]] = field(default_factory=list)
    co_purchased: list[str] = field(default_factory=list)  # ids, best first, from the store
    like: list[str] = field(default_factory=list)  # "more like #2": these products' vectors are the query
    again: list[str] = field(default_factory=list)  # past products, most likely re-bought first
    query_vec: np.ndarray | None = None  # the text's embedding, when the caller has it already
    texts: tuple[str, str] | None = None  # the text's (dense, BM25) spelling rewrite, when the caller has it
    limit: int = 100


# How much each channel counts in the fusion; the query dominates when there is one.
WEIGHTS = {"query": 1.0, "history": 0.5, "again": 0.5, "item": 0.35, "popular": 0.15}


def history_vector(history: list[tuple[str, float]], vectors: dict[str, np.ndarray]) -> np.ndarray | None:
    """A shopper's taste as one vector: the weighted mean of their products' vectors."""
    total, acc = 0.0, None
    for product_id, w in history:
        v = vectors.get(product_id)
        if v is None:
            continue
        acc = v * w if acc is None else acc + v * w
        total += w
    if acc is None or total == 0:
        return None
    n = np.linalg.norm(acc)
    return (acc / n).astype(np.float32) if n > 0 else None


class Recall:
    def __init__(self, store: VectorStore, embedder: Embedder, speller: Callable[[], Speller | None] | None = None):
        self.store = store
        self.embedder = embedder
        self.speller = speller or (lambda: None)  # built lazily from the catalog by the caller

    def query_texts(self, text: str) -> tuple[str, str]:
        """(dense text, BM25 text) after spelling correction against the catalog."""
        speller = self.speller()
        return speller.rewrite(text) if speller is not None else (text, text)

    def channels(self, req: RecallRequest) -> dict[str, list[Hit]]:
        out: dict[str, list[Hit]] = {}
        c, n = req.constraints, req.limit
        dense_text, sparse_text = req.texts or self.query_texts(req.text)
        query_vec = req.query_vec
        if query_vec is None and req.text.strip():
            query_vec = self.embedder.encode_one(dense_text)
        if req.like:
            liked = list(self.store.vectors(req.like).values())
            if liked:
                mean = np.mean(liked, axis=0)
                c = c.model_copy(update={"exclude_ids": list({*c.exclude_ids, *req.like})})
                out["query"] = search(self.store, dense=mean / (np.linalg.norm(mean) or 1.0), constraints=c, limit=n)
        elif query_vec is not None:
            out["query"] = search(
                self.store, dense=query_vec, sparse=sparse_query(sparse_text), grams=grams_query(req.text), constraints=c, limit=n
            )
        hist_vecs = self.store.vectors(list({pid for pid, _ in req.history}))
        hv = history_vector(req.history, hist_vecs)
        if hv is not None:
            out["history"] = search(self.store, dense=hv, constraints=c, limit=n)
        anchor = query_vec if query_vec is not None else hv
        if req.co_purchased and anchor is not None:
            out["item"] = self._in_order(req.co_purchased, anchor, c, n)
        if req.again and hv is not None and query_vec is None and not req.like:
            out["again"] = self._in_order(req.again, hv, c, n)
        out["popular"] = self.store.top_by("popularity", c, limit=min(n, 50))
        return {k: v for k, v in out.items() if v}

    def _in_order(self, ids: list[str], anchor: np.ndarray, c: Constraints, n: int) -> list[Hit]:
        """The given products that pass the constraints (filtered in the engine), in the given order."""
        order = {pid: i for i, pid in enumerate(ids)}
        hits = search(self.store, dense=anchor, constraints=c, limit=n, only_ids=ids)
        return sorted(hits, key=lambda h: order.get(h.product_id, len(order)))

    def recall(self, req: RecallRequest) -> list[Candidate]:
        return fuse(self.channels(req), WEIGHTS)[: req.limit]


def fuse(channels: dict[str, list[Hit]], weights: dict[str, float], k: int = RRF_K) -> list[Candidate]:
    """Weighted reciprocal-rank fusion; each candidate remembers its rank in every channel."""
    cands: dict[str, Candidate] = {}
    for name, hits in channels.items():
        w = weights.get(name, 0.1)
        for rank, hit in enumerate(hits):
            cand = cands.setdefault(hit.product_id, Candidate(product_id=hit.product_id))
            cand.score += w / (k + rank + 1)
            cand.channels[name] = rank
    return sorted(cands.values(), key=lambda c: (-c.score, c.product_id))
