"""Shared fixtures: a real store, the real Qdrant engine, the real embedder and model, on temp dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.ingest import ingest_demo  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.shop import Shop  # noqa: E402
from ranking.train import TrainConfig  # noqa: E402

DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=2"):
            return True
    except Exception:
        return False


def make_settings(path: Path, **kw) -> Settings:
    base = {"data_dir": path, "database_url": None, "qdrant_url": None, "rate_limit_per_minute": 0}
    return Settings(_env_file=None, **{**base, **kw})


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


def requires_dataset(name: str):
    return pytest.mark.skipif(not (DATASETS / name).exists(), reason=f"../shared/datasets/{name} is absent on this machine")
