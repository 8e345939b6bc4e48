"""Review-sentence polarity, the side a sentence lands on in a review summary, against
hand-labelled sentences from the demo shop and two public review datasets
(bench/data/polarity_sentences.jsonl: praise, complaint, or neither: facts, filler, mixed).
Design work is measured on other sentences from the same datasets, labelled the same way
(bench/data/polarity_dev.jsonl, `--dev`: each points to its review in ../shared/datasets and is
read from there); the held-out set is read for the report only.

Sentences are scored as a shop scores them (assistant/reviews.py: the sentiment adapter, VADER,
the review's stars); the adapter never trained on the reviews these sentences come from
(assistant/sentiment_train.py). Reported: the three-way accuracy and
its confusion matrix, how often a labelled praise or complaint lands on its own side, how many
land on the opposite side (flipped), and how many "neither" sentences would become points.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation import report as reports
from assistant.reviews import generic, sentence_polarity, side
from assistant.settings import Settings
from assistant.text import split_sentences
from retrieval.embedder import get_embedder
from untrusted import quotable_sentences

SENTENCES = reports.BENCH / "data" / "polarity_sentences.jsonl"
DEV_SENTENCES = reports.BENCH / "data" / "polarity_dev.jsonl"
LABELS = ("positive", "negative", "neutral")


def with_text(rows: list[dict], datasets_dir: Path) -> list[dict]:
    """Rows that point into a public dataset (`source`: file:review:sentence, with the sentence's
    sha1 to check) get their text read from there: the datasets are never copied into the repo.
    Rows whose file is absent are left out."""
    wanted: dict[str, dict[int, list[dict]]] = {}
    for r in rows:
        if "source" in r:
            file, review, _ = r["source"].rsplit(":", 2)
            wanted.setdefault(file, {}).setdefault(int(review), []).append(r)
    for file, reviews in wanted.items():
        path = datasets_dir / file
        if not path.exists():
            continue
        for n, text in enumerate(_review_texts(path)):
            for r in reviews.get(n, []):
                quoted = quotable_sentences(text, split_sentences(text))
                k = int(r["source"].rsplit(":", 1)[1])
                if k < len(quoted) and hashlib.sha1(quoted[k].encode()).hexdigest()[:12] == r["sha1"]:
                    r["text"] = quoted[k]
    return [r for r in rows if "text" in r]


def _review_texts(path: Path) -> Iterator[str]:
    """Review texts in file order: Amazon 2018 JSON lines, or the device reviews' zipped CSV."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt") as f:
            for line in f:
                yield json.loads(line).get("reviewText") or ""
    else:
        with zipfile.ZipFile(path) as z, z.open(z.namelist()[0]) as raw:
            for r in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
                yield r["reviews.text"] or ""


def polarity_eval(settings: Settings, out: Path, sentences: Path = SENTENCES) -> dict[str, Any]:
    rows = [json.loads(line) for line in sentences.read_text().splitlines() if line.strip()]
    rows = with_text(rows, settings.datasets_dir)
    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    encode = embedder.encode
    truth, pred, names = [], [], []
    for dataset in sorted({r["dataset"] for r in rows}):
        mine = [r for r in rows if r["dataset"] == dataset]
        if dataset != "demo" and not (settings.datasets_dir).exists():
            continue
        texts = [r["text"] for r in mine]
        vecs = encode(texts)
        stars = np.array([r["stars"] if r["stars"] is not None else 3.0 for r in mine])
        scores = sentence_polarity(texts, vecs, stars, encode)
        filler = generic(vecs, encode)
        for r, s, f in zip(mine, scores, filler):
            truth.append(r["polarity"])
            pred.append("neutral" if f else side(float(s)) or "neutral")
            names.append(dataset)
    data = {
        name: _metrics([t for t, n in zip(truth, names) if n == name], [p for p, n in zip(pred, names) if n == name])
        for name in sorted(set(names))
    }
    data["all"] = _metrics(truth, pred)
    lines = [
        "# Review-sentence polarity",
        "",
        f"{reports.generated()}; {len(truth)} hand-labelled sentences ({sentences.relative_to(reports.BENCH.parent)}). `on its side`: share of labelled praise and "
        'complaints that a summary puts on the right side ("neither" counts as missed); `flipped`: praise shown as a complaint or the other way; '
        "`neither → point`: facts, filler or mixed sentences that would become a summary point.",
        "",
        *reports.table(
            ["sentences", "count", "3-way accuracy", "on its side", "flipped", "neither → point"],
            [
                [k, m["count"], m["accuracy"], m["on_its_side"], m["flipped"], f"{m['neither_to_point']}/{m['neither']}"]
                for k, m in data.items()
            ],
        ),
        "",
        "## Confusion matrix (all; rows: label, columns: predicted)",
        "",
        *reports.table(["label \\ predicted", *LABELS], [[t, *(data["all"]["confusion"][t][p] for p in LABELS)] for t in LABELS]),
    ]
    reports.write(out, "polarity" if sentences == SENTENCES else "polarity_dev", data, lines)
    return data


def _metrics(truth: list[str], pred: list[str]) -> dict[str, Any]:
    pairs = Counter(zip(truth, pred))
    polar = [(t, p) for t, p in zip(truth, pred) if t != "neutral"]
    return {
        "count": len(truth),
        "accuracy": round(sum(t == p for t, p in zip(truth, pred)) / max(len(truth), 1), 3),
        "on_its_side": round(sum(t == p for t, p in polar) / max(len(polar), 1), 3),
        "flipped": pairs[("positive", "negative")] + pairs[("negative", "positive")],
        "neither": sum(t == "neutral" for t in truth),
        "neither_to_point": sum(t == "neutral" and p != "neutral" for t, p in zip(truth, pred)),
        "confusion": {t: {p: pairs[(t, p)] for p in LABELS} for t in LABELS},
    }
