"""One small vector-store interface, two backends: Qdrant Edge in-process and a Qdrant server.

Each product is one point: a dense `text` vector, a sparse `bm25` vector (the engine applies
IDF), and a payload the filters read (price, brand, category prefixes, colour, stock,
popularity). Constraints become Qdrant filters, so filtering happens inside the engine
during the search, never after it.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from records import Constraints, Product, category_prefixes

DENSE = "text"
SPARSE = "bm25"  # word BM25
GRAMS = "grams"  # character-trigram BM25 of the title
HYBRID_POOL = 100  # candidates each channel proposes to the hybrid
HYBRID_DENSE_WEIGHT = 1.0  # λ: cosine lives in [-1, 1], normalised BM25 in [0, 1]
HYBRID_GRAMS_WEIGHT = 0.3  # μ: trigrams rescue glued/split/misspelt words but are noisier than words
FEEDBACK_DOCS = 5  # pseudo-relevance feedback: the dense query moves towards the first pass's top 5 …
FEEDBACK_WEIGHT = 0.5  # … by this much of their mean (Rocchio)
NAMESPACE = uuid.UUID("6f1c1d2e-5b7a-4f7e-9a35-2d0e8f1b9c44")


def point_id(product_id: str) -> str:
    """Qdrant ids are integers or UUIDs; product ids are strings, so map them by UUID5."""
    return str(uuid.uuid5(NAMESPACE, product_id))


@dataclass
class SparseVec:
    indices: list[int]
    values: list[float]


@dataclass
class IndexedItem:
    product_id: str
    dense: np.ndarray
    sparse: SparseVec
    payload: dict[str, Any]
    grams: SparseVec | None = None


@dataclass
class Hit:
    product_id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


def by_score(hits: list[Hit]) -> list[Hit]:
    """Best first, ties broken by id: fusion often ties exactly, and answers must not flicker."""
    return sorted(hits, key=lambda h: (-h.score, h.product_id))


def named_vectors(item: IndexedItem, sparse_vector: Callable[[SparseVec], Any]) -> dict[str, Any]:
    """A point's vectors by name, in a backend's own sparse type; trigrams only when the title has any."""
    out: dict[str, Any] = {DENSE: item.dense.tolist(), SPARSE: sparse_vector(item.sparse)}
    if item.grams is not None and item.grams.indices:
        out[GRAMS] = sparse_vector(item.grams)
    return out


def payload_for(product: Product, content_hash: str) -> dict[str, Any]:
    return {
        "product_id": product.id,
        "title": product.title,
        "brand": product.brand.lower(),
        "category": category_prefixes(product.category),
        "color": (product.color or "").lower(),
        "price": float(product.price) if product.price is not None else None,
        "stock": float(product.stock),
        "popularity": float(product.popularity),
        "content_hash": content_hash,
    }


INDEXED_FIELDS = {"brand": "keyword", "category": "keyword", "color": "keyword", "price": "float", "stock": "float", "popularity": "float", "product_id": "keyword"}


class VectorStore(ABC):
    """What retrieval needs from a vector engine; `EdgeStore` and `RemoteStore` implement it."""

    @abstractmethod
    def ensure(self, dim: int) -> None:
        """Creates the collection if it does not exist."""

    @abstractmethod
    def upsert(self, items: list[IndexedItem]) -> None: ...

    @abstractmethod
    def delete(self, product_ids: list[str]) -> None: ...

    @abstractmethod
    def set_payload(self, product_id: str, payload: dict[str, Any]) -> None: ...

    @abstractmethod
    def nearest(
        self,
        dense: np.ndarray | None = None,
        sparse: SparseVec | None = None,
        constraints: Constraints | None = None,
        limit: int = 50,
        only_ids: list[str] | None = None,
        exact: bool = False,
        using: str = SPARSE,
    ) -> list[Hit]:
        """Nearest products by exactly one of `dense` (cosine) or `sparse` (the BM25 vector named
        `using`), filtered in the engine."""

    def search(
        self,
        dense: np.ndarray | None = None,
        sparse: SparseVec | None = None,
        constraints: Constraints | None = None,
        limit: int = 50,
        only_ids: list[str] | None = None,
        exact: bool = False,
        grams: SparseVec | None = None,
        feedback: bool = True,
    ) -> list[Hit]:
        """Nearest products by meaning, by words, or by both (`hybrid`, with `grams` if given)."""
        if dense is not None and sparse is not None and sparse.indices:
            return self.hybrid(dense, sparse, constraints, limit, only_ids, exact, grams, feedback)
        if dense is None and (sparse is None or not sparse.indices):
            return []
        return self.nearest(dense=dense, sparse=sparse if dense is None else None, constraints=constraints, limit=limit, only_ids=only_ids, exact=exact)

    def hybrid(
        self,
        dense: np.ndarray,
        sparse: SparseVec,
        constraints: Constraints | None = None,
        limit: int = 50,
        only_ids: list[str] | None = None,
        exact: bool = False,
        grams: SparseVec | None = None,
        feedback: bool = True,
    ) -> list[Hit]:
        """Score-level fusion: words BM25/best + λ·cosine + μ·trigram BM25/best, in two passes.

        Each channel first proposes HYBRID_POOL candidates (filters inside the engine); then
        every channel's score is computed for every candidate of the union, so a product found
        by one channel is not scored as zero by the others. Rank fusion (RRF) throws the score
        gaps away; on the Home Depot judgments it lost to BM25 alone, this does not. The second
        pass moves the dense query towards the first pass's best products (pseudo-relevance
        feedback), which finds products described in other words (bench/results/retrieval_home_depot.md).
        """
        pool = max(limit, HYBRID_POOL)
        lexical = [(sparse, SPARSE, 1.0)] + ([(grams, GRAMS, HYBRID_GRAMS_WEIGHT)] if grams is not None and grams.indices else [])
        found: set[str] = set()
        for vec, using, _ in lexical:
            found |= {h.product_id for h in self.nearest(sparse=vec, using=using, constraints=constraints, limit=pool, only_ids=only_ids)}
        known: dict[str, dict[str, float]] = {}  # lexical scores do not change between the passes
        first = self._fuse(dense, lexical, found, constraints, pool, only_ids, exact, known)
        if not first or not feedback:
            return first[:limit]
        top = list(self.vectors([h.product_id for h in first[:FEEDBACK_DOCS]]).values())
        moved = dense + FEEDBACK_WEIGHT * np.mean(top, axis=0)
        moved = (moved / (np.linalg.norm(moved) or 1.0)).astype(np.float32)
        return self._fuse(moved, lexical, found, constraints, pool, only_ids, exact, known)[:limit]

    def _fuse(self, dense, lexical, found: set[str], constraints, pool: int, only_ids, exact: bool, known: dict[str, dict[str, float]]) -> list[Hit]:
        found = found | {h.product_id for h in self.nearest(dense=dense, constraints=constraints, limit=pool, only_ids=only_ids, exact=exact)}
        if not found:
            return []
        ids = sorted(found)
        cosine = {h.product_id: h for h in self.nearest(dense=dense, limit=len(ids), only_ids=ids, exact=True)}
        score = {pid: HYBRID_DENSE_WEIGHT * h.score for pid, h in cosine.items()}
        for vec, using, weight in lexical:
            seen = known.setdefault(using, {})
            missing = [pid for pid in ids if pid not in seen]
            if missing:
                got = {h.product_id: h.score for h in self.nearest(sparse=vec, using=using, limit=len(missing), only_ids=missing)}
                seen.update({pid: got.get(pid, 0.0) for pid in missing})
            best = max((seen[pid] for pid in ids), default=0.0) or 1.0
            for pid in score:
                score[pid] += weight * seen[pid] / best
        return by_score([Hit(pid, score[pid], h.payload) for pid, h in cosine.items()])

    @abstractmethod
    def top_by(self, key: str, constraints: Constraints | None = None, limit: int = 50) -> list[Hit]:
        """Products ordered by a numeric payload field, highest first (popularity)."""

    @abstractmethod
    def vectors(self, product_ids: list[str]) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def indexed_hashes(self) -> dict[str, str]:
        """product id → content hash of what is indexed now; drives incremental indexing."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def get_meta(self) -> dict[str, Any]: ...

    @abstractmethod
    def set_meta(self, meta: dict[str, Any]) -> None: ...

    @abstractmethod
    def snapshot(self, target: Path) -> Path:
        """Writes the whole index (vectors, payloads, meta) to one archive file."""

    @abstractmethod
    def restore(self, archive: Path) -> None:
        """Replaces the index with a `snapshot` archive."""

    @abstractmethod
    def drop(self) -> None:
        """Deletes the collection and its meta (a rebuild follows)."""

    def optimize(self) -> None:
        """Builds the HNSW index after bulk writes (a no-op where the server does it)."""

    def close(self) -> None:
        pass


def open_vector_store(path: str | None = None, url: str | None = None, collection: str = "products", api_key: str | None = None) -> VectorStore:
    """The one way to open a vector store: a server when `url` is set, else the embedded engine."""
    if url:
        from retrieval.remote_store import RemoteStore

        return RemoteStore(url, collection, api_key=api_key)
    from retrieval.edge_store import EdgeStore

    if path is None:
        raise ValueError("the embedded vector store needs a path")
    return EdgeStore(path)
