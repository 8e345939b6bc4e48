"""Question answering about a product, through the real API: a shopper on a product's page
(`product_id`) asks about it, and the answer is scored against gold answers and evidence.

Two sets (bench/qa/):
- demo.jsonl, hand-written over the demo shop: `answer` lists what the answer must say (each item
  may give alternatives "a|b"), `evidence` the listing it must cite; `answerable: false` questions
  must be abstained from ("the listing doesn't say…").
- device_reviews.jsonl, questions about a device's reviews: a question is answerable when any of
  the product's 200 latest reviews (what the answer reads) matches its `topic`; the gold evidence
  is those reviews, and the answer must count them and cite them.

Reported per set: accuracy on answerable questions (says what the gold says and cites gold
evidence), citation precision (cited ids that are gold evidence or the product itself), and
abstention on unanswerable ones.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tqdm import tqdm

from api.app import create_app
from assistant.evaluation import report as reports
from assistant.evaluation.common import dataset_settings
from assistant.ingest import ingest_dataset, ingest_demo
from assistant.settings import Settings
from assistant.shop import Shop
from assistant.store import Store

QA = reports.BENCH / "qa"
ABSTAINS = re.compile(r"doesn'?t say|does not say|no reviews yet|none of its", re.I)
REVIEWS_READ = 200  # as assistant/answers.py reads them


def prepare(settings: Settings, catalog: str) -> Settings:
    s = dataset_settings(settings, f"qa_{catalog}")
    shop = Shop.open(s)
    try:
        if catalog == "demo":
            ingest_demo(shop.store)
        else:
            ingest_dataset(shop.store, catalog, settings.datasets_dir)
        shop.index(progress=False)
    finally:
        shop.close()
    return s


def abstains_first(text: str) -> bool:
    """Whether the answer's first claim (up to its first citation, quotes left out) is that the
    data doesn't say: an answer that abstains, then offers the nearest thing, is not an answer."""
    first = re.sub(r"“[^”]*”", "", text.split("[")[0])
    return bool(ABSTAINS.search(first))


def gold(store: Store, case: dict[str, Any]) -> dict[str, Any]:
    """A review question's gold, from the product's latest reviews matching its topic."""
    if "topic" not in case:
        return case
    topic = re.compile(rf"\b(?:{case['topic']})", re.I)
    matching = [f"review:{r.id}" for r in store.reviews_for(case["product"], limit=REVIEWS_READ) if topic.search(f"{r.title} {r.text}")]
    return {**case, "answer": ["review"], "evidence": matching, "answerable": bool(matching)}


def score(case: dict[str, Any], got: dict[str, Any], reviews: set[str]) -> dict[str, Any]:
    """`reviews`: the product's own review ids: citing one is not citing another product."""
    text = got.get("message", "")
    cited = set(got.get("citations") or []) | set(re.findall(r"\b(?:product|review|faq):[\w\-]+", text))
    evidence = set(case["evidence"])
    own = {f"product:{case['product']}"} | evidence | (reviews if case["catalog"] == "demo" else set())
    says = all(any(alt.lower() in text.lower() for alt in part.split("|")) for part in case["answer"])
    result = {
        "id": case["id"],
        "question": case["question"],
        "answer": text[:400],
        "answerable": case["answerable"],
        "cited": sorted(cited),
    }
    if case["answerable"]:
        result["correct"] = bool(says and cited & evidence and not abstains_first(text))
    else:
        result["abstained"] = bool(ABSTAINS.search(text)) and not (
            cited - {f"product:{case['product']}"} - {c for c in cited if c.startswith("faq:")}
        )
    result["precise_citations"] = len(cited & own) + len([c for c in cited if c.startswith("faq:")])
    result["citations"] = len(cited)
    return result


def qa_eval(settings: Settings, out: Path, folder: Path = QA) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    failures: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        catalog = cases[0]["catalog"]
        if catalog != "demo" and not settings.datasets_dir.exists():
            rows[catalog] = {"skipped": f"{settings.datasets_dir} is absent"}
            continue
        s = prepare(settings.model_copy(update={"rate_limit_per_minute": 0}), catalog)
        store = Store(s.db_url)
        results = []
        with TestClient(create_app(s)) as client:
            for case in tqdm(cases, desc=f"qa {catalog}", unit="question"):
                case = gold(store, case)
                r = client.post(
                    "/v1/chat",
                    json={"message": case["question"], "product_id": case["product"], "stream": False},
                    headers={"X-Visitor-Id": f"v_{uuid.uuid4().hex}"},
                )
                own = {f"review:{x.id}" for x in store.reviews_for(case["product"])}
                results.append(score(case, r.json() if r.status_code == 200 else {"message": f"HTTP {r.status_code}"}, own))
        answerable = [r for r in results if r["answerable"]]
        unanswerable = [r for r in results if not r["answerable"]]
        cited = sum(r["citations"] for r in results)
        rows[catalog] = {
            "questions": len(results),
            "answerable": len(answerable),
            "answered_correctly": round(sum(r["correct"] for r in answerable) / max(len(answerable), 1), 3),
            "unanswerable": len(unanswerable),
            "abstained": round(sum(r["abstained"] for r in unanswerable) / max(len(unanswerable), 1), 3) if unanswerable else None,
            "citation_precision": round(sum(r["precise_citations"] for r in results) / max(cited, 1), 3),
        }
        failures += [{"catalog": catalog, **r} for r in results if not r.get("correct", r.get("abstained"))]
    data = {"sets": rows, "failures": failures}
    lines = [
        "# Product question answering",
        "",
        f"{reports.generated()}; questions in bench/qa/ asked through `POST /v1/chat` with the product's page as context (`product_id`). "
        "`answered correctly`: says what the gold answer says and cites gold evidence; `abstained`: an unanswerable question gets "
        "“the listing doesn't say” and no claim; `citation precision`: cited ids that are gold evidence, the product itself or the store's FAQ.",
        "",
        *reports.table(
            ["set", "questions", "answerable", "answered correctly", "unanswerable", "abstained", "citation precision"],
            [
                [
                    k,
                    r.get("questions"),
                    r.get("answerable"),
                    r.get("answered_correctly", r.get("skipped")),
                    r.get("unanswerable"),
                    r.get("abstained"),
                    r.get("citation_precision"),
                ]
                for k, r in rows.items()
            ],
        ),
        "",
        "## Failures, verbatim",
        "",
        *[f"- **{f['catalog']} {f['id']}** “{f['question']}” → “{f['answer']}”" for f in failures],
    ]
    reports.write(out, "qa", data, lines)
    return data
