"""Understanding: filters read from hand-labelled messages, by the parser alone and with each
LLM's grounded JSON behind it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.evaluation import report as reports
from assistant.ingest import ingest_demo
from assistant.llm import get_llm
from assistant.settings import Settings
from assistant.shop import Shop

UNDERSTANDING_CASES = reports.BENCH / "data" / "understanding_cases.jsonl"
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
    runs = {
        "parser only": None,
        **{f"parser + {n}": get_llm(b.model_copy(update={"llm_enabled": True})) for n, b in (backends or {}).items()},
    }
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
        results[name] = {
            "messages_all_right": round(exact / len(cases), 3),
            "fields_right": round(correct / (len(cases) * len(FILTER_FIELDS)), 3),
            "wrong_filters": wrong,
            "llm_values_dropped_by_grounding": rejected,
            "llm_answers_unusable": failed if llm else None,
            "ms_per_message": round((time.perf_counter() - t) * 1000 / len(cases), 1),
        }
    report = {"messages": len(cases), "results": results}
    lines = [
        "# Query understanding",
        "",
        f"{reports.generated()}; {len(cases)} hand-labelled messages on the demo catalog (bench/data/understanding_cases.jsonl)",
        "",
    ]
    lines += reports.table(
        [
            "reader",
            "messages all right",
            "fields right",
            "wrong filters",
            "LLM values dropped by grounding",
            "LLM answers unusable",
            "ms per message",
        ],
        [
            [
                name,
                r["messages_all_right"],
                r["fields_right"],
                r["wrong_filters"],
                r["llm_values_dropped_by_grounding"],
                "—" if r["llm_answers_unusable"] is None else r["llm_answers_unusable"],
                r["ms_per_message"],
            ]
            for name, r in results.items()
        ],
    )
    reports.write(out, "understanding", report, lines)
    return report
