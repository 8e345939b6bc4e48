"""The two-tower ranker: training, scoring, real-time updates, schema checks and rules."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from ranking.features import SchemaMismatch
from ranking.metrics import hit_rate_at_k, mrr, ndcg_at_k, recall_at_k
from ranking.rank import Ranker
from ranking.rules import Rules, apply
from ranking.train import TrainConfig, build_samples, session_starts
from records import Event, Product


def test_metrics():
    assert recall_at_k(["a", "b", "c"], {"a", "z"}, 2) == 0.5
    assert hit_rate_at_k(["a", "b"], {"b"}, 1) == 0.0
    assert ndcg_at_k(["a", "b"], {"a"}, 2) == 1.0
    assert ndcg_at_k(["b", "a"], {"a"}, 2) == pytest.approx(1 / np.log2(3))
    assert mrr(["x", "a"], {"a"}) == 0.5


def test_gain_interval_widens_with_noise():
    from ranking.metrics import relative_gain_interval

    rng = np.random.default_rng(1)
    theirs = rng.random(300)
    gain, low, high = relative_gain_interval(theirs * 1.2, theirs)
    assert gain == pytest.approx(0.2) and low == pytest.approx(0.2) and high == pytest.approx(0.2)
    noisy = theirs * 1.2 + rng.normal(0, 0.3, 300)
    gain, low, high = relative_gain_interval(noisy, theirs)
    assert low < gain < high and high - low > 0.05


def test_samples_never_leak_the_same_basket_into_history():
    t = datetime(2026, 1, 1)
    events = [
        Event(user_id="u", product_id=p, kind="purchase", ts=t + timedelta(minutes=m))
        for p, m in [("a", 0), ("b", 1), ("c", 600), ("d", 601)]
    ]
    assert session_starts(events) == [0, 0, 2, 2]
    train, val = build_samples({"u": events}, {p: i for i, p in enumerate("abcd")})
    # c and d (the last session) validate; their history is a and b only
    assert sorted(val.target.tolist()) == [2, 3] and set(val.hist[0][val.hist[0] >= 0].tolist()) == {0, 1}
    assert all((row < 0).all() for row in train.hist)  # a, b: nothing came before their session


def test_new_only_samples_leave_re_buys_to_the_repeat_model():
    t = datetime(2026, 1, 1)
    sessions = [["a", "b"], ["a", "c"], ["c", "d"]]  # a and c come back; b, c then d are new
    events = [
        Event(user_id="u", product_id=p, kind="purchase", ts=t + timedelta(days=d, minutes=m))
        for d, s in enumerate(sessions)
        for m, p in enumerate(s)
    ]
    index = {p: i for i, p in enumerate("abcd")}
    train, val = build_samples({"u": events}, index)
    assert sorted(train.target.tolist()) == [0, 0, 1, 2] and sorted(val.target.tolist()) == [2, 3]
    train, val = build_samples({"u": events}, index, new_only=True)
    assert sorted(train.target.tolist()) == [0, 1, 2] and val.target.tolist() == [3]


def test_listwise_blend_puts_the_basket_on_top():
    from ranking.blend import Blend

    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(40):  # the basket item has a high first feature; the second is noise
        x = rng.normal(size=(300, 2)).astype(np.float32)
        y = np.zeros(300)
        y[0] = 1
        x[0, 0] += 3.0
        xs.append(x)
        ys.append(y)
    b = Blend.fit(xs, ys)
    assert b.weights[0] > 0 and abs(b.weights[1]) < b.weights[0] / 5
    ranks = [int((b.score(x) > b.score(x)[0]).sum()) for x in xs]
    assert np.mean(ranks) < 5  # out of 300


def test_blend_signals_count_co_purchases_and_only_the_baskets_given():
    from ranking.blend import FEATURES, Signals

    # a and b are bought by the same shoppers; c by u2 alone, and only in u2's last basket
    baskets = {"u1": [[0, 1], [0]], "u2": [[0, 1], [1, 2]], "u3": [[3]]}
    taste = np.zeros(4)
    full = Signals.of(baskets, 4).features([[0]], taste)
    cooc, pop = FEATURES.index("cooccurrence"), FEATURES.index("log_pop")
    assert full[1, cooc] > full[2, cooc] > full[3, cooc] == 0  # b is a's co-purchase, d never met a
    assert full[2, pop] > 0
    # what the blend is fitted with leaves every shopper's last basket out: c's one purchase is
    # the answer the fit is asked for, so it must not make c look popular or co-purchased
    before = Signals.of({u: b[:-1] for u, b in baskets.items()}, 4).features([[0]], taste)
    assert before[2, pop] == 0 and before[2, cooc] == 0
    assert before[1, cooc] > 0


def test_adoption_counts_what_shoppers_start_buying_after_an_item():
    from ranking.blend import FEATURES, Signals, adoption

    # after a basket with 0, u1 and u2 try 1 for the first time; 2 only ever comes with 0 in
    # the same basket, and u3 buys 3 again after 0 (a re-buy, not a first purchase)
    baskets = {"u1": [[0, 2], [1]], "u2": [[0, 2], [0, 1]], "u3": [[3], [0], [3]]}
    a = adoption(baskets, 5).toarray()
    assert a[0, 1] > 0  # 1 is what follows 0
    assert a[0, 2] == 0  # bought with 0, never first bought after it
    assert a[0, 3] == 0  # re-bought after 0
    assert a[3, 0] > 0 and a[2, 1] > 0
    assert a[:, 4].sum() == 0 and a[4].sum() == 0  # never bought
    # a shopper who bought 0 gets 1 (adopted after 0) ahead of 2 and 3
    x = Signals.of(baskets, 5).features([[0]], np.zeros(5))
    col = FEATURES.index("adoption")
    assert x[1, col] > x[2, col] == x[3, col] == 0


def test_trained_ranker_prefers_the_shoppers_taste(demo_shop):
    shop = demo_shop
    assert shop.ranker is not None
    # u01 is a gamer: among 40 keyboards/coffee items, their ranking leans to electronics
    products = list(shop.store.iter_products())
    cands = [p for p in products if p.category in ("Electronics > Keyboards", "Home > Kitchen > Coffee")]
    history = shop.store.history("u01")
    vectors = shop.vectors.vectors([p.id for p in cands] + [e.product_id for e in history])
    ranked = shop.ranker.rank(history, shop.store.get_products(e.product_id for e in history), cands, vectors)
    top10 = [shop.store.get_product(s.product_id).category for s in ranked[:10]]
    assert top10.count("Electronics > Keyboards") >= 7


def test_a_purchase_moves_related_items_up_without_retraining(demo_shop):
    shop = demo_shop
    coffee = [p for p in shop.store.iter_products() if p.category == "Home > Kitchen > Coffee"]
    jackets = [p for p in shop.store.iter_products() if p.category == "Clothing > Jackets"]
    cands = coffee[1:] + jackets  # neither is the gamer u01's taste yet
    history = shop.store.history("u01")
    hp = shop.store.get_products(e.product_id for e in history)
    vectors = shop.vectors.vectors([p.id for p in cands + coffee[:1]] + list(hp))

    def ranks(hist, products):
        return {s.product_id: i for i, s in enumerate(shop.ranker.rank(hist, products, cands, vectors))}

    before = ranks(history, hp)
    bought = Event(user_id="u01", product_id=coffee[0].id, kind="purchase", ts=max(e.ts for e in history) + timedelta(hours=1))
    after = ranks(history + [bought], {**hp, coffee[0].id: coffee[0]})
    related = [p.id for p in coffee[1:]]
    assert np.mean([after[i] for i in related]) < np.mean([before[i] for i in related]) - 1


def test_popularity_taken_out_in_training_is_added_back_only_when_asked(demo_shop):
    model = demo_shop.ranker.model  # as loaded from the saved file
    assert model.log_q, "the model file keeps the training's log Q"
    top = max(model.log_q, key=model.log_q.get)
    assert model.log_q[top] > model.log_q_unseen and model.prior_weight in (0.0, 0.5, 1.0)  # the weight was chosen on validation
    assert model.prior(["never-bought"])[0] == pytest.approx(model.prior_weight * model.temperature * model.log_q_unseen)
    history = demo_shop.store.history("u01")
    hp = demo_shop.store.get_products(e.product_id for e in history)
    cands = list(demo_shop.store.iter_products())[:30] + list(hp.values())
    vectors = demo_shop.vectors.vectors([p.id for p in cands] + list(hp))
    plain = {s.product_id: s.score for s in demo_shop.ranker.rank(history, hp, cands, vectors)}
    prior = {s.product_id: s.score for s in demo_shop.ranker.rank(history, hp, cands, vectors, popularity=True)}
    own = {e.product_id for e in history if e.kind in ("purchase", "cart")}
    assert own & set(prior) and set(prior) - own
    for p in cands:  # the shopper's own products count as unseen: coming back is the repeat model's call
        expected = float(model.prior(["never-bought"] if p.id in own else [p.id])[0])
        assert prior[p.id] - plain[p.id] == pytest.approx(expected, abs=1e-5)


def test_validation_recall_of_new_items_never_counts_the_shoppers_own(demo_shop):
    import torch

    from assistant.pipeline import training_data
    from ranking.features import encode_items
    from ranking.train import Samples, evaluate_recall

    products, matrix, sequences = training_data(demo_shop)
    model = demo_shop.ranker.model
    items = encode_items(products, matrix, model.schema)
    _, val = build_samples(sequences, {p.id: i for i, p in enumerate(products)})
    fresh = [i for i in range(len(val.target)) if val.target[i] not in val.hist[i] and (val.hist[i] >= 0).any()]
    i = fresh[0]
    one = Samples(val.hist[i : i + 1], val.weights[i : i + 1], val.target[i : i + 1])
    prior = torch.zeros(len(products))
    prior[val.target[i]] = 1e3
    prior[val.hist[i][val.hist[i] >= 0]] = 1e6  # their own items would win, were they not masked
    assert evaluate_recall(model, items, one, k=1, prior=prior, new_only=True) == 1.0
    assert evaluate_recall(model, items, one, k=1, prior=prior) == 0.0
    repeat = Samples(val.hist[i : i + 1], val.weights[i : i + 1], val.hist[i][val.hist[i] >= 0][:1])
    assert evaluate_recall(model, items, repeat, new_only=True) == 0.0  # a re-buy is not a new-item sample


def test_cold_start_new_product_and_new_user(demo_shop):
    shop = demo_shop
    new = Product(id="brand-new", title="Silent office keyboard", category="Brand New > Category", price=70.0, stock=3)
    vec = shop.embedder.encode_one(new.embedding_text())
    scored = shop.ranker.rank([], {}, [new], {"brand-new": vec}, query_vec=shop.embedder.encode_one("quiet keyboard"))
    assert len(scored) == 1 and np.isfinite(scored[0].score) and scored[0].query > 0.3


def test_model_refuses_a_store_with_other_vectors(demo_shop):
    with pytest.raises(SchemaMismatch, match="retrain"):
        Ranker.load(demo_shop.settings.ranker_path, 768, "another-model")


def test_rules_stock_demotion_and_diversity():
    from ranking.rank import Scored

    ps = {f"p{i}": Product(id=f"p{i}", title="x", category="A" if i < 4 else "B", stock=0 if i == 1 else 5) for i in range(6)}
    ranked = [Scored(f"p{i}", 10 - i, 0, 0) for i in range(6)]
    assert [r.product_id for r in apply(ranked, ps, Rules())] == ["p0", "p2", "p3", "p4", "p5"]
    assert [r.product_id for r in apply(ranked, ps, Rules(demote_ids={"p0"}, demote_by=5))][:2] == ["p2", "p3"]
    diverse = [r.product_id for r in apply(ranked, ps, Rules(max_per_category=1, top=3))]
    assert diverse[:2] == ["p0", "p4"]


def test_training_is_reproducible(demo_shop):
    from assistant.pipeline import training_data
    from ranking.train import train

    products, matrix, sequences = training_data(demo_shop)
    cfg = TrainConfig(epochs=2, patience=5)
    _, r1 = train(products, matrix, sequences, "m", cfg, progress=False)
    _, r2 = train(products, matrix, sequences, "m", cfg, progress=False)
    assert [h["val_recall10"] for h in r1.history] == [h["val_recall10"] for h in r2.history]
    assert [h["loss"] for h in r1.history] == pytest.approx([h["loss"] for h in r2.history], rel=1e-5)


def test_training_says_why_it_stopped(demo_shop):
    """A model cut by the time cap depends on how busy the machine was: the result says so."""
    from assistant.pipeline import training_data
    from ranking.train import train

    products, matrix, sequences = training_data(demo_shop)
    _, full = train(products, matrix, sequences, "m", TrainConfig(epochs=2, patience=5), progress=False)
    _, capped = train(products, matrix, sequences, "m", TrainConfig(epochs=2, patience=5, max_minutes=0.0), progress=False)
    assert (full.stopped, full.epochs) == ("epochs", 2)
    assert (capped.stopped, capped.epochs) == ("time cap", 1)


def test_item_knn_scores_own_items_and_their_companions():
    from ranking import baselines

    # items 0 and 1 are bought together by two shoppers; item 2 never with item 0
    matrix = baselines.user_item_matrix({"a": [0, 1], "b": [0, 1, 0], "c": [1, 2]}, 3, ["a", "b", "c"])
    sim = baselines.item_knn(matrix)
    scores = baselines.knn_scores(sim, baselines.user_item_matrix({"x": [0, 0]}, 3, ["x"])[0])
    assert scores[0] > scores[1] > scores[2] == 0
