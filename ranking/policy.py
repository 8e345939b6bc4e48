"""The served policy: which of the store's methods orders a shopper's list, chosen on the
store's own data.

Stores differ. Grocery shoppers re-buy every week and the blend of two-tower taste with the
repeat model wins there by 10%; a gift shop's shoppers rarely come back and the same blend
scores half of plain buy-again. No store can know in advance which suits its shoppers, so
`shopassist train` measures every candidate on each shopper's last session before the data
ends (the validation basket; the evaluation's test basket is never among them) and serves:

- the simplest method whose validation NDCG@10 is within one standard error of the best one
  (the one-standard-error rule: a more complex method must win by more than the noise);
- never one below the best single method by more than the standard error of their difference
  (the safeguard; checked, not assumed);
- when fewer than `MIN_SHOPPERS` shoppers have a validation basket, the simpler of popularity
  and buy-again, and the record says that the data was too thin to tell.

`Methods.scores` is the one function that scores a shopper's items for every single method,
used by the evaluation (over the whole catalog) and by serving (over recall's candidates); the
blend is `ranking.rank` + `ranking.rank.serve`, also shared.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ranking import baselines
from ranking.metrics import ndcg_at_k

SINGLES = ("popularity", "buy_again", "item_knn", "als", "two_tower")
BLEND = "blend"  # two-tower taste + popularity prior, the repeat model's re-buys first (ranking.rank.serve)
SIMPLEST_FIRST = (*SINGLES, BLEND)
MIN_SHOPPERS = 10  # fewer validation shoppers than this: a standard error means little
NEIGHBOURS = 100  # item-kNN neighbours kept per item (the served matrix stays small)
BM25_K1, BM25_B = 100.0, 0.8  # ALS's confidence weighting (as `baselines.fit_als` fits it)


@dataclass
class Methods:
    """What the single methods know about the items, fitted on everyone's purchases: shoppers per
    item, item-kNN neighbours, ALS item factors and the weighting that places a shopper among them."""

    pop: np.ndarray
    similar: sp.csr_matrix
    als_items: np.ndarray | None = None
    als_regularization: float = 0.05
    idf: np.ndarray | None = None
    mean_length: float = 1.0

    @classmethod
    def fit(cls, bought: dict[str, list[int]], n_items: int) -> Methods:
        users = sorted(bought)
        matrix = baselines.user_item_matrix(bought, n_items, users)
        methods = cls(baselines.popularity(matrix), top_neighbours(baselines.item_knn(matrix), NEIGHBOURS))
        if matrix.nnz and len(users) >= 2:
            als = baselines.fit_als(matrix)
            methods.als_items = np.asarray(als.item_factors, dtype=np.float32)
            methods.als_regularization = float(als.regularization)
            methods.idf = math.log(len(users)) - np.log1p(np.bincount(matrix.tocoo().col, minlength=n_items)).astype(np.float32)
            methods.mean_length = float(np.asarray(matrix.sum(1)).mean())
        return methods

    @property
    def n_items(self) -> int:
        return len(self.pop)

    def available(self) -> tuple[str, ...]:
        return tuple(m for m in SINGLES if m != "als" or self.als_items is not None)

    def scores(self, method: str, bought: list[int], taste: np.ndarray | None = None) -> np.ndarray:
        """Every item's score for one shopper under a single method. `bought`: their purchased
        item indices, oldest first (repeats count); `taste`: the two-tower scores, for "two_tower"."""
        n = self.n_items
        if method == "popularity":
            return self.pop.astype(float)
        if method == "buy_again":
            return baselines.buy_again(bought, n, self.pop.astype(np.float32))
        if method == "item_knn":
            return baselines.knn_scores(self.similar, baselines.user_item_matrix({"u": bought}, n, ["u"]))
        if method == "als":
            return self.als_items @ self.als_user(bought) if self.als_items is not None else np.zeros(n)
        if method == "two_tower":
            return taste if taste is not None else np.zeros(n)
        raise ValueError(f"not a single method: {method!r}")

    def als_user(self, bought: list[int]) -> np.ndarray:
        """The shopper's ALS factors from their purchases now (one least-squares step against the
        fitted item factors, as ALS itself takes), so a purchase a second ago counts."""
        y, idf = self.als_items, self.idf
        if y is None or idf is None:
            raise ValueError("ALS was not fitted: too few shoppers")
        k = y.shape[1]
        if not bought:
            return np.zeros(k, np.float32)
        counts = Counter(bought)
        items = np.fromiter(counts, dtype=np.int64)
        raw = np.array([counts[i] for i in items], dtype=np.float32)
        norm = (1 - BM25_B) + BM25_B * raw.sum() / self.mean_length
        confidence = raw * (BM25_K1 + 1) / (BM25_K1 * norm + raw) * idf[items]
        yu = y[items]
        a = y.T @ y + (yu.T * (confidence - 1)) @ yu + self.als_regularization * np.eye(k, dtype=np.float32)
        return np.linalg.solve(a, yu.T @ confidence).astype(np.float32)


def top_neighbours(similar: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each item's k most similar items (row-wise), the rest dropped."""
    rows, cols, vals = [], [], []
    for i in range(similar.shape[0]):
        start, end = similar.indptr[i], similar.indptr[i + 1]
        if end - start > k:
            keep = start + np.argpartition(-similar.data[start:end], k - 1)[:k]
        else:
            keep = np.arange(start, end)
        rows.extend([i] * len(keep))
        cols.extend(similar.indices[keep].tolist())
        vals.extend(similar.data[keep].tolist())
    return sp.csr_matrix((vals, (rows, cols)), shape=similar.shape, dtype=np.float32)


@dataclass
class Choice:
    """The served policy and why: every candidate's validation NDCG@10 (mean, standard error)."""

    policy: str
    shoppers: int
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    best: str = ""
    best_single: str = ""
    why: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def choose(per_shopper: dict[str, list[float]]) -> Choice:
    """Picks the served policy from each candidate's validation NDCG@10 per shopper (the same
    shoppers in the same order for every candidate)."""
    names = [m for m in SIMPLEST_FIRST if m in per_shopper]
    values = {m: np.asarray(per_shopper[m], dtype=float) for m in names}
    n = len(values[names[0]]) if names else 0
    scores = {m: {"ndcg10": round(float(v.mean()), 4) if n else 0.0, "se": round(_se(v), 4)} for m, v in values.items()}
    if n < MIN_SHOPPERS:
        simple = [m for m in ("popularity", "buy_again") if m in values] or names[:1]
        pick = max(simple, key=lambda m: values[m].mean() if n else 0.0)
        why = f"only {n} shoppers with a validation basket (fewer than {MIN_SHOPPERS}): too few to tell the methods apart, so the simplest strong method serves"
        return Choice(pick, n, scores, pick, pick, why)
    best = max(names, key=lambda m: values[m].mean())
    best_single = max((m for m in names if m in SINGLES), key=lambda m: values[m].mean())
    pick = next(m for m in names if values[m].mean() >= values[best].mean() - _se(values[m] - values[best]))
    margin = _se(values[pick] - values[best_single])
    if values[pick].mean() < values[best_single].mean() - margin:  # the safeguard
        pick = best_single
    if pick == best:
        why = f"{pick} scored best on validation ({values[pick].mean():.4f} over {n} shoppers)"
    else:
        why = (
            f"{pick} ({values[pick].mean():.4f}) is within one standard error of the best, {best} ({values[best].mean():.4f}), "
            f"over {n} shoppers: the simpler method serves"
        )
    return Choice(pick, n, scores, best, best_single, why)


@dataclass
class Served:
    """What serving keeps of the choice: the policy, and the single methods' item knowledge
    (keyed by product id) when a single method was chosen."""

    choice: Choice
    items: list[str] = field(default_factory=list)
    methods: Methods | None = None

    @cached_property
    def index(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.items)}

    def order(self, bought: list[str], candidates: list[str]) -> np.ndarray:
        """The chosen single method's scores for `candidates` (product ids) of a shopper who
        bought `bought` (oldest first). Products newer than the choice score below every known
        one (recall's order then decides among them)."""
        if self.methods is None:
            raise ValueError(f"{self.choice.policy} needs the single methods' item knowledge, and none was kept")
        index = self.index
        scores = self.methods.scores(self.choice.policy, [index[p] for p in bought if p in index])
        known = np.array([index.get(p, -1) for p in candidates])
        floor = float(scores.min()) - 1.0 if len(scores) else 0.0
        return np.where(known >= 0, scores[np.maximum(known, 0)], floor)


def _se(v: np.ndarray) -> float:
    return float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("inf")


def ndcg10(scores: np.ndarray, truth: set[int], k: int = 10) -> float:
    """NDCG@10 of the basket `truth` under item scores over the whole catalog."""
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return ndcg_at_k([str(i) for i in top], {str(i) for i in truth}, k)
