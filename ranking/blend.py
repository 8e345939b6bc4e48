"""A learned blend of the two-tower score with repeat, popularity, co-occurrence and adoption
signals, for the items a shopper has not bought (past products are ordered by `ranking.repeat`).

The blend scores every item from a few features (how often and how recently they bought it,
how often shoppers re-buy that item at all, its popularity, how often it is bought by the
shoppers who bought the shopper's items, how often shoppers start buying it right after buying
the shopper's items, and the two-tower taste score) with weights fitted listwise (a softmax
over each shopper's candidates) on each shopper's validation basket (the one before the test
basket), so nothing is tuned on the test data. Only that basket is a clean target: the
two-tower model trained on the earlier ones, so its scores there are optimistic.

The item signals of the fit come from the baskets before the validation ones (`Signals.of`):
counted with the validation basket, an item first bought in it looks popular and rarely re-bought
because of the very answer the fit is asked for. With one validation basket per shopper to fit
on, each feature more is fitted to noise. What was tried, and what it scored, is in
bench/results/NOTES.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from ranking import baselines
from ranking.repeat import History, ItemStats

FEATURES = ["log_count", "decayed", "recency", "share", "item_rebuy", "rebuy_x_count", "two_tower", "log_pop", "cooccurrence", "adoption"]
DECAY = 0.8  # weight of a basket k baskets ago: DECAY**k


@dataclass
class Signals:
    """What the blend knows about items from everyone's baskets: how many shoppers bought each
    (popularity), how often a purchase of it is a re-buy, which items the same shoppers buy
    (item-kNN cosine, ranking/baselines.py), and which items shoppers start buying right after
    a basket holding an item (`adoption`)."""

    log_pop: np.ndarray
    rebuy: np.ndarray
    similar: sp.csr_matrix
    adopted: sp.csr_matrix

    @classmethod
    def of(cls, baskets: dict[str, list[list[int]]], n_items: int) -> Signals:
        users = sorted(baskets)
        matrix = baselines.user_item_matrix({u: [i for b in baskets[u] for i in b] for u in users}, n_items, users)
        stats = ItemStats.of({u: History(b, [0.0] * len(b)) for u, b in baskets.items()})
        return cls(
            np.log1p(baselines.popularity(matrix)), stats.rebuy_rate(n_items), baselines.item_knn(matrix), adoption(baskets, n_items)
        )

    def features(self, baskets: list[list[int]], taste: np.ndarray) -> np.ndarray:
        """One shopper's features (their baskets oldest first, their two-tower scores)."""
        n = len(self.log_pop)
        row = baselines.user_item_matrix({"shopper": [i for b in baskets for i in b]}, n, ["shopper"])
        cooc = np.log1p(baselines.knn_scores(self.similar, row))
        adopt = np.log1p(baselines.knn_scores(self.adopted, (row > 0).astype(np.float32)))
        return features(baskets, n, self.rebuy, taste, self.log_pop, cooc, adopt)


def adoption(baskets: dict[str, list[list[int]]], n_items: int) -> sp.csr_matrix:
    """Item a → item b: how often a shopper bought b for the first time in the basket right after
    one holding a, cosine-normalised like item-kNN. Co-occurrence is ruled by the staples bought
    together every week; this counts what shoppers start buying next, which is what a list of
    new items guesses."""
    before: dict[str, list[int]] = {}  # per step (a basket with a first purchase): the basket before it
    first: dict[str, list[int]] = {}  # and the items bought in it for the first time
    for shopper in baskets.values():
        seen: set[int] = set()
        for j, basket in enumerate(shopper):
            new = set(basket) - seen
            if j > 0 and new:
                step = str(len(before))
                before[step], first[step] = sorted(set(shopper[j - 1])), sorted(new)
            seen.update(basket)
    steps = list(before)
    prev, nxt = baselines.user_item_matrix(before, n_items, steps), baselines.user_item_matrix(first, n_items, steps)
    counts = (prev.T @ nxt).tocsr()
    out_norm = np.sqrt(np.asarray(prev.sum(0)).ravel()) + 1e-6
    in_norm = np.sqrt(np.asarray(nxt.sum(0)).ravel()) + 1e-6
    return (sp.diags(1 / out_norm) @ counts @ sp.diags(1 / in_norm)).tocsr()


def features(
    baskets: list[list[int]], n_items: int, rebuy: np.ndarray, taste: np.ndarray, log_pop: np.ndarray, cooc: np.ndarray, adopt: np.ndarray
) -> np.ndarray:
    """(n_items, len(FEATURES)) for one shopper, from their past baskets (oldest first)."""
    m = len(baskets)
    count = np.zeros(n_items)
    decayed = np.zeros(n_items)
    last = np.full(n_items, -1.0)
    for j, b in enumerate(baskets):
        idx = np.fromiter(set(b), dtype=np.int64)
        count[idx] += 1
        decayed[idx] += DECAY ** (m - 1 - j)
        last[idx] = j
    recency = np.where(last >= 0, 1.0 / (m - last), 0.0)
    share = count / max(m, 1)
    z = (taste - taste.mean()) / (taste.std() + 1e-6)
    return np.stack([np.log1p(count), decayed, recency, share, rebuy, rebuy * np.log1p(count), z, log_pop, cooc, adopt], axis=1).astype(
        np.float32
    )


@dataclass
class Blend:
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, xs: list[np.ndarray], ys: list[np.ndarray], l2: float = 1e-3, max_iter: int = 100) -> Blend:
        """Listwise: a softmax over each shopper's candidates (`xs[u]`, basket items marked in
        `ys[u]`), so the basket's items are pushed to the top of the list, which is what NDCG@10
        asks (a pointwise fit scored less)."""
        x = np.concatenate(xs)
        mean, std = x.mean(0), x.std(0) + 1e-6
        groups = [(torch.tensor((g - mean) / std, dtype=torch.float32), torch.from_numpy(y > 0)) for g, y in zip(xs, ys) if (y > 0).any()]
        w = torch.zeros(x.shape[1], requires_grad=True)
        opt = torch.optim.LBFGS([w], max_iter=max_iter)

        def closure():
            opt.zero_grad()
            loss = sum(-torch.log_softmax(g @ w, 0)[pos].mean() for g, pos in groups) / len(groups) + l2 * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        return cls(w.detach().numpy(), 0.0, mean, std)

    def score(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std) @ self.weights + self.bias

    def describe(self) -> dict[str, float]:
        return {f: round(float(w), 3) for f, w in zip(FEATURES, self.weights)}


def sample_candidates(x: np.ndarray, label: np.ndarray, rng: np.random.Generator, negatives: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """All positives, every item with history, and a uniform sample of the rest: the softmax over
    the sample stands in for the one over the whole catalog (keeps fitting fast)."""
    keep = (label > 0) | (x[:, 0] > 0)
    rest = np.flatnonzero(~keep)
    chosen = np.concatenate([np.flatnonzero(keep), rng.choice(rest, size=min(negatives, len(rest)), replace=False)])
    return x[chosen], label[chosen]
