"""Buy again, served: a shop whose shoppers re-buy coffee beans learns when beans are due, brings
them back in a shopper's recommendations then, and demotes them right after a purchase."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from assistant.conversation import Session
from assistant.pipeline import train_ranker
from ranking.repeat import DUE_FLOOR, History, ItemStats, Repeat, due_bar, new_item_precision
from ranking.rules import Rules, apply
from ranking.train import TrainConfig
from records import Event, Product, utcnow

BEANS = Product(
    id="beans-01",
    title="Lavazza Super Crema Whole Bean Coffee, 2.2 lb",
    brand="Lavazza",
    category="Home > Kitchen > Coffee",
    price=24.0,
    stock=50,
)
FILTERS = Product(
    id="filters-01",
    title="Melitta #4 Cone Coffee Filters, 100 count",
    brand="Melitta",
    category="Home > Kitchen > Coffee",
    price=6.0,
    stock=50,
)
GRINDER = "coffee-10a"  # a durable good from the demo catalog, bought once


def regular(user: str, weeks: int, end: datetime) -> list[Event]:
    """A basket a week until `end`: beans and filters in turn (beans one week before `end`),
    the grinder in the first basket."""
    events = []
    for w in range(weeks):
        ago = weeks - 1 - w  # weeks before `end`
        basket = [BEANS.id if ago % 2 else FILTERS.id] + ([GRINDER] if w == 0 else [])
        ts = end - timedelta(days=7 * ago)
        events += [Event(user_id=user, product_id=pid, kind="purchase", ts=ts + timedelta(minutes=i)) for i, pid in enumerate(basket)]
    return events


def test_without_re_purchases_there_is_no_repeat_model():
    events = {"a": [Event(user_id="a", product_id="x", kind="purchase", ts=utcnow())]}
    assert Repeat.fit(events) is None


def test_rules_move_past_products_by_their_chance_of_coming_back():
    from ranking.rank import Scored

    ps = {f"p{i}": Product(id=f"p{i}", title="x", category="A", stock=5) for i in range(3)}
    ranked = [Scored("p0", 1.0, 0, 0), Scored("p1", 0.9, 0, 0), Scored("p2", 0.8, 0, 0)]
    bought = {"p0", "p2"}
    assert [r.product_id for r in apply(ranked, ps, Rules(demote_ids=bought))] == ["p1", "p0", "p2"]
    due = Rules(demote_ids=bought, again={"p0": 0.1, "p2": 0.9})  # p2 is due, p0 is not
    assert [r.product_id for r in apply(ranked, ps, due)] == ["p2", "p1", "p0"]


def test_with_no_message_due_products_lead_however_the_model_scored_them():
    from ranking.rank import Scored

    ps = {f"p{i}": Product(id=f"p{i}", title="x", category="A", stock=5) for i in range(4)}
    ranked = [Scored(f"p{i}", 1.0 - i / 10, 0, 0) for i in range(4)]
    rules = Rules(demote_ids={"p2", "p3"}, again={"p2": 0.2, "p3": 0.3}, due_first=True, due_at=0.1)
    assert [r.product_id for r in apply(ranked, ps, rules)] == ["p3", "p2", "p0", "p1"]
    assert [r.product_id for r in apply(ranked, ps, replace(rules, due_at=0.5))][:2] == ["p0", "p1"]


def test_the_bar_for_due_is_how_often_a_popular_new_guess_is_bought():
    # everyone buys item 0 every time; item 1 is new to "b" in its last basket and popular
    histories = {"a": History([[0, 1], [0, 1]], [0.0, 7.0]), "b": History([[0], [0, 1]], [0.0, 7.0])}
    stats = ItemStats.of(histories)
    assert new_item_precision(histories, stats, k=1) == 1.0  # b's one new guess (item 1) was bought
    assert due_bar(histories, stats) == 1.0
    loyal = {"a": History([[0], [0]], [0.0, 7.0]), "b": History([[1], [1]], [0.0, 7.0])}  # nobody tries anything new
    assert new_item_precision(loyal, ItemStats.of(loyal)) == 0.0
    assert due_bar(loyal, ItemStats.of(loyal)) == DUE_FLOOR


@pytest.fixture
def coffee_shop(fresh_shop):
    shop = fresh_shop
    shop.store.upsert_products([BEANS, FILTERS])
    shop.index(progress=False)
    now = utcnow()
    for k in range(30):  # shoppers whose last basket is 1-14 days old
        shop.store.add_events(regular(f"regular{k:02d}", 12 + k % 4, now - timedelta(days=1 + k % 14)))
    train_ranker(shop, TrainConfig(epochs=2, patience=1))
    # the tests below are about the blend's rules (due re-buys first, a purchase demotes); which
    # policy a store serves is chosen on its own data (tests/test_policy.py)
    shop.ranker.served = None
    assert shop.ranker.policy == "blend"
    return shop


def test_due_beans_come_back_and_a_purchase_demotes_them_at_once(coffee_shop):
    shop = coffee_shop
    assert shop.ranker is not None and shop.ranker.repeat is not None
    last = utcnow() - timedelta(days=7)  # beans last bought 14 days ago: due
    shop.store.add_events(regular("me", 10, last))
    chance = shop.recommender.again("me", shop.store.history("me"))
    assert chance[BEANS.id] > 0.5 > chance[GRINDER]

    cards = [c.product.id for c in shop.recommend("me", k=5)]
    assert cards[0] == BEANS.id and GRINDER not in cards  # no message: what is due leads
    beans = next(c for c in shop.recommend("me", k=5) if c.product.id == BEANS.id)
    first = min(e.ts for e in shop.store.history("me") if e.product_id == BEANS.id)
    assert f"You bought this 5 times since {first:%Y-%m-%d}, about every 14 days" in [r.text.split(";")[0] for r in beans.reasons]

    shop.record_event(Event(user_id="me", product_id=BEANS.id, kind="purchase", ts=utcnow()))
    assert shop.recommender.again("me", shop.store.history("me"))[BEANS.id] < 0.5
    assert BEANS.id not in [c.product.id for c in shop.recommend("me", k=5)][:3]


def test_asking_what_to_reorder_lists_what_is_due(coffee_shop):
    shop = coffee_shop
    shop.store.add_events(regular("me", 10, utcnow() - timedelta(days=7)))
    answer = shop.conversation.answer("what do I need again?", Session(), "me")
    assert answer.request.intent == "reorder" and answer.cards[0].product.id == BEANS.id
    assert answer.message.startswith("You may be running low on this")
    anonymous = shop.conversation.answer("buy again", Session(), None)
    assert not anonymous.cards and "who you are" in anonymous.message


def test_the_demo_coffee_lovers_get_their_beans_back_and_nothing_else_is_called_due(demo_shop):
    for user in ("u03", "u11", "u19"):  # the demo's coffee lovers restock every couple of weeks
        cards = demo_shop.recommender.recommend(user, k=5, rebuys_first=True)  # "what do I need again?"
        assert cards[0].product.category.endswith("Coffee Supplies") and cards[0].due
        for card in cards:  # "running low" only where a habit can be cited, never for a grinder bought once
            assert card.due == any(r.text.startswith("You bought this") for r in card.reasons), card.product.title
    assert not any(c.due for c in demo_shop.recommender.recommend("u01", k=5, rebuys_first=True))  # a gamer re-buys nothing
