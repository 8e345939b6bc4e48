"""Off-policy evaluation on a replay simulated from Instacart: does the estimate of a candidate
policy's purchase rate, computed only from another policy's logs, cover the truth?

Each shopper's last basket is held out; every method is fitted on the baskets before it. On
each of `VISITS` visits a shopper sees one item in the exploration slot, drawn from a pool of
candidates (the best of buy-again and item-kNN) by the logging policy, which logs the item and
its propensity; the visit earns a purchase when the item is in the held-out basket. Candidate
policies choose from the same pool; their true purchase rate is known exactly here (the
basket is known), so every run checks whether the IPS and SNIPS intervals cover it
(ranking/offpolicy.py). Runs differ only in the logging policy's draws.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.evaluation import report as reports
from assistant.evaluation.common import dataset_settings
from assistant.ingest import ingest_dataset
from assistant.settings import Settings
from ranking.evaluate import holdout_last_session, purchases
from ranking.offpolicy import Estimate, ips, snips, softmax_policy
from ranking.policy import Methods
from records import Event

POOL = 40  # candidates per shopper: the top 20 of buy-again and of item-kNN
VISITS = 5  # exploration-slot impressions per shopper and run
RUNS = 200
CHECKPOINTS = (10, 50, 200)  # impressions after which a new item's estimate is compared with the truth
LOGGING = ("buy_again", 0.15, 0.2)  # (method, softmax temperature, uniform share): what was shown
CANDIDATES = {  # what a shop would like to know before showing it
    "item_knn, softmax": ("item_knn", 0.15, 0.0),
    "als, near-greedy": ("als", 0.02, 0.0),
    "popularity, softmax": ("popularity", 0.3, 0.0),
}


def instacart(settings: Settings) -> tuple[dict[str, list[Event]], dict[str, np.ndarray]]:
    """The Instacart shoppers' events in time order and the products' text vectors, loaded into the
    evaluation's own store and index (once; later runs reuse them)."""
    from assistant.shop import Shop

    shop = Shop.open(dataset_settings(settings, "instacart"))
    try:
        if not shop.store.count_products():
            ingest_dataset(shop.store, "instacart", settings.datasets_dir)
        shop.index()
        sequences = shop.store.sequences()
        return sequences, shop.vectors.vectors(sorted({e.product_id for es in sequences.values() for e in es}))
    finally:
        shop.close()


def replay(sequences: dict[str, list[Event]]) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, list[np.ndarray]]]:
    """Per shopper: the pool's rewards (1 = in the held-out basket), the logging policy's and each
    candidate's choice probabilities over the pool."""
    split = holdout_last_session(sequences)
    index = {pid: i for i, pid in enumerate(sorted({e.product_id for es in sequences.values() for e in es}))}
    bought = purchases(split.train, index)
    methods = Methods.fit(bought, len(index))
    rewards, logging, candidates = [], [], defaultdict(list)
    for u in tqdm(sorted(split.test), desc="replay shoppers", unit="shopper", leave=False):
        truth = {index[p] for p in split.test[u] if p in index}
        history = bought.get(u, [])
        if not truth or not history:
            continue
        scores = {m: methods.scores(m, history) for m in ("buy_again", "item_knn", "als", "popularity")}
        pool = list(dict.fromkeys([*np.argsort(-scores["buy_again"])[: POOL // 2], *np.argsort(-scores["item_knn"])[: POOL // 2]]))
        rewards.append(np.array([1.0 if i in truth else 0.0 for i in pool]))
        method, temperature, uniform = LOGGING
        logging.append(softmax_policy(scores[method][pool], temperature, uniform))
        for name, (method, temperature, uniform) in CANDIDATES.items():
            candidates[name].append(softmax_policy(scores[method][pool], temperature, uniform))
    return rewards, logging, dict(candidates)


def new_items(
    sequences: dict[str, list[Event]], vectors: dict[str, np.ndarray], runs: int = 20, seed: int = 0, max_impressions: int = 3000
) -> dict[str, Any]:
    """How many exploration impressions a new item needs before its estimated purchase rate
    stays within 20% of the true one, with the prior from its nearest items (ranking/explore.py)
    and without. An item's true rate: the share of shoppers whose held-out basket holds it; its
    neighbours' rates come from the basket before (the item's own is hidden, as if it were new).
    Impressions go to shoppers drawn at random; each earns a purchase when the item is in that
    shopper's held-out basket."""
    from ranking.explore import NEIGHBOURS, PRIOR_STRENGTH

    split = holdout_last_session(sequences)
    previous = holdout_last_session(split.train)  # each shopper's basket before the held-out one
    ids = sorted(pid for pid in {e.product_id for es in sequences.values() for e in es} if pid in vectors)
    at = {pid: i for i, pid in enumerate(ids)}
    shoppers = sorted(split.test)
    held = np.zeros((len(shoppers), len(ids)), bool)
    for row, u in enumerate(shoppers):
        held[row, [at[p] for p in split.test[u] if p in at]] = True
    true = held.mean(0)
    before = np.zeros(len(ids))
    for basket in previous.test.values():
        before[[at[p] for p in basket if p in at]] += 1
    before /= max(len(previous.test), 1)
    unit = np.array([vectors[i] for i in ids], dtype=np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True) + 1e-9
    items = np.flatnonzero(true >= 0.02)  # enough buyers among these shoppers to say "within 20%"
    rng = np.random.default_rng(seed)
    needed: dict[str, list[int]] = {"with prior": [], "without prior": []}
    early: dict[str, dict[int, list[float]]] = {k: {n: [] for n in CHECKPOINTS} for k in needed}  # relative error after n
    prior_error = []
    for i in tqdm(items, desc="new items", unit="item", leave=False):
        sims = unit @ unit[i]
        sims[i] = -1.0
        near = np.argsort(-sims)[:NEIGHBOURS]
        weights = np.clip(sims[near], 1e-6, None)
        mean = float(np.clip((weights * before[near]).sum() / weights.sum(), 0.01, 0.99))
        prior_error.append(abs(mean - true[i]) / true[i])
        for _ in range(runs):
            wins = np.cumsum(held[rng.integers(0, len(shoppers), max_impressions), i])
            n = np.arange(1, max_impressions + 1)
            for name, estimate in (("with prior", (PRIOR_STRENGTH * mean + wins) / (PRIOR_STRENGTH + n)), ("without prior", wins / n)):
                for c in CHECKPOINTS:
                    early[name][c].append(abs(float(estimate[c - 1]) - true[i]) / true[i])
                off = np.abs(estimate - true[i]) > 0.2 * true[i]
                last_off = int(np.flatnonzero(off)[-1]) + 1 if off.any() else 0
                needed[name].append(last_off + 1 if last_off < max_impressions else max_impressions + 1)
    return {
        "items": len(items),
        "runs": runs,
        "max_impressions": max_impressions,
        "prior_median_relative_error": round(float(np.median(prior_error)), 3) if prior_error else None,
        "prior_strength": PRIOR_STRENGTH,
        **{
            name: {
                "median": int(np.median(v)),
                "p75": int(np.percentile(v, 75)),
                "not_within_cap": round(float(np.mean(np.array(v) > max_impressions)), 3),
                "median_relative_error_after": {str(c): round(float(np.median(early[name][c])), 3) for c in CHECKPOINTS},
            }
            for name, v in needed.items()
            if v
        },
    }


def offpolicy_eval(settings: Settings, out: Path, runs: int = RUNS, seed: int = 0) -> dict[str, Any]:
    sequences, vectors = instacart(settings)
    rewards, logging, candidates = replay(sequences)
    truth = {name: float(np.mean([p @ r for p, r in zip(probs, rewards)])) for name, probs in candidates.items()}
    logged_rate = float(np.mean([p @ r for p, r in zip(logging, rewards)]))
    found: dict[str, dict[str, list[Estimate]]] = {name: {"ips": [], "snips": []} for name in candidates}
    rng = np.random.default_rng(seed)
    for _ in tqdm(range(runs), desc="runs", unit="run", leave=False):
        shown = [[rng.choice(len(p), p=p) for _ in range(VISITS)] for p in logging]
        r = np.array([rewards[s][a] for s, acts in enumerate(shown) for a in acts])
        p_log = np.array([logging[s][a] for s, acts in enumerate(shown) for a in acts])
        for name, probs in candidates.items():
            p_new = np.array([probs[s][a] for s, acts in enumerate(shown) for a in acts])
            found[name]["ips"].append(ips(r, p_new, p_log))
            found[name]["snips"].append(snips(r, p_new, p_log))
    data: dict[str, Any] = {
        "shoppers": len(rewards),
        "impressions_per_run": len(rewards) * VISITS,
        "runs": runs,
        "logging": {"policy": "{} softmax (temperature {}, uniform share {})".format(*LOGGING), "purchase_rate": round(logged_rate, 4)},
        "candidates": {},
    }
    for name, estimates in found.items():
        data["candidates"][name] = {"true": round(truth[name], 4)}
        for kind, es in estimates.items():
            values = np.array([e.value for e in es])
            data["candidates"][name][kind] = {
                "coverage": round(float(np.mean([e.covers(truth[name]) for e in es])), 3),
                "mean": round(float(values.mean()), 4),
                "mean_abs_error": round(float(np.abs(values - truth[name]).mean()), 4),
                "relative_error": round(float(np.abs(values - truth[name]).mean() / max(truth[name], 1e-9)), 3),
                "mean_ci_width": round(float(np.mean([e.high - e.low for e in es])), 4),
            }
    data["new_items"] = new_items(sequences, vectors)
    write_offpolicy_report(data, out)
    return data


def write_offpolicy_report(data: dict[str, Any], out: Path) -> Path:
    rows = [
        [
            name,
            c["true"],
            kind,
            c[kind]["mean"],
            c[kind]["mean_abs_error"],
            f"{c[kind]['relative_error']:.1%}",
            c[kind]["mean_ci_width"],
            f"{c[kind]['coverage']:.1%}",
        ]
        for name, c in data["candidates"].items()
        for kind in ("ips", "snips")
    ]
    lines = [
        "# Off-policy evaluation on an Instacart replay",
        "",
        f"{reports.generated()}; {data['shoppers']} shoppers, {data['impressions_per_run']} logged impressions per run, {data['runs']} runs. "
        f"Logging policy: {data['logging']['policy']}, purchase rate {data['logging']['purchase_rate']}. Each candidate's true purchase rate is "
        "exact (the held-out baskets are known); coverage is the share of runs whose 95% interval holds it. "
        "The truth is the rate over these same shoppers; a shopper's visits share one basket, which the intervals do not model.",
        "",
        *reports.table(
            ["candidate", "true rate", "estimator", "mean estimate", "mean abs error", "relative error", "mean 95% width", "coverage"], rows
        ),
    ]
    fresh = data.get("new_items")
    if fresh:
        lines += [
            "",
            "## New items: impressions until the estimated purchase rate stays within 20% of the true one",
            "",
            f"{fresh['items']} items bought by at least 2% of the shoppers, {fresh['runs']} runs each, impressions to random shoppers, capped at "
            f"{fresh['max_impressions']}. The prior is the similarity-weighted rate of the item's nearest items by text vector in the basket before "
            f"(median relative error {fresh['prior_median_relative_error']}), worth {fresh.get('prior_strength', '')} impressions.",
            "",
            *reports.table(
                ["estimate", "median impressions", "75th percentile", "share not within the cap"]
                + [f"median relative error after {c}" for c in fresh["with prior"]["median_relative_error_after"]],
                [
                    [
                        k,
                        fresh[k]["median"],
                        fresh[k]["p75"],
                        f"{fresh[k]['not_within_cap']:.1%}",
                        *fresh[k]["median_relative_error_after"].values(),
                    ]
                    for k in ("with prior", "without prior")
                    if k in fresh
                ],
            ),
        ]
    return reports.write(out, "offpolicy", data, lines)
