"""The FastAPI app: the public API under /v1 (api/v1.py), the demo store's page (api/pages.py),
the agent console at /agent (api/console.py), wired with the defences every request passes:
the body limit, CORS for the store's origins, security headers, and the rate limit.

Routes only translate HTTP to calls on `assistant.shop.Shop`; the logic lives there.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import console, ops, pages, v1
from api.ratelimit import make_limiter
from api.security import BodyLimit, client_ip, security_headers
from assistant.settings import Settings, get_settings
from assistant.shop import Shop
from records import utcnow
from retrieval.vectorstore import IndexUnavailable

log = logging.getLogger(__name__)
RETENTION_EVERY_S = 3600  # how often old conversations are deleted
WEAK_SECRETS = {"change-me", "changeme", "secret", "dev"}  # defaults copied from examples


def create_app(settings: Settings | None = None, shop: Shop | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.shop = shop or await run_in_threadpool(Shop.open, settings)
        await _expire(app.state.shop)
        job = asyncio.create_task(_retention(app.state.shop))
        yield
        job.cancel()
        if shop is None:
            app.state.shop.close()

    app = FastAPIOffline(  # /docs and /redoc from the package's own assets: they work without internet
        title="Shopping assistant",
        version="0.1.0",
        description="Conversational product search and recommendations with grounded, cited reasons.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if shop is not None:  # ready before the lifespan runs (a client that does not run it still works)
        app.state.shop = shop
    app.mount("/static", StaticFiles(directory=console.FRONTEND / "static"), name="static")
    app.include_router(v1.router)
    app.include_router(pages.router)
    app.include_router(console.router)
    app.include_router(ops.router)
    limiter = make_limiter(settings, settings.rate_limit_per_minute) if settings.rate_limit_per_minute > 0 else None

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if limiter is not None and request.url.path.startswith("/v1/"):
            wait = limiter.check(client_ip(request, settings.trusted_proxies))
            if wait:
                return JSONResponse(
                    {"error": {"code": 429, "message": f"Too many requests: slow down and retry in {wait:g} s."}},
                    status_code=429,
                    headers={"Retry-After": str(int(wait))},
                )
        response = await call_next(request)
        security_headers(response, request.url.path)
        return response

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    # added last, so outermost: its headers reach every answer, the 413 above included (a widget on
    # the store's page could not read an error the browser hid from it)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-Shopper-Token", "X-Visitor-Id", "Last-Event-ID"],
        allow_credentials=False,
        max_age=600,
    )

    @app.exception_handler(StarletteHTTPException)  # FastAPI's own and Starlette's (bad JSON, 404, 405)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.status_code, "message": exc.detail}}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(IndexUnavailable)
    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(OSError)  # disk full, a vanished file
    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        """A failing dependency is the server's trouble, said plainly, and retryable: 503, not 500."""
        log.error("%s %s: dependency failed: %s", request.method, request.url.path, exc)
        what = "vector index" if isinstance(exc, IndexUnavailable) else "store" if isinstance(exc, SQLAlchemyError) else "disk"
        return JSONResponse(
            {"error": {"code": 503, "message": f"The shop's {what} is unavailable right now; please retry shortly. /readyz says more."}},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(x) for x in e['loc'] if x != 'body')}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            {"error": {"code": 422, "message": "Invalid request: " + "; ".join(problems), "details": problems}}, status_code=422
        )

    return app


async def _expire(shop: Shop) -> None:
    """Deletes conversations untouched for TRANSCRIPT_RETENTION_DAYS."""
    try:
        cutoff = utcnow() - timedelta(days=shop.settings.transcript_retention_days)
        removed = await run_in_threadpool(shop.store.expire_sessions, cutoff)
        if removed:
            log.info("retention: %d conversations older than %s deleted", removed, cutoff.date())
    except Exception as exc:  # a busy store: the next round catches up
        log.warning("retention job failed: %s", exc)


async def _retention(shop: Shop) -> None:
    """The retention job: at start (in the lifespan), then every hour while serving."""
    while True:
        await asyncio.sleep(RETENTION_EVERY_S)
        await _expire(shop)


def unsafe_to_serve(settings: Settings, host: str, shop: Shop) -> str | None:
    """Why the server must not listen on `host`, or None. Beyond this machine it needs its own
    secret and real agent accounts, not the try-out defaults."""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host == "localhost"
    if local and not settings.trusted_proxies:  # behind a proxy, loopback is the whole world
        return None
    if not settings.secret_key or settings.secret_key in WEAK_SECRETS or len(settings.secret_key) < 32:
        return f"refusing to listen on {host}: set SECRET_KEY to a random secret of 32+ characters (the store's key for shopper tokens)"
    if not shop.store.count_agents():
        return f"refusing to listen on {host}: add an agent account first (`shopassist agent add NAME`)"
    return None


def main() -> FastAPI:  # uvicorn factory: `uvicorn api.app:main --factory`
    return create_app()
