"""Latency of the serving path on the demo shop: rank() of 500 candidates, the repeat model's
chances for a shopper with 150 past products, recall, a chat turn (time to cards, time to
first prose token). Prints figures and writes bench/results/latency.{json,md}.

    .venv/bin/python bench/latency.py [--turns 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import write_report

from assistant.ingest import ingest_demo
from assistant.pipeline import train_ranker
from assistant.settings import Settings
from assistant.shop import Shop
from ranking.repeat import Repeat
from records import Event, utcnow

QUERIES = [
    "a quiet keyboard for the office under $100",
    "noise cancelling headphones",
    "espresso machine",
    "waterproof hiking backpack",
    "trail running shoes under $150",
]


def pct(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(xs, 50)), 2), "p99_ms": round(float(np.percentile(xs, 99)), 2), "n": len(xs)}


def grocery_shoppers(users: int = 200, weeks: int = 30, items: int = 600, seed: int = 7) -> dict[str, list[Event]]:
    """Synthetic weekly baskets (the demo holds no re-buys): each shopper has 40 staples, each
    re-bought with its own period, plus a few one-off items a week."""
    rng = np.random.default_rng(seed)
    now, out = utcnow(), {}
    for u in range(users):
        staples, periods = rng.choice(items, 40, replace=False), rng.integers(1, 6, 40)
        events = []
        for w in range(weeks):
            ts = now - timedelta(days=7 * (weeks - w))
            basket = [*staples[(w % periods) == 0], *rng.choice(items, 4)]
            events += [
                Event(user_id=f"g{u}", product_id=f"item{i}", kind="purchase", ts=ts + timedelta(minutes=k)) for k, i in enumerate(basket)
            ]
        out[f"g{u}"] = events
    return out


def repeat_latency(n: int = 300) -> list[float]:
    sequences = grocery_shoppers()
    repeat = Repeat.fit(sequences)
    assert repeat is not None
    history = max(sequences.values(), key=lambda es: len({e.product_id for e in es}))  # 150 past products
    times = []
    for _ in range(n):
        t = time.perf_counter()
        repeat.chances("g0", history, utcnow())
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=20)
    args = ap.parse_args()
    shop = Shop.open(Settings(data_dir=Path(tempfile.mkdtemp()), rate_limit_per_minute=0, _env_file=None))
    ingest_demo(shop.store)
    shop.index(progress=False)
    train_ranker(shop)

    # rank() of 500 candidates: the demo catalog has 160 products, so the rest are synthetic
    # copies with perturbed vectors (scoring cost does not depend on where vectors came from)
    rng = np.random.default_rng(7)
    base = list(shop.store.iter_products())
    vecs = shop.vectors.vectors([p.id for p in base])
    cands, cvecs = [], {}
    for i in range(500):
        p = base[i % len(base)]
        c = p.model_copy(update={"id": f"{p.id}-{i}"})
        v = vecs[p.id] + rng.normal(0, 0.05, size=vecs[p.id].shape).astype(np.float32)
        cands.append(c)
        cvecs[c.id] = v / np.linalg.norm(v)
    history = shop.store.history("u02")
    hp = shop.store.get_products(e.product_id for e in history)
    cvecs.update(shop.vectors.vectors(list(hp)))
    q = shop.embedder.encode_one("quiet keyboard")
    rank_ms = []
    for _ in range(300):
        t = time.perf_counter()
        shop.ranker.rank(history, hp, cands, cvecs, q)
        rank_ms.append((time.perf_counter() - t) * 1000)

    repeat_ms = repeat_latency()

    recommend_ms, cards_ms, first_token_ms, turn_ms = [], [], [], []
    for i in range(args.turns):
        t = time.perf_counter()
        shop.recommend("u02", QUERIES[i % len(QUERIES)])
        recommend_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        first = None
        for ev in shop.chat(QUERIES[i % len(QUERIES)], f"bench-{i}", "u02"):
            now = (time.perf_counter() - t) * 1000
            if ev.name == "cards":
                cards_ms.append(now)
            elif ev.name == "token" and first is None:
                first = now
        first_token_ms.append(first or 0.0)
        turn_ms.append((time.perf_counter() - t) * 1000)

    report = {
        "rank_500_candidates": pct(rank_ms),
        "repeat_chances": pct(repeat_ms),
        "recommend": pct(recommend_ms),
        "chat_time_to_cards": pct(cards_ms),
        "chat_time_to_first_prose": pct(first_token_ms),
        "chat_whole_turn": pct(turn_ms),
        "llm_stats": dict(shop.stats),
    }
    lines = ["# Serving latency (demo shop, this machine)", "", "| step | p50 ms | p99 ms | n |", "|---|---|---|---|"]
    lines += [f"| {k} | {v['p50_ms']} | {v['p99_ms']} | {v['n']} |" for k, v in report.items() if isinstance(v, dict) and "p50_ms" in v]
    lines += ["", f"LLM: {report['llm_stats']}"]
    write_report("latency", report, "\n".join(lines) + "\n")
    shop.close()


if __name__ == "__main__":
    main()
