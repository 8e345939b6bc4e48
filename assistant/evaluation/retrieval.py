"""Retrieval: the Home Depot search judgments, every query against the whole catalog, channel by
channel up to what the shop serves."""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.evaluation import report as reports
from assistant.evaluation.common import dataset_settings
from assistant.ingest import ingest_dataset
from assistant.settings import Settings
from assistant.shop import Shop
from ranking.metrics import mrr, ndcg_at_k, recall_at_k
from retrieval.analysis import grams_query, sparse_query
from retrieval.hybrid import search
from retrieval.vectorstore import GRAMS


def load_judgments(folder: Path) -> dict[str, dict[str, float]]:
    """query → {product id: relevance 1-3}; duplicate judgments of a pair are averaged."""
    pairs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with open(folder / "judgments_dev.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            pairs[r["search_term"].strip()][f"hd-{r['product_uid']}"].append(float(r["relevance"]))
    return {q: {p: sum(v) / len(v) for p, v in d.items()} for q, d in pairs.items()}


def _score(ranked: list[str], judged: dict[str, float]) -> dict[str, float]:
    gains = {p: r - 1.0 for p, r in judged.items() if r > 1.0}
    relevant = {p for p, r in judged.items() if r >= 2.5}
    return {
        "nDCG@10": ndcg_at_k(ranked, gains, 10),
        "Recall@100": recall_at_k(ranked, relevant, 100) if relevant else None,
        "MRR": mrr(ranked, relevant) if relevant else None,
    }


def retrieval_eval(settings: Settings, dataset: str = "homedepot", out: Path = Path("bench/results"), limit: int | None = None) -> dict:
    if dataset != "homedepot":
        raise ValueError("retrieval judgments exist for: homedepot")
    folder = settings.datasets_dir / "homedepot_queries"
    if not folder.exists():
        raise FileNotFoundError(f"{folder} is absent")
    settings = dataset_settings(settings, dataset)
    shop = Shop.open(settings)
    try:
        t0 = time.time()
        ingest_dataset(shop.store, dataset, settings.datasets_dir)
        report_index = shop.index()
        build_s = time.time() - t0
        judgments = load_judgments(folder)
        queries = sorted(judgments)[:limit] if limit else sorted(judgments)
        qvecs = shop.embedder.encode(queries, progress=True)
        rewrites = {q: shop.recall.query_texts(q) for q in queries}  # (dense text, BM25 text)
        fixed = dict(
            zip(queries, shop.embedder.encode([rewrites[q][0] for q in queries], progress=True))
        )  # dense vectors of the corrected text
        sparse_text = {q: rewrites[q][1] for q in queries}
        vs = shop.vectors
        # each row adds one step to the one above; the last is what the shop serves
        channels = {
            "dense": lambda q, v, exact: search(vs, dense=v, limit=100, exact=exact),
            "bm25": lambda q, v, exact: search(vs, sparse=sparse_query(q), limit=100),
            "grams": lambda q, v, exact: vs.nearest(sparse=grams_query(q), using=GRAMS, limit=100),
            "hybrid": lambda q, v, exact: search(vs, dense=v, sparse=sparse_query(q), limit=100, exact=exact, feedback=False),
            "hybrid+rewrite": lambda q, v, exact: search(
                vs, dense=fixed[q], sparse=sparse_query(sparse_text[q]), limit=100, exact=exact, feedback=False
            ),
            "hybrid+rewrite+feedback": lambda q, v, exact: search(
                vs, dense=fixed[q], sparse=sparse_query(sparse_text[q]), limit=100, exact=exact, feedback_words=False
            ),
            "+grams": lambda q, v, exact: search(
                vs, dense=fixed[q], sparse=sparse_query(sparse_text[q]), grams=grams_query(q), limit=100, exact=exact, feedback_words=False
            ),
            "served: +feedback words": lambda q, v, exact: search(
                vs, dense=fixed[q], sparse=sparse_query(sparse_text[q]), grams=grams_query(q), limit=100, exact=exact
            ),
        }
        exact_too = {"dense", "hybrid", "served: +feedback words"}
        results: dict[str, dict] = {}
        split = {"tuning half": set(queries[::2]), "held-out half": set(queries[1::2])}
        for name, fn in channels.items():
            for exact in (False, True) if name in exact_too else (False,):
                key = f"{name}{'_exact' if exact else ''}"
                sums: dict[str, list[float]] = defaultdict(list)
                halves: dict[str, list[float]] = defaultdict(list)
                lat = []
                for q, v in tqdm(list(zip(queries, qvecs)), desc=key, unit="query", leave=False):
                    t = time.perf_counter()
                    hits = fn(q, v, exact)
                    lat.append((time.perf_counter() - t) * 1000)
                    for m, x in _score([h.product_id for h in hits], judgments[q]).items():
                        if x is not None:
                            sums[m].append(x)
                            if m in ("nDCG@10", "Recall@100"):
                                halves[f"{m} " + ("tuning" if q in split["tuning half"] else "held-out")].append(x)
                results[key] = {m: round(float(np.mean(x)), 4) for m, x in {**sums, **halves}.items()}
                results[key].update(p50_ms=round(float(np.percentile(lat, 50)), 2), p99_ms=round(float(np.percentile(lat, 99)), 2))
    finally:
        shop.close()
    report = {
        "dataset": dataset,
        "queries": len(queries),
        "catalog": report_index.total,
        "index_build_s": round(build_s, 1),
        "embedding_model": shop.embedder.name,
        "metrics": results,
    }
    _write_retrieval(report, out)
    return report


def _write_retrieval(report: dict, out: Path) -> None:
    lines = [
        "# Retrieval on Home Depot search judgments",
        "",
        f"{reports.generated()}; {report['queries']} queries against the whole catalog of {report['catalog']} products; "
        f"ingest + index sync (a first build embeds everything; later runs only what changed) {report['index_build_s']} s; model {report['embedding_model']}",
        "",
        "Each row adds one step to the row above; `served` is the shop's query channel. Analysis, fusion weights, rewriting and feedback "
        "were chosen on the even-numbered queries (tuning half) and are shown on the odd ones (held-out half) too. `_exact` rows use exact "
        "instead of HNSW search for the dense side (sparse search is always exact).",
        "",
    ]
    lines += reports.table(
        [
            "channel",
            "nDCG@10",
            "nDCG@10 tuning half",
            "nDCG@10 held-out half",
            "Recall@100 (rel ≥ 2.5)",
            "Recall@100 tuning half",
            "Recall@100 held-out half",
            "MRR",
            "p50 ms",
            "p99 ms",
        ],
        [
            [
                name,
                m.get("nDCG@10"),
                m.get("nDCG@10 tuning"),
                m.get("nDCG@10 held-out"),
                m.get("Recall@100"),
                m.get("Recall@100 tuning"),
                m.get("Recall@100 held-out"),
                m.get("MRR"),
                m["p50_ms"],
                m["p99_ms"],
            ]
            for name, m in report["metrics"].items()
        ],
    )
    reports.write(out, "retrieval_home_depot", report, lines)
