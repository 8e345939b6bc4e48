"""The dialogue benchmark: scripted conversations, each turn with expectations, run through the
real API (`POST /v1/chat`, JSON) on the demo shop and on public catalogs we did not write.

A dialogue file holds one JSON object per line: `{"id", "catalog", "user"?, "turns": [{"say",
"expect": {...}}]}`. What a turn may expect (every item check skips cards flagged as
alternatives, which the answer labels as such):

| key | passes when |
|---|---|
| `act` | the turn's act is this one (or one of this list) |
| `min_items`, `max_items` | the number of cards is within the bounds |
| `category` | every card's category path contains this text |
| `price_max`, `price_min` | every card's price is within the bound |
| `brand`, `not_brand` | every card is (is not) by this brand |
| `color` | every card is in this colour |
| `attributes` | every card has these attribute values |
| `in_stock` | every card is in stock (unknown stock counts as in stock) |
| `no_repeat` | no card of the previous list comes back |
| `excludes` | the previous list's card #n, and its colours and sizes, are not among the cards |
| `mentions`, `mentions_any`, `not_mentions` | the answer's text says all / any / none of these |
| `not_carried` | the first sentence says we don't carry it (true) or does not (false) |
| `out_of_stock` | the answer says it is out of stock |
| `cites` | the answer cites evidence ids |
| `alternatives` | the cards are (are not) labelled as alternatives |
| `table` | the answer carries a comparison table |
| `action` | the answer asks the host page to do this (e.g. `add_to_cart`) |
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from tqdm import tqdm

from api.app import create_app
from assistant import identity
from assistant.evaluation import report as reports
from assistant.evaluation.common import dataset_settings
from assistant.ingest import ingest_dataset, ingest_demo
from assistant.settings import Settings
from assistant.shop import Shop

DIALOGUES = reports.BENCH / "dialogues"
CATALOGS = {"demo": None, "amazon_uk": "amazon_uk", "instacart": "instacart"}  # catalog → dataset
NOT_CARRIED = re.compile(r"\b(don'?t|do not|doesn'?t|does not) (carry|sell|stock|have)\b|\bnot something we (carry|sell)\b", re.I)
OUT_OF_STOCK = re.compile(r"\bout of stock\b|\bsold out\b", re.I)


def load_dialogues(folder: Path = DIALOGUES) -> list[dict[str, Any]]:
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: {exc}") from exc
    return out


def prepare(settings: Settings, catalog: str) -> Settings:
    """The catalog in a store of its own, indexed (and, for the demo, with its ranker trained)."""
    dataset = CATALOGS[catalog]
    s = dataset_settings(settings, f"dialogue_{catalog}")
    shop = Shop.open(s)
    try:
        if dataset:
            ingest_dataset(shop.store, dataset, settings.datasets_dir)
        else:
            ingest_demo(shop.store)
        shop.index()
        if dataset is None and shop.ranker is None:
            from assistant.pipeline import train_ranker

            train_ranker(shop)
    finally:
        shop.close()
    return s


def check(expect: dict[str, Any], got: dict[str, Any], previous: dict[str, Any] | None, products: dict[str, dict]) -> list[str]:
    """The expectations this turn's answer misses, in words."""
    problems = []
    items = got.get("items", [])
    main = [i for i in items if not i.get("alternative")]
    text = got.get("message", "")
    first = re.split(r"(?<=[.!?:])\s", text, maxsplit=1)[0]
    if "act" in expect:
        wanted = expect["act"] if isinstance(expect["act"], list) else [expect["act"]]
        if got.get("intent") not in wanted:
            problems.append(f"act {got.get('intent')!r}, expected {wanted}")
    if "min_items" in expect and len(items) < expect["min_items"]:
        problems.append(f"{len(items)} cards, expected at least {expect['min_items']}")
    if "max_items" in expect and len(items) > expect["max_items"]:
        problems.append(f"{len(items)} cards, expected at most {expect['max_items']}")
    for item in main:
        p = item["product"]
        label = f"#{item['position']} {p['title'][:50]!r}"
        if "category" in expect and expect["category"].lower() not in (p.get("category") or "").lower():
            problems.append(f"{label} is in {p.get('category')!r}, not {expect['category']!r}")
        if "price_max" in expect and (p.get("price") is None or p["price"] > expect["price_max"] + 1e-6):
            problems.append(f"{label} costs {p.get('price')}, over {expect['price_max']}")
        if "price_min" in expect and (p.get("price") is None or p["price"] < expect["price_min"] - 1e-6):
            problems.append(f"{label} costs {p.get('price')}, under {expect['price_min']}")
        if "brand" in expect and (p.get("brand") or "").lower() != expect["brand"].lower():
            problems.append(f"{label} is by {p.get('brand')!r}, not {expect['brand']!r}")
        if "not_brand" in expect and (p.get("brand") or "").lower() == expect["not_brand"].lower():
            problems.append(f"{label} is by {p.get('brand')!r}")
        if "color" in expect:
            color = str((p.get("attributes") or {}).get("color", "")).lower()
            if expect["color"].lower() not in color and expect["color"].lower() not in p["title"].lower():
                problems.append(f"{label} is {color or 'of no colour'}, not {expect['color']}")
        for key, value in (expect.get("attributes") or {}).items():
            have = (p.get("attributes") or {}).get(key)
            if str(have).lower() != str(value).lower():
                problems.append(f"{label} has {key}={have!r}, expected {value!r}")
        if expect.get("in_stock") and p.get("stock") is not None and p["stock"] <= 0:
            problems.append(f"{label} is out of stock")
    if previous is not None:
        before = [i["product"]["id"] for i in previous.get("items", [])]
        ids = {i["product"]["id"] for i in items}
        if expect.get("no_repeat") and ids & set(before):
            problems.append(f"repeats {sorted(ids & set(before))}")
        for n in expect.get("excludes", []):
            if 0 < n <= len(before):
                excluded = {before[n - 1], *(v["id"] for v in previous["items"][n - 1].get("variants", []))}
                if ids & excluded:
                    problems.append(f"shows #{n} of the previous list again ({sorted(ids & excluded)})")
    low = text.lower()
    for word in expect.get("mentions", []):
        if word.lower() not in low:
            problems.append(f"does not mention {word!r}")
    if expect.get("mentions_any") and not any(w.lower() in low for w in expect["mentions_any"]):
        problems.append(f"mentions none of {expect['mentions_any']}")
    for word in expect.get("not_mentions", []):
        if word.lower() in low:
            problems.append(f"mentions {word!r}")
    if "not_carried" in expect and bool(NOT_CARRIED.search(first)) != expect["not_carried"]:
        problems.append("does not say we don't carry it" if expect["not_carried"] else "says we don't carry it")
    if expect.get("out_of_stock") and not OUT_OF_STOCK.search(text):
        problems.append("does not say it is out of stock")
    if expect.get("cites") and not (got.get("citations") or re.search(r"\[(product|review|faq|event):", text)):
        problems.append("cites nothing")
    if "alternatives" in expect and items and all(i.get("alternative") for i in items) != expect["alternatives"]:
        problems.append("cards are not labelled as alternatives" if expect["alternatives"] else "cards are labelled as alternatives")
    if expect.get("table") and not (got.get("table") or {}).get("rows"):
        problems.append("no comparison table")
    if "action" in expect and expect["action"] not in [a.get("type") for a in got.get("actions") or []]:
        problems.append(f"no {expect['action']} action")
    return problems


def shopper_headers(settings: Settings, user_id: str | None) -> dict[str, str]:
    """Who a scripted dialogue speaks as, the way the widget does: a signed-in shopper's token
    (minted as the store's backend would), or a fresh anonymous visitor id."""
    if user_id:
        return {"X-Shopper-Token": identity.sign_shopper(user_id, settings.shopper_secret())}
    return {"X-Visitor-Id": f"v_{uuid.uuid4().hex}"}


def run_catalog(settings: Settings, dialogues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every dialogue of one catalog through the API; one result per turn."""
    results = []
    app = create_app(settings)
    with TestClient(app) as client:
        for d in tqdm(dialogues, desc=f"dialogues {dialogues[0]['catalog']}", unit="dialogue"):
            session, previous = None, None
            headers = shopper_headers(settings, d.get("user"))
            for n, turn in enumerate(d["turns"], start=1):
                body = {"message": turn["say"], "stream": False, "session_id": session}
                started = time.perf_counter()
                r = client.post("/v1/chat", json={k: v for k, v in body.items() if v is not None}, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                got = r.json() if r.status_code == 200 else {"message": f"HTTP {r.status_code}: {r.text[:200]}", "items": []}
                problems = check(turn.get("expect", {}), got, previous, {}) if r.status_code == 200 else [f"HTTP {r.status_code}"]
                session = got.get("session_id", session)
                results.append(
                    {
                        "dialogue": d["id"],
                        "turn": n,
                        "say": turn["say"],
                        "passed": not problems,
                        "problems": problems,
                        "answer": got.get("message", ""),
                        "act": got.get("intent"),
                        "cards": [i["product"]["title"] for i in got.get("items", [])],
                        "ms": round(elapsed, 1),
                    }
                )
                if got.get("items") or got.get("intent") in ("reset",):
                    previous = got
    return results


def dialogue_eval(
    settings: Settings,
    out: Path,
    catalogs: list[str] | None = None,
    folder: Path = DIALOGUES,
    readers: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`readers`: more ways to read messages, each a row per catalog (name → settings changes,
    e.g. an OpenAI-compatible server's LLM understanding behind the parser)."""
    dialogues = load_dialogues(folder)
    by_catalog: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in dialogues:
        by_catalog[d["catalog"]].append(d)
    rows: dict[str, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    for catalog in catalogs or list(by_catalog):
        if catalog not in CATALOGS:
            raise ValueError(f"unknown catalog {catalog!r}; known: {', '.join(CATALOGS)}")
        dataset = CATALOGS[catalog]
        if dataset and not (settings.datasets_dir / dataset_folder_name(dataset)).exists():
            rows[catalog] = {"skipped": f"{settings.datasets_dir} holds no {dataset}"}
            continue
        s = prepare(settings.model_copy(update={"rate_limit_per_minute": 0}), catalog)
        for reader, changes in {"parser": {}, **(readers or {})}.items():
            results = run_catalog(s.model_copy(update=changes), by_catalog[catalog])
            name = catalog if reader == "parser" else f"{catalog} ({reader})"
            rows[name] = _row(results)
            failures += [{"catalog": name, **r} for r in results if not r["passed"]]
    data = {"catalogs": rows, "failures": failures}
    lines = [
        "# Dialogue benchmark",
        "",
        f"{reports.generated()}; scripted dialogues in bench/dialogues/ run through `POST /v1/chat` (JSON) on each catalog's own store; "
        "time to the final text is the whole request, prose included.",
        "",
        *reports.table(
            ["catalog", "dialogues", "turns", "turns passed", "dialogues passed", "final text p50 ms", "final text p95 ms"],
            [
                [
                    c,
                    r.get("dialogues", "—"),
                    r.get("turns", "—"),
                    r.get("turns_passed", r.get("skipped")),
                    r.get("dialogues_passed", "—"),
                    r.get("final_text_ms_p50", "—"),
                    r.get("final_text_ms_p95", "—"),
                ]
                for c, r in rows.items()
            ],
        ),
        "",
        "## Failing turns, verbatim",
        "",
    ]
    for f in failures:
        lines.append(
            f"- **{f['catalog']} {f['dialogue']} turn {f['turn']}** “{f['say']}” → [{f['act']}] “{f['answer'][:300]}” {f['cards'][:4]} — {'; '.join(f['problems'])}"
        )
    reports.write(out, "dialogue", data, lines)
    return data


def _row(results: list[dict[str, Any]]) -> dict[str, Any]:
    per_dialogue: dict[str, bool] = defaultdict(lambda: True)
    for r in results:
        per_dialogue[r["dialogue"]] &= r["passed"]
    ms = [r["ms"] for r in results]
    return {
        "dialogues": len(per_dialogue),
        "turns": len(results),
        "turns_passed": round(sum(r["passed"] for r in results) / len(results), 3),
        "dialogues_passed": round(sum(per_dialogue.values()) / len(per_dialogue), 3),
        "final_text_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "final_text_ms_p95": round(float(np.percentile(ms, 95)), 1),
    }


def dataset_folder_name(dataset: str) -> str:
    from assistant.datasets import ADAPTERS

    return ADAPTERS[dataset][0]
