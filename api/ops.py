"""For operators: liveness (`/healthz`), readiness (`/readyz`: store, vector index, LLM, disk),
and maintenance through the running server (`/v1/admin/*`, an API key with the `admin` scope),
because the embedded vector index can be open in one process only.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url
from starlette.concurrency import run_in_threadpool

from api.schemas import errors
from api.security import CallerDep, ShopDep
from assistant.shop import Shop
from records import utcnow

router = APIRouter(tags=["ops"])
MIN_FREE_BYTES = 200 * 2**20  # below this, writes (events, sessions, the index) start failing
LLM_PROBE_S = 1.0  # how long /readyz waits for an LLM server to answer


def ranking_policy(shop) -> dict[str, Any] | None:
    """Which policy orders lists without a message, and the validation scores it was chosen on."""
    ranker = shop.ranker
    if ranker is None:
        return None
    if ranker.served is None:
        return {"policy": ranker.policy, "why": "trained before policies were chosen: `shopassist train` chooses one"}
    choice = ranker.served.choice
    return {"policy": choice.policy, "why": choice.why, "validation_shoppers": choice.shoppers, "validation_ndcg10": choice.scores}


@router.get("/healthz")
def health(shop: ShopDep) -> dict[str, Any]:
    """Liveness: the process answers. Counts are best effort (None when a part cannot be read);
    whether the shop can serve is /readyz's question."""

    def safely(read) -> Any:
        try:
            return read()
        except Exception:
            return None

    return {
        "ok": True,
        "products": safely(shop.store.count_products),
        "indexed": safely(shop.vectors.count),
        "ranker": shop.ranker is not None,
        "ranking": safely(lambda: ranking_policy(shop)),
        "feedback": safely(shop.store.feedback_counts),  # thumbs on answers, all time
        "stats": dict(shop.stats),
    }


@router.get("/readyz", responses={503: {"description": "Not ready: `checks` says which part failed and why"}})
async def ready(shop: ShopDep) -> JSONResponse:
    """Readiness: the store answers and its file is there, the vector index is readable and holds
    the catalog, the disk has room. The LLM is reported but never makes the shop unready: without
    it answers use the facts' own wording."""
    checks = {
        "store": await run_in_threadpool(check_store, shop),
        "vector_index": await run_in_threadpool(check_index, shop),
        "disk": check_disk(shop.settings.data_dir),
        "llm": await run_in_threadpool(check_llm, shop),
    }
    ok = all(c["ok"] for name, c in checks.items() if name != "llm")
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


def check_store(shop: Shop) -> dict[str, Any]:
    url = make_url(shop.settings.db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and not Path(url.database).exists():
        return {"ok": False, "error": f"the database file {url.database} is missing"}
    return _counted(shop.store.count_products, "products", "the store holds no products")


def check_index(shop: Shop) -> dict[str, Any]:
    if shop.vectors.broken:
        return {"ok": False, "error": f"unreadable ({shop.vectors.broken}): run `shopassist index --rebuild`"}
    return _counted(shop.vectors.count, "indexed", "the vector index is empty: run `shopassist index`")


def _counted(count: Callable[[], int], name: str, empty: str) -> dict[str, Any]:
    """A part is ready when it answers and holds something: `{name: n}`, or why not."""
    try:
        n = count()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"}
    return {"ok": True, name: n} if n else {"ok": False, "error": empty, name: 0}


def check_disk(folder: Path) -> dict[str, Any]:
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return {"ok": False, "error": str(exc)}
    out: dict[str, Any] = {"ok": free >= MIN_FREE_BYTES, "free_mb": free // 2**20}
    if not out["ok"]:
        out["error"] = f"{free // 2**20} MB free in {folder}: writes will fail below {MIN_FREE_BYTES // 2**20} MB"
    return out


def check_llm(shop: Shop) -> dict[str, Any]:
    settings = shop.settings
    if not settings.llm_enabled:
        return {"ok": True, "mode": "off"}
    if not settings.llm_base_url:
        return {"ok": True, "mode": "in-process"}
    mode = "own process" if settings.llm_own_server else "server"
    started = time.perf_counter()
    try:
        httpx.get(settings.llm_base_url.rstrip("/") + "/models", timeout=LLM_PROBE_S).raise_for_status()
    except httpx.HTTPError as exc:
        return {"ok": False, "mode": mode, "error": f"{type(exc).__name__}: answers use the facts' wording meanwhile"}
    return {"ok": True, "mode": mode, "ms": round((time.perf_counter() - started) * 1000)}


# ---- maintenance through the server ------------------------------------------------------------------
class IndexIn(BaseModel):
    rebuild: bool = Field(False, description="Drop the index and embed every product again (a new model, a broken index).")


class TrainIn(BaseModel):
    epochs: int = Field(30, ge=1, le=500)
    batch_size: int = Field(256, ge=8, le=8192)


def _admin(who: CallerDep) -> None:
    if who.key is None:
        raise HTTPException(401, "Maintenance needs an API key with the 'admin' scope (Authorization: Bearer sa_…).")
    if "admin" not in who.key.scopes:
        raise HTTPException(403, "This API key lacks the 'admin' scope.")


@router.post("/v1/admin/index", responses=errors(400, 401, 403, 422, 503))
async def admin_index(body: IndexIn, shop: ShopDep, who: CallerDep) -> dict[str, Any]:
    """`shopassist index` inside the running server (which holds the embedded index)."""
    _admin(who)
    report = await run_in_threadpool(shop.index, body.rebuild, False)
    return {"embedded": report.embedded, "unchanged": report.unchanged, "removed": report.deleted, "indexed": shop.vectors.count()}


@router.post("/v1/admin/train", responses=errors(400, 401, 403, 422, 503))
async def admin_train(body: TrainIn, shop: ShopDep, who: CallerDep) -> dict[str, Any]:
    """`shopassist train` inside the running server; the new ranker serves from the next request."""
    from assistant.pipeline import train_ranker
    from ranking.train import TrainConfig

    _admin(who)
    result = await run_in_threadpool(train_ranker, shop, TrainConfig(epochs=body.epochs, batch_size=body.batch_size))
    return {
        "best_val_recall10": result.best_val_recall10,
        "epochs": result.epochs,
        "seconds": round(result.seconds, 1),
        "policy": result.policy,
    }


@router.post("/v1/admin/snapshot", responses=errors(400, 401, 403, 503))
async def admin_snapshot(shop: ShopDep, who: CallerDep) -> dict[str, Any]:
    """`shopassist snapshot` inside the running server, written under DATA_DIR/snapshots/ (the
    server chooses the path: a caller never names a file on the server)."""
    _admin(who)
    folder = shop.settings.data_dir / "snapshots"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"index-{utcnow():%Y%m%dT%H%M%S}.tar.gz"
    await run_in_threadpool(shop.vectors.snapshot, target)
    return {"path": str(target), "indexed": shop.vectors.count()}
