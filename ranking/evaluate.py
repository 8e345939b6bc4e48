"""Offline evaluation the way the field does it: hold out each shopper's last session (basket),
train on everything before, rank all items for every shopper, and score the held-out basket.

Two settings: all items, and new items only (items the shopper never bought before; users
without such an item in the basket are skipped). Baselines run in the same pass.

`learned_blend` is the product's own ranking: past products first, in the repeat model's
order (ranking/repeat.py), then everything else by the blend of two-tower taste, popularity,
co-occurrence and adoption (ranking/blend.py); in the new-items setting only the blend counts.
`blend` is the two-tower taste with the popularity prior and the repeat model's re-buys
(`ranking.rank.serve`, the function `Recommender.recommend` calls), over the whole catalog
instead of recall's candidates. `served` is the policy `shopassist train` would choose on this
training data (`choose_policy`, ranking/policy.py): chosen on each shopper's last training
session, never on the held-out one, and scored with the same function the shop serves with.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ranking import baselines, blend, diversity, policy, repeat
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
SINGLES = (*BASELINES, "two_tower")
DIVERSITY_WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # MMR trade-offs reported side by side (ranking/diversity.py)
MAX_VALIDATION = 3000  # validation shoppers scored when choosing the policy (enough to separate methods)


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


def _served(scores: np.ndarray, own: set[int], chance: dict[int, float], due_at: float, catalog: dict[str, Product]) -> np.ndarray:
    """Scores whose order is what the shop serves a shopper without a message when the blend
    serves: `scores` through the serving rules (`ranking.rank.serve`, as `Recommender.recommend`
    calls it): past products with a chance ≥ due_at first, bought products moved by
    demote_by·(2p − 1). Recall's top 200 and the shopper's past products are the candidates."""
    cands = sorted({*np.argsort(-scores)[:200].tolist(), *chance}, key=lambda i: -scores[i])
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
    out = np.full(len(scores), -np.inf)
    out[[int(r.product_id) for r in order]] = -np.arange(len(order), dtype=float)
    return out


def item_vectors(model: TwoTower, products: list[Product], vectors: np.ndarray) -> torch.Tensor:
    """Every product's item-tower vector, once per evaluation or policy choice."""
    from ranking.features import encode_items

    with torch.no_grad():
        return model.items(encode_items(products, vectors, model.schema))


def two_tower_scores(model: TwoTower, items_vecs: torch.Tensor, history: list[Event], index: dict[str, int]) -> np.ndarray:
    hist = [e for e in history if e.product_id in index][-MAX_HISTORY:]
    with torch.no_grad():
        hist_vecs = items_vecs[torch.tensor([index[e.product_id] for e in hist], dtype=torch.long)]
        return (items_vecs @ model.user_vector(hist_vecs, history_weights(hist))).numpy()


def purchases(sequences: dict[str, list[Event]], index: dict[str, int]) -> dict[str, list[int]]:
    """Each shopper's purchased (or carted) item indices, oldest first."""
    return {u: [index[e.product_id] for e in events if e.kind in TARGET_KINDS and e.product_id in index] for u, events in sequences.items()}


@dataclass
class Fitted:
    """What every policy knows, fitted on one set of histories: the single methods, and the
    repeat model with its bar for the blend."""

    methods: policy.Methods
    histories: dict[str, repeat.History]
    item_stats: repeat.ItemStats
    repeats: repeat.RepeatModel
    due_at: float
    index: dict[str, int]  # product id → item index
    catalog: dict[str, Product]  # the products keyed by item index, as the serving rules see them

    @classmethod
    def of(cls, train: dict[str, list[Event]], products: list[Product]) -> Fitted:
        index = {p.id: i for i, p in enumerate(products)}
        histories = {u: repeat.History.of(events, index.get) for u, events in train.items()}
        stats = repeat.ItemStats.of(histories)
        repeats = repeat.RepeatModel().fit(histories, stats)
        catalog = {str(i): p.model_copy(update={"id": str(i), "stock": 1}) for i, p in enumerate(products)}
        methods = policy.Methods.fit(purchases(train, index), len(index))
        return cls(methods, histories, stats, repeats, repeat.due_bar(histories, stats), index, catalog)


def policy_scores(
    fitted: Fitted, user: str, events: list[Event], now: float, model: TwoTower, products: list[Product], item_vecs: torch.Tensor
) -> dict[str, np.ndarray]:
    """Every candidate policy's scores over the whole catalog for one shopper, from their events
    before `now` (days): the single methods and the blend, as the shop serves each."""
    index = fitted.index
    bought = [index[e.product_id] for e in events if e.kind in TARGET_KINDS and e.product_id in index]
    taste = two_tower_scores(model, item_vecs, events, index)
    past, chance = fitted.repeats.score(user, fitted.histories[user], now, fitted.item_stats)
    due = dict(zip(past, chance)) if fitted.repeats.fitted else {}  # no repeat model: nothing is ever due
    own = set(bought)
    out = {m: fitted.methods.scores(m, bought, taste) for m in fitted.methods.available()}  # each single method as it is
    prior = model.prior([p.id for p in products], own={products[i].id for i in own})  # Ranker.rank(popularity=True)
    out[policy.BLEND] = _served(taste + prior, own, due, fitted.due_at, fitted.catalog)
    return out


def choose_policy(products: list[Product], item_vecs: torch.Tensor, sequences: dict[str, list[Event]], model: TwoTower) -> policy.Choice:
    """The served policy, chosen on each shopper's last session in `sequences` (the validation
    basket), every policy fitted on what came before it. `model` is the two-tower trained on
    `sequences` with the same sessions as its validation, so its scores there are fair too."""
    split = holdout_last_session(sequences)
    fitted = Fitted.of(split.train, products)
    index = fitted.index
    per_shopper: dict[str, list[float]] = defaultdict(list)
    for u in sorted(split.test)[:MAX_VALIDATION]:
        truth = {index[p] for p in split.test[u] if p in index}
        if not truth:
            continue
        for m, s in policy_scores(fitted, u, split.train.get(u, []), split.at[u], model, products, item_vecs).items():
            per_shopper[m].append(policy.ndcg10(s, truth))
    return policy.choose(dict(per_shopper)) if per_shopper else policy.Choice("popularity", 0, why="no shopper has two sessions yet")


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
    item_vecs = item_vectors(model, products, vectors)
    bought = purchases(split.train, index)
    # every policy as the shop would serve it, fitted on the training part; the served one chosen
    # on each shopper's last training session, as `shopassist train` chooses
    fitted = Fitted.of(split.train, products)
    choice = choose_policy(products, item_vecs, split.train, model)
    all_users = sorted(split.train)
    matrix = baselines.user_item_matrix(bought, n, all_users)
    sim = baselines.item_knn(matrix)  # the learned blend's co-occurrence signal: every neighbour
    histories, item_stats, repeats = fitted.histories, fitted.item_stats, fitted.repeats
    # everything else: the learned blend, fitted on each shopper's validation basket (the last one
    # before the test), with item signals from the baskets before the validation ones
    baskets = {u: h.baskets for u, h in histories.items()}
    signals = blend.Signals(
        np.log1p(fitted.methods.pop), item_stats.rebuy_rate(n), sim, blend.adoption(baskets, n)
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

    methods = [*SINGLES, policy.BLEND, "learned_blend", "served"] + [f"buy_again+{w}*two_tower" for w in blend_weights]
    sums: dict[str, dict[str, defaultdict[str, float]]] = {s: {m: defaultdict(float) for m in methods} for s in ("all", "new")}
    counts = {"all": 0, "new": 0}
    per_user: dict[str, dict[str, list[float]]] = {s: {m: [] for m in methods} for s in ("all", "new")}  # NDCG@10, for the intervals
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    spread: dict[float, dict[str, list]] = {w: {"ndcg": [], "ild": [], "shown": []} for w in DIVERSITY_WEIGHTS}
    for u in users:
        hist_idx = bought.get(u, [])
        truth = {index[p] for p in split.test[u] if p in index}
        if not truth:
            continue
        scores = policy_scores(fitted, u, split.train.get(u, []), split.at[u], model, products, item_vecs)
        tt, ba = scores["two_tower"], scores["buy_again"]
        scores["served"] = scores[choice.policy]  # what the shop would serve: the chosen policy
        head = _topk(scores["served"], diversity.POOL)  # the served list re-ranked for variety, as the shop does
        for weight in DIVERSITY_WEIGHTS:
            varied = [head[i] for i in diversity.mmr(unit[head], weight, 10)][:10]
            spread[weight]["ndcg"].append(ndcg_at_k([str(i) for i in varied], {str(i) for i in truth}, 10))
            spread[weight]["ild"].append(diversity.intra_list_diversity(unit[varied]))
            spread[weight]["shown"].extend(varied)
        z = (tt - tt.mean()) / (tt.std() + 1e-6)
        for w in blend_weights:
            scores[f"buy_again+{w}*two_tower"] = np.log1p(np.maximum(ba, 0)) + w * z
        explore = blends["new"].score(signals.features(baskets[u], tt))
        past_items, chance = repeats.score(u, histories[u], split.at[u], item_stats)
        ranked = explore.copy()
        ranked[past_items] = explore.max() + 1 + chance  # past products first, in the repeat model's order
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
        "diversity": {
            str(w): {
                "NDCG@10": round(float(np.mean(v["ndcg"])), 4),
                "ILD@10": round(float(np.mean(v["ild"])), 4),
                "coverage": round(len(set(v["shown"])) / n, 4),
            }
            for w, v in spread.items()
            if v["ndcg"]
        },
        "served_policy": choice.to_dict(),  # chosen on the last training session, as `shopassist train` does
        "served_due_at": round(fitted.due_at, 4),  # a past product with a higher chance of coming back leads
        "served_prior_weight": model.prior_weight,  # of T·log Q, chosen on the validation sessions
        "users": counts,
        "items": n,
        "train": result.__dict__ if result else reused,
        "metrics": metrics,
        "seconds": round(time.time() - started, 1),
    }


def _gains(metrics: dict, per_user: dict) -> dict:
    """NDCG@10 of the product's rankings over the strongest single method on the test baskets,
    per setting, with a paired bootstrap 95% interval (an interval wholly below zero: worse)."""
    out: dict = {}
    for setting, table in metrics.items():
        if not per_user[setting]["popularity"]:
            continue
        best = max(SINGLES, key=lambda m: table[m]["NDCG@10"])
        for m in ("served", policy.BLEND, "learned_blend"):
            gain, low, high = relative_gain_interval(per_user[setting][m], per_user[setting][best])
            out[f"{setting}: {m} vs {best}"] = {"gain": round(gain, 4), "ci95": [round(low, 4), round(high, 4)]}
    return out
