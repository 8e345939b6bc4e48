"""Business rules after scoring, kept apart from the model so each can be tested and tuned:
out-of-stock items removed, already-bought items demoted, at most N per category."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from records import Product


class HasScore(Protocol):
    product_id: str
    score: float


@dataclass
class Rules:
    drop_out_of_stock: bool = True
    demote_ids: set[str] = field(default_factory=set)  # e.g. already bought
    demote_by: float = 0.5  # subtracted from the score of a demoted item
    max_per_category: int | None = None  # within the first `top` results
    top: int = 10


def apply(ranked: Sequence[HasScore], products: dict[str, Product], rules: Rules) -> list[HasScore]:
    items = [r for r in ranked if r.product_id in products]
    if rules.drop_out_of_stock:
        items = [r for r in items if products[r.product_id].stock > 0]
    if rules.demote_ids:
        items = sorted(items, key=lambda r: -(r.score - (rules.demote_by if r.product_id in rules.demote_ids else 0.0)))
    if rules.max_per_category is None:
        return list(items)
    head, tail, seen = [], [], Counter()
    for r in items:
        cat = products[r.product_id].category
        if len(head) < rules.top and seen[cat] < rules.max_per_category:
            head.append(r)
            seen[cat] += 1
        else:
            tail.append(r)
    return head + tail
