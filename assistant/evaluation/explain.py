"""Explanations: the share of the LLM's sentences that pass the verifier, per backend, and what
shoppers saw."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from assistant.evaluation import report as reports
from assistant.events import Cards, Done, Token
from assistant.explain import PROSE_RATE
from assistant.facts import facts_text
from assistant.ingest import ingest_demo
from assistant.llm import get_llm
from assistant.settings import Settings
from assistant.shop import Shop
from assistant.text import split_sentences

EXPLAIN_QUERIES = [
    "a quiet keyboard for the office under $100",
    "noise cancelling headphones for flights",
    "espresso machine under $400",
    "waterproof hiking backpack",
    "trail running shoes with grip",
    "a warm jacket for winter",
    "desk lamp that is easy on the eyes",
    "ergonomic mouse for wrist pain",
    "cheap bluetooth keyboard",
    "coffee grinder",
    "light rain jacket that packs small",
    "headphones with a long battery",
    "backpack for a 15 inch laptop",
    "cushioned road running shoes",
    "a gift for a coffee lover",
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
            shop.settings = backend.model_copy(update={"llm_prose": True})  # measure the model, whatever its past rate
            raw = passed = turns = fallbacks = shown_bad = 0
            ttft: list[float] = []
            for i, q in enumerate(EXPLAIN_QUERIES):
                t = time.perf_counter()
                first = None
                facts = ""
                for ev in shop.chat(q, f"eval-explain-{name}-{i}"):
                    if isinstance(ev, Cards) and ev.items:
                        facts = facts_text(ev.items[0].product, ev.items[0].reasons) + " " + q
                    elif isinstance(ev, Token) and first is None:
                        first = time.perf_counter() - t
                    elif isinstance(ev, Done):
                        raw += ev.report.verified + ev.report.rejected
                        passed += ev.report.verified
                        fallbacks += ev.report.fallback
                        turns += 1
                        if not ev.report.fallback:
                            shown_bad += sum(not shop.verifier().check(s, facts).ok for s in split_sentences(ev.text))
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
            llm = get_llm(shop.settings)
            if llm is not None and raw:  # what decides whether shoppers wait for this model's prose
                shop.store.set_meta(f"{PROSE_RATE}{llm.name}", str(round(passed / raw, 3)))
    finally:
        shop.settings = settings
        shop.close()
    report = {"queries": len(EXPLAIN_QUERIES), "backends": results}
    lines = ["# Explanation faithfulness", "", f"{reports.generated()}; {len(EXPLAIN_QUERIES)} shopper requests on the demo catalog", ""]
    lines += reports.table(
        ["backend", "raw sentences", "pass the verifier", "turns on the facts' wording", "unsupported shown", "first prose p50 ms"],
        [
            [
                name,
                r["raw_sentences"],
                r["raw_pass_rate"],
                f"{r['fallback_turns']}/{r['turns']}",
                r["unsupported_sentences_shown"],
                r["time_to_first_prose_ms_p50"],
            ]
            for name, r in results.items()
        ],
    )
    reports.write(out, "explain", report, lines)
    return report
