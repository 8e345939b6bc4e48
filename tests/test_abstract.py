"""Abstractive review summaries: the LLM writes a side afresh, and only cited, verified points stay.

A strong model cannot run here, so one test hands `abstract_side` what such a model answers
(the boundary a paid API sits behind); the real local model runs through the same checks too."""

from __future__ import annotations

from assistant.reword import abstract_side, abstract_summary

LIKES = [
    {"text": "The battery lasts a full week between charges.", "review_ids": ["r1", "r2"], "polarity": "positive"},
    {"text": "Battery life is great, I charge it every few days.", "review_ids": ["r3"], "polarity": "positive"},
    {"text": "The keys are quiet enough for the office.", "review_ids": ["r4", "r5"], "polarity": "positive"},
]


class Answers:
    """What a strong OpenAI-compatible model would reply (no such model is reachable here)."""

    name = "canned"

    def __init__(self, reply: str):
        self.reply = reply

    def invoke(self, messages, **bind) -> str:
        return self.reply


def test_only_cited_verified_points_on_topic_survive(demo_shop):
    reply = "\n".join(
        [
            "- Battery life lasts days between charges [1, 2]",  # merges two quotes: kept, both reviews cited
            "- Quiet keys for the office [3]",  # kept
            "- Keys are quiet at 30 dB [3]",  # a number no quote holds: verifier
            "- Customers love the price",  # cites nothing
            "- Ships with a carrying case [7]",  # no such quote
        ]
    )
    points, outcomes = abstract_side(LIKES, "likes", Answers(reply), demo_shop.verifier(), demo_shop.embedder.encode)
    assert [p["review_ids"] for p in points] == [["r1", "r2", "r3"], ["r4", "r5"]]
    assert points[0]["text"] == "Battery life lasts days between charges." and points[0]["polarity"] == "positive"
    assert outcomes["kept"] == 2 and outcomes["verifier"] == 1 and outcomes["cites nothing"] == 1 and outcomes["cites no such quote"] == 1


def test_a_side_with_too_few_good_points_keeps_its_quotes(demo_shop):
    summary = {"likes": [dict(p) for p in LIKES], "dislikes": []}
    outcomes = abstract_summary(
        summary, Answers("Everyone agrees it is the best keyboard of 2026 [1]"), demo_shop.verifier(), demo_shop.embedder.encode
    )
    assert summary["likes"] == LIKES and outcomes["side kept extracted"] == 1


def test_the_local_model_writes_only_what_the_quotes_hold(demo_shop):
    from assistant.llm import get_llm

    pid = max(demo_shop.store.review_counts().items(), key=lambda kv: kv[1])[0]
    summary = demo_shop.build_summary(pid)
    before = {s: [dict(p) for p in summary[s]] for s in ("likes", "dislikes")}
    abstract_summary(summary, get_llm(demo_shop.settings), demo_shop.verifier(), demo_shop.embedder.encode)
    for side in ("likes", "dislikes"):
        if summary[side] == before[side]:
            continue  # kept its quotes
        cited = {rid for p in before[side] for rid in p["review_ids"]}
        for point in summary[side]:
            assert point["review_ids"] and set(point["review_ids"]) <= cited
            assert demo_shop.verifier().check(point["text"], point["quote"].replace(" / ", " ")).ok
