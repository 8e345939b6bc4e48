"""The evaluation protocols on small real data (the full runs live in bench/)."""

from __future__ import annotations

import pytest

from assistant.evaluation.ranking import write_ranking_report
from assistant.evaluation.retrieval import _score, load_judgments
from ranking.evaluate import evaluate, holdout_last_session
from ranking.train import TrainConfig
from tests.helpers import DATASETS, requires_dataset


def test_holdout_takes_each_shoppers_last_basket(demo_shop):
    from assistant.pipeline import training_data

    _, _, sequences = training_data(demo_shop)
    split = holdout_last_session(sequences)
    for user, basket in split.test.items():
        last_train = max(e.ts for e in split.train[user])
        after = [e for e in sequences[user] if e.ts > last_train]
        # exactly what the shopper carted or bought after the training events (a re-bought
        # product also appears in training, which is the point of buy-again)
        assert basket == {e.product_id for e in after if e.kind in ("purchase", "cart")}


def test_ranking_report_on_the_demo_shop(demo_shop, tmp_path):
    from assistant.pipeline import training_data

    products, matrix, sequences = training_data(demo_shop)
    report = evaluate(products, matrix, sequences, demo_shop.embedder.name, TrainConfig(epochs=2))
    assert report["users"]["all"] > 10
    for setting in ("all", "new"):
        for method, m in report["metrics"][setting].items():
            assert 0.0 <= m["NDCG@10"] <= 1.0 and m["Recall@10"] <= m["Recall@20"] + 1e-9, method
    path = write_ranking_report(report, tmp_path, "demo")
    assert "| learned_blend |" in path.read_text() and "| served |" in path.read_text()
    assert {"all: learned_blend", "all: served"} <= {k.split(" vs ")[0] for k in report["gains"]}
    assert all(v["ci95"][0] <= v["ci95"][1] for v in report["gains"].values()) and "95% interval" in path.read_text()


def test_retrieval_scoring_uses_graded_gains():
    judged = {"a": 3.0, "b": 1.0, "c": 2.67}
    perfect = _score(["a", "c", "b"], judged)
    assert perfect["nDCG@10"] == pytest.approx(1.0) and perfect["Recall@100"] == 1.0 and perfect["MRR"] == 1.0
    worse = _score(["b", "c", "a"], judged)
    assert worse["nDCG@10"] < 1.0 and worse["MRR"] == 0.5


@requires_dataset("homedepot_queries")
def test_homedepot_judgments_load():
    judgments = load_judgments(DATASETS / "homedepot_queries")
    assert len(judgments) > 5000 and all(1.0 <= r <= 3.0 for d in judgments.values() for r in d.values())


def test_summaries_report_checks_citations_and_its_own_check(tmp_path):
    from assistant.evaluation.summaries import summaries_eval
    from assistant.ingest import ingest_demo
    from assistant.shop import Shop
    from tests.helpers import make_settings

    settings = make_settings(tmp_path / "data")
    shop = Shop.open(settings)
    ingest_demo(shop.store)
    shop.close()
    report = summaries_eval(settings, tmp_path, products=3, reword_backends={"llama.cpp": settings})
    assert report["products"] == 3 and report["points"] > 0
    reworded = report["variants"]["reworded by llama.cpp"]
    assert reworded["points"] == report["points"] and sum(reworded["rewording"].values()) == report["points"]
    assert 0 <= report["supported_share"] <= 1 and 0 <= report["stars_agree_share"] <= 1
    check = report["check_on_hand_labelled_pairs"]
    assert check["pairs"] >= 30 and 0 < check["accuracy"] < 1
    assert "hand-labelled" in (tmp_path / "summaries.md").read_text()


@requires_dataset("device_reviews")
@requires_dataset("amazon_reviews_2018")
@pytest.mark.parametrize("labelled", ["SENTENCES", "DEV_SENTENCES"])
def test_polarity_sentences_from_public_datasets_are_read_from_there_not_copied(labelled):
    import json

    from assistant.evaluation import polarity

    rows = [json.loads(line) for line in getattr(polarity, labelled).read_text().splitlines() if line.strip()]
    public = [r for r in rows if r["dataset"] != "demo"]  # the demo shop's reviews are the repo's own
    assert public and not any("text" in r for r in public)  # the repo holds pointers and labels only
    found = polarity.with_text(rows, DATASETS)
    assert len(found) == len(rows) and all(
        len(r["text"].split()) >= 3 for r in found if "source" in r
    )  # every pointer still finds its sentence
