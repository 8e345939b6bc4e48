"""The baselines a recommender must beat, each scoring every item for one user.

popularity (global counts), buy-again (the user's own items by frequency, then recency),
item-kNN (cosine co-occurrence), implicit ALS (the `implicit` library, BM25-weighted).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp


def user_item_matrix(histories: dict[str, list[int]], n_items: int, users: list[str]) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for u, items in enumerate(users):
        for i, n in Counter(histories[items]).items():
            rows.append(u)
            cols.append(i)
            vals.append(float(n))
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(users), n_items), dtype=np.float32)


def popularity(matrix: sp.csr_matrix) -> np.ndarray:
    return np.asarray((matrix > 0).sum(0)).ravel().astype(np.float32)


def buy_again(history: list[int], n_items: int, pop: np.ndarray) -> np.ndarray:
    """Own purchases first (count, then recency), everything else by popularity below them."""
    scores = pop / (pop.max() + 1.0)
    counts = Counter(history)
    last = {i: t for t, i in enumerate(history)}
    for i, n in counts.items():
        scores[i] = 10.0 + n + last[i] / (len(history) + 1.0)
    return scores


def item_knn(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Item-item cosine similarity of co-occurrence (users as features). The diagonal stays:
    an item is its own nearest neighbour, so a shopper's own staples score too, as in the
    textbook item-kNN (bench/results/NOTES.md says what removing it costs)."""
    binary = (matrix > 0).astype(np.float32)
    co = (binary.T @ binary).tocsr()
    norms = np.sqrt(np.asarray(binary.sum(0)).ravel()) + 1e-6
    return (sp.diags(1 / norms) @ co @ sp.diags(1 / norms)).tocsr()


def knn_scores(sim: sp.csr_matrix, user_row: sp.csr_matrix) -> np.ndarray:
    """Similarity to the shopper's history, each past item weighted by how often they bought it."""
    return (user_row.astype(np.float32) @ sim).toarray().ravel()


def fit_als(matrix: sp.csr_matrix, factors: int = 64, iterations: int = 15, seed: int = 7):
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight
    from threadpoolctl import threadpool_limits

    weighted = bm25_weight(matrix, K1=100, B=0.8).tocsr().astype(np.float32)
    model = AlternatingLeastSquares(factors=factors, iterations=iterations, regularization=0.05, random_state=seed)
    with threadpool_limits(1, "blas"):  # implicit parallelises itself; BLAS threads on top only slow it
        model.fit(weighted, show_progress=False)
    return model


def als_scores(model, user_index: int) -> np.ndarray:
    uf = np.asarray(model.user_factors[user_index])
    return np.asarray(model.item_factors) @ uf
