"""Shared fixtures: a real store, the real Qdrant engine, the real embedder and model, on temp dirs.
(Helpers that are not fixtures live in tests/helpers.py.)"""

from __future__ import annotations

import pytest

from assistant.ingest import ingest_demo  # assistant.settings sets HF_HUB_OFFLINE before any model loads
from assistant.shop import Shop
from ranking.train import TrainConfig
from tests.helpers import make_settings


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory) -> Shop:
    """The demo shop, indexed and with a trained ranker; shared, so tests must not mutate it."""
    from assistant.pipeline import train_ranker

    shop = Shop.open(make_settings(tmp_path_factory.mktemp("demo")))
    ingest_demo(shop.store)
    shop.index(progress=False)
    train_ranker(shop, TrainConfig(epochs=8, patience=3))
    yield shop
    shop.close()


@pytest.fixture
def fresh_shop(tmp_path) -> Shop:
    """A demo shop of its own, for tests that write (events, sessions, reviews)."""
    shop = Shop.open(make_settings(tmp_path))
    ingest_demo(shop.store)
    shop.index(progress=False)
    yield shop
    shop.close()
