"""The vector store at scale: the embedded engine (`EdgeStore`, as served) at 100k and 1M products.

Vectors are real-shaped: the 54,667 Home Depot product titles embedded with the bundled model,
then perturbed copies (Gaussian noise, sigma 0.04 per dimension, re-normalised: a copy stays
nearer its source than most other titles are) until the size is reached. Payloads carry a
price (log-normal) and one of 40 categories, indexed as the product's are. Queries are real
Home Depot search queries, embedded. For each size: build time, disk, the process's RSS, query
p50/p99 with and without a filter (price ≤ 100 and one category, about 1.5% of products), and
recall@10 against exact search, for several HNSW search breadths (`hnsw_ef`).

    .venv/bin/python bench/vectors.py [--sizes 100000 1000000] [--queries 300]

Prints figures and writes bench/results/vectors.{json,md}. The embedded title vectors are kept
in ~/.cache/shopassist-bench/ so a rerun skips the embedding (resumable).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.settings import Settings  # sets HF_HUB_OFFLINE before the model loads
from records import Constraints
from retrieval.analysis import SparseVec
from retrieval.edge_store import EdgeStore, edge_filter, hnsw_ef
from retrieval.embedder import get_embedder
from retrieval.vectorstore import IndexedItem

CACHE = Path.home() / ".cache" / "shopassist-bench"
HD = Settings(_env_file=None).datasets_dir / "homedepot_queries"
SIGMA = 0.04
CATEGORIES = [f"cat{i:02d}" for i in range(40)]
EFS = [16, 32, 64, 128, 256]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mb(path: Path) -> int:
    """What the folder takes on disk (`du`: allocated blocks; the engine's files are sparse, so
    their apparent sizes say more than the disk holds)."""
    return int(subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True).stdout.split()[0])


def embedded(kind: str, texts: list[str]) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"homedepot_{kind}_{len(texts)}.npy"
    if path.exists():
        return np.load(path)
    vecs = get_embedder(None, 64).encode(texts, progress=True).astype(np.float32)  # minutes on 2 cores
    np.save(path, vecs)
    return vecs


def titles_and_queries() -> tuple[list[str], list[str]]:
    with open(HD / "products.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    title = next(k for k in rows[0] if "title" in k.lower() or "name" in k.lower())
    with open(HD / "judgments_dev.csv", newline="") as f:
        judged = list(csv.DictReader(f))
    query = next(k for k in judged[0] if "search" in k.lower() or "query" in k.lower())
    return [r[title] for r in rows], sorted({r[query] for r in judged})


def grow(base: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((size, base.shape[1]), np.float32)
    out[: min(size, len(base))] = base[:size]
    for start in range(len(base), size, len(base)):
        end = min(size, start + len(base))
        noisy = base[: end - start] + rng.normal(0, SIGMA, (end - start, base.shape[1])).astype(np.float32)
        out[start:end] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out


def build(path: Path, vectors: np.ndarray, rng: np.random.Generator) -> tuple[EdgeStore, float]:
    store = EdgeStore(path)
    store.ensure(vectors.shape[1])
    prices = np.exp(rng.normal(4.0, 1.0, len(vectors)))
    cats = rng.integers(0, len(CATEGORIES), len(vectors))
    empty = SparseVec([], [])
    started = time.perf_counter()
    for start in tqdm(range(0, len(vectors), 2000), desc=f"upsert {len(vectors)}", unit="batch"):
        items = [
            IndexedItem(
                f"p{i}",
                vectors[i],
                empty,
                {"product_id": f"p{i}", "price": float(prices[i]), "category": [CATEGORIES[cats[i]]], "stock": 1.0, "popularity": 0.0},
            )
            for i in range(start, min(start + 2000, len(vectors)))
        ]
        store.upsert(items)
    print(">> building the HNSW graph (optimize) …", flush=True)
    store.optimize()
    return store, time.perf_counter() - started


def query_ms(store: EdgeStore, queries: np.ndarray, ef: int | None, constraints: Constraints | None, exact: bool = False):
    from qdrant_edge import Query, QueryRequest, SearchParams

    from retrieval.vectorstore import DENSE

    shard = store._require()
    times, results = [], []
    flt = edge_filter(constraints)
    params = SearchParams(exact=True) if exact else SearchParams(hnsw_ef=ef)
    for q in queries:
        t = time.perf_counter()
        hits = shard.query(QueryRequest(limit=10, query=Query.Nearest(q.tolist(), using=DENSE), filter=flt, params=params))
        times.append((time.perf_counter() - t) * 1000)
        results.append({str(h.id) for h in hits})
    return times, results


def recall(approx: list[set], exact: list[set]) -> float:
    return float(np.mean([len(a & e) / max(1, len(e)) for a, e in zip(approx, exact, strict=True)]))


def pct(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(xs, 50)), 2), "p99_ms": round(float(np.percentile(xs, 99)), 2)}


def measure(size: int, base: np.ndarray, queries: np.ndarray, workdir: Path) -> dict:
    rng = np.random.default_rng(size)
    vectors = grow(base, size, rng)
    rss_before = rss_mb()
    store, seconds = build(workdir / f"q{size}", vectors, rng)
    del vectors
    disk = disk_mb(workdir / f"q{size}")
    filtered = Constraints(price_max=100, categories=["cat07"])
    row: dict = {
        "size": size,
        "build_s": round(seconds, 1),
        "disk_mb": disk,
        "rss_mb": round(rss_mb()),
        "rss_growth_mb": round(rss_mb() - rss_before),
    }
    for name, c in (("unfiltered", None), ("filtered", filtered)):
        exact_ms, exact = query_ms(store, queries, None, c, exact=True)
        row[name] = {"exact": {**pct(exact_ms), "recall10": 1.0}}
        for ef in EFS:
            ms, got = query_ms(store, queries, ef, c)
            row[name][f"ef{ef}"] = {**pct(ms), "recall10": round(recall(got, exact), 4)}
        print(json.dumps({"size": size, name: row[name]}), flush=True)
    store.close()
    shutil.rmtree(workdir / f"q{size}", ignore_errors=True)
    return row


def measure_local(size: int, base: np.ndarray, queries: np.ndarray) -> dict:
    """The same at `size` through qdrant-client's local mode (`QDRANT_URL=:memory:`), the
    adapter's test backend: it searches exactly, in Python."""
    from retrieval.remote_store import RemoteStore

    rng = np.random.default_rng(size)
    vectors = grow(base, size, rng)
    prices = np.exp(rng.normal(4.0, 1.0, len(vectors)))
    cats = rng.integers(0, len(CATEGORIES), len(vectors))
    store = RemoteStore(":memory:", "bench")
    store.ensure(vectors.shape[1])
    empty = SparseVec([], [])
    started = time.perf_counter()
    for start in tqdm(range(0, size, 1000), desc=f"local mode upsert {size}", unit="batch"):
        store.upsert(
            [
                IndexedItem(
                    f"p{i}", vectors[i], empty, {"product_id": f"p{i}", "price": float(prices[i]), "category": [CATEGORIES[cats[i]]]}
                )
                for i in range(start, min(start + 1000, size))
            ]
        )
    row: dict = {"size": size, "build_s": round(time.perf_counter() - started, 1), "rss_mb": round(rss_mb())}
    for name, c in (("unfiltered", None), ("filtered", Constraints(price_max=100, categories=["cat07"]))):
        times = []
        for q in queries[:100]:
            t = time.perf_counter()
            store.nearest(dense=q, constraints=c, limit=10)
            times.append((time.perf_counter() - t) * 1000)
        row[name] = pct(times)
    print(json.dumps({"local_mode": row}), flush=True)
    return row


def markdown(report: dict) -> str:
    lines = [
        "# The vector store at scale (embedded Qdrant engine, as served)",
        "",
        f"Machine: {report['machine']}. {report['how']}",
        "",
        "| products | build s | disk MB | RSS MB | search | p50 / p99 ms | recall@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:
        for name in ("unfiltered", "filtered"):
            for setting, v in r[name].items():
                chosen = " **(default)**" if setting == f"ef{hnsw_ef(r['size'])}" else ""
                lines.append(
                    f"| {r['size']:,} | {r['build_s']} | {r['disk_mb']} | {r['rss_mb']} | {name}, {setting}{chosen} "
                    f"| {v['p50_ms']} / {v['p99_ms']} | {v['recall10']} |"
                )
    if report.get("local_mode"):
        r = report["local_mode"]
        lines += [
            "",
            f"qdrant-client's local mode (`QDRANT_URL=:memory:`, exact search in Python) at {r['size']:,}: upsert {r['build_s']} s, "
            f"RSS {r['rss_mb']} MB, p50 / p99 {r['unfiltered']['p50_ms']} / {r['unfiltered']['p99_ms']} ms unfiltered, "
            f"{r['filtered']['p50_ms']} / {r['filtered']['p99_ms']} ms filtered (100 queries): for testing the server adapter, not for serving.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--local-mode", type=int, default=100_000, help="Size for qdrant-client's local mode (0: skip)")
    args = ap.parse_args()
    if not HD.exists():
        sys.exit(f"{HD} is absent: the Home Depot catalog gives the vectors their real shape")
    from common import machine, write_report

    titles, texts = titles_and_queries()
    base = embedded("titles", titles)
    rng = np.random.default_rng(0)
    queries = embedded("queries", texts)[rng.choice(len(texts), min(args.queries, len(texts)), replace=False)]
    workdir = Path(tempfile.mkdtemp(prefix="shopassist-vectors-"))
    runs = [measure(size, base, queries, workdir) for size in args.sizes]
    local = measure_local(args.local_mode, base, queries) if args.local_mode else None
    report = {
        "machine": machine(),
        "how": f"{len(base):,} Home Depot titles embedded (all-MiniLM-L6-v2), grown with perturbed copies (sigma {SIGMA}); "
        f"{len(queries)} real Home Depot queries; filter = price ≤ 100 and one of {len(CATEGORIES)} categories.",
        "runs": runs,
        "local_mode": local,
    }
    write_report("vectors", report, markdown(report))


if __name__ == "__main__":
    main()
