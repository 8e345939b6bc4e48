"""A bounded load test against a real server on 127.0.0.1: N concurrent shoppers for D seconds.

Each shopper is a loop of what a shopper's page does: recommendations for them, a product view
(an event with its own id, so a retry would be recognised), and every few steps a chat turn over
SSE (time to cards, time to the final text). Shoppers pause between steps (exponential think
time, mean `--think`); `--think 0` is the saturation test (every shopper fires back to back).
At the end, the events the clients saw accepted are counted in the store: written = stored.

    .venv/bin/python bench/load.py [--shoppers 16 64] [--seconds 60] [--llm none inprocess server]

Prints figures and writes bench/results/load.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
from common import BIN, api_key, demo_shop, free_port, machine, wait_for, write_report

QUERIES = ["a quiet keyboard", "running shoes under $120", "espresso machine", "cheaper", "in black", "waterproof jacket", "show more"]


def pct(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"n": 0}
    return {"p50_ms": round(float(np.percentile(xs, 50)), 1), "p99_ms": round(float(np.percentile(xs, 99)), 1), "n": len(xs)}


class Server:
    """`shopassist serve` in its own process, with the LLM where `llm` says."""

    def __init__(self, data: Path, llm: str):
        self.port, self.data, self.llm, self.procs = free_port(), data, llm, []

    def __enter__(self) -> str:
        env = {**os.environ, "DATA_DIR": str(self.data), "RATE_LIMIT_PER_MINUTE": "0", "LLM_UNDERSTANDING": "0"}
        if self.llm == "none":
            env["LLM_ENABLED"] = "0"
        else:  # prose on, so the LLM is on every chat turn (the bundled model's is off by default)
            env["LLM_PROSE"] = "1"
            env["LLM_PROCESS"] = self.llm  # `server`: serve starts it in its own llama_cpp.server process
        log = open(self.data / f"serve-{self.llm}.log", "w")
        self.procs.append(
            subprocess.Popen([BIN / "shopassist", "serve", "--port", str(self.port), "--no-bootstrap"], env=env, stdout=log, stderr=log)
        )
        base = f"http://127.0.0.1:{self.port}"
        wait_for(f"{base}/readyz")
        return base

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):
            p.terminate()
            p.wait(20)


async def chat_turn(client: httpx.AsyncClient, headers: dict, user: str, session: str, message: str) -> tuple[float, float, str | None]:
    """(ms to the cards event, ms to the done event, what went wrong or None)."""
    started, cards, done = time.perf_counter(), 0.0, 0.0
    body = {"message": message, "user_id": user, "session_id": session}
    async with client.stream("POST", "/v1/chat", json=body, headers=headers) as r:
        if r.status_code != 200:
            return 0.0, 0.0, f"chat HTTP {r.status_code}"
        error = False
        async for line in r.aiter_lines():
            if line.startswith("event: cards"):
                cards = (time.perf_counter() - started) * 1000
            elif line.startswith("event: done"):
                done = (time.perf_counter() - started) * 1000
            elif line.startswith("event: error"):
                error = True
            elif error and line.startswith("data:"):
                return cards, 0.0, f"chat error event: {line[5:].strip()[:120]}"
    return cards, done, None if cards and done else "chat stream ended without cards or done"


async def shopper(
    i: int, base: str, key: str, users: list[str], products: list[str], until: float, think: float, out: dict, mix: str = "shop"
) -> None:
    """`mix="shop"`: recommendations, a view, every third step a chat turn; `mix="recs"`: a
    service asking for recommendations only (the API-integration case)."""
    rng = random.Random(i)
    headers = {"Authorization": f"Bearer {key}"}
    user, session = rng.choice(users), uuid.uuid4().hex
    # drop an idle connection before the server's keep-alive timeout (5 s) does: otherwise a
    # request sent as the server closes it fails with ReadError, a race of the client, not the server
    limits = httpx.Limits(keepalive_expiry=4.0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        if think:  # shoppers arrive over time, as on a site, not all in the same millisecond
            await asyncio.sleep(rng.expovariate(1 / think))
        step = 0
        while time.monotonic() < until:
            step += 1
            try:
                t = time.perf_counter()
                r = await client.post("/v1/recommendations", json={"user_id": user, "k": 8}, headers=headers)
                out["recommend"].append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    out["errors"] += 1
                    out["error_kinds"].append(f"recommendations HTTP {r.status_code}")
                if mix == "recs":
                    user = rng.choice(users)
                    continue
                t = time.perf_counter()
                body = {"id": uuid.uuid4().hex, "user_id": user, "product_id": rng.choice(products), "kind": "view"}
                r = await client.post("/v1/events", json=body, headers=headers)
                out["event"].append((time.perf_counter() - t) * 1000)
                out["events_accepted"] += r.status_code == 201 and r.json()["stored"]
                if r.status_code != 201:
                    out["errors"] += 1
                    out["error_kinds"].append(f"events HTTP {r.status_code}")
                if step % 3 == 1:
                    cards, done, problem = await chat_turn(client, headers, user, session, rng.choice(QUERIES))
                    if problem:
                        out["errors"] += 1
                        out["error_kinds"].append(problem)
                    else:
                        out["chat_cards"].append(cards)
                        out["chat_done"].append(done)
            except httpx.HTTPError as exc:
                out["errors"] += 1
                out["error_kinds"].append(type(exc).__name__)
            finally:
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))


def run_load(base: str, key: str, data: Path, shoppers: int, seconds: float, think: float, mix: str = "shop") -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data / 'shop.db'}")
    with engine.connect() as c:
        users = [r[0] for r in c.execute(text("SELECT DISTINCT user_id FROM events"))]
        products = [r[0] for r in c.execute(text("SELECT id FROM products"))]
        before = c.execute(text("SELECT COUNT(*) FROM events")).scalar_one()
    out: dict = {"recommend": [], "event": [], "chat_cards": [], "chat_done": [], "errors": 0, "events_accepted": 0, "error_kinds": []}
    until = time.monotonic() + seconds
    started = time.monotonic()

    async def everyone() -> None:
        await asyncio.gather(*(shopper(i, base, key, users, products, until, think, out, mix) for i in range(shoppers)))

    asyncio.run(everyone())
    elapsed = time.monotonic() - started
    with engine.connect() as c:
        stored = c.execute(text("SELECT COUNT(*) FROM events")).scalar_one() - before
    requests = len(out["recommend"]) + len(out["event"]) + len(out["chat_cards"])
    return {
        "mix": mix,
        "shoppers": shoppers,
        "seconds": round(elapsed, 1),
        "think_s": think,
        "requests_per_s": round(requests / elapsed, 1),
        "recommendations_per_s": round(len(out["recommend"]) / elapsed, 1),
        "recommendations": pct(out["recommend"]),
        "events": pct(out["event"]),
        "chat_time_to_cards": pct(out["chat_cards"]),
        "chat_time_to_final_text": pct(out["chat_done"]),
        "errors": out["errors"],
        "error_kinds": sorted(set(out["error_kinds"])),
        "events_written": out["events_accepted"],
        "events_stored": stored,
    }


def markdown(report: dict) -> str:
    lines = [
        "# Load test: concurrent shoppers against one server on 127.0.0.1",
        "",
        f"Machine: {report['machine']}. Demo shop ({report['products']} products), one `shopassist serve` process, "
        f"{report['seconds']} s per row. A shopper loops: recommendations, a view event, and every third step a chat turn "
        "(SSE); `think` is the mean pause between steps (0 = back to back, the saturation test). Mix `recs`: a service "
        "asking for recommendations only (the API-integration case).",
        "",
        "| LLM | mix | shoppers | think s | req/s | recs p50 / p99 ms | events p50 / p99 ms | chat to cards p50 / p99 ms "
        "| chat to final text p50 / p99 ms | errors | events written / stored |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:

        def two(k: str, r=r) -> str:
            v = r[k]
            return f"{v['p50_ms']} / {v['p99_ms']}" if v.get("n") else "-"

        lines.append(
            f"| {r['llm']} | {r.get('mix', 'shop')} | {r['shoppers']} | {r['think_s']} | {r['requests_per_s']} | {two('recommendations')} | {two('events')} "
            f"| {two('chat_time_to_cards')} | {two('chat_time_to_final_text')} | {r['errors']} | {r['events_written']} / {r['events_stored']} |"
        )
    lines += [
        "",
        "LLM: `none` = LLM off (answers in the facts' wording); `inprocess` = the bundled model inside the server "
        "(prose on, `LLM_PROCESS=inprocess`); `server` = the same model in its own `llama_cpp.server` process, started by "
        "`serve` (prose on, the default `LLM_PROCESS=server`).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shoppers", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0])
    ap.add_argument("--llm", nargs="+", default=["none", "inprocess", "server"], choices=["none", "inprocess", "server"])
    ap.add_argument("--llm-shoppers", type=int, default=16, help="Shoppers for the LLM rows (the in-process model is slow)")
    ap.add_argument("--recs-only", type=int, nargs="*", default=[16, 64], help="Shopper counts for the recommendations-only rows")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="shopassist-load-"))
    print(f">> preparing the demo shop in {data}", flush=True)
    demo_shop(data)
    key = api_key(data, "recommend,events,chat")
    runs = []
    # each mix on a server of its own: a row never measures the backlog the row before left
    servers = [(llm, "shop") for llm in args.llm] + ([("none", "recs")] if args.recs_only and "none" in args.llm else [])
    for llm, kind in servers:
        with Server(data, llm) as base:
            if kind == "recs":
                plans = [(n, args.think[0], "recs") for n in args.recs_only]
            elif llm == "none":
                plans = [(n, t, "shop") for n in args.shoppers for t in args.think]
            else:
                plans = [(args.llm_shoppers, args.think[0], "shop")]
            for shoppers, think, mix in plans:
                print(f">> llm={llm} mix={mix} shoppers={shoppers} think={think}s for {args.seconds:g} s", flush=True)
                row = {"llm": llm, **run_load(base, key, data, shoppers, args.seconds, think, mix=mix)}
                print(json.dumps(row), flush=True)
                runs.append(row)
    report = {"machine": machine(), "products": 164, "seconds": args.seconds, "runs": runs}
    write_report("load", report, markdown(report))


if __name__ == "__main__":
    main()
