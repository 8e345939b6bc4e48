"""The `shopassist` command line, run as a user would (typer's runner, real store and engine)."""

from __future__ import annotations

from typer.testing import CliRunner

from assistant import settings as settings_module
from assistant.cli import app

runner = CliRunner()


def run(args, tmp_path, monkeypatch, input=None):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")
    settings_module.get_settings.cache_clear()
    result = runner.invoke(app, args, input=input)
    settings_module.get_settings.cache_clear()
    return result


def test_ingest_index_train_and_chat(tmp_path, monkeypatch):
    r = run(["ingest", "--demo"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert "products changed 164" in r.output
    r = run(["ingest", "--demo"], tmp_path, monkeypatch)
    assert "products changed 0" in r.output and "events added 0" in r.output
    r = run(["index"], tmp_path, monkeypatch)
    assert r.exit_code == 0 and "embedded 164" in r.output
    assert "embedded 0" in run(["index"], tmp_path, monkeypatch).output
    r = run(["snapshot", str(tmp_path / "index.tar.gz")], tmp_path, monkeypatch)
    assert r.exit_code == 0 and "164 products saved" in r.output
    r = run(["index", "--rebuild"], tmp_path, monkeypatch)
    assert r.exit_code == 0 and "embedded 164" in r.output
    r = run(["restore", str(tmp_path / "index.tar.gz")], tmp_path, monkeypatch)
    assert r.exit_code == 0 and "164 products restored" in r.output
    assert "embedded 0" in run(["index"], tmp_path, monkeypatch).output
    r = run(["train", "--epochs", "2"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "models" / "two_tower.pt").exists()
    r = run(["chat", "--user", "u04"], tmp_path, monkeypatch, input="trail running shoes\ncheaper\n\n")
    assert r.exit_code == 0, r.output
    assert "#1" in r.output and r.output.count("assistant>") == 2


def test_ingest_without_a_source_explains_itself(tmp_path, monkeypatch):
    r = run(["ingest"], tmp_path, monkeypatch)
    assert r.exit_code != 0 and "say what to ingest" in r.output


def test_unknown_dataset_is_refused(tmp_path, monkeypatch):
    r = run(["ingest", "--dataset", "nope"], tmp_path, monkeypatch)
    assert r.exit_code != 0 and "unknown dataset" in r.output
