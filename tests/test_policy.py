"""The served policy: chosen on the store's own validation baskets, never worse than the best
single method by more than the noise, and the same scores in evaluation and in serving."""

from __future__ import annotations

import numpy as np
import pytest

from ranking import baselines
from ranking.policy import BLEND, MIN_SHOPPERS, Choice, Methods, Served, choose


def noisy(mean: float, n: int, seed: int, spread: float = 0.3) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(np.clip(mean + spread * rng.standard_normal(n), 0, 1))


def test_a_clear_winner_serves():
    base = noisy(0.2, 400, 1)
    scores = {"popularity": base, "buy_again": [x + 0.15 for x in base], "two_tower": [x + 0.02 for x in base]}
    choice = choose(scores)
    assert choice.policy == "buy_again" and choice.best == "buy_again"
    assert "scored best" in choice.why and choice.scores["buy_again"]["se"] > 0


def test_a_complex_method_must_win_by_more_than_the_noise():
    """The blend is ahead by less than one standard error of the difference: the simpler serves."""
    rng = np.random.default_rng(3)
    single = noisy(0.3, 200, 2)
    blend = [x + 0.002 + 0.2 * e for x, e in zip(single, rng.standard_normal(200))]
    choice = choose({"buy_again": single, BLEND: blend})
    assert choice.best == BLEND and choice.policy == "buy_again"
    assert "within one standard error" in choice.why


def test_thin_data_serves_the_simplest_strong_method_and_says_so():
    n = MIN_SHOPPERS - 1
    choice = choose({"popularity": [0.1] * n, "buy_again": [0.3] * n, BLEND: [0.9] * n})
    assert choice.policy == "buy_again" and choice.shoppers == n
    assert "too few" in choice.why


def test_the_served_policy_is_never_below_the_best_single_by_more_than_its_error():
    rng = np.random.default_rng(0)
    for trial in range(40):
        n = int(rng.integers(MIN_SHOPPERS, 300))
        scores = {
            m: noisy(float(rng.uniform(0.05, 0.5)), n, trial * 10 + i) for i, m in enumerate(("popularity", "buy_again", "als", BLEND))
        }
        choice = choose(scores)
        best_single = max(("popularity", "buy_again", "als"), key=lambda m: np.mean(scores[m]))
        diff = np.asarray(scores[choice.policy]) - np.asarray(scores[best_single])
        assert diff.mean() >= -diff.std(ddof=1) / np.sqrt(n) - 1e-12, (trial, choice)


def bought_matrix(seed: int = 0, users: int = 60, items: int = 40):
    rng = np.random.default_rng(seed)
    bought = {
        f"u{u}": rng.choice(items, size=int(rng.integers(3, 12)), p=np.linspace(2, 1, items) / np.linspace(2, 1, items).sum()).tolist()
        for u in range(users)
    }
    return bought, items


def test_als_places_a_shopper_from_their_purchases_as_the_fit_did():
    """Serving recomputes a shopper's ALS factors from their purchases now; for a shopper the fit
    saw, the scores order the catalog as the fitted factors do."""
    bought, n = bought_matrix()
    methods = Methods.fit(bought, n)
    users = sorted(bought)
    model = baselines.fit_als(baselines.user_item_matrix(bought, n, users))
    agree = []
    for row, user in enumerate(users):
        fitted = baselines.als_scores(model, row)
        live = methods.scores("als", bought[user])
        agree.append(np.corrcoef(fitted, live)[0, 1])
    assert np.median(agree) > 0.95


def test_the_single_methods_score_as_their_names_say():
    bought, n = bought_matrix(1)
    methods = Methods.fit(bought, n)
    again = methods.scores("buy_again", [5, 7, 5])
    assert np.argsort(-again)[:2].tolist() == [5, 7]  # own purchases first, the most bought leading
    assert np.argmax(methods.scores("popularity", [])) == np.argmax(methods.pop)
    knn = methods.scores("item_knn", [3])
    assert knn[3] == knn.max() and (knn > 0).sum() <= 101
    with pytest.raises(ValueError):
        methods.scores(BLEND, [])


def test_served_orders_candidates_and_puts_products_newer_than_the_choice_last():
    bought, n = bought_matrix(2)
    items = [f"p{i}" for i in range(n)]
    served = Served(Choice("buy_again", 60), items, Methods.fit(bought, n))
    scores = served.order(["p9", "p9", "p4"], ["new-1", "p4", "p0", "p9"])
    order = [["new-1", "p4", "p0", "p9"][i] for i in np.argsort(-scores, kind="stable")]
    assert order[:2] == ["p9", "p4"] and order[-1] == "new-1"


def test_train_chooses_a_policy_and_lists_follow_it(fresh_shop):
    """`shopassist train` records the choice with every validation score; a list without a
    message follows the chosen single method, and "what do I need again?" still gets the
    repeat model's order."""
    from assistant.pipeline import train_ranker
    from ranking.train import TrainConfig

    result = train_ranker(fresh_shop, TrainConfig(epochs=2, patience=1))
    ranker = fresh_shop.ranker
    assert result.policy["policy"] == ranker.policy and set(result.policy["scores"]) >= {"popularity", "buy_again", BLEND}
    assert result.policy["why"]
    from api.ops import ranking_policy
    from assistant.pipeline import training_data
    from ranking.evaluate import purchases

    assert ranking_policy(fresh_shop)["policy"] == ranker.policy  # what /healthz shows
    products, _, sequences = training_data(fresh_shop)
    index = {p.id: i for i, p in enumerate(products)}
    methods = Methods.fit(purchases(sequences, index), len(products))
    ranker.served = Served(Choice("popularity", 100, why="test"), [p.id for p in products], methods)
    pop = dict(zip(ranker.served.items, methods.pop))
    shown = [pop[c.product.id] for c in fresh_shop.recommend("u02", k=4)]
    assert len(shown) == 4 and shown == sorted(shown, reverse=True), "the list is not in the chosen method's order"
    asked = fresh_shop.recommender.recommend("u03", k=4, rebuys_first=True)
    assert asked[0].due  # a coffee lover asking what is due gets the repeat model's order


def test_mmr_keeps_the_order_at_weight_one_and_mixes_near_duplicates_below_it():
    from ranking.diversity import intra_list_diversity, mmr

    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    rows = [a + 0.05 * rng.standard_normal(16) for _ in range(5)] + [b + 0.05 * rng.standard_normal(16) for _ in range(5)]
    vecs = np.array([r / np.linalg.norm(r) for r in rows])  # ranked: five alike, then five of another kind
    assert mmr(vecs, 1.0, 4) == list(range(10))
    order = mmr(vecs, 0.5, 4)
    assert order[0] == 0 and order[1] == 5 and sorted(order) == list(range(10))  # the other kind gets the second slot
    assert intra_list_diversity(vecs[order[:4]]) > intra_list_diversity(vecs[:4])


def test_a_list_without_a_message_trades_a_little_relevance_for_variety(demo_shop):
    from ranking.diversity import intra_list_diversity

    recommender = demo_shop.recommender
    spread = {}
    for weight in (1.0, 0.5):
        recommender.diversity = weight
        cards = recommender.recommend("u01", k=4)
        vecs = demo_shop.vectors.vectors([c.product.id for c in cards])
        spread[weight] = intra_list_diversity(np.array([vecs[c.product.id] for c in cards]))
    recommender.diversity = demo_shop.settings.diversity
    assert spread[0.5] > spread[1.0]
