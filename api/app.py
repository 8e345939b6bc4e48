"""The FastAPI app: the public API under /v1, the chat widget at /, the agent console at /agent.

Routes only translate HTTP to calls on `assistant.shop.Shop`; the logic lives there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from api.ratelimit import RateLimiter
from api.schemas import (
    AgentChatIn,
    AgentReplyIn,
    ChatIn,
    ChatOut,
    EventIn,
    EventOut,
    RecommendationsIn,
    RecommendationsOut,
    ReviewSummaryOut,
)
from assistant.events import Cards, ChatEvent, Done
from assistant.settings import Settings, get_settings
from assistant.shop import Shop
from assistant.store import event_id
from records import Event, utcnow

log = logging.getLogger(__name__)
FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
templates = Jinja2Templates(directory=FRONTEND / "templates")
POLL_S = 1.0  # how often an open conversation looks for an agent's new messages


def get_shop(request: Request) -> Shop:
    return request.app.state.shop


ShopDep = Annotated[Shop, Depends(get_shop)]


def require_agent(request: Request) -> str:
    agent = request.session.get("agent")
    if not agent:
        raise HTTPException(401, "Log in to the agent console first.")
    return agent


AgentDep = Annotated[str, Depends(require_agent)]


def create_app(settings: Settings | None = None, shop: Shop | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.shop = shop or await run_in_threadpool(Shop.open, settings)
        yield
        if shop is None:
            app.state.shop.close()

    app = FastAPI(
        title="Shopping assistant",
        version="0.1.0",
        description="Conversational product search and recommendations with grounded, cited reasons.",
        lifespan=lifespan,
    )
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, same_site="lax", https_only=False)
    app.mount("/static", StaticFiles(directory=FRONTEND / "static"), name="static")
    limiter = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute > 0 else None

    @app.middleware("http")
    async def rate_limit(request: Request, call_next):
        if limiter is not None and request.url.path.startswith("/v1/"):
            wait = limiter.check(request.client.host if request.client else "unknown")
            if wait:
                return JSONResponse(
                    {"error": {"code": 429, "message": f"Too many requests: slow down and retry in {wait:g} s."}},
                    status_code=429,
                    headers={"Retry-After": str(int(wait))},
                )
        return await call_next(request)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.status_code, "message": exc.detail}}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(x) for x in e['loc'] if x != 'body')}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            {"error": {"code": 422, "message": "Invalid request: " + "; ".join(problems), "details": problems}}, status_code=422
        )

    # ---- public API --------------------------------------------------------------------
    @app.get("/healthz", tags=["ops"])
    def health(shop: ShopDep) -> dict[str, Any]:
        return {
            "ok": True,
            "products": shop.store.count_products(),
            "indexed": shop.vectors.count(),
            "ranker": shop.ranker is not None,
            "stats": dict(shop.stats),
        }

    @app.post(
        "/v1/chat",
        tags=["chat"],
        response_model=ChatOut,
        responses={
            200: {
                "content": {"text/event-stream": {}},
                "description": "SSE: `cards`, then `token`…, then `done` (or JSON with stream=false)",
            }
        },
    )
    async def chat(body: ChatIn, shop: ShopDep):
        if body.product_id is not None and shop.store.get_product(body.product_id) is None:
            raise HTTPException(404, f"No product with id {body.product_id!r}.")
        return await _respond(shop.chat(body.message, body.session_id, body.user_id, product_id=body.product_id), body.stream)

    @app.get("/v1/sessions/{session_id}/events", tags=["chat"], responses={200: {"content": {"text/event-stream": {}}}})
    async def session_events(session_id: str, request: Request, shop: ShopDep, after: int = 0):
        """What a person from the shop writes into this conversation (after a hand-over), as
        server-sent `agent` events; reconnects resume after the last one seen (`Last-Event-ID`)."""
        exists, _ = shop.store.session_owner(session_id)
        if not exists:
            raise HTTPException(404, f"No conversation with id {session_id!r}.")
        last = int(request.headers.get("last-event-id") or after or 0)

        async def stream() -> AsyncIterator[dict[str, str]]:
            nonlocal last
            while not await request.is_disconnected():
                for m in await run_in_threadpool(shop.store.messages, session_id, last):
                    last = m["seq"]
                    products = shop.store.get_products(m["product_ids"])
                    items = [products[p].model_dump() for p in m["product_ids"] if p in products]
                    yield {"event": "agent", "id": str(m["seq"]), "data": json.dumps({**m, "items": items}, default=str)}
                await asyncio.sleep(POLL_S)

        return EventSourceResponse(stream(), ping=15)

    @app.post("/v1/recommendations", tags=["recommendations"], response_model=RecommendationsOut)
    async def recommendations(body: RecommendationsIn, shop: ShopDep) -> dict[str, Any]:
        """An unknown `user_id` is a new shopper: recommendations then come from the query and popularity."""
        cards = await run_in_threadpool(shop.recommend, body.user_id, body.query, body.constraints, body.k, None, body.max_per_category)
        return {"user_id": body.user_id, "items": [c.to_dict() for c in cards]}

    @app.get("/v1/products/{product_id}", tags=["catalog"])
    def product(product_id: str, shop: ShopDep) -> dict[str, Any]:
        p = shop.store.get_product(product_id)
        if p is None:
            raise HTTPException(404, f"No product with id {product_id!r}.")
        return p.model_dump()

    @app.get("/v1/products/{product_id}/review-summary", tags=["catalog"], response_model=ReviewSummaryOut)
    async def review_summary(product_id: str, shop: ShopDep) -> dict[str, Any]:
        if shop.store.get_product(product_id) is None:
            raise HTTPException(404, f"No product with id {product_id!r}.")
        return await run_in_threadpool(shop.review_summary, product_id)

    @app.post("/v1/events", tags=["events"], response_model=EventOut, status_code=201)
    async def events(body: EventIn, shop: ShopDep) -> dict[str, Any]:
        if shop.store.get_product(body.product_id) is None:
            raise HTTPException(404, f"No product with id {body.product_id!r}: events must name a product in the catalog.")
        ev = Event(user_id=body.user_id, product_id=body.product_id, kind=body.kind, ts=body.ts or utcnow(), value=body.value)
        stored = await run_in_threadpool(shop.record_event, ev)
        return {"stored": stored, "event_id": event_id(ev)}

    # ---- web pages -----------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, shop: ShopDep):
        return templates.TemplateResponse(request, "index.html", {"users": shop.store.list_users(50)})

    @app.get("/agent/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, error: str | None = None):
        return templates.TemplateResponse(request, "login.html", {"error": error})

    @app.post("/agent/login", include_in_schema=False)
    def login(request: Request, password: Annotated[str, Form()], name: Annotated[str, Form()] = "agent"):
        if not secrets.compare_digest(password.encode(), settings.agent_password.encode()):
            return templates.TemplateResponse(request, "login.html", {"error": "Wrong password."}, status_code=401)
        request.session["agent"] = name or "agent"
        return RedirectResponse("/agent", status_code=303)

    @app.post("/agent/logout", include_in_schema=False)
    def logout(request: Request):
        request.session.clear()
        return RedirectResponse("/agent/login", status_code=303)

    @app.get("/agent", response_class=HTMLResponse, include_in_schema=False)
    def agent_page(request: Request, shop: ShopDep):
        if not request.session.get("agent"):
            return RedirectResponse("/agent/login", status_code=303)
        return templates.TemplateResponse(request, "agent.html", {"agent": request.session["agent"], "users": shop.store.list_users(500)})

    @app.post("/agent/api/chat", tags=["agent"], response_model=ChatOut)
    async def agent_chat(body: AgentChatIn, shop: ShopDep, agent: AgentDep):
        """The assistant asked on a customer's behalf: it speaks of the customer by name and flags
        what they already own."""
        return await _respond(shop.chat(body.message, body.session_id, body.customer_id, audience="agent"), body.stream)

    @app.get("/agent/api/handoffs", tags=["agent"])
    def handoffs(shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
        """Conversations where the shopper asked for a person, oldest first, with transcripts."""
        return {"handoffs": shop.store.handoffs()}

    @app.post("/agent/api/sessions/{session_id}/reply", tags=["agent"], status_code=201)
    def reply(session_id: str, body: AgentReplyIn, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
        """Writes into the shopper's conversation; their widget shows it at once (with any picks)."""
        exists, _ = shop.store.session_owner(session_id)
        if not exists:
            raise HTTPException(404, f"No conversation with id {session_id!r}.")
        unknown = [p for p in body.product_ids if shop.store.get_product(p) is None]
        if unknown:
            raise HTTPException(422, f"No product with id {unknown[0]!r}.")
        seq = shop.store.add_message(session_id, agent, body.text, body.product_ids)
        return {"seq": seq}

    @app.post("/agent/api/sessions/{session_id}/close", tags=["agent"])
    def close_handoff(session_id: str, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
        shop.store.set_handoff(session_id, False)
        return {"closed": session_id}

    @app.get("/agent/api/customers/{user_id}", tags=["agent"])
    def customer(user_id: str, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
        user = shop.store.get_user(user_id)
        if user is None:
            raise HTTPException(404, f"No customer with id {user_id!r}.")
        history = shop.store.history(user_id, limit=100)
        products = shop.store.get_products(e.product_id for e in history)
        return {
            "user": user.model_dump(),
            "history": [
                {
                    "event_id": e.id,
                    "kind": e.kind,
                    "ts": e.ts.isoformat(),
                    "product_id": e.product_id,
                    "title": products[e.product_id].title if e.product_id in products else e.product_id,
                    "price": products[e.product_id].price if e.product_id in products else None,
                }
                for e in reversed(history)
            ],
        }

    return app


async def _respond(events: Iterator[ChatEvent], stream: bool):
    """A chat turn as SSE (`cards`, `token`…, `done`), or as one JSON body."""
    if not stream:
        return await run_in_threadpool(_collect, events)

    async def sse() -> AsyncIterator[dict[str, str]]:
        try:
            async for ev in iterate_in_threadpool(events):
                yield {"event": ev.name, "data": json.dumps(ev.data(), default=str)}
        except Exception as exc:  # the stream has started: report in-band instead of a 500
            log.exception("chat stream failed")
            yield {"event": "error", "data": json.dumps({"message": f"Something went wrong: {exc.__class__.__name__}"})}

    return EventSourceResponse(sse(), ping=15)


def _collect(events: Iterator[ChatEvent]) -> dict[str, Any]:
    """A whole turn as one JSON body (`stream: false`)."""
    out: dict[str, Any] = {"text": ""}
    for ev in events:
        if isinstance(ev, Cards):
            out.update(
                {k: ev.data()[k] for k in ("session_id", "message", "intent", "items", "constraints", "table", "citations", "actions")}
            )
        elif isinstance(ev, Done):
            out.update(text=ev.text, llm=ev.report.llm, fallback=ev.report.fallback)
    return out


def main() -> FastAPI:  # uvicorn factory: `uvicorn api.app:main --factory`
    return create_app()
