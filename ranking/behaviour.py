"""What behaviour means to the models: how much an event says about taste (its kind, fading
with age), which events choose an item, and where a shopping session starts.

Shared by ranking (history weights, training targets, the repeat model's baskets) and the
assistant (recall's history vector, the store's popularity)."""

from __future__ import annotations

from datetime import datetime, timedelta

from records import Event

# How much each kind of behaviour says about a shopper's taste.
# A dismissal says "not this" about one item, not "less of this kind": it only hides the item.
EVENT_WEIGHT: dict[str, float] = {"view": 0.3, "cart": 0.6, "remove": 0.0, "purchase": 1.0, "rating": 0.8, "review": 0.8, "dismiss": 0.0}
HALF_LIFE_DAYS = 30.0
# The events that choose an item: what training learns to predict, and what "own" means.
TARGET_KINDS = ("purchase", "cart")
SESSION_GAP = timedelta(minutes=30)


def event_weight(event: Event, now: datetime) -> float:
    """How much one event says about today's taste: its kind, halved every 30 days."""
    age_days = max((now - event.ts).total_seconds() / 86400.0, 0.0)
    return EVENT_WEIGHT.get(event.kind, 0.3) * 0.5 ** (age_days / HALF_LIFE_DAYS)


def session_starts(events: list[Event]) -> list[int]:
    """For each event, the index where its session (no gap over 30 minutes) begins."""
    starts, start = [], 0
    for i, e in enumerate(events):
        if i and e.ts - events[i - 1].ts > SESSION_GAP:
            start = i
        starts.append(start)
    return starts
