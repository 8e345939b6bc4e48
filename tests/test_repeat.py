"""The repeat model: timing decides which past products come back in the next basket."""

from __future__ import annotations

import numpy as np

from ranking.repeat import FEATURES, History, ItemStats, RepeatModel, features

MILK, FILTERS, GRILL = 0, 1, 2


def shopper(baskets: int, filters_every: int = 3, offset: int = 0) -> History:
    """Milk every week, coffee filters every `filters_every` weeks, a grill bought once."""
    out = []
    for t in range(baskets):
        b = [MILK]
        if (t + offset) % filters_every == 0:
            b.append(FILTERS)
        if t == 0:
            b.append(GRILL)
        out.append(b)
    return History(out, [7.0 * t for t in range(baskets)])


def test_item_statistics_leave_the_shopper_out():
    stats = ItemStats.of({"a": History([[MILK, GRILL], [MILK]], [0, 7]), "b": History([[MILK], [MILK]], [0, 7])})
    assert stats.without("a", GRILL) == (0.0, 1 / 3)  # nobody else bought the grill
    log_users, rebuy = stats.without("a", MILK)
    assert log_users == np.log1p(1) and rebuy == (1 + 1) / (2 + 3)  # only b's two milk purchases
    assert stats.rebuy_rate(3).tolist() == [(2 + 1) / (4 + 3), (0 + 1) / (0 + 3), (0 + 1) / (1 + 3)]  # everyone counted


def test_features_describe_counts_and_timing():
    h = shopper(6)
    items, x = features("a", h, now=42.0, stats=ItemStats.of({"a": h}))
    row = dict(zip(FEATURES, x[items.index(FILTERS)]))
    assert row["count"] == 2 and row["interval"] == 21 and row["days_since"] == 21 and row["since_over_interval"] == 1
    assert x.shape == (3, len(FEATURES))


def test_a_product_comes_back_when_it_is_due():
    histories = {f"u{k}": shopper(12 + k % 3, offset=k) for k in range(60)}
    stats = ItemStats.of(histories)
    model = RepeatModel().fit(histories, stats)
    due = shopper(9)  # filters last bought 3 weeks before now: due again
    items, p_due = model.score("new", due, now=63.0, stats=stats)
    fresh = shopper(7)  # filters bought in the last basket: not due
    items2, p_fresh = model.score("new", fresh, now=49.0, stats=stats)
    assert p_due[items.index(FILTERS)] > 0.5 > p_fresh[items2.index(FILTERS)]
    assert p_due[items.index(MILK)] > p_due[items.index(GRILL)]


def test_without_two_baskets_anywhere_recent_purchases_come_first():
    histories = {"a": History([[MILK, GRILL]], [0.0])}
    model = RepeatModel().fit(histories, ItemStats.of(histories))
    h = History([[GRILL], [MILK]], [0.0, 7.0])
    items, p = model.score("a", h, now=14.0, stats=ItemStats.of(histories))
    assert not model.fitted and p[items.index(MILK)] > p[items.index(GRILL)]
