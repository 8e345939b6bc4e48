"""Item and user features for the two-tower model, and the schema a trained model records.

The schema (vocabularies, bucket edges, text dimension, embedding model) is saved inside the
model file; a store whose features do not fit it is refused instead of scored wrongly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import torch

from ranking.behaviour import event_weight
from records import Event, Product

SCHEMA_VERSION = 1
PRICE_EDGES = [5, 10, 20, 35, 60, 100, 175, 300, 500]  # price bands; 0 = unknown
POP_EDGES = [0.5, 1, 2, 4, 8, 16, 32, 64]  # popularity bands (weighted event counts)
MAX_HISTORY = 50


class SchemaMismatch(RuntimeError):
    pass


@dataclass
class FeatureSchema:
    text_dim: int
    embedding_model: str
    categories: list[str] = field(default_factory=list)  # leaf paths; index 0 = unknown
    tops: list[str] = field(default_factory=list)  # top-level categories; index 0 = unknown
    version: int = SCHEMA_VERSION

    @classmethod
    def fit(cls, products: list[Product], text_dim: int, embedding_model: str) -> FeatureSchema:
        cats = sorted({p.category.lower() for p in products if p.category})
        tops = sorted({p.top_category.lower() for p in products if p.category})
        return cls(text_dim=text_dim, embedding_model=embedding_model, categories=cats, tops=tops)

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self, text_dim: int, embedding_model: str) -> None:
        if self.version != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"ranker features are version {self.version}, this code expects {SCHEMA_VERSION}: retrain with `shopassist train`"
            )
        if text_dim != self.text_dim or embedding_model != self.embedding_model:
            raise SchemaMismatch(
                f"the ranker was trained on {self.embedding_model!r} vectors ({self.text_dim}-d) but the index holds "
                f"{embedding_model!r} ({text_dim}-d): retrain with `shopassist train`"
            )


def _band(value: float | None, edges: Sequence[float]) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    return 1 + sum(value >= e for e in edges)


@dataclass
class ItemBatch:
    """Item features as tensors, one row per item."""

    text: torch.Tensor  # (N, D) float
    category: torch.Tensor  # (N,) long
    top: torch.Tensor  # (N,) long
    price: torch.Tensor  # (N,) long
    popularity: torch.Tensor  # (N,) long

    def __len__(self) -> int:
        return self.text.shape[0]

    def take(self, idx: torch.Tensor) -> ItemBatch:
        return ItemBatch(self.text[idx], self.category[idx], self.top[idx], self.price[idx], self.popularity[idx])


def encode_items(products: list[Product], vectors: list[np.ndarray] | np.ndarray, schema: FeatureSchema) -> ItemBatch:
    """Turns products and their text vectors into tensors. Unknown categories map to 0, so a
    brand-new product is rankable from its text alone."""
    cat_ix = {c: i + 1 for i, c in enumerate(schema.categories)}
    top_ix = {c: i + 1 for i, c in enumerate(schema.tops)}
    text = (
        np.asarray(vectors, dtype=np.float32).reshape(len(products), schema.text_dim)
        if len(products)
        else np.zeros((0, schema.text_dim), np.float32)
    )
    return ItemBatch(
        text=torch.from_numpy(text),
        category=torch.tensor([cat_ix.get(p.category.lower(), 0) for p in products], dtype=torch.long),
        top=torch.tensor([top_ix.get(p.top_category.lower(), 0) for p in products], dtype=torch.long),
        price=torch.tensor([_band(p.price, PRICE_EDGES) for p in products], dtype=torch.long),
        popularity=torch.tensor([_band(p.popularity, POP_EDGES) for p in products], dtype=torch.long),
    )


def history_weights(history: list[Event], now: datetime | None = None) -> list[float]:
    """Kind × recency weight of each event (oldest first), the user tower's pooling prior."""
    if not history:
        return []
    now = now or max(e.ts for e in history)
    return [event_weight(e, now) for e in history]
