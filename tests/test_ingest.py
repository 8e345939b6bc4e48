"""Ingest: our documented schema, idempotence, resuming, and the public dataset adapters."""

from __future__ import annotations

import json
from itertools import islice

import pytest

from assistant.datasets import ADAPTERS, dataset_folder
from assistant.datasets.base import Batch
from assistant.ingest import ingest_demo, ingest_file, ingest_stream
from assistant.store import Store
from records import Product
from tests.helpers import DATASETS, requires_dataset


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'shop.db'}")


def test_demo_catalog_is_big_and_varied_enough(store):
    report = ingest_demo(store)
    assert report.products_changed >= 150
    assert len({p.category for p in store.iter_products()}) >= 6
    assert report.reviews_added >= 500 and report.users_added >= 20
    products = list(store.iter_products())
    assert all(p.title and p.description and p.brand and p.price and p.category for p in products)
    assert all(p.attributes.get("color") for p in products if "Supplies" not in p.category)  # beans come in no colour
    # shoppers' tastes differ: their most bought categories are not all the same
    tops = set()
    for u in store.list_users():
        cats = [store.get_product(e.product_id).category for e in store.history(u.id)]
        tops.add(max(set(cats), key=cats.count))
    assert len(tops) >= 4


def test_reingest_adds_nothing(store):
    ingest_demo(store)
    before = (store.count_products(), store.count_events(), len(store.review_counts()))
    report = ingest_demo(store)
    assert report.products_changed == report.events_added == report.reviews_added == 0
    assert (store.count_products(), store.count_events(), len(store.review_counts())) == before


def test_csv_products_with_extra_columns_become_attributes(store, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,title,brand,price,category,stock,color,size\nx1,Wool Socks,Knit Co,12.5,Clothing > Socks,4,grey,M\n")
    ingest_file(store, "products", path)
    p = store.get_product("x1")
    assert (p.price, p.attributes) == (12.5, {"color": "grey", "size": "M"})


def test_jsonl_events_without_id_are_deduplicated(store, tmp_path):
    store.upsert_products([Product(id="p1", title="Mug")])
    path = tmp_path / "e.jsonl"
    rows = [{"user_id": "u", "product_id": "p1", "kind": "purchase", "ts": "2026-01-01T10:00:00"}] * 2
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = ingest_file(store, "events", path)
    assert report.events_added == 1


def test_events_without_time_or_id_are_stored_once_however_often_the_file_is_loaded(store, tmp_path):
    store.upsert_products([Product(id="p1", title="Mug"), Product(id="p2", title="Cup")])
    path = tmp_path / "e.jsonl"
    rows = [{"user_id": "u", "product_id": "p1", "kind": "view"}] * 2 + [{"user_id": "u", "product_id": "p2", "kind": "purchase"}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert ingest_file(store, "events", path).events_added == 3  # two identical views are two views
    path.write_text("\n".join(json.dumps(r) for r in reversed(rows)))  # edited: same rows, another order
    assert ingest_file(store, "events", path, force=True).events_added == 0
    assert store.count_events() == 3


def test_an_event_from_year_one_is_refused_with_its_reason(store, tmp_path):
    store.upsert_products([Product(id="p1", title="Mug")])
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps({"user_id": "u", "product_id": "p1", "kind": "view", "ts": "0001-01-01T00:00:00"}))
    with pytest.raises(ValueError, match="between 1970"):
        ingest_file(store, "events", path)
    assert store.count_events() == 0


def test_interrupted_ingest_resumes_where_it_stopped(store):
    products = [Product(id=f"p{i}", title=f"Thing {i}") for i in range(10)]

    def source(fail_at: int | None):
        for i, p in enumerate(products):
            if fail_at is not None and i == fail_at:
                raise KeyboardInterrupt  # the user pressed Ctrl-C
            yield Batch([p], [], [], [])

    with pytest.raises(KeyboardInterrupt):
        ingest_stream(store, "test", "v1", source(7), chunk=3)
    assert store.count_products() == 6  # two full chunks were committed
    seen = []

    def spy():
        for b in source(None):
            seen.append(b.products[0].id)
            yield b

    report = ingest_stream(store, "test", "v1", spy(), chunk=3)
    assert store.count_products() == 10 and report.products_changed == 4
    assert ingest_stream(store, "test", "v1", source(None)).skipped


def test_unknown_file_type_is_a_clear_error(store, tmp_path):
    path = tmp_path / "p.xml"
    path.write_text("<x/>")
    with pytest.raises(ValueError, match="unsupported file type"):
        ingest_file(store, "products", path)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_dataset_adapters_yield_valid_records(name):
    folder = dataset_folder(name, DATASETS)
    if not folder.exists():
        pytest.skip(f"../shared/datasets/{ADAPTERS[name][0]} is absent on this machine")
    batches, _ = ADAPTERS[name][1](folder)
    sample = list(islice(batches, 300))
    assert sample, f"{name} yielded nothing"
    records = [r for b in sample for r in (*b.products, *b.events, *b.reviews, *b.users)]
    assert records
    assert all(p.title for b in sample for p in b.products)


@requires_dataset("amazon_reviews_2018")
def test_amazon_reviews_ingest_end_to_end_is_idempotent(store):
    from assistant.ingest import ingest_dataset

    first = ingest_dataset(store, "amazon2018", DATASETS)
    assert first.reviews_added > 1000 and store.get_product("az-B001BKEWF2") is not None
    again = ingest_dataset(store, "amazon2018", DATASETS, force=True)
    assert again.reviews_added == 0 and again.events_added == 0


@pytest.mark.parametrize("name", ["amazon2018", "device_reviews"])
def test_adapters_carry_the_pages_and_pictures_their_sources_have(name):
    """Amazon's files name each product by ASIN (so its page is known); the 2018 metadata also has
    pictures. Other sources have neither, and their products carry none."""
    folder = dataset_folder(name, DATASETS)
    if not folder.exists():
        pytest.skip(f"../shared/datasets/{ADAPTERS[name][0]} is absent on this machine")
    batches, _ = ADAPTERS[name][1](folder)
    products = [p for b in islice(batches, 2000) for p in b.products]
    assert products and all(p.url and p.url.startswith("https://www.amazon.com/dp/") for p in products)
    if name == "amazon2018":
        pictured = [p for p in products if p.image_url]
        assert len(pictured) > len(products) / 4 and all(p.image_url.startswith("https://") for p in pictured)


def test_product_links_must_be_web_addresses():
    from pydantic import ValidationError

    from records import Product

    ok = Product(id="p", title="t", image_url="https://cdn.example/p.jpg", url="/products/p")
    assert ok.image_url.startswith("https://") and ok.url == "/products/p"
    for bad in ("javascript:alert(1)", "data:text/html,hi", "//evil.example/x", "ftp://x/y"):
        with pytest.raises(ValidationError):
            Product(id="p", title="t", url=bad)
