"""Review summaries: whether the reviews each point cites are on its topic and agree with its
side, for the extractive points and each LLM's verified rewording."""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.evaluation import report as reports
from assistant.evaluation.common import dataset_settings
from assistant.ingest import ingest_dataset
from assistant.llm import get_llm
from assistant.reviews import sentences
from assistant.reword import abstract_summary, reword_summary
from assistant.settings import Settings
from assistant.shop import Shop

SUPPORT = 0.6  # cosine between a point and a sentence of a cited review for "supported"
CHECKED_CITATIONS = 20  # a point on a popular product cites hundreds of reviews: check a seeded sample
SUPPORT_PAIRS = reports.BENCH / "data" / "support_pairs.jsonl"


def validate_support_check(encode, threshold: float = SUPPORT) -> dict:
    """The cosine check against hand-labelled (point, review sentence, supported?) pairs, written
    to be hard: paraphrases, related but different claims, and contradictions."""
    rows = [json.loads(line) for line in SUPPORT_PAIRS.read_text().splitlines() if line.strip()]
    cos = (encode([r["point"] for r in rows]) * encode([r["sentence"] for r in rows])).sum(1)
    truth = np.array([r["supported"] for r in rows])
    pred = cos >= threshold
    tp = int((pred & truth).sum())
    contradictions = [i for i, r in enumerate(rows) if not r["supported"]]
    return {
        "pairs": len(rows),
        "accuracy": round(float((pred == truth).mean()), 3),
        "precision": round(tp / max(int(pred.sum()), 1), 3),
        "recall": round(tp / max(int(truth.sum()), 1), 3),
        "unsupported_pairs_passed": int(pred[contradictions].sum()),
    }


def _check_summaries(shop: Shop, summaries: dict[str, dict]) -> dict:
    """supported / stars agree / uncited over the points of `summaries` (product id → summary)."""
    points = supported = uncited = citations_checked = stars_agree = 0
    for summary in summaries.values():
        for side in ("likes", "dislikes"):
            for point in summary[side]:
                points += 1
                if not point["review_ids"]:
                    uncited += 1
                    continue
                pv = shop.embedder.encode_cached([point["text"]])[0]
                cited = point["review_ids"]
                if len(cited) > CHECKED_CITATIONS:
                    cited = sorted(np.random.default_rng(7).choice(cited, CHECKED_CITATIONS, replace=False).tolist())
                reviews = shop.store.get_reviews(cited)
                ok = True
                for rid in cited:
                    review = reviews.get(rid)
                    sents = [s for _, s in sentences([review])] if review else []
                    if not sents or float((shop.embedder.encode_cached(sents) @ pv).max()) < SUPPORT:
                        ok = False
                    if review is not None and review.rating is not None:
                        citations_checked += 1
                        stars_agree += (review.rating >= 4) if side == "likes" else (review.rating <= 3)
                supported += ok
    return {
        "points": points,
        "supported_share": round(supported / points, 3) if points else None,
        "stars_agree_share": round(stars_agree / citations_checked, 3) if citations_checked else None,
        "uncited_share": round(uncited / points, 3) if points else None,
    }


def summaries_eval(
    settings: Settings,
    out: Path = Path("bench/results"),
    products: int = 30,
    dataset: str | None = None,
    reword_backends: dict[str, Settings] | None = None,
) -> dict:
    """For review summaries on the store (or a dataset loaded into its own store):
    - supported: every cited review holds a sentence within cosine SUPPORT of the point
      (checked up to CHECKED_CITATIONS citations per point)
    - stars agree: share of citations whose review's stars match the point's side (likes ≥ 4,
      dislikes ≤ 3); a signal independent of the embeddings that chose the citations
    - uncited: points citing nothing
    for the extractive points and for each backend's verified rewording of them, and how the
    cosine check itself fares on hand-labelled pairs (bench/data/support_pairs.jsonl)."""
    if dataset:
        settings = dataset_settings(settings, dataset)
    shop = Shop.open(settings)
    started = time.time()
    variants: dict[str, dict] = {}
    try:
        if dataset:
            ingest_dataset(shop.store, dataset, settings.datasets_dir)
        counts = shop.store.review_counts()
        pids = sorted(counts, key=lambda p: (-counts[p], p))[:products]
        extractive = {pid: shop.review_summary(pid) for pid in tqdm(pids, desc="summarize", unit="product")}
        variants["extractive (quoted review sentences)"] = _check_summaries(shop, extractive)
        for name, backend in (reword_backends or {}).items():
            llm = get_llm(backend.model_copy(update={"llm_enabled": True}))
            if llm is None:
                raise ValueError(f"LLM backend {name} is unavailable")
            for style, rewrite in (("reworded", reword_summary), ("written abstractively", abstract_summary)):
                t = time.time()
                rewritten = copy.deepcopy(extractive)
                outcomes: Counter[str] = Counter()
                for pid in tqdm(pids, desc=f"{style}: {name}", unit="product"):
                    outcomes += rewrite(rewritten[pid], llm, shop.verifier(), shop.embedder.encode)
                changed = [
                    (p["quote"], p["text"])
                    for s in rewritten.values()
                    for p in s["likes"] + s["dislikes"]
                    if p.get("quote") and p["text"] != p["quote"]
                ]
                variants[f"{style} by {name}"] = {
                    **_check_summaries(shop, rewritten),
                    "rewording": dict(outcomes),
                    "seconds": round(time.time() - t, 1),
                    "examples": list(dict.fromkeys(changed))[:5],
                }
        validation = validate_support_check(shop.embedder.encode)
    finally:
        shop.close()
    first = next(iter(variants.values()))
    report = {
        "dataset": dataset or "store",
        "products": len(pids),
        "reviews": int(sum(counts[p] for p in pids)),
        **first,
        "variants": variants,
        "threshold": SUPPORT,
        "check_on_hand_labelled_pairs": validation,
        "seconds": round(time.time() - started, 1),
    }
    name = f"summaries_{dataset}" if dataset else "summaries"
    v = validation
    rows = [
        [k, r["points"], r["supported_share"], r["stars_agree_share"], r["uncited_share"], _outcomes(r.get("rewording"))]
        for k, r in variants.items()
    ]
    examples = [f"- “{q}” → “{t}”" for r in variants.values() for q, t in r.get("examples", [])]
    lines = [
        f"# Review summary faithfulness ({report['dataset']})",
        "",
        f"{reports.generated()}; {report['products']} most-reviewed products ({report['reviews']} reviews), {report['seconds']} s",
        "",
        *reports.table(
            [
                "points",
                "count",
                f"every cited review on topic (cosine ≥ {SUPPORT})",
                "citations whose stars match the side",
                "citing nothing",
                "rewording outcomes",
            ],
            rows,
        ),
        "",
        f"Likes count as matching at ≥ 4 stars, dislikes at ≤ 3. Points with over {CHECKED_CITATIONS} citations are checked on a seeded sample of {CHECKED_CITATIONS}. "
        "A reworded point is shown only when the verifier finds nothing in it that its quote lacks and its meaning stays within cosine 0.75 of the quote; otherwise the quote is shown. "
        "Written abstractively, a side's points are new sentences each citing the quotes it merges; a point is kept only if the verifier finds nothing in it "
        "that those quotes lack and it stays within cosine 0.6 of one of them, and a side with fewer than two kept points keeps its quotes.",
        "",
        *(["Rewritten points that were kept (quote(s) → wording):", "", *examples, ""] if examples else []),
        f"How far the cosine check can be trusted: on {v['pairs']} hand-labelled (point, sentence) pairs in "
        f"bench/data/support_pairs.jsonl it scores accuracy {v['accuracy']}, precision {v['precision']}, recall {v['recall']}, "
        f'and passes {v["unsupported_pairs_passed"]} unsupported pairs (mostly contradictions: "lasts all day" vs "dies after two hours"). '
        "A sentence embedding measures topic, not entailment, so `supported` says a citation is on the point's topic; "
        "the star agreement is the check on its direction. An entailment model would be the real test; none can be installed offline here.",
    ]
    reports.write(out, name, report, lines)
    return report


def _outcomes(counts: dict[str, int] | None) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])) if counts else "—"
