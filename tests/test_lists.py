"""A shopper's ranked list is kept while nothing it read changes, and ranked again the moment
something does: their own behaviour, the catalog, reviews; another process's writes within
seconds, without a page view waiting for it."""

from __future__ import annotations

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


def test_the_shoppers_own_event_and_a_catalog_change_rank_it_again_at_once(fresh_shop):
    first = ids(fresh_shop.recommend("u02", "", None, 4))
    calls = counting(fresh_shop)
    fresh_shop.record_event(Event(user_id="u02", product_id=first[0], kind="purchase", ts=utcnow()))
    fresh_shop.recommend("u02", "", None, 4)
    fresh_shop.recommend("u05", "", None, 4)
    assert calls == ["u02", "u05"]  # u02's list again; u05 had none yet

    shown = fresh_shop.recommend("u05", "", None, 4)[0].product
    fresh_shop.store.upsert_products([shown.model_copy(update={"price": 1.23})])
    again = {c.product.id: c.product for c in fresh_shop.recommend("u05", "", None, 4)}
    assert calls == ["u02", "u05", "u05"]
    assert shown.id not in again or again[shown.id].price == 1.23


def test_a_list_older_than_the_read_cache_is_served_while_it_is_ranked_again(fresh_shop):
    first = ids(fresh_shop.recommend("u02", "", None, 4))
    cache = fresh_shop.store.cache
    (key, (listing, _)) = next(iter(cache.lists["u02"].items()))
    cache.lists["u02"][key] = (listing, time.monotonic() - store_module.CACHE_TTL_S - 1)  # another process may have written since
    calls = counting(fresh_shop)
    assert ids(fresh_shop.recommend("u02", "", None, 4)) == first  # served at once
    cache.refresh_pool.shutdown(wait=True)  # the refresh beside it finishes
    assert calls == ["u02"]
    assert time.monotonic() - cache.lists["u02"][key][1] < store_module.CACHE_TTL_S


def test_sqlite_writes_ahead_so_readers_never_wait_for_a_writer(fresh_shop):
    with fresh_shop.store.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
