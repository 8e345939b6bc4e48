"""Off-policy evaluation: what a candidate policy would earn, estimated from the logs of the
policy that was actually shown, before the candidate ever meets a shopper.

Every logged impression carries the probability with which the logging policy chose the item it
showed (its propensity). Weighting each logged reward by how much likelier the candidate is to
show that same item (π_new / π_log) gives an unbiased estimate of the candidate's reward rate
(inverse propensity scoring, IPS); dividing by the mean weight instead of n (self-normalised
IPS, SNIPS) trades a little bias for much less variance when the weights are uneven. The
intervals are the normal ones from each estimator's sample variance (for SNIPS, the delta
method). Both need the logging policy to give every item the candidate may show a chance above
zero, which is why the exploration slot mixes in a uniform share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959964


@dataclass
class Estimate:
    value: float
    low: float
    high: float

    def covers(self, truth: float) -> bool:
        return self.low <= truth <= self.high


def ips(rewards: np.ndarray, target: np.ndarray, logging: np.ndarray) -> Estimate:
    """Mean of w·r with w = target / logging propensity of each logged action."""
    terms = np.asarray(target) / np.asarray(logging) * np.asarray(rewards, dtype=float)
    return _normal(float(terms.mean()), float(terms.std(ddof=1)), len(terms))


def snips(rewards: np.ndarray, target: np.ndarray, logging: np.ndarray) -> Estimate:
    """Σ w·r / Σ w; its variance by the delta method: var(w·(r − V)) / (n · mean(w)²)."""
    w = np.asarray(target) / np.asarray(logging)
    r = np.asarray(rewards, dtype=float)
    value = float((w * r).sum() / w.sum())
    spread = float((w * (r - value)).std(ddof=1) / w.mean())
    return _normal(value, spread, len(w))


def _normal(value: float, sd: float, n: int) -> Estimate:
    half = Z95 * sd / math.sqrt(n) if n > 1 else float("inf")
    return Estimate(value, value - half, value + half)


def softmax_policy(scores: np.ndarray, temperature: float, uniform: float) -> np.ndarray:
    """Choice probabilities over a pool: a softmax of the (rank-normalised) scores, mixed with a
    uniform share so every item keeps a chance (the support IPS needs)."""
    order = np.argsort(np.argsort(-scores, kind="stable"), kind="stable")  # 0 = best
    logits = -order / max(len(scores), 1) / temperature
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return (1 - uniform) * p + uniform / len(p)
