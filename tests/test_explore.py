"""The exploration slot: new items start from what their neighbours earned, the choice's
probability is logged with every shown item, and outcomes are read back from behaviour."""

from __future__ import annotations

import numpy as np

from ranking.explore import DRAWS, choose, priors
from records import Event


def unit(*rows):
    a = np.array(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_a_new_item_starts_from_what_its_neighbours_earned():
    # items 0, 1 are alike and 0 sells; items 2, 3 are alike and 2 never sells; 1 and 3 are new
    vecs = unit([1, 0.1, 0], [1, 0.15, 0], [0, 0.1, 1], [0, 0.15, 1])
    alpha, beta = priors(vecs, np.array([50.0, 0, 50, 0]), np.array([20.0, 0, 0, 0]))
    mean = alpha / (alpha + beta)
    assert mean[1] > 0.3 > 0.05 > mean[3]  # each new item leans the way its neighbour went


def test_the_slot_favours_what_sells_and_says_how_likely_its_pick_was():
    vecs = unit([1, 0, 0], [0, 1, 0], [0, 0, 1])
    shown, won = np.array([100, 100, 100]), np.array([40, 5, 5])
    rng = np.random.default_rng(0)
    picks = [choose(vecs, shown, won, rng) for _ in range(200)]
    share = np.mean([p.index == 0 for p in picks])
    assert share > 0.9
    assert all(1 / DRAWS <= p.propensity <= 1 for p in picks)
    assert abs(np.mean([p.propensity for p in picks if p.index == 0]) - share) < 0.1  # the logged chance matches how often it won


def test_an_explored_item_is_labelled_logged_and_its_outcome_counted(fresh_shop):
    shop = fresh_shop
    shop.recommender.explore_rate = 1.0
    cards = shop.recommend("u02", k=4)
    last = cards[-1]
    assert last.reasons[0].kind == "explore" and last.reasons[0].text == "Something new we think you may like"
    assert all(r.kind != "explore" for c in cards[:-1] for r in c.reasons)
    logged = shop.store.impressions("u02")
    assert [i["product_id"] for i in reversed(logged)] == [c.product.id for c in cards]
    explored = next(i for i in logged if i["explore"])
    assert 0 < explored["propensity"] <= 1 and all(i["propensity"] == 1.0 for i in logged if not i["explore"])
    assert shop.store.explore_record([last.product.id]) == {last.product.id: (1, 0)}
    shop.record_event(Event(user_id="u02", product_id=last.product.id, kind="cart"))
    assert shop.store.explore_record([last.product.id]) == {last.product.id: (1, 1)}
    assert "impressions" in shop.store.export_user("u02") and shop.store.forget_user("u02")["impressions"] == 4


def test_a_list_with_a_message_never_explores(fresh_shop):
    fresh_shop.recommender.explore_rate = 1.0
    cards = fresh_shop.recommend("u02", "trail running shoes", k=4)
    assert not any(r.kind == "explore" for c in cards for r in c.reasons)
    assert fresh_shop.store.impressions("u02") == []


def test_a_product_added_today_is_within_reach_of_the_slot(fresh_shop):
    """Nobody has seen it, so no method ranks it high, but recall brings it close to a shopper
    whose taste it fits, into the pool the slot draws from (below the shown list)."""
    shop = fresh_shop
    liked = shop.store.get_product(next(e.product_id for e in reversed(shop.store.history("u02")) if e.kind == "purchase"))
    new = liked.model_copy(update={"id": "new-today", "title": liked.title + " (new edition)", "popularity": 0.0})
    shop.store.upsert_products([new])
    shop.index(progress=False)
    k = 4
    ranked = [c.product.id for c in shop.recommend("u02", k=k + 30)]  # the list and the pool below it
    assert "new-today" in ranked
