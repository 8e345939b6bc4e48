"""Which of a shopper's past products they will buy again in the next basket.

Grocery baskets repeat (on Instacart about 60% of a basket was bought before), and what tells
a repeat apart is timing as much as taste: how often and how recently the shopper bought the
item (counts decayed at three speeds), whether the usual interval between two purchases of it
has passed (days since the last one over the shopper's own interval), where in the cart it
goes, and how often shoppers re-buy the item at all. A gradient-boosted tree model
(scikit-learn's HistGradientBoosting) learns how these combine from each shopper's earlier
baskets, so nothing is fitted on the basket being predicted.

Item statistics leave the shopper out: an item only this shopper buys must not look popular
because of the very basket the model is fitted on (that leak inflated an earlier blend).

What was tried and did not help is in bench/results/NOTES.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from ranking.behaviour import TARGET_KINDS, session_starts
from records import Event

FEATURES = [
    "count",
    "share",
    "share_since_first",
    "baskets_since",
    "days_since",
    "interval",
    "since_over_interval",
    "decayed_0.5",
    "decayed_0.8",
    "decayed_0.95",
    "in_last_3",
    "streak",
    "cart_position",
    "baskets",
    "basket_mean",
    "user_rebuy",
    "item_log_users",
    "item_rebuy",
    "days_since_previous_basket",
]
TARGET_BASKETS = 5  # each shopper's last five baskets before the one predicted are the fitting targets
# A past product put ahead of everything new needs at least this chance, whatever the data says a
# new guess is worth: where shoppers never buy anything new, a grinder bought once with a 0.1%
# chance must not lead.
DUE_FLOOR = 0.05


@dataclass
class History:
    """A shopper's baskets (item indices in cart order), oldest first, and when each was bought (days)."""

    baskets: list[list[int]]
    days: list[float]

    def until(self, t: int) -> History:
        return History(self.baskets[:t], self.days[:t])

    @classmethod
    def of(cls, events: list[Event], key: Callable[[str], Hashable | None] = lambda pid: pid) -> History:
        """Carts and purchases grouped by session (in cart order), oldest first. `key` maps a
        product id to the item key (None: not an item the model knows)."""
        events = [e for e in events if e.kind in TARGET_KINDS and key(e.product_id) is not None]
        groups: dict[int, list] = {}
        for e, start in zip(events, session_starts(events)):
            groups.setdefault(start, []).append(key(e.product_id))
        return cls(list(groups.values()), [days(events[start].ts) for start in groups])


def days(ts: datetime) -> float:
    """A time as days since the epoch (the unit of every interval here)."""
    return ts.timestamp() / 86400


@dataclass
class ItemStats:
    """Per item: shoppers who bought it, and how often a purchase was a re-buy; with each
    shopper's own share kept so it can be left out."""

    users: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    again: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    own: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, histories: dict[str, History]) -> ItemStats:
        stats = cls()
        for user, h in histories.items():
            mine: dict[int, list[int]] = defaultdict(lambda: [0, 0])
            seen: set[int] = set()
            for b in h.baskets:
                for i in set(b):
                    mine[i][1] += 1
                    mine[i][0] += i in seen
                seen.update(b)
            for i, (a, t) in mine.items():
                stats.users[i] += 1
                stats.again[i] += a
                stats.total[i] += t
            stats.own[user] = {i: (a, t) for i, (a, t) in mine.items()}
        return stats

    def rebuy_rate(self, n_items: int) -> np.ndarray:
        """P(an item is bought again | bought before) over everyone, smoothed: high for bananas,
        low for a grill (the blend's feature)."""
        again, total = np.zeros(n_items), np.zeros(n_items)
        for i, a in self.again.items():
            again[i] = a
        for i, t in self.total.items():
            total[i] = t
        return (again + 1) / (total + 3)

    def without(self, user: str, item: int) -> tuple[float, float]:
        """(log shoppers, smoothed re-buy rate) of the item, this shopper left out."""
        a, t = self.own.get(user, {}).get(item, (0, 0))
        users = self.users.get(item, 0) - (1 if t else 0)
        return float(np.log1p(users)), (self.again.get(item, 0) - a + 1) / (self.total.get(item, 0) - t + 3)


def features(user: str, h: History, now: float, stats: ItemStats) -> tuple[list[int], np.ndarray]:
    """One row per item the shopper bought before `now` (FEATURES order)."""
    m = len(h.baskets)
    if m == 0:
        return [], np.zeros((0, len(FEATURES)), dtype=np.float32)
    rows: dict[int, dict] = {}
    for j, basket in enumerate(h.baskets):
        for pos, i in enumerate(basket):
            r = rows.setdefault(i, {"js": [], "pos": 0.0})
            if not r["js"] or r["js"][-1] != j:
                r["js"].append(j)
                r["pos"] += pos / len(basket)
    sizes = [len(b) for b in h.baskets]
    repeats = sum(len(r["js"]) - 1 for r in rows.values())
    gap_now = now - h.days[-1]
    items, out = [], []
    for i, r in rows.items():
        js = r["js"]
        n, first, last = len(js), js[0], js[-1]
        since = now - h.days[last]
        interval = (h.days[last] - h.days[first]) / (n - 1) if n > 1 else np.nan
        streak = 0
        while streak < n and js[n - 1 - streak] == m - 1 - streak:
            streak += 1
        log_users, rebuy = stats.without(user, i)
        out.append(
            [
                n,
                n / m,
                n / (m - first),
                m - last,
                since,
                interval,
                since / interval if n > 1 and interval > 0 else np.nan,
                *(sum(d ** (m - 1 - j) for j in js) for d in (0.5, 0.8, 0.95)),
                sum(j >= m - 3 for j in js),
                streak,
                r["pos"] / n,
                m,
                sum(sizes) / m,
                repeats / sum(sizes),
                log_users,
                rebuy,
                gap_now,
            ]
        )
        items.append(i)
    return items, np.asarray(out, dtype=np.float32)


class RepeatModel:
    """Probability that a past product is in the next basket (scikit-learn HistGradientBoosting)."""

    def __init__(self, seed: int = 7):
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=31, min_samples_leaf=50, l2_regularization=1.0, random_state=seed
        )
        self.fitted = False

    def fit(self, histories: dict[str, History], stats: ItemStats, targets: int = TARGET_BASKETS) -> RepeatModel:
        """Each shopper's last `targets` baskets, each predicted from the baskets before it."""
        xs, ys = [], []
        for user, h in histories.items():
            for t in range(max(1, len(h.baskets) - targets), len(h.baskets)):
                items, x = features(user, h.until(t), h.days[t], stats)
                y = np.isin(items, h.baskets[t])
                if y.any():
                    xs.append(x)
                    ys.append(y)
        y = np.concatenate(ys) if ys else np.zeros(0, bool)
        if y.any() and not y.all():
            self.model.fit(np.concatenate(xs), y)
            self.fitted = True
        return self

    def score(self, user: str, h: History, now: float, stats: ItemStats) -> tuple[list[int], np.ndarray]:
        """Items bought before and their chance of coming back; until there is anything to learn
        from (no shopper with two baskets), a recency-decayed count orders them."""
        items, x = features(user, h, now, stats)
        if not items:
            return items, np.zeros(0)
        if not self.fitted:
            decayed = x[:, FEATURES.index("decayed_0.8")]
            return items, decayed / (decayed.max() + 1.0)
        # one shopper's few rows: OpenMP's start-up across cores costs 5x the prediction itself
        # (11 ms vs 2 ms for 20 rows), and a server has other requests for the other core
        with _threads().limit(limits=1, user_api="openmp"):
            return items, self.model.predict_proba(x)[:, 1]


def new_item_precision(histories: dict[str, History], stats: ItemStats, k: int = 10, targets: int = TARGET_BASKETS) -> float:
    """How often a good guess at something new is bought: the share of the k most popular items
    a shopper never bought that are in their next basket, over the fitting baskets. A past
    product whose chance of coming back is higher than this deserves a place before anything
    new (the bar `Rules.due_at`); popularity is a fair stand-in for the best new guess here
    (on Instacart it scores new items about as well as the two-tower model)."""
    popular = sorted(stats.users, key=lambda i: -stats.users[i])
    hits = guesses = 0
    for h in histories.values():
        for t in range(max(1, len(h.baskets) - targets), len(h.baskets)):
            seen = {i for b in h.baskets[:t] for i in b}
            guess = [i for i in popular[: k + len(seen)] if i not in seen][:k]
            hits += len(set(guess) & set(h.baskets[t]))
            guesses += len(guess)
    return hits / guesses if guesses else 0.0


def due_bar(histories: dict[str, History], stats: ItemStats) -> float:
    """The chance from which a past product leads a list without a message."""
    return max(DUE_FLOOR, new_item_precision(histories, stats))


@dataclass
class Repeat:
    """What serving needs to say how likely a shopper is to buy a past product again, right now:
    the fitted model, the item statistics it was fitted with (keyed by product id), and how
    likely a new guess is bought (`new_item_precision`): the bar for "due"."""

    model: RepeatModel
    stats: ItemStats
    due_at: float = 0.5

    @classmethod
    def fit(cls, sequences: dict[str, list[Event]]) -> Repeat | None:
        """None when the behaviour holds no re-purchase to learn from (a store of durable goods)."""
        histories = {u: History.of(events) for u, events in sequences.items()}
        stats = ItemStats.of(histories)
        model = RepeatModel().fit(histories, stats)
        return cls(model, stats, due_bar(histories, stats)) if model.fitted else None

    def chances(self, user: str | None, events: list[Event], now: datetime) -> dict[str, float]:
        """Product id → probability that it is in the shopper's next basket, for every product
        they carted or bought; their live history gives the features, so a purchase a second
        ago already counts."""
        items, p = self.model.score(user or "", History.of(events), days(now), self.stats)
        return {str(i): float(x) for i, x in zip(items, p)}


@lru_cache(maxsize=1)
def _threads() -> ThreadpoolController:
    """Found once: looking up the loaded thread pools costs a millisecond per call."""
    return ThreadpoolController()
