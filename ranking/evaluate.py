"""Offline evaluation the way the field does it: hold out each shopper's last session (basket),
train on everything before, rank all items for every shopper, and score the held-out basket.

Two settings: all items, and new items only (items the shopper never bought before; users
without such an item in the basket are skipped). Baselines run in the same pass.

`learned_blend` is the product's own ranking: past products first, in the repeat model's
order (ranking/repeat.py), then everything else by the blend of two-tower taste, popularity,
co-occurrence and adoption (ranking/blend.py); in the new-items setting only the blend counts.
`served` is what the shop serves a shopper without a message (`ranking.rank.serve`, the
function `Recommender.recommend` calls), over the whole catalog instead of recall's candidates.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ranking import baselines, blend, repeat
from ranking.behaviour import TARGET_KINDS, session_starts
from ranking.checkpoint import load, save
from ranking.features import MAX_HISTORY, history_weights
from ranking.metrics import hit_rate_at_k, ndcg_at_k, recall_at_k, relative_gain_interval
from ranking.model import TwoTower
from ranking.rank import Scored, serve
from ranking.train import TrainConfig, train
from records import Event, Product

K = (10, 20)
BASELINES = ("popularity", "buy_again", "item_knn", "als")


@dataclass
class Split:
    train: dict[str, list[Event]]  # per user, time-ordered
    test: dict[str, set[str]]  # per user, the held-out basket's product ids
    at: dict[str, float]  # per user, when the held-out basket was bought (days): "now" for the prediction


def holdout_last_session(sequences: dict[str, list[Event]]) -> Split:
    train_seq, test, at = {}, {}, {}
    for user, events in sequences.items():
        starts = session_starts(events)
        last = starts[-1] if events else 0
        basket = {e.product_id for e in events[last:] if e.kind in TARGET_KINDS}
        if last == 0 or not basket:
            train_seq[user] = events
            continue
        train_seq[user] = events[:last]
        test[user] = basket
        at[user] = repeat.days(events[last].ts)
    return Split(train_seq, test, at)


def _topk(scores: np.ndarray, k: int, exclude: set[int] | None = None) -> list[int]:
    s = scores.copy()
    if exclude:
        s[list(exclude)] = -np.inf
    k = min(k, len(s))
    idx = np.argpartition(-s, k - 1)[:k]
    return idx[np.argsort(-s[idx])].tolist()


def _served(
    model: TwoTower,
    products: list[Product],
    taste: np.ndarray,
    own: set[int],
    chance: dict[int, float],
    due_at: float,
    catalog: dict[str, Product],
) -> np.ndarray:
    """Scores whose order is what the shop serves a shopper without a message: the two-tower
    taste plus w·T·log Q (Ranker.rank(popularity=True), own products counted as unseen), then the
    rules: bought products moved by demote_by·(2p − 1), those with p ≥ due_at first."""
    scores = taste + model.prior([p.id for p in products], own={products[i].id for i in own})
    cands = sorted({*np.argsort(-scores)[:200].tolist(), *chance}, key=lambda i: -scores[i])  # recall brings past products in
    again = {str(i): float(c) for i, c in chance.items()}
    order = serve(
        [Scored(str(i), float(scores[i]), 0.0, 0.0) for i in cands],
        catalog,
        {str(i) for i in own},
        again,
        due_at,
        what_next=True,
        top=len(cands),
    )
    out = np.full(len(products), -np.inf)
    out[[int(r.product_id) for r in order]] = -np.arange(len(order), dtype=float)
    return out


def two_tower_scores(model: TwoTower, items_vecs: torch.Tensor, history: list[Event], index: dict[str, int]) -> np.ndarray:
    hist = [e for e in history if e.product_id in index][-MAX_HISTORY:]
    with torch.no_grad():
        hist_vecs = items_vecs[torch.tensor([index[e.product_id] for e in hist], dtype=torch.long)]
        return (items_vecs @ model.user_vector(hist_vecs, history_weights(hist))).numpy()


def evaluate(
    products: list[Product],
    vectors: np.ndarray,
    sequences: dict[str, list[Event]],
    embedding_model: str,
    config: TrainConfig | None = None,
    blend_weights=(0.02, 0.05, 0.1, 0.2, 0.5),
    model_path: Path | None = None,
) -> dict:
    """`model_path`: where the model trained on the split is kept, so a re-run skips training."""
    started = time.time()
    split = holdout_last_session(sequences)
    index = {p.id: i for i, p in enumerate(products)}
    n = len(products)
    users = sorted(split.test)
    if model_path is not None and model_path.exists():
        (model, saved), result = load(model_path), None
        reused = {**(saved["result"] or {}), "reused": str(model_path)}
    else:
        model, result = train(products, vectors, split.train, embedding_model, config)
        if model_path is not None:
            save(model, model_path, result)
    from ranking.features import encode_items

    with torch.no_grad():
        item_vecs = model.items(encode_items(products, vectors, model.schema))
    bought = {
        u: [index[e.product_id] for e in split.train.get(u, []) if e.kind in TARGET_KINDS and e.product_id in index] for u in split.train
    }
    all_users = sorted(split.train)
    matrix = baselines.user_item_matrix(bought, n, all_users)
    row_of = {u: i for i, u in enumerate(all_users)}
    pop = baselines.popularity(matrix)
    sim = baselines.item_knn(matrix)
    als = baselines.fit_als(matrix)

    # past products: the repeat model, fitted on each shopper's earlier baskets
    histories = {u: repeat.History.of(split.train.get(u, []), index.get) for u in all_users}
    item_stats = repeat.ItemStats.of(histories)
    repeats = repeat.RepeatModel().fit(histories, item_stats)
    due_at = repeat.due_bar(histories, item_stats)
    catalog = {str(i): p.model_copy(update={"id": str(i), "stock": 1}) for i, p in enumerate(products)}  # rules see index ids
    # everything else: the learned blend, fitted on each shopper's validation basket (the last one
    # before the test), with item signals from the baskets before the validation ones
    baskets = {u: h.baskets for u, h in histories.items()}
    signals = blend.Signals(
        np.log1p(pop), item_stats.rebuy_rate(n), sim, blend.adoption(baskets, n)
    )  # what the baselines count, every basket in
    fit_signals = blend.Signals.of({u: b[:-1] for u, b in baskets.items()}, n)
    rng = np.random.default_rng(7)
    fit_x: dict[str, list] = {"new": []}
    fit_y: dict[str, list] = {"new": []}
    for u in users:
        past, val = baskets[u][:-1], baskets[u][-1:] if len(baskets[u]) > 1 else []
        if not val:
            continue
        events = split.train[u]
        hist_events = events[: session_starts(events)[-1]]  # what the shopper did before the validation basket
        x = fit_signals.features(past, two_tower_scores(model, item_vecs, hist_events, index))
        y = np.zeros(n)
        y[val[0]] = 1
        seen = np.zeros(n, bool)
        for b in past:
            seen[b] = True
        xn, yn = blend.sample_candidates(x[~seen], y[~seen], rng)
        fit_x["new"].append(xn)
        fit_y["new"].append(yn)
    blends = {s: blend.Blend.fit(fit_x[s], fit_y[s]) for s in fit_x}

    methods = [*BASELINES, "two_tower", "learned_blend", "served"] + [f"buy_again+{w}*two_tower" for w in blend_weights]
    sums: dict[str, dict[str, defaultdict[str, float]]] = {s: {m: defaultdict(float) for m in methods} for s in ("all", "new")}
    counts = {"all": 0, "new": 0}
    per_user: dict[str, dict[str, list[float]]] = {s: {m: [] for m in methods} for s in ("all", "new")}  # NDCG@10, for the intervals
    for u in users:
        hist_idx = bought.get(u, [])
        truth = {index[p] for p in split.test[u] if p in index}
        if not truth:
            continue
        tt = two_tower_scores(model, item_vecs, split.train.get(u, []), index)
        ba = baselines.buy_again(hist_idx, n, pop)
        scores = {
            "popularity": pop,
            "buy_again": ba,
            "item_knn": baselines.knn_scores(sim, matrix[row_of[u]]),
            "als": baselines.als_scores(als, row_of[u]),
            "two_tower": tt,
        }
        z = (tt - tt.mean()) / (tt.std() + 1e-6)
        for w in blend_weights:
            scores[f"buy_again+{w}*two_tower"] = np.log1p(np.maximum(ba, 0)) + w * z
        explore = blends["new"].score(signals.features(baskets[u], tt))
        past_items, chance = repeats.score(u, histories[u], split.at[u], item_stats)
        ranked = explore.copy()
        ranked[past_items] = explore.max() + 1 + chance  # past products first, in the repeat model's order
        scores["served"] = _served(model, products, tt, set(hist_idx), dict(zip(past_items, chance)), due_at, catalog)
        owned = set(hist_idx)
        new_truth = truth - owned
        for setting, target, exclude in (("all", truth, None), ("new", new_truth, owned)):
            if not target:
                continue
            counts[setting] += 1
            rel = {str(i) for i in target}
            scores["learned_blend"] = ranked if setting == "all" else explore
            for m, s in scores.items():
                top = [str(i) for i in _topk(s, max(K), exclude)]
                acc = sums[setting][m]
                acc["Recall@10"] += recall_at_k(top, rel, 10)
                acc["Recall@20"] += recall_at_k(top, rel, 20)
                ndcg = ndcg_at_k(top, rel, 10)
                acc["NDCG@10"] += ndcg
                per_user[setting][m].append(ndcg)
                acc["HitRate@10"] += hit_rate_at_k(top, rel, 10)
    metrics = {s: {m: {k: round(v / max(counts[s], 1), 4) for k, v in acc.items()} for m, acc in sums[s].items()} for s in sums}
    return {
        "gains": _gains(metrics, per_user),
        "blend_weights": {s: b.describe() for s, b in blends.items()},
        "served_due_at": round(due_at, 4),  # a past product with a higher chance of coming back leads
        "served_prior_weight": model.prior_weight,  # of T·log Q, chosen on the validation sessions
        "users": counts,
        "items": n,
        "train": result.__dict__ if result else reused,
        "metrics": metrics,
        "seconds": round(time.time() - started, 1),
    }


def _gains(metrics: dict, per_user: dict) -> dict:
    """NDCG@10 of the product's rankings over the strongest baseline, per setting, with a paired
    bootstrap 95% interval."""
    out: dict = {}
    for setting, table in metrics.items():
        if not per_user[setting]["popularity"]:
            continue
        best = max(BASELINES, key=lambda m: table[m]["NDCG@10"])
        for m in ("learned_blend", "served"):
            gain, low, high = relative_gain_interval(per_user[setting][m], per_user[setting][best])
            out[f"{setting}: {m} vs {best}"] = {"gain": round(gain, 4), "ci95": [round(low, 4), round(high, 4)]}
    return out
