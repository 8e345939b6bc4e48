"""Offline evaluations through the product's own ingest, index and train path; each writes a
JSON and a markdown report under bench/results/.

- ranking: hold out each shopper's last basket, train on the rest, compare with baselines
- retrieval: Home Depot search judgments, every query against the whole catalog
"""

from __future__ import annotations

import copy
import csv
import json
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.datasets import DATASETS_DIR
from assistant.facts import facts_text
from assistant.ingest import ingest_dataset, ingest_demo
from assistant.llm import get_llm
from assistant.pipeline import training_data
from assistant.reviews import sentences
from assistant.reword import abstract_summary, reword_summary
from assistant.settings import Settings
from assistant.shop import Shop
from assistant.verifier import split_sentences
from ranking.evaluate import evaluate, write_report
from ranking.metrics import mrr, ndcg_at_k, recall_at_k
from records import Event, Product, Reason
from retrieval.analysis import grams_query, sparse_query
from retrieval.vectorstore import GRAMS


def _save(out: Path, name: str, report: dict, lines: list[str]) -> None:
    """A report as `name`.json (the figures) and `name`.md (the table a person reads)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2))
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")


def _table(header: list[str], rows: list[list]) -> list[str]:
    """A markdown table's lines: the header, its rule, one line per row."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def dataset_settings(settings: Settings, dataset: str) -> Settings:
    """A data folder of its own per dataset, so an evaluation never touches the shop's data."""
    s = settings.model_copy(update={"data_dir": settings.data_dir / "eval" / dataset, "database_url": None, "qdrant_url": None})
    s.data_dir.mkdir(parents=True, exist_ok=True)
    return s


def ranking_data(settings: Settings, dataset: str | None) -> tuple[Settings, list[Product], np.ndarray, dict[str, list[Event]], str]:
    """What a ranking evaluation trains on: the dataset loaded into its own store (indexed), or
    the shop's own data; with the settings used and the embedding model's name."""
    if dataset:
        settings = dataset_settings(settings, dataset)
    shop = Shop.open(settings)
    try:
        if dataset:
            ingest_dataset(shop.store, dataset)
            shop.index()
        products, matrix, sequences = training_data(shop)
        return settings, products, matrix, sequences, shop.embedder.name
    finally:
        shop.close()


def ranking_eval(settings: Settings, dataset: str | None, out: Path, retrain: bool = False) -> dict:
    settings, products, matrix, sequences, embedding_model = ranking_data(settings, dataset)
    model_path = settings.model_dir / "holdout_two_tower.pt"
    if retrain:
        model_path.unlink(missing_ok=True)
    report = evaluate(products, matrix, sequences, embedding_model, model_path=model_path)
    report["dataset"] = dataset or "store"
    write_report(report, out, f"ranking_{dataset or 'store'}")
    return report


# ---- retrieval -------------------------------------------------------------------------------
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
    folder = DATASETS_DIR / "homedepot_queries"
    if not folder.exists():
        raise FileNotFoundError(f"{folder} is absent")
    settings = dataset_settings(settings, dataset)
    shop = Shop.open(settings)
    try:
        t0 = time.time()
        ingest_dataset(shop.store, dataset)
        report_index = shop.index()
        build_s = time.time() - t0
        judgments = load_judgments(folder)
        queries = sorted(judgments)[:limit] if limit else sorted(judgments)
        qvecs = shop.embedder.encode(queries, progress=True)
        rewrites = {q: shop.recall.query_texts(q) for q in queries}  # (dense text, BM25 text)
        fixed = dict(zip(queries, shop.embedder.encode([rewrites[q][0] for q in queries], progress=True)))  # dense vectors of the corrected text
        sparse_text = {q: rewrites[q][1] for q in queries}
        vs = shop.vectors
        # each row adds one step to the one above; the last is what the shop serves
        channels = {
            "dense": lambda q, v, exact: vs.search(dense=v, limit=100, exact=exact),
            "bm25": lambda q, v, exact: vs.search(sparse=sparse_query(q), limit=100),
            "grams": lambda q, v, exact: vs.nearest(sparse=grams_query(q), using=GRAMS, limit=100),
            "hybrid": lambda q, v, exact: vs.search(dense=v, sparse=sparse_query(q), limit=100, exact=exact, feedback=False),
            "hybrid+rewrite": lambda q, v, exact: vs.search(dense=fixed[q], sparse=sparse_query(sparse_text[q]), limit=100, exact=exact, feedback=False),
            "hybrid+rewrite+feedback": lambda q, v, exact: vs.search(dense=fixed[q], sparse=sparse_query(sparse_text[q]), limit=100, exact=exact, feedback_words=False),
            "+grams": lambda q, v, exact: vs.search(dense=fixed[q], sparse=sparse_query(sparse_text[q]), grams=grams_query(q), limit=100, exact=exact, feedback_words=False),
            "served: +feedback words": lambda q, v, exact: vs.search(dense=fixed[q], sparse=sparse_query(sparse_text[q]), grams=grams_query(q), limit=100, exact=exact),
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
        f"generated {datetime.now():%Y-%m-%d %H:%M}; {report['queries']} queries against the whole catalog of {report['catalog']} products; "
        f"ingest + index sync (a first build embeds everything; later runs only what changed) {report['index_build_s']} s; model {report['embedding_model']}",
        "",
        "Each row adds one step to the row above; `served` is the shop's query channel. Analysis, fusion weights, rewriting and feedback "
        "were chosen on the even-numbered queries (tuning half) and are shown on the odd ones (held-out half) too. `_exact` rows use exact "
        "instead of HNSW search for the dense side (sparse search is always exact).",
        "",
    ]
    lines += _table(
        ["channel", "nDCG@10", "nDCG@10 tuning half", "nDCG@10 held-out half", "Recall@100 (rel ≥ 2.5)", "Recall@100 tuning half", "Recall@100 held-out half", "MRR", "p50 ms", "p99 ms"],
        [
            [name, m.get("nDCG@10"), m.get("nDCG@10 tuning"), m.get("nDCG@10 held-out"), m.get("Recall@100"), m.get("Recall@100 tuning"), m.get("Recall@100 held-out"), m.get("MRR"), m["p50_ms"], m["p99_ms"]]
            for name, m in report["metrics"].items()
        ],
    )
    _save(out, "retrieval_home_depot", report, lines)


# ---- explanations and review summaries -----------------------------------------------------------
EXPLAIN_QUERIES = [
    "a quiet keyboard for the office under $100", "noise cancelling headphones for flights", "espresso machine under $400",
    "waterproof hiking backpack", "trail running shoes with grip", "a warm jacket for winter", "desk lamp that is easy on the eyes",
    "ergonomic mouse for wrist pain", "cheap bluetooth keyboard", "coffee grinder", "light rain jacket that packs small",
    "headphones with a long battery", "backpack for a 15 inch laptop", "cushioned road running shoes", "a gift for a coffee lover",
]


def explain_eval(settings: Settings, out: Path = Path("bench/results"), backends: dict[str, Settings] | None = None) -> dict:
    """Share of the LLM's raw sentences that pass the verifier, per backend, on the store's catalog;
    and what users saw: sentences shown that fail the verifier (0 by design) and fallbacks."""
    shop = Shop.open(settings)
    if shop.store.count_products() == 0:
        ingest_demo(shop.store)
    shop.index(progress=False)
    backends = backends or {"llama.cpp (SmolLM2-135M)": settings}
    results = {}
    try:
        for name, backend in backends.items():
            shop.settings = backend
            raw = passed = turns = fallbacks = shown_bad = 0
            ttft: list[float] = []
            for i, q in enumerate(EXPLAIN_QUERIES):
                t = time.perf_counter()
                first = None
                facts = ""
                for ev in shop.chat(q, f"eval-explain-{name}-{i}"):
                    if ev["event"] == "cards" and ev["data"]["items"]:
                        card = ev["data"]["items"][0]
                        facts = facts_text(Product(**card["product"]), [Reason(**r) for r in card["reasons"]]) + " " + q
                    elif ev["event"] == "token" and first is None:
                        first = time.perf_counter() - t
                    elif ev["event"] == "done":
                        d = ev["data"]
                        raw += d["verified"] + d["rejected"]
                        passed += d["verified"]
                        fallbacks += bool(d["fallback"])
                        turns += 1
                        if not d["fallback"]:
                            shown_bad += sum(not shop.verifier().check(s, facts).ok for s in split_sentences(d["text"]))
                if first is not None:
                    ttft.append(first * 1000)
            results[name] = {
                "turns": turns,
                "raw_sentences": raw,
                "raw_pass_rate": round(passed / raw, 3) if raw else None,
                "fallback_turns": fallbacks,
                "unsupported_sentences_shown": shown_bad,
                "time_to_first_prose_ms_p50": round(float(np.percentile(ttft, 50)), 1) if ttft else None,
            }
    finally:
        shop.settings = settings
        shop.close()
    report = {"queries": len(EXPLAIN_QUERIES), "backends": results}
    lines = ["# Explanation faithfulness", "", f"generated {datetime.now():%Y-%m-%d %H:%M}; {len(EXPLAIN_QUERIES)} shopper requests on the demo catalog", ""]
    lines += _table(
        ["backend", "raw sentences", "pass the verifier", "turns on the facts' wording", "unsupported shown", "first prose p50 ms"],
        [[name, r["raw_sentences"], r["raw_pass_rate"], f"{r['fallback_turns']}/{r['turns']}", r["unsupported_sentences_shown"], r["time_to_first_prose_ms_p50"]] for name, r in results.items()],
    )
    _save(out, "explain", report, lines)
    return report


UNDERSTANDING_CASES = Path(__file__).resolve().parent.parent / "bench" / "data" / "understanding_cases.jsonl"
FILTER_FIELDS = ("price_min", "price_max", "brands", "exclude_brands", "colors", "exclude_colors", "category")


def _filters(req) -> dict:
    c = req.constraints
    got = {"price_min": c.price_min, "price_max": c.price_max, "category": c.categories[0] if c.categories else None}
    got |= {f: sorted(getattr(c, f)) for f in ("brands", "exclude_brands", "colors", "exclude_colors")}
    return got


def understanding_eval(settings: Settings, out: Path = Path("bench/results"), backends: dict[str, Settings] | None = None) -> dict:
    """Filters read from hand-labelled messages on the demo catalog: the parser alone, then the
    parser with each LLM backend's grounded structured output behind it. `wrong filters` counts
    fields set to a value the shopper did not ask for: the harmful kind of mistake."""
    from assistant.understand import understand
    from assistant.understand_llm import understand_with_llm

    cases = [json.loads(line) for line in UNDERSTANDING_CASES.read_text().splitlines() if line.strip()]
    shop = Shop.open(settings)
    if shop.store.count_products() == 0:
        ingest_demo(shop.store)
    vocab = shop.vocabulary()
    shop.close()
    runs = {"parser only": None, **{f"parser + {n}": get_llm(b.model_copy(update={"llm_enabled": True})) for n, b in (backends or {}).items()}}
    results = {}
    for name, llm in runs.items():
        exact = wrong = correct = rejected = failed = 0
        t = time.perf_counter()
        for case in cases:
            req = understand(case["message"], vocab)
            if llm is not None:
                req, grounded = understand_with_llm(req, case["message"], vocab, llm)
                rejected += len(grounded.rejected) if grounded else 0
                failed += grounded is None
            got = _filters(req)
            want = {f: case["expect"].get(f) for f in FILTER_FIELDS}
            want |= {f: sorted(want[f] or []) for f in ("brands", "exclude_brands", "colors", "exclude_colors")}
            exact += got == want
            correct += sum(got[f] == want[f] for f in FILTER_FIELDS)
            wrong += sum(bool(got[f]) and got[f] != want[f] for f in FILTER_FIELDS)
        results[name] = {"messages_all_right": round(exact / len(cases), 3), "fields_right": round(correct / (len(cases) * len(FILTER_FIELDS)), 3),
                         "wrong_filters": wrong, "llm_values_dropped_by_grounding": rejected, "llm_answers_unusable": failed if llm else None, "ms_per_message": round((time.perf_counter() - t) * 1000 / len(cases), 1)}
    report = {"messages": len(cases), "results": results}
    lines = ["# Query understanding", "", f"generated {datetime.now():%Y-%m-%d %H:%M}; {len(cases)} hand-labelled messages on the demo catalog (bench/data/understanding_cases.jsonl)", ""]
    lines += _table(
        ["reader", "messages all right", "fields right", "wrong filters", "LLM values dropped by grounding", "LLM answers unusable", "ms per message"],
        [[name, r["messages_all_right"], r["fields_right"], r["wrong_filters"], r["llm_values_dropped_by_grounding"], "—" if r["llm_answers_unusable"] is None else r["llm_answers_unusable"], r["ms_per_message"]] for name, r in results.items()],
    )
    _save(out, "understanding", report, lines)
    return report


SUPPORT = 0.6  # cosine between a point and a sentence of a cited review for "supported"
CHECKED_CITATIONS = 20  # a point on a popular product cites hundreds of reviews: check a seeded sample
SUPPORT_PAIRS = Path(__file__).resolve().parent.parent / "bench" / "data" / "support_pairs.jsonl"


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


def summaries_eval(settings: Settings, out: Path = Path("bench/results"), products: int = 30, dataset: str | None = None, reword_backends: dict[str, Settings] | None = None) -> dict:
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
            ingest_dataset(shop.store, dataset)
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
                changed = [(p["quote"], p["text"]) for s in rewritten.values() for p in s["likes"] + s["dislikes"] if p.get("quote") and p["text"] != p["quote"]]
                variants[f"{style} by {name}"] = {**_check_summaries(shop, rewritten), "rewording": dict(outcomes), "seconds": round(time.time() - t, 1), "examples": list(dict.fromkeys(changed))[:5]}
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
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2))
    v = validation
    rows = "\n".join(
        f"| {k} | {r['points']} | {r['supported_share']} | {r['stars_agree_share']} | {r['uncited_share']} | {_outcomes(r.get('rewording'))} |" for k, r in variants.items()
    )
    examples = [f"- “{q}” → “{t}”" for r in variants.values() for q, t in r.get("examples", [])]
    (out / f"{name}.md").write_text(
        f"# Review summary faithfulness ({report['dataset']})\n\n"
        f"generated {datetime.now():%Y-%m-%d %H:%M}; {report['products']} most-reviewed products ({report['reviews']} reviews), {report['seconds']} s\n\n"
        "| points | count | every cited review on topic (cosine ≥ " f"{SUPPORT}) | citations whose stars match the side | citing nothing | rewording outcomes |\n|---|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Likes count as matching at ≥ 4 stars, dislikes at ≤ 3. Points with over {CHECKED_CITATIONS} citations are checked on a seeded sample of {CHECKED_CITATIONS}. "
        "A reworded point is shown only when the verifier finds nothing in it that its quote lacks and its meaning stays within cosine 0.75 of the quote; otherwise the quote is shown. "
        "Written abstractively, a side's points are new sentences each citing the quotes it merges; a point is kept only if the verifier finds nothing in it "
        "that those quotes lack and it stays within cosine 0.6 of one of them, and a side with fewer than two kept points keeps its quotes.\n\n"
        + ("Rewritten points that were kept (quote(s) → wording):\n\n" + "\n".join(examples) + "\n\n" if examples else "")
        + f"How far the cosine check can be trusted: on {v['pairs']} hand-labelled (point, sentence) pairs in "
        f"bench/data/support_pairs.jsonl it scores accuracy {v['accuracy']}, precision {v['precision']}, recall {v['recall']}, "
        f"and passes {v['unsupported_pairs_passed']} unsupported pairs (mostly contradictions: \"lasts all day\" vs \"dies after two hours\"). "
        "A sentence embedding measures topic, not entailment, so `supported` says a citation is on the point's topic; "
        "the star agreement is the check on its direction. An entailment model would be the real test; none can be installed offline here.\n"
    )
    return report


def _outcomes(counts: dict[str, int] | None) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])) if counts else "—"
