"""Throughput and memory: ingest + embedding of the Home Depot catalog (54,667 products) in
products/s, events/s through `POST /v1/events` (8 concurrent clients), and the peak RSS of
`shopassist serve` holding that catalog with the local LLM loaded.

    .venv/bin/python bench/throughput.py [--events 3000]

Prints figures and writes bench/results/throughput.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from common import BIN, api_key, free_port, machine, shopassist, wait_for, write_report


def timed(*args: str, data: Path) -> float:
    """Seconds `shopassist ARGS` took."""
    started = time.perf_counter()
    shopassist(data, *args)
    return time.perf_counter() - started


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


async def post_events(base: str, key: str, products: list[str], n: int, clients: int = 8) -> float:
    headers = {"Authorization": f"Bearer {key}"}

    async def client(i: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            for k in range(i, n, clients):
                body = {"id": uuid.uuid4().hex, "user_id": f"bench{k % 50}", "product_id": products[k % len(products)], "kind": "view"}
                (await c.post("/v1/events", json=body, headers=headers)).raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="shopassist-throughput-"))
    env = {**os.environ, "DATA_DIR": str(data), "RATE_LIMIT_PER_MINUTE": "0"}
    ingest_s = timed("ingest", "--dataset", "homedepot", data=data)
    index_s = timed("index", data=data)
    from sqlalchemy import create_engine, text

    with create_engine(f"sqlite:///{data / 'shop.db'}").connect() as c:
        products = [r[0] for r in c.execute(text("SELECT id FROM products"))]
    key = api_key(data, "events,recommend")
    port = free_port()
    serve = subprocess.Popen([BIN / "shopassist", "serve", "--port", str(port), "--no-bootstrap"], env=env, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz", 600)
        for q in ("cordless drill", "white paint", "garden hose under $30"):
            httpx.post(f"{base}/v1/chat", json={"message": q, "stream": False}, timeout=60).raise_for_status()
        events_s = asyncio.run(post_events(base, key, products, args.events))
        rss = peak_rss_mb(serve.pid)
        llm_rss = sum(peak_rss_mb(c) for c in children(serve.pid))  # the model's own llama_cpp.server process
    finally:
        serve.terminate()
        serve.wait(30)
    n = len(products)
    report = {
        "machine": machine(),
        "products": n,
        "ingest_products_per_s": round(n / ingest_s, 1),
        "embed_index_products_per_s": round(n / index_s, 1),
        "events_per_s_api": round(args.events / events_s, 1),
        "serve_peak_rss_mb": round(rss),
        "llm_process_peak_rss_mb": round(llm_rss),
    }
    md = [
        "# Throughput and memory",
        "",
        f"Machine: {report['machine']}. Home Depot catalog, {n:,} products.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| ingest (`shopassist ingest --dataset homedepot`) | {report['ingest_products_per_s']} products/s |",
        f"| embed + index (`shopassist index`) | {report['embed_index_products_per_s']} products/s |",
        f"| events through `POST /v1/events`, 8 concurrent clients | {report['events_per_s_api']} events/s |",
        f"| peak RSS of `shopassist serve` ({n:,} products, after 3 chat turns and the events) | {report['serve_peak_rss_mb']} MB |",
        f"| peak RSS of the local LLM's own process (`llama_cpp.server`, SmolLM2-135M, started by serve) | {report['llm_process_peak_rss_mb']} MB |",
        f"| both together | {report['serve_peak_rss_mb'] + report['llm_process_peak_rss_mb']} MB |",
    ]
    write_report("throughput", report, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
