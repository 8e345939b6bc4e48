"""Faults degrade, never corrupt: what /readyz says when a part fails, a lost database that must
not be re-seeded, a corrupt or deleted vector index rebuilt from the store, a second process told
who holds the index, maintenance through the running server (real store, engine and CLI)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api import ops
from api.app import create_app
from assistant import identity
from assistant import settings as settings_module
from assistant.cli import app as cli
from assistant.ingest import ingest_demo
from assistant.pipeline import StoreLost, bootstrap, check_not_lost, mark_initialised
from assistant.shop import Shop
from retrieval.edge_store import EdgeStore
from retrieval.vectorstore import IndexLocked, IndexUnavailable
from tests.helpers import local_client, make_settings

runner = CliRunner()


def run(args, data_dir, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    settings_module.get_settings.cache_clear()
    try:
        return runner.invoke(cli, args)
    finally:
        settings_module.get_settings.cache_clear()


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    """A data directory with the demo ingested and indexed through the command line."""
    assert run(["ingest", "--demo"], tmp_path, monkeypatch).exit_code == 0
    assert "embedded 164" in run(["index"], tmp_path, monkeypatch).output
    return tmp_path


def test_readyz_says_ready_and_healthz_is_alive(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        r = c.get("/readyz")
        assert r.status_code == 200 and r.json()["ready"] is True
        checks = r.json()["checks"]
        assert checks["store"]["products"] == 164 and checks["vector_index"]["indexed"] == 164
        assert checks["disk"]["ok"] and checks["llm"]["mode"] == "in-process"
        assert c.get("/healthz").json()["ok"] is True


def test_a_missing_database_makes_the_shop_unready(fresh_shop):
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        (fresh_shop.settings.data_dir / "shop.db").unlink()
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["ready"] is False
        assert "missing" in r.json()["checks"]["store"]["error"]
        assert c.get("/healthz").status_code == 200  # alive, only not ready


def test_a_full_disk_makes_the_shop_unready(fresh_shop, monkeypatch):
    monkeypatch.setattr(ops, "MIN_FREE_BYTES", 2**62)  # more than any disk holds
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and "writes will fail" in r.json()["checks"]["disk"]["error"]


def test_an_llm_server_that_is_down_is_reported_but_does_not_block(fresh_shop):
    fresh_shop.settings = make_settings(fresh_shop.settings.data_dir, llm_base_url="http://127.0.0.1:9/v1")
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        r = c.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["llm"]["ok"] is False


def test_a_lost_database_is_never_reseeded_with_the_demo(fresh_shop):
    mark_initialised(fresh_shop)
    settings = fresh_shop.settings
    fresh_shop.close()
    (settings.data_dir / "shop.db").unlink()  # the production database went missing
    shop = Shop.open(settings)
    try:
        with pytest.raises(StoreLost, match="missing or was replaced"):
            bootstrap(shop)
        assert shop.store.count_products() == 0  # no demo loaded
        with pytest.raises(IndexUnavailable, match="left as it is"):
            shop.index(progress=False)
        assert shop.vectors.count() == 164  # the real products stay indexed
    finally:
        shop.close()


def test_a_never_initialised_store_may_take_the_demo(tmp_path):
    shop = Shop.open(make_settings(tmp_path))
    try:
        check_not_lost(shop)  # nothing says it held data: the demo may load
        ingest_demo(shop.store)
        mark_initialised(shop)
        assert (tmp_path / "initialised.json").exists()
        check_not_lost(shop)
    finally:
        shop.close()


def test_a_corrupt_index_is_reported_then_rebuilt_from_the_store(cli_store, monkeypatch):
    for path in (cli_store / "qdrant" / "shard").rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage")
    shop = Shop.open(make_settings(cli_store))
    try:
        assert shop.vectors.broken
        with local_client(create_app(shop.settings, shop)) as c:
            r = c.get("/readyz")
            assert r.status_code == 503 and "--rebuild" in r.json()["checks"]["vector_index"]["error"]
            r = c.post("/v1/recommendations", json={"query": "coffee"})
            assert r.status_code == 503 and "retry" in r.json()["error"]["message"]
    finally:
        shop.close()
    r = run(["index"], cli_store, monkeypatch)
    assert r.exit_code == 2 and "index --rebuild" in r.output
    r = run(["index", "--rebuild"], cli_store, monkeypatch)
    assert r.exit_code == 0 and "embedded 164" in r.output and "164 in the index" in r.output


def test_a_deleted_index_is_rebuilt_and_a_bad_snapshot_is_refused(cli_store, monkeypatch):
    import shutil

    shutil.rmtree(cli_store / "qdrant")
    r = run(["index"], cli_store, monkeypatch)
    assert r.exit_code == 0 and "embedded 164" in r.output
    bad = cli_store / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    r = run(["restore", str(bad)], cli_store, monkeypatch)
    assert r.exit_code == 2 and "cannot restore" in r.output
    assert "embedded 164" in run(["index", "--rebuild"], cli_store, monkeypatch).output


def test_a_second_process_is_told_who_holds_the_index(cli_store, monkeypatch):
    holder = EdgeStore(cli_store / "qdrant")  # as a running server holds it
    try:
        with pytest.raises(IndexLocked, match="one process"):
            EdgeStore(cli_store / "qdrant")
        for command in (["index"], ["train", "--epochs", "1"], ["snapshot", str(cli_store / "s.tar.gz")]):
            r = run(command, cli_store, monkeypatch)
            assert r.exit_code == 2, r.output
            line = r.output.strip()
            assert "open in process" in line and "--server" in line and "Traceback" not in line and "WouldBlock" not in line
    finally:
        holder.close()


def test_maintenance_through_the_running_server(fresh_shop):
    admin = identity.create_api_key(fresh_shop.store, "ops", ["admin"])
    other = identity.create_api_key(fresh_shop.store, "reco", ["recommend"])
    with local_client(create_app(fresh_shop.settings, fresh_shop)) as c:
        assert c.post("/v1/admin/index", json={}).status_code == 401
        assert c.post("/v1/admin/index", json={}, headers={"Authorization": f"Bearer {other}"}).status_code == 403
        r = c.post("/v1/admin/index", json={}, headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200 and r.json()["unchanged"] == 164 and r.json()["indexed"] == 164
        r = c.post("/v1/admin/snapshot", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200 and r.json()["path"].endswith(".tar.gz")
        assert c.post("/v1/recommendations", json={"query": "coffee"}).status_code == 200  # still serving


def test_a_worker_serves_a_ranker_trained_by_another_process(fresh_shop, monkeypatch):
    from assistant import shop as shop_module
    from assistant.pipeline import train_ranker
    from ranking.train import TrainConfig

    assert fresh_shop.ranker is None
    train_ranker(fresh_shop, TrainConfig(epochs=1))  # the model file, as `shopassist train` elsewhere writes it
    fresh_shop.recommender.ranker, fresh_shop._ranker_stamp = None, None  # this worker has not seen it yet
    monkeypatch.setattr(shop_module, "RANKER_CHECK_S", 0.0)
    fresh_shop.recommend("u02")
    assert fresh_shop.ranker is not None
