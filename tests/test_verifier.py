"""The verifier shows only sentences whose numbers, brands and names are in the facts."""

from __future__ import annotations

import pytest

from assistant.verifier import Verifier

FACTS = (
    "Microsoft Ergonomic Keyboard, White $59.00, under your $100.00 limit Noise: quiet Rated 3.8 out of 5 in 5 reviews "
    'A 4-star review says: "Quiet enough for the office." split, cushioned palm rest for long typing days'
)
V = Verifier(["Logitech", "Microsoft", "Razer"])


@pytest.mark.parametrize(
    "sentence",
    [
        "The Microsoft Ergonomic Keyboard is quiet enough for the office at $59.",
        "Reviewers rate it 3.8 out of 5.",
        "Great choice for long typing days with a cushioned palm rest.",
    ],
)
def test_faithful_sentences_pass(sentence):
    assert V.check(sentence, FACTS).ok


@pytest.mark.parametrize(
    "sentence,problem",
    [
        ("It costs $49 and is rated 4.9.", "number 49"),
        ("The Logitech MX Keys is even quieter.", "brand Logitech"),
        ("You can see it on the screen of your phone.", "says things"),
        ("It ships with the Pro Dock 3000.", "3000"),
        ("More at https://example.com today.", "links"),
        ("The shopper wants: a quiet keyboard.", "repeats the prompt"),
    ],
)
def test_invented_claims_fail(sentence, problem):
    verdict = V.check(sentence, FACTS)
    assert not verdict.ok and any(problem in p for p in verdict.problems)
