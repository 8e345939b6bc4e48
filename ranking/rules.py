"""Business rules after scoring, kept apart from the model so each can be tested and tuned:
out-of-stock items removed, already-bought items demoted, at most N per category.

A past product is not always unwanted: a shopper who buys coffee beans every two weeks wants
them back when they are due, a keyboard bought last month they do not. When the repeat model
gives the chance p that a past product is bought again now (`again`), it moves by
demote_by·(2p − 1): down by the full amount at p = 0, not at all at p = ½, up at p = 1.
Without it, every bought item is demoted. With no message to answer (a "for you" list),
`due_first` puts the past products likelier to be bought than a good new guess (`due_at`,
measured by the repeat model) ahead of everything, most likely first: on a grocery store that
is most of what the served list gains over the two-tower alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from records import Product


class HasScore(Protocol):
    product_id: str
    score: float


S = TypeVar("S", bound=HasScore)


@dataclass
class Rules:
    drop_out_of_stock: bool = True
    demote_ids: set[str] = field(default_factory=set)  # e.g. already bought
    demote_by: float = 0.5  # subtracted from the score of a demoted item
    again: dict[str, float] = field(default_factory=dict)  # past product → chance it is bought again now
    due_first: bool = False  # past products with a chance ≥ due_at lead (no message to answer)
    due_at: float = 0.5
    max_per_category: int | None = None  # within the first `top` results
    top: int = 10


def shift(product_id: str, rules: Rules) -> float:
    """How far a product's score moves for having been bought before."""
    if product_id in rules.again:
        return rules.demote_by * (2 * rules.again[product_id] - 1)
    return -rules.demote_by if product_id in rules.demote_ids else 0.0


def apply(ranked: Sequence[S], products: dict[str, Product], rules: Rules) -> list[S]:
    items = [r for r in ranked if r.product_id in products]
    if rules.drop_out_of_stock:
        items = [r for r in items if products[r.product_id].in_stock]
    if rules.demote_ids or rules.again:
        items = sorted(items, key=lambda r: -(r.score + shift(r.product_id, rules)))
    if rules.due_first:
        due = sorted((r for r in items if rules.again.get(r.product_id, 0.0) >= rules.due_at), key=lambda r: -rules.again[r.product_id])
        lead = {r.product_id for r in due}
        items = due + [r for r in items if r.product_id not in lead]
    if rules.max_per_category is None:
        return list(items)
    head: list[S] = []
    tail: list[S] = []
    seen: Counter[str] = Counter()
    for r in items:
        cat = products[r.product_id].category
        if len(head) < rules.top and seen[cat] < rules.max_per_category:
            head.append(r)
            seen[cat] += 1
        else:
            tail.append(r)
    return head + tail
