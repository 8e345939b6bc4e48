"""Review summaries: every point is a real sentence of a cited review, cached until new reviews arrive."""

from __future__ import annotations

from records import Review


def test_summary_points_quote_the_reviews_they_cite(demo_shop):
    summary = demo_shop.review_summary("coffee-06a", refresh=True)
    points = summary["likes"] + summary["dislikes"]
    assert points and summary["review_count"] == len(demo_shop.store.reviews_for("coffee-06a"))
    reviews = demo_shop.store.get_reviews(i for p in points for i in p["review_ids"])
    for point in points:
        assert point["review_ids"], "a point must cite at least one review"
        assert point["text"] in reviews[point["review_ids"][0]].text


def test_complaints_land_in_dislikes(demo_shop):
    # the Cuisinart grinder is loud and hard to clean in the demo data: those are complaints
    summary = demo_shop.review_summary("coffee-06a", refresh=True)
    disliked = " ".join(p["text"].lower() for p in summary["dislikes"])
    assert "descale" in disliked or "loud" in disliked


def test_summary_is_cached_and_refreshed_by_new_reviews(fresh_shop):
    first = fresh_shop.review_summary("keyboard-01a")
    assert fresh_shop.store.get_summary("keyboard-01a")[1] == first["review_count"]
    fresh_shop.store.add_reviews(
        [Review(id="new-1", product_id="keyboard-01a", rating=1, text="The bluetooth drops now and then, very annoying.")]
    )
    second = fresh_shop.review_summary("keyboard-01a")
    assert second["review_count"] == first["review_count"] + 1
    assert any("new-1" in p["review_ids"] for p in second["likes"] + second["dislikes"])
