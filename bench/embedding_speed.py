"""Embedding throughput on this machine's CPU: which way of running the model is fastest, and
what it costs in vector quality (cosine to the default's vectors on the same titles).

    .venv/bin/python bench/embedding_speed.py [--n 3000]

Paths tried: sentence-transformers on torch (the default) at two batch sizes, torch's dynamic
int8 quantization of the Linear layers, and sentence-transformers' ONNX backend where its extra
(`sentence-transformers[onnx]`) is installed; otherwise that row says why it is missing.
Writes bench/results/embedding_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.embedder import default_model_path  # noqa: E402

TITLES = ROOT.parent / "shared" / "datasets" / "homedepot_queries" / "products.csv"


def sample_titles(n: int) -> tuple[list[str], str]:
    if TITLES.exists():
        with open(TITLES, encoding="utf-8", newline="") as f:
            return [r["product_title"] for _, r in zip(range(n), csv.DictReader(f))], "Home Depot product titles"
    from assistant.ingest import DEMO_DIR

    lines = (DEMO_DIR / "products.jsonl").read_text().splitlines()
    texts = [json.loads(x)["title"] for x in lines]
    return (texts * (n // len(texts) + 1))[:n], "demo product titles (Home Depot data absent)"


def timed(model, texts: list[str], batch: int) -> tuple[np.ndarray, float]:
    model.encode(texts[:64], batch_size=batch)  # warm-up
    t = time.perf_counter()
    vecs = model.encode(texts, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
    return vecs, time.perf_counter() - t


def main(n: int, out: Path) -> dict:
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    texts, source = sample_titles(n)
    path = default_model_path()
    rows = []
    base = SentenceTransformer(path, device="cpu")
    reference, secs = timed(base, texts, 64)
    rows.append({"path": "torch fp32, batch 64 (default)", "titles_per_s": round(n / secs, 1), "mean_cosine_to_default": 1.0})
    for name, batch in [("torch fp32, batch 256", 256), ("torch fp32, batch 16", 16)]:
        vecs, secs = timed(base, texts, batch)
        rows.append(
            {"path": name, "titles_per_s": round(n / secs, 1), "mean_cosine_to_default": round(float((vecs * reference).sum(1).mean()), 4)}
        )

    quantized = torch.ao.quantization.quantize_dynamic(
        SentenceTransformer(path, device="cpu"), {torch.nn.Linear}, dtype=torch.qint8, inplace=True
    )
    vecs, secs = timed(quantized, texts, 64)
    rows.append(
        {
            "path": "torch dynamic int8 (Linear layers)",
            "titles_per_s": round(n / secs, 1),
            "mean_cosine_to_default": round(float((vecs * reference).sum(1).mean()), 4),
        }
    )

    try:
        onnx = SentenceTransformer(path, device="cpu", backend="onnx")
        vecs, secs = timed(onnx, texts, 64)
        rows.append(
            {
                "path": "sentence-transformers ONNX backend (onnxruntime)",
                "titles_per_s": round(n / secs, 1),
                "mean_cosine_to_default": round(float((vecs * reference).sum(1).mean()), 4),
            }
        )
    except Exception as e:  # the optional extra is missing, or the export failed
        rows.append(
            {
                "path": "sentence-transformers ONNX backend",
                "titles_per_s": None,
                "mean_cosine_to_default": None,
                "note": f"{type(e).__name__}: {str(e)[:160]}",
            }
        )

    report = {
        "generated": f"{datetime.now():%Y-%m-%d %H:%M}",
        "texts": n,
        "source": source,
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "rows": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "embedding_speed.json").write_text(json.dumps(report, indent=2))
    lines = [
        "# Embedding throughput (all-MiniLM-L6-v2, CPU)",
        "",
        f"generated {report['generated']}; {n} {source}; {report['machine']}; torch {report['torch']}, sentence-transformers {report['sentence_transformers']}",
        "",
        "| path | titles/s | mean cosine to the default's vectors | note |",
        "|---|---|---|---|",
        *[f"| {r['path']} | {r['titles_per_s']} | {r['mean_cosine_to_default']} | {r.get('note', '')} |" for r in rows],
    ]
    (out / "embedding_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return report


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args()
    main(args.n, args.out)
