"""Scoring recall's candidates for one shopper with the two-tower model.

The user vector is computed from the history at request time, so a purchase made a second ago
already shapes the next ranking: no retraining in the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ranking.behaviour import TARGET_KINDS
from ranking.checkpoint import load
from ranking.features import MAX_HISTORY, ItemBatch, encode_items, history_weights
from ranking.model import TwoTower
from ranking.policy import BLEND, Served
from ranking.repeat import Repeat
from ranking.rules import Rules, S, apply
from records import Event, Product

QUERY_WEIGHT = 1.0  # how much the message's own similarity counts next to the shopper's taste


@dataclass
class Scored:
    product_id: str
    score: float
    taste: float  # the two-tower part: how well it fits this shopper
    query: float  # the message part: cosine of query and item text


class Ranker:
    """The two-tower model, and the repeat model when the store taught one (who re-buys what, when)."""

    def __init__(self, model: TwoTower, repeat: Repeat | None = None, served: Served | None = None):
        self.model = model
        self.schema = model.schema
        self.repeat = repeat
        self.served = served  # the policy `shopassist train` chose on the store's own data

    @classmethod
    def load(cls, path: Path, text_dim: int, embedding_model: str) -> Ranker:
        model, saved = load(path)
        model.schema.check(text_dim, embedding_model)
        served = saved["served"] if isinstance(saved["served"], Served) else None
        return cls(model, saved["repeat"] if isinstance(saved["repeat"], Repeat) else None, served)

    @property
    def policy(self) -> str:
        """The served policy's name; a model trained before policies were chosen serves the blend."""
        return self.served.choice.policy if self.served is not None else BLEND

    def by_policy(
        self, history: list[Event], products: dict[str, Product], candidates: list[Product], vectors: dict[str, np.ndarray]
    ) -> list[Scored] | None:
        """A list without a message, in the chosen single method's order (the same scores the
        evaluation measured, ranking/policy.py); None when the blend serves (`rank` then `serve`)."""
        if self.policy == BLEND or not candidates:
            return None
        if self.policy == "two_tower":
            return self.rank(history, products, candidates, vectors)
        if self.served is None or self.served.methods is None:
            return None
        bought = [e.product_id for e in history if e.kind in TARGET_KINDS]
        scores = self.served.order(bought, [p.id for p in candidates])
        return [Scored(candidates[i].id, float(scores[i]), 0.0, 0.0) for i in np.argsort(-scores, kind="stable")]

    def items(self, products: list[Product], vectors: dict[str, np.ndarray]) -> ItemBatch:
        zero = np.zeros(self.schema.text_dim, np.float32)
        return encode_items(products, [vectors.get(p.id, zero) for p in products], self.schema)

    @torch.no_grad()
    def user_vector(self, history: list[Event], products: dict[str, Product], vectors: dict[str, np.ndarray]) -> torch.Tensor:
        history = [e for e in history if e.product_id in products][-MAX_HISTORY:]
        hist_items = (
            self.model.items(self.items([products[e.product_id] for e in history], vectors))
            if history
            else torch.zeros(0, self.model.config.dim)
        )
        return self.model.user_vector(hist_items, history_weights(history))

    @torch.no_grad()
    def rank(
        self,
        history: list[Event],
        history_products: dict[str, Product],
        candidates: list[Product],
        vectors: dict[str, np.ndarray],
        query_vec: np.ndarray | None = None,
        popularity: bool = False,
    ) -> list[Scored]:
        """Candidates ordered best first. `vectors` holds text vectors for history and candidates.
        `popularity`: add back the log Q the training took out, as much as validation chose, for
        lists that answer "what will they buy next" rather than a message; the shopper's own
        products count as unseen, their coming back is the repeat model's question."""
        if not candidates:
            return []
        user = self.user_vector(history, history_products, vectors)
        batch = self.items(candidates, vectors)
        taste = (self.model.items(batch) @ user).numpy()
        prior = np.zeros(len(candidates), np.float32)
        if popularity:
            own = {e.product_id for e in history if e.kind in TARGET_KINDS}
            prior = self.model.prior([p.id for p in candidates], own)
        query = batch.text.numpy() @ query_vec if query_vec is not None else np.zeros(len(candidates), np.float32)
        scores = taste + prior + QUERY_WEIGHT * query
        order = np.argsort(-scores, kind="stable")
        return [Scored(candidates[i].id, float(scores[i]), float(taste[i]), float(query[i])) for i in order]


def serve(
    scored: Sequence[S],
    products: dict[str, Product],
    bought: set[str],
    again: dict[str, float],
    due_at: float | None,
    what_next: bool,
    top: int = 10,
    max_per_category: int | None = None,
    in_stock: bool = True,
    demote: bool = True,
) -> list[S]:
    """The order the shop serves, after scoring: out-of-stock items dropped, bought items demoted,
    except the ones the shopper re-buys, which move by their chance of coming back now (`again`,
    from the repeat model, when the store taught one: `due_at` is then its bar); with no message
    to answer (`what_next`), the due ones lead. The evaluation's `served` row calls this too.
    `in_stock=False` keeps out-of-stock items (to say that what was asked for is out of stock).
    `demote=False`: a single method's order stands as the policy choice measured it (buy-again
    wants the shopper's products first)."""
    rules = Rules(drop_out_of_stock=in_stock, demote_ids=set(bought) if demote else set(), max_per_category=max_per_category, top=top)
    if not demote:
        rules = replace(rules, demote_by=0.0)
    if due_at is not None:
        rules = replace(rules, again={pid: p for pid, p in again.items() if pid in bought}, due_first=what_next, due_at=due_at)
    return apply(scored, products, rules)
