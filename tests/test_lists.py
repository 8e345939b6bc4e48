"""A shopper's ranked list is kept while nothing it read changes, and ranked again the moment
something does: their own behaviour, the catalog, reviews; another process's writes within
seconds, without a page view waiting for it."""

from __future__ import annotations

import contextlib
import time

from sqlalchemy import text

from assistant import store as store_module
from records import Event, utcnow


def ids(cards) -> list[str]:
    return [c.product.id for c in cards]


def counting(shop) -> list[str]:
    """Records each time a list is ranked (recall, ranking, reasons), for whom."""
    calls: list[str] = []
    real = shop.recommender._listing
    shop.recommender._listing = lambda user_id, *a, **kw: calls.append(user_id) or real(user_id, *a, **kw)
    return calls


def test_a_list_asked_for_again_is_not_ranked_again(fresh_shop):
    first = ids(fresh_shop.recommend("u02", "", None, 4))
    calls = counting(fresh_shop)
    assert ids(fresh_shop.recommend("u02", "", None, 4)) == first
    assert calls == []
    fresh_shop.recommend("u02", "a quiet keyboard", None, 4)  # another request's shape is its own list
    assert calls == ["u02"]


def test_the_lists_kept_for_anonymous_visitors_are_bounded(monkeypatch):
    """Every anonymous visitor is one shopper (None) to the cache: their lists are kept up to a
    bound, the latest, not for as long as any of them keeps asking."""
    monkeypatch.setattr(store_module, "LISTS_PER_SHOPPER", 8)
    cache = store_module.ReadCache()
    built: list[int] = []
    for i in range(20):
        assert cache.listing(None, ("q", i), lambda i=i: built.append(i) or i, lambda: "same") == i
    assert list(cache.lists[None]) == [("q", i) for i in range(12, 20)]
    cache.listing(None, ("q", 19), lambda: built.append(-1) or -1, lambda: "same")  # the latest is still kept
    cache.listing(None, ("q", 0), lambda: built.append(0) or 0, lambda: "same")  # the first is gone: ranked again
    assert built == [*range(20), 0]


def settled(shop) -> None:
    """Waits for the rankings under way beside the requests."""
    for _, future in list(shop.store.cache.running.values()):
        with contextlib.suppress(Exception):  # a failed ranking shows in the request that ranks inline
            future.result(timeout=30)


def test_the_shoppers_own_event_ranks_their_list_again_before_their_next_page(fresh_shop):
    first = ids(fresh_shop.recommend("u02", "", None, 4))
    calls = counting(fresh_shop)
    fresh_shop.record_event(Event(user_id="u02", product_id=first[0], kind="purchase", ts=utcnow()))
    settled(fresh_shop)
    assert calls == ["u02"]  # ranked beside the requests, once
    fresh_shop.recommend("u02", "", None, 4)
    assert calls == ["u02"]  # the page found it ready
    assert first[0] in fresh_shop.recommender.listing("u02").bought  # ranked knowing the purchase
    fresh_shop.recommend("u05", "", None, 4)
    assert calls == ["u02", "u05"]  # u05 had none yet


def test_a_page_asked_for_while_its_ranking_is_under_way_waits_for_it_instead_of_ranking_twice(fresh_shop):
    fresh_shop.recommend("u02", "", None, 4)
    calls = counting(fresh_shop)
    real = fresh_shop.recommender._listing
    fresh_shop.recommender._listing = lambda *a, **kw: time.sleep(0.3) or real(*a, **kw)  # a slow ranking
    fresh_shop.record_event(Event(user_id="u02", product_id="keyboard-01a", kind="view", ts=utcnow()))
    time.sleep(0.1)  # the background ranking has begun
    fresh_shop.recommend("u02", "", None, 4)
    settled(fresh_shop)
    assert calls == ["u02"]


def test_a_catalog_change_ranks_every_list_again_at_once(fresh_shop):
    shown = fresh_shop.recommend("u05", "", None, 4)[0].product
    calls = counting(fresh_shop)
    fresh_shop.store.upsert_products([shown.model_copy(update={"price": 1.23})])
    again = {c.product.id: c.product for c in fresh_shop.recommend("u05", "", None, 4)}
    assert calls == ["u05"]
    assert shown.id not in again or again[shown.id].price == 1.23


def test_one_list_serves_every_page_length(fresh_shop):
    four = ids(fresh_shop.recommend("u02", "", None, 4))
    calls = counting(fresh_shop)
    eight = ids(fresh_shop.recommend("u02", "", None, 8))
    assert calls == []
    assert eight[:3] == four[:3]  # the last of the four may be the exploration slot's


def make_stale(shop, user_id: str):
    cache = shop.store.cache
    key, kept = next(iter(cache.lists[user_id].items()))
    kept.built -= store_module.CACHE_TTL_S + 1  # another process may have written since
    return key


def test_a_list_older_than_the_read_cache_is_served_at_once_and_kept_when_nothing_it_read_changed(fresh_shop):
    first = ids(fresh_shop.recommend("u02", "", None, 4))
    key = make_stale(fresh_shop, "u02")
    calls = counting(fresh_shop)
    assert ids(fresh_shop.recommend("u02", "", None, 4)) == first  # served at once
    settled(fresh_shop)
    assert calls == []  # checked beside the request, not ranked again
    assert time.monotonic() - fresh_shop.store.cache.lists["u02"][key].built < store_module.CACHE_TTL_S


def test_another_processs_writes_reach_a_kept_list_within_seconds(fresh_shop, tmp_path):
    from assistant.store import Store

    first = fresh_shop.recommend("u02", "", None, 4)
    other = Store(fresh_shop.settings.db_url)  # another worker on the same database
    other.add_events([Event(user_id="u02", product_id=first[0].product.id, kind="purchase", ts=utcnow())])
    shown = fresh_shop.recommend("u05", "", None, 4)[0].product
    other.upsert_products([shown.model_copy(update={"title": shown.title + " (new edition)"})])
    for user_id in ("u02", "u05"):
        make_stale(fresh_shop, user_id)
        fresh_shop.store.cache.histories.clear()  # as its own reads expire
    calls = counting(fresh_shop)
    fresh_shop.recommend("u02", "", None, 4)  # the stale list, served once more
    fresh_shop.recommend("u05", "", None, 4)
    settled(fresh_shop)
    assert sorted(calls) == ["u02", "u05"]  # the event and the catalog change were seen
    other.engine.dispose()


def test_at_start_the_lists_of_the_shoppers_seen_lately_are_ranked_ready(fresh_shop):
    ranked = fresh_shop.recommender.warm()
    latest = fresh_shop.store.recent_shoppers(3)
    assert ranked >= 3
    calls = counting(fresh_shop)
    for user_id in latest:
        fresh_shop.recommend(user_id, "", None, 5)
    assert calls == []


def test_sqlite_writes_ahead_so_readers_never_wait_for_a_writer(fresh_shop):
    with fresh_shop.store.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_a_requests_catalog_match_is_searched_once_per_turn_and_again_after_the_catalog_changes(fresh_shop):
    catalog = fresh_shop.catalog
    searches: list[str] = []
    real = catalog._match
    catalog._match = lambda text, limit: searches.append(text) or real(text, limit)
    list(fresh_shop.chat("a quiet keyboard for the office"))
    assert searches and len(searches) == len(set(searches))  # its category and whether the shop carries it: one search
    p = fresh_shop.store.get_product("keyboard-01a")
    fresh_shop.store.upsert_products([p.model_copy(update={"title": p.title + " Pro"})])
    fresh_shop.index(progress=False)
    asked = searches[0]
    catalog.match(asked)
    assert searches.count(asked) == 2
