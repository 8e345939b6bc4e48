"""Off-policy estimates: unbiased, with intervals that hold the truth, from logged propensities."""

from __future__ import annotations

import numpy as np

from ranking.offpolicy import ips, snips, softmax_policy


def test_softmax_policy_keeps_every_item_possible_and_prefers_the_best():
    p = softmax_policy(np.array([0.1, 3.0, 0.5, 2.0]), temperature=0.2, uniform=0.2)
    assert abs(p.sum() - 1) < 1e-9 and p.min() >= 0.2 / 4
    assert np.argmax(p) == 1 and p[3] > p[2] > p[0]


def test_estimates_from_another_policys_logs_cover_the_true_rate():
    rng = np.random.default_rng(1)
    shoppers, arms = 400, 8
    buy = rng.uniform(0, 0.6, size=(shoppers, arms))  # each shopper's chance to buy each item
    logging = np.array([softmax_policy(rng.standard_normal(arms), 0.3, 0.2) for _ in range(shoppers)])
    target = np.array([softmax_policy(b, 0.1, 0.0) for b in buy])  # a policy that knows what sells
    truth = float((target * buy).sum(1).mean())
    logged = float((logging * buy).sum(1).mean())
    assert truth > logged + 0.05  # the two policies differ: the estimate must move, not echo the logs
    covered = {"ips": 0, "snips": 0}
    runs = 60
    for _ in range(runs):
        shown = np.array([rng.choice(arms, p=p) for p in logging])
        rewards = (rng.random(shoppers) < buy[np.arange(shoppers), shown]).astype(float)
        p_log, p_new = logging[np.arange(shoppers), shown], target[np.arange(shoppers), shown]
        for name, estimator in (("ips", ips), ("snips", snips)):
            covered[name] += estimator(rewards, p_new, p_log).covers(truth)
    assert covered["ips"] / runs >= 0.85 and covered["snips"] / runs >= 0.85
