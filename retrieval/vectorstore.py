"""The storage interface retrieval needs from a vector engine; two backends implement it:
`EdgeStore` (Qdrant's engine in-process) and `RemoteStore` (a Qdrant server).

Each product is one point: a dense `text` vector, a sparse `bm25` vector (the engine applies
IDF), a sparse `grams` vector of the title's trigrams, and a payload the filters read
(retrieval/filters.py). Constraints become engine filters, so filtering happens inside the
engine during the search, never after it. Fusing the channels is retrieval/hybrid.py's job.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from records import Constraints
from retrieval.analysis import SparseVec

DENSE = "text"
SPARSE = "bm25"  # word BM25
GRAMS = "grams"  # character-trigram BM25 of the title
# what callers read of a search's hits (the category a request is about, titles for feedback and
# refinements); the whole payload cost the engine ~10 ms per 100 hits, these three ~0.5 ms
HIT_FIELDS = ["product_id", "title", "category"]
NAMESPACE = uuid.UUID("6f1c1d2e-5b7a-4f7e-9a35-2d0e8f1b9c44")


@lru_cache(maxsize=1 << 16)
def point_uuid(product_id: str) -> uuid.UUID:
    """Qdrant ids are integers or UUIDs; product ids are strings, so map them by UUID5 (kept:
    a search restricted to a few hundred candidates maps each of them, every time; the engine
    takes UUID objects 4x faster than their strings, and returns them). The products searches
    keep finding, not every product: each kept one is two objects a full garbage collection walks."""
    return uuid.uuid5(NAMESPACE, product_id)


def point_id(product_id: str) -> str:
    """A product's point id as a string (what a Qdrant server's client sends)."""
    return str(point_uuid(product_id))


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


def payload_of(point: Any) -> dict[str, Any]:
    """A returned point's payload (both clients type it as optional; ours always has one)."""
    return point.payload or {}


def dense_of(point: Any) -> np.ndarray:
    """A returned point's dense vector."""
    vectors = point.vector
    if not isinstance(vectors, dict) or DENSE not in vectors:
        raise ValueError("the point was read without its dense vector")
    return np.asarray(vectors[DENSE], dtype=np.float32)


def named_vectors(item: IndexedItem, sparse_vector: Callable[[SparseVec], Any]) -> dict[str, Any]:
    """A point's vectors by name, in a backend's own sparse type; trigrams only when the title has any."""
    out: dict[str, Any] = {DENSE: item.dense.tolist(), SPARSE: sparse_vector(item.sparse)}
    if item.grams is not None and item.grams.indices:
        out[GRAMS] = sparse_vector(item.grams)
    return out


class IndexUnavailable(RuntimeError):
    """The vector index cannot be used now; the message says why and what to do."""


class IndexLocked(IndexUnavailable):
    """Another process holds the embedded index (the engine allows one)."""


class VectorStore(ABC):
    """What retrieval needs from a vector engine; `EdgeStore` and `RemoteStore` implement it."""

    broken: str | None = None  # why the index on disk cannot be read (`index --rebuild` repairs it)

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

    def scores(
        self, product_ids: list[str], dense: np.ndarray | None = None, sparse: SparseVec | None = None, using: str = SPARSE
    ) -> dict[str, float]:
        """Exactly one channel's score for each of the given products (0 where a sparse vector shares
        no word): what a hybrid needs for every candidate another channel found. Cosine is read
        off the products' vectors; BM25 comes from the engine, which knows the IDF."""
        if not product_ids:
            return {}
        if dense is not None:
            q = np.asarray(dense, dtype=np.float32)
            q = q / (np.linalg.norm(q) or 1.0)
            found = self.vectors(product_ids)
            return {pid: float(v @ q) for pid, v in found.items()}
        got = self.nearest(sparse=sparse, using=using, limit=len(product_ids), only_ids=product_ids)
        return {pid: 0.0 for pid in product_ids} | {h.product_id: h.score for h in got}

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

    def warm(self) -> None:
        """Gets the index ready for the first searches (a no-op where a server keeps it)."""

    def close(self) -> None:
        pass
