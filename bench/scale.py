"""A whole shop at 100k and 1M products: time to cards of a chat turn, and a recommendation, as
the shop serves them (understanding, hybrid recall over dense + BM25 + trigram vectors,
ranking, cards with reasons), not the vector search alone (that is `vectors.py`).

The catalog is real-shaped: the 54,667 Home Depot products (titles, embedded with the bundled
model), then copies until the size is reached; a copy keeps its source's title (so its words,
BM25 and trigram vectors are real, and each word's posting list grows with the catalog as in a
larger shop of similar goods), gets its own id, a perturbed vector (Gaussian noise, sigma 0.04,
re-normalised, as `vectors.py`) and a price (log-normal, median about $55; Home Depot's titles
have none). Queries are real Home Depot search queries, a quarter of them with "under $100".
Reported per size: build time, the shop's warm-up (vocabulary, speller, first ranking), then
p50/p99 of time to cards (the `cards` event of `Shop.chat`, in-process) and of a recommendation
for a query (`Shop.recommend`).

    .venv/bin/python bench/scale.py [--sizes 100000 1000000] [--queries 200]

Prints figures and writes bench/results/scale.{json,md}. Building 1M took 49 minutes on 2
cores shared with other work (the HNSW graph most of it); a built size is kept under
~/.cache/shopassist-bench/ and reused (resumable: a size whose build did not finish is built
again). Opening a size built by an earlier version fills the store's new columns first.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import machine, write_report
from vectors import CACHE, HD, SIGMA, disk_mb, embedded, pct, rss_mb, titles_and_queries

from assistant.datasets.homedepot import homedepot_products
from assistant.settings import Settings  # sets HF_HUB_OFFLINE before the model loads
from assistant.store import Store, content_hash
from records import Product
from retrieval.analysis import LEXICAL_VERSION
from retrieval.backends import open_vector_store
from retrieval.embedder import get_embedder
from retrieval.indexer import indexed_item

BATCH = 2000


def products_and_vectors() -> tuple[list[Product], np.ndarray]:
    products = list(homedepot_products(HD))
    vectors = embedded("products", [p.embedding_text() for p in products])
    return products, vectors


def build(folder: Path, size: int, base: list[Product], vectors: np.ndarray, rng: np.random.Generator) -> float:
    """A shop's data directory holding `size` products: the store and the vector index."""
    settings = Settings(_env_file=None, data_dir=folder)
    store = Store(settings.db_url)
    index = open_vector_store(path=str(settings.qdrant_path), url=None, collection=settings.qdrant_collection, api_key=None)
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    index.ensure(vectors.shape[1])
    index.set_meta({"model": embedder.name, "dim": vectors.shape[1], "lexical": LEXICAL_VERSION})
    started = time.perf_counter()
    for start in tqdm(range(0, size, BATCH), desc=f"store + index {size:,}", unit="batch"):
        batch = []
        for i in range(start, min(size, start + BATCH)):
            source, copy = base[i % len(base)], i // len(base)
            price = round(float(np.exp(rng.normal(4.0, 1.0))), 2)
            p = source.model_copy(update={"id": f"{source.id}~{copy}" if copy else source.id, "price": price})
            v = vectors[i % len(base)]
            if copy:
                noisy = v + rng.normal(0, SIGMA, v.shape).astype(np.float32)
                v = noisy / np.linalg.norm(noisy)
            batch.append((p, v))
        store.upsert_products([p for p, _ in batch])
        index.upsert([indexed_item(p, v, content_hash(p)) for p, v in batch])
    print(">> building the HNSW graph (optimize) …", flush=True)
    index.optimize()
    index.close()
    store.engine.dispose()
    took = time.perf_counter() - started
    (folder / "built").write_text(f"{took:.1f}")  # what the kept build took, reported when it is reused
    return took


def measure(folder: Path, queries: list[str]) -> dict:
    from assistant.cli import ready_to_serve
    from assistant.shop import Shop

    shop = Shop.open(Settings(_env_file=None, data_dir=folder, llm_enabled=False))
    started = time.perf_counter()
    shop.warm_up()
    warm_s = time.perf_counter() - started
    ready_to_serve()  # as `serve` runs: one thread per request
    cards, recs = [], []
    for q in tqdm(queries, desc="chat turns", unit="turn"):
        t = time.perf_counter()
        for ev in shop.chat(q):
            if ev.name == "cards":
                cards.append((time.perf_counter() - t) * 1000)
                break
        t = time.perf_counter()
        shop.recommend(None, q.replace(" under $100", ""), None, 8)
        recs.append((time.perf_counter() - t) * 1000)
    out = {"warm_up_s": round(warm_s, 1), "rss_mb": round(rss_mb()), "time_to_cards": pct(cards), "recommend_with_query": pct(recs)}
    shop.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    os.environ["LLM_ENABLED"] = "0"
    base, vectors = products_and_vectors()
    _, all_queries = titles_and_queries()
    rng = random.Random(7)
    queries = [q + (" under $100" if rng.random() < 0.25 else "") for q in rng.sample(all_queries, args.queries)]
    rows = []
    for size in args.sizes:
        folder = CACHE / f"shop_{size}"
        if not (folder / "built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder, size, base, vectors, np.random.default_rng(size))
        row = {"products": size, "build_s": float((folder / "built").read_text()), "disk_mb": disk_mb(folder)}
        row.update(measure(folder, queries))
        print(row, flush=True)
        rows.append(row)
    report = {"machine": machine(), "queries": len(queries), "runs": rows}
    write_report("scale", report, markdown(report))


def markdown(report: dict) -> str:
    lines = [
        "# A whole shop at scale (chat time to cards, recommendations)",
        "",
        f"Machine: {report['machine']}. Home Depot's 54,667 products grown by copies (own id, perturbed vector, "
        f"a price), {report['queries']} real Home Depot queries (a quarter with “under $100”), in-process, no LLM "
        "(cards never wait for it).",
        "",
        "| products | build s | disk MB | warm-up s | RSS MB | time to cards p50 / p99 ms | recommend with a query p50 / p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:
        c, q = r["time_to_cards"], r["recommend_with_query"]
        lines.append(
            f"| {r['products']:,} | {r['build_s']} | {r['disk_mb']} | {r['warm_up_s']} | {r['rss_mb']} | "
            f"{c['p50_ms']} / {c['p99_ms']} | {q['p50_ms']} / {q['p99_ms']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
