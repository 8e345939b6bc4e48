"""Top-k metrics as the recommender field computes them (binary relevance unless gains given)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def hit_rate_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if set(ranked[:k]) & relevant else 0.0


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float] | set[str], k: int) -> float:
    g = {x: 1.0 for x in gains} if isinstance(gains, set) else dict(gains)
    dcg = sum(g.get(x, 0.0) / math.log2(i + 2) for i, x in enumerate(ranked[:k]))
    ideal = sorted((v for v in g.values() if v > 0), reverse=True)[:k]
    idcg = sum(v / math.log2(i + 2) for i, v in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def mrr(ranked: Sequence[str], relevant: set[str], k: int | None = None) -> float:
    for i, x in enumerate(ranked[:k] if k else ranked):
        if x in relevant:
            return 1.0 / (i + 1)
    return 0.0


def relative_gain_interval(ours: Sequence[float], theirs: Sequence[float], seed: int = 0) -> tuple[float, float, float]:
    """mean(ours) / mean(theirs) − 1 over the same users, with a paired bootstrap 95% interval
    (scipy): how sure a "beats the baseline by 10%" is on a few hundred shoppers."""
    from scipy.stats import bootstrap

    a, b = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)

    def gain(x, y, axis=-1):
        return np.mean(x, axis=axis) / np.maximum(np.mean(y, axis=axis), 1e-12) - 1

    ci = bootstrap((a, b), gain, paired=True, vectorized=True, n_resamples=2000, method="percentile", random_state=seed).confidence_interval
    return float(gain(a, b)), float(ci.low), float(ci.high)
