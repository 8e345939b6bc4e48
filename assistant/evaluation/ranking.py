"""Ranking: hold out each shopper's last basket, train on the rest, compare with the baselines
(the computation is ranking/evaluate.py; this loads the data and writes the report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.evaluation import report as reports
from assistant.evaluation.common import dataset_settings
from assistant.ingest import ingest_dataset
from assistant.pipeline import training_data
from assistant.settings import Settings
from assistant.shop import Shop
from ranking.evaluate import evaluate
from records import Event, Product


def ranking_data(settings: Settings, dataset: str | None) -> tuple[Settings, list[Product], np.ndarray, dict[str, list[Event]], str]:
    """What a ranking evaluation trains on: the dataset loaded into its own store (indexed), or
    the shop's own data; with the settings used and the embedding model's name."""
    if dataset:
        settings = dataset_settings(settings, dataset)
    shop = Shop.open(settings)
    try:
        if dataset:
            ingest_dataset(shop.store, dataset, settings.datasets_dir)
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
    write_ranking_report(report, out, f"ranking_{dataset or 'store'}")
    return report


def write_ranking_report(report: dict, out: Path, name: str) -> Path:
    lines = [
        f"# {name}",
        "",
        f"{reports.generated()}, {report['items']} items, users: {report['users']}",
        "",
        "blend: two-tower taste + "
        f"{report.get('served_prior_weight')}·T·log Q for products new to the shopper, bought items demoted, past products with a chance ≥ {report.get('served_due_at')} first. "
        "learned_blend: past products in the repeat model's order, then a learned blend of two-tower taste, popularity, co-occurrence and adoption (evaluation only). "
        "served: the policy `shopassist train` chooses on each shopper's last training session (ranking/policy.py), scored as the shop serves it.",
        "",
    ]
    chosen = report.get("served_policy")
    if chosen:
        rows = [[m, f"{v['ndcg10']:.4f}", f"{v['se']:.4f}"] for m, v in chosen["scores"].items()]
        lines += [
            f"## the served policy: {chosen['policy']}",
            "",
            f"Chosen on {chosen['shoppers']} shoppers' last training session: {chosen['why']}.",
            "",
            *reports.table(["policy", "validation NDCG@10", "standard error"], rows),
            "",
        ]
    for setting, metrics in report["metrics"].items():
        rows = [[m, *(f"{v.get(k, 0):.4f}" for k in ("Recall@10", "Recall@20", "NDCG@10", "HitRate@10"))] for m, v in metrics.items()]
        lines += [f"## {setting} items", "", *reports.table(["method", "Recall@10", "Recall@20", "NDCG@10", "HitRate@10"], rows), ""]
    if report.get("diversity"):
        rows = [[w, f"{v['NDCG@10']:.4f}", f"{v['ILD@10']:.3f}", f"{v['coverage']:.3f}"] for w, v in report["diversity"].items()]
        lines += [
            "## diversity: the served list re-ranked by MMR (all items; weight 1 = unchanged)",
            "",
            "ILD@10: 1 − mean pairwise cosine of the top 10's text vectors; coverage: share of the catalog in anyone's top 10.",
            "",
            *reports.table(["MMR weight", "NDCG@10", "ILD@10", "coverage"], rows),
            "",
        ]
    if report.get("gains"):
        rows = [[k, f"{v['gain']:+.1%}", f"{v['ci95'][0]:+.1%} … {v['ci95'][1]:+.1%}"] for k, v in report["gains"].items()]
        lines += [
            "## over the best single method on the test baskets (NDCG@10, paired bootstrap over shoppers)",
            "",
            *reports.table(["comparison", "gain", "95% interval"], rows),
            "",
        ]
    return reports.write(out, name, report, lines)
