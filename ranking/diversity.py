"""Diversity in a served list: maximal marginal relevance over the items' text vectors.

A list of four near-identical mice answers "what next" worse than a mouse, a pad, a keyboard
and headphones, even when each mouse alone scores a little higher. MMR picks, one slot at a
time, the item with the best trade-off between its relevance and its similarity to what the
list already holds: `weight·relevance − (1 − weight)·max similarity to the chosen`, so
weight 1 is the ranking unchanged. Relevance is the item's place in the ranked list (1 for the
first, falling linearly), not its score, so the trade-off means the same for every policy
whatever the scale of its scores. Variants of one model are kept to one slot by the recommender
before this (`Recommender._one_per_model`).

The default weight is chosen from the curve `shopassist eval ranking` reports (intra-list
diversity, catalog coverage and NDCG@10 for several weights): bench/results/ranking_*.md.
"""

from __future__ import annotations

import numpy as np

POOL = 30  # the ranked list's head that MMR re-orders; the rest keeps its order


def mmr(vectors: np.ndarray, weight: float, k: int) -> list[int]:
    """The order (indices into `vectors`, a ranked list best first, unit rows) in which MMR fills
    the first `k` slots; the rest follow in their ranked order."""
    n = len(vectors)
    if weight >= 1.0 or n < 3:
        return list(range(n))
    head = min(n, POOL)
    relevance = 1.0 - np.arange(head) / head
    sims = vectors[:head] @ vectors[:head].T
    chosen = [0]
    closest = sims[0].copy()  # each candidate's highest similarity to the chosen
    free = np.ones(head, bool)
    free[0] = False
    while len(chosen) < min(k, head):
        gain = np.where(free, weight * relevance - (1 - weight) * closest, -np.inf)
        best = int(np.argmax(gain))
        chosen.append(best)
        free[best] = False
        closest = np.maximum(closest, sims[best])
    taken = set(chosen)
    return chosen + [i for i in range(n) if i not in taken]


def intra_list_diversity(vectors: np.ndarray) -> float:
    """1 − the mean pairwise cosine similarity of a list's items (0: all alike)."""
    n = len(vectors)
    if n < 2:
        return 0.0
    sims = vectors @ vectors.T
    return float(1.0 - (sims.sum() - np.trace(sims)) / (n * (n - 1)))
