"""The package as a stranger installs it: a wheel built from the repository carries everything
the server needs (prompts, page templates, static files, the demo shop), and runs from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run from the unpacked wheel, in another folder: every file it reads must come from the wheel.
SMOKE = r"""
import sys
from pathlib import Path
from fastapi.testclient import TestClient
import assistant, api.app
assert Path(assistant.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), assistant.__file__
from assistant.prompts import render
from assistant.settings import Settings
from assistant.ingest import ingest_demo
from assistant.store import Store
assert "<facts>" in render("explain", "system")
settings = Settings(_env_file=None, data_dir=Path(sys.argv[2]), rate_limit_per_minute=0)
report = ingest_demo(Store(settings.db_url))
assert report.products_changed > 100, report
with TestClient(api.app.create_app(settings)) as client:
    page = client.get("/")
    assert page.status_code == 200 and "widget.js" in page.text, page.status_code
    assert client.get("/static/widget.js").status_code == 200
    assert client.get("/agent/login").status_code == 200
print("served from the wheel")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)], check=True, capture_output=True)
    return next(out.glob("shopassist-*.whl"))


@pytest.mark.slow
def test_the_wheel_holds_every_module_prompt_page_and_the_demo(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        str(p.relative_to(ROOT))
        for folder in ("prompts", "frontend", "assistant/demo")
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and p.suffix != ".pyc"
    }
    wanted |= {str(p.relative_to(ROOT)) for pkg in ("assistant", "retrieval", "ranking", "api") for p in (ROOT / pkg).rglob("*.py")}
    assert wanted - names == set()
    assert {"records.py", "untrusted.py"} <= set(names) and not any(n.startswith(("tests/", "bench/")) for n in names)


@pytest.mark.slow
def test_a_server_runs_from_the_unpacked_wheel(wheel, tmp_path):
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", SMOKE, str(unpacked), str(tmp_path / "data")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "served from the wheel" in run.stdout
