"""Rewording review points with the real local model: a wording is kept only when it adds
nothing to its quote, and the quote always stays beside it."""

from __future__ import annotations

import pytest

from assistant.llm import get_llm
from assistant.reword import REWORD_SIMILAR, reword, reword_summary
from assistant.verifier import Verifier
from tests.helpers import make_settings

pytestmark = pytest.mark.llm

QUOTES = [
    "Carries the weight on my hips, not my shoulders.",
    "A zip broke within two months.",
    "Gift for my partner, who loves it.",
    "Everything got wet in light rain.",
    "The keys are a bit loud at night but I got used to it.",
]


def test_a_kept_wording_adds_nothing_to_its_quote(demo_shop, tmp_path):
    llm = get_llm(make_settings(tmp_path))
    verifier = Verifier(demo_shop.store.brands())
    encode = demo_shop.embedder.encode
    for quote in QUOTES:
        text, why = reword(quote, llm, verifier, encode)
        if text is None:
            assert why in {"verifier", "unchanged", "empty or too long", "meaning drifted", "addresses the reader", "llm error"}
            continue
        assert why == "kept" and verifier.check(text, quote).ok
        a, b = encode([text, quote])
        assert float(a @ b) >= REWORD_SIMILAR and "your" not in text.lower().split()


def test_a_summary_keeps_its_quotes_and_citations_when_reworded(demo_shop, tmp_path):
    pid = next(iter(demo_shop.store.review_counts()))
    summary = demo_shop.build_summary(pid)
    cited = [p["review_ids"] for p in summary["likes"] + summary["dislikes"]]
    outcomes = reword_summary(summary, get_llm(make_settings(tmp_path)), demo_shop.verifier(), demo_shop.embedder.encode)
    points = summary["likes"] + summary["dislikes"]
    assert sum(outcomes.values()) == len(points) and [p["review_ids"] for p in points] == cited
    assert all(p["quote"] and (p["text"] == p["quote"] or outcomes["kept"]) for p in points)


def test_an_llm_that_is_down_leaves_the_quote(demo_shop, tmp_path):
    from tests.test_llm import free_port

    llm = get_llm(make_settings(tmp_path, llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout_s=2.0))
    assert reword(QUOTES[0], llm, demo_shop.verifier(), demo_shop.embedder.encode) == (None, "llm error")


def test_the_shop_caches_reworded_summaries_when_asked(fresh_shop):
    fresh_shop.settings = make_settings(fresh_shop.settings.data_dir, llm_reword_summaries=True)
    pid = next(iter(fresh_shop.store.review_counts()))
    summary = fresh_shop.review_summary(pid)
    points = summary["likes"] + summary["dislikes"]
    assert points and all(p["quote"] for p in points)
    assert sum(n for k, n in fresh_shop.stats.items() if k.startswith("reword_")) == len(points)
    assert fresh_shop.store.get_summary(pid)[0] == summary
