"""What the benchmark scripts share: where results go, the machine's description, the
`shopassist` command of this venv, a demo shop to run against, and the report writer."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.llm_server import free_port  # noqa: F401 (the benchmarks' one free-port finder)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), "?")
    mem = next((int(ln.split()[1]) // 2**20 for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def shopassist(data: Path, *args: str) -> str:
    """Runs `shopassist ARGS` on the data directory `data`; returns what it printed."""
    env = {**os.environ, "DATA_DIR": str(data)}
    return subprocess.run([BIN / "shopassist", *args], env=env, check=True, capture_output=True, text=True).stdout


def api_key(data: Path, scopes: str) -> str:
    """A new API key with these scopes (comma-separated) in the store under `data`."""
    out = shopassist(data, "apikey", "create", "--name", "bench", "--scopes", scopes)
    return next(w for w in out.split() if w.startswith("sa_"))


def demo_shop(data: Path) -> None:
    """The demo shop ingested, indexed and with a trained ranker, under `data`."""
    for step in (["ingest", "--demo"], ["index"], ["train", "--epochs", "8"]):
        shopassist(data, *step)


def wait_for(url: str, seconds: float = 180) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def write_report(stem: str, report: dict, markdown: str) -> None:
    """bench/results/STEM.json and STEM.md, and the markdown printed."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (OUT / f"{stem}.md").write_text(markdown)
    print(markdown)
