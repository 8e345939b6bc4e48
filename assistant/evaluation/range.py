"""Honest range: how well the shop tells requests it carries from those it does not, on
hand-labelled requests over three catalogs (bench/data/range_cases.jsonl).

For each catalog's store the two signals of `assistant.range` are computed; a logistic
regression over them is fitted on all catalogs (the weights the code ships) and, to show how
it carries to a catalog it has not seen, fitted on two catalogs and scored on the third. The
report gives precision and recall of "we don't carry it" (the claim that must be right) and of
"carried", per catalog.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant import range as shop_range
from assistant.evaluation import report as reports
from assistant.evaluation.dialogue import CATALOGS, prepare
from assistant.settings import Settings
from assistant.shop import Shop

CASES = reports.BENCH / "data" / "range_cases.jsonl"


def features(settings: Settings, cases: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    out = {}
    for catalog in sorted({c["catalog"] for c in cases}):
        mine = [c for c in cases if c["catalog"] == catalog]
        shop = Shop.open(prepare(settings, catalog))
        try:
            judge = shop.conversation.range
            x = np.array([judge.features(c["text"])[0] for c in mine])
        finally:
            shop.close()
        out[catalog] = (x, np.array([c["carried"] for c in mine]), [c["text"] for c in mine])
    return out


def scores(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return x @ w + b


def metrics(carried: np.ndarray, truth: np.ndarray) -> dict[str, float | int]:
    """Precision and recall of both claims."""
    out: dict[str, float | int] = {"requests": len(truth)}
    for name, pred, real in (("not_carried", ~carried, ~truth), ("carried", carried, truth)):
        tp = int((pred & real).sum())
        out[f"{name}_precision"] = round(tp / max(int(pred.sum()), 1), 3)
        out[f"{name}_recall"] = round(tp / max(int(real.sum()), 1), 3)
    out["accuracy"] = round(float((carried == truth).mean()), 3)
    return out


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    model = LogisticRegression(C=10.0, class_weight="balanced").fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def range_eval(settings: Settings, out: Path) -> dict[str, Any]:
    cases = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    cases = [c for c in cases if c["catalog"] in CATALOGS]
    data = features(settings.model_copy(update={"rate_limit_per_minute": 0}), cases)
    x_all = np.concatenate([d[0] for d in data.values()])
    y_all = np.concatenate([d[1] for d in data.values()])
    w, b = fit(x_all, y_all)
    shipped = np.array([shop_range.W_PRODUCT, shop_range.W_WORDS])
    rows: dict[str, Any] = {}
    errors: list[str] = []
    for catalog, (x, y, texts) in data.items():
        here = (scores(x, shipped, shop_range.BIAS) > shop_range.BAR) | np.array([shop_range.describes_a_need(t) for t in texts])
        others = [k for k in data if k != catalog]
        w_cv, b_cv = fit(np.concatenate([data[k][0] for k in others]), np.concatenate([data[k][1] for k in others]))
        held = (scores(x, w_cv, b_cv) > 0) | np.array([shop_range.describes_a_need(t) for t in texts])
        rows[catalog] = {"shipped": metrics(here, y), "fitted on the other catalogs": metrics(held, y)}
        errors += [
            f"{catalog}: “{t}” is {'carried' if truth else 'not carried'}, judged {'carried' if got else 'not carried'} {tuple(round(float(v), 2) for v in f)}"
            for t, truth, got, f in zip(texts, y, here, x)
            if truth != got
        ]
    report = {
        "cases": len(cases),
        "fitted": {"weights": [round(float(v), 3) for v in w], "bias": round(b, 3)},
        "shipped": {"weights": shipped.tolist(), "bias": shop_range.BIAS},
        "catalogs": rows,
        "errors": errors,
    }
    lines = [
        "# Honest range: do we carry it?",
        "",
        f"{reports.generated()}; {len(cases)} hand-labelled requests (bench/data/range_cases.jsonl). Signals: cosine of the best product above the catalog's "
        "background (everyday things it does not name), share of the request's words the catalog uses. `shipped`: the weights in assistant/range.py "
        f"({report['shipped']['weights']}, bias {shop_range.BIAS}), fitted on all three catalogs (this run fits {report['fitted']['weights']}, bias {report['fitted']['bias']}); "
        "`other catalogs`: fitted on the two other catalogs only, scored on this one: how the calibration carries to a shop it has not seen.",
        "",
        *reports.table(
            [
                "catalog",
                "weights",
                "requests",
                "“not carried” precision",
                "“not carried” recall",
                "“carried” precision",
                "“carried” recall",
                "accuracy",
            ],
            [
                [
                    c,
                    k,
                    m["requests"],
                    m["not_carried_precision"],
                    m["not_carried_recall"],
                    m["carried_precision"],
                    m["carried_recall"],
                    m["accuracy"],
                ]
                for c, r in rows.items()
                for k, m in r.items()
            ],
        ),
        "",
        "## Misjudged with the shipped weights",
        "",
        *[f"- {e}" for e in errors],
    ]
    reports.write(out, "range", report, lines)
    return report
