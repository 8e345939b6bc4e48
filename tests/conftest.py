"""Shared fixtures: a real store, the real Qdrant engine, the real embedder and model, on temp dirs.
(Helpers that are not fixtures live in tests/helpers.py.)"""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from assistant.ingest import ingest_demo  # assistant.settings sets HF_HUB_OFFLINE before any model loads
from assistant.llm import bundled_gguf
from assistant.shop import Shop
from ranking.train import TrainConfig
from tests.helpers import free_port, make_settings


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


@pytest.fixture(scope="session")
def openai_server():
    """llama-cpp-python's own OpenAI-compatible server with the bundled model."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(bundled_gguf()),
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
            "--model_alias",
            "smollm2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
