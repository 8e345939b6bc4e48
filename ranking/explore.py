"""The exploration slot: now and then the last place of a list without a message goes to an item
the ranking would not have shown, so new and niche products reach shoppers and the shop learns
what they would have liked beyond what they already saw.

The item is chosen by Thompson sampling over the pool (the ranked list below what is shown):
each item's chance of being carted or bought after an exploration impression is a Beta
distribution over its own record (shown, won), starting from a prior set by its nearest items
in the pool (text-vector cosine), so an item added today starts as promising as the items it
resembles instead of from nothing. One draw from every item's Beta; the highest wins.

Every shown item's probability of having been shown (its propensity) is logged with the list,
so `ranking/offpolicy.py` can estimate another policy's purchase rate from these logs. A
Thompson choice has no closed-form probability: it is estimated from `DRAWS` repeated draws
(and never logged below 1/DRAWS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DRAWS = 400
PRIOR_STRENGTH = 10.0  # how many impressions the neighbours' record is worth
NEIGHBOURS = 5
BASE_RATE = 0.05  # the prior mean when nothing in the pool has a record yet


@dataclass
class Pick:
    index: int  # into the pool
    propensity: float  # the chance this item won the slot, given that the slot was explored


def priors(vectors: np.ndarray, shown: np.ndarray, won: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta(α, β) per pool item: the similarity-weighted success rate of its nearest items that
    have a record, worth PRIOR_STRENGTH impressions, plus the item's own record."""
    rated = np.flatnonzero(shown > 0)
    rate = (won + 1) / (shown + 2)
    mean = np.full(len(vectors), BASE_RATE)
    if len(rated):
        sims = np.clip(vectors @ vectors[rated].T, 0, None)
        for i in range(len(vectors)):
            s = sims[i].copy()
            s[rated == i] = 0.0  # an item is not its own neighbour
            near = np.argsort(-s)[:NEIGHBOURS]
            if s[near].sum() > 0:
                mean[i] = float((s[near] * rate[rated[near]]).sum() / s[near].sum())
    mean = np.clip(mean, 0.01, 0.99)
    alpha = PRIOR_STRENGTH * mean + won
    beta = PRIOR_STRENGTH * (1 - mean) + (shown - won)
    return alpha, beta


def choose(vectors: np.ndarray, shown: np.ndarray, won: np.ndarray, rng: np.random.Generator) -> Pick:
    """One Thompson draw picks the item; the same distributions, drawn DRAWS times, say how
    likely that pick was."""
    alpha, beta = priors(vectors, shown.astype(float), won.astype(float))
    pick = int(np.argmax(rng.beta(alpha, beta)))
    wins = np.argmax(rng.beta(alpha, beta, size=(DRAWS, len(alpha))), axis=1)
    return Pick(pick, max(float(np.mean(wins == pick)), 1.0 / DRAWS))
