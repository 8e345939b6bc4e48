"""The public API under /v1: chat, recommendations, products, review summaries, behaviour.

Acting for a named shopper needs that shopper's token (minted by the store's backend) or an API
key with the right scope; a conversation belongs to whoever opened it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Request
from sqlalchemy.exc import SQLAlchemyError
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api.schemas import (
    ID,
    ChatIn,
    ChatOut,
    DismissIn,
    DismissOut,
    EventIn,
    EventOut,
    FeedbackIn,
    FeedbackOut,
    RecommendationsIn,
    RecommendationsOut,
    ReviewSummaryOut,
    errors,
)
from api.security import Caller, CallerDep, ShopDep
from assistant.events import Cards, ChatEvent, Done
from assistant.shop import Shop
from assistant.store import event_id, keyed_event_id
from records import Event, utcnow
from retrieval.vectorstore import IndexUnavailable

log = logging.getLogger(__name__)
router = APIRouter(responses=errors(400, 401, 403, 404, 413, 422, 429, 503))
POLL_S = 1.0  # how often an open conversation looks for an agent's new messages


@router.post(
    "/v1/chat",
    tags=["chat"],
    response_model=ChatOut,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "SSE: `cards`, then `token`…, then `done` (or JSON with stream=false)"}
    },
)
async def chat(body: ChatIn, shop: ShopDep, who: CallerDep):
    """Personalised for the shopper whose token is sent (`X-Shopper-Token`), or for `user_id`
    with that shopper's token or a key with the `chat` scope; otherwise the visitor
    (`X-Visitor-Id`) is anonymous. A conversation continues only for whoever opened it."""
    user_id = body.user_id or who.shopper
    if user_id:
        who.require(user_id, "chat")
    if body.product_id is not None and shop.store.get_product(body.product_id) is None:
        raise HTTPException(404, f"No product with id {body.product_id!r}.")
    owner = f"user:{user_id}" if user_id else who.owner
    return await respond(shop.chat(body.message, body.session_id, user_id, product_id=body.product_id, owner=owner), body.stream)


async def own_conversation(shop: Shop, who: Caller, session_id: str) -> None:
    """404 unless the conversation exists and the caller holds it (one opened without an owner
    is anyone's): a stranger cannot even learn that it exists."""
    exists, owner = await run_in_threadpool(shop.store.session_owner, session_id)
    if not exists or (owner is not None and owner != who.owner):
        raise HTTPException(404, f"No conversation with id {session_id!r} for you.")


@router.get("/v1/sessions/{session_id}/events", tags=["chat"], responses={200: {"content": {"text/event-stream": {}}}})
async def session_events(session_id: str, request: Request, shop: ShopDep, who: CallerDep, after: int = 0):
    """What a person from the shop writes into this conversation (after a hand-over), as
    server-sent `agent` events; reconnects resume after the last one seen (`Last-Event-ID`).
    Only the conversation's owner may listen (`shopper_token` or `visitor_id` in the query)."""
    await own_conversation(shop, who, session_id)
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


@router.post("/v1/recommendations", tags=["recommendations"], response_model=RecommendationsOut)
async def recommendations(body: RecommendationsIn, shop: ShopDep, who: CallerDep) -> dict[str, Any]:
    """For a named shopper (their token, or a key with the `recommend` scope); with neither,
    from the query and popularity."""
    user_id = body.user_id or who.shopper
    if user_id:
        who.require(user_id, "recommend")
    cards = await run_in_threadpool(shop.recommend, user_id, body.query, body.constraints, body.k, None, body.max_per_category)
    return {"user_id": user_id, "items": [c.to_dict() for c in cards]}


@router.get("/v1/products/{product_id}", tags=["catalog"])
def product(product_id: str, shop: ShopDep) -> dict[str, Any]:
    p = shop.store.get_product(product_id)
    if p is None:
        raise HTTPException(404, f"No product with id {product_id!r}.")
    return p.model_dump()


@router.get("/v1/products/{product_id}/review-summary", tags=["catalog"], response_model=ReviewSummaryOut)
async def review_summary(product_id: str, shop: ShopDep) -> dict[str, Any]:
    if shop.store.get_product(product_id) is None:
        raise HTTPException(404, f"No product with id {product_id!r}.")
    return await run_in_threadpool(shop.review_summary, product_id)


@router.post("/v1/events", tags=["events"], response_model=EventOut, status_code=201)
async def events(
    body: EventIn,
    shop: ShopDep,
    who: CallerDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=128, pattern=ID)] = None,
) -> dict[str, Any]:
    """Behaviour of a shopper: their own token, or a key with the `events` scope. Stored exactly
    once: a retry with the same `id` (or `Idempotency-Key`) or the same `ts` is recognised; an
    event with neither is taken as a retry when it repeats within the same minute."""
    who.require(body.user_id, "events")
    if shop.store.get_product(body.product_id) is None:
        raise HTTPException(404, f"No product with id {body.product_id!r}: events must name a product in the catalog.")
    ev = Event(user_id=body.user_id, product_id=body.product_id, kind=body.kind, ts=body.ts or utcnow(), value=body.value)
    key = body.id or idempotency_key
    ev.id = (
        keyed_event_id(ev.user_id, key)
        if key
        else event_id(ev if body.ts else ev.model_copy(update={"ts": ev.ts.replace(second=0, microsecond=0)}))
    )
    stored = await run_in_threadpool(shop.record_event, ev)
    return {"stored": stored, "event_id": ev.id}


@router.post("/v1/sessions/{session_id}/dismiss", tags=["chat"], response_model=DismissOut)
async def dismiss(session_id: Annotated[str, Path(max_length=64, pattern=ID)], body: DismissIn, shop: ShopDep, who: CallerDep):
    """ "Not interested" on a card: the product leaves this conversation (and, for a signed-in
    shopper, a `dismiss` event is recorded). Only the conversation's owner may."""
    await own_conversation(shop, who, session_id)
    if await run_in_threadpool(shop.store.get_product, body.product_id) is None:
        raise HTTPException(404, f"No product with id {body.product_id!r}.")
    return {"dismissed": await run_in_threadpool(shop.dismiss, session_id, body.product_id)}


@router.post("/v1/feedback", tags=["chat"], response_model=FeedbackOut, status_code=201)
async def feedback(body: FeedbackIn, shop: ShopDep, who: CallerDep) -> dict[str, Any]:
    """A thumbs up or down on an answer, by whoever holds the conversation (the latest vote
    counts); /healthz counts them."""
    await own_conversation(shop, who, body.session_id)
    await run_in_threadpool(shop.store.set_feedback, body.session_id, body.answer_id, body.value)
    shop.stats[f"feedback_{body.value}"] += 1
    return {"stored": True}


async def respond(events: Iterator[ChatEvent], stream: bool):
    """A chat turn as SSE (`cards`, `token`…, `done`), or as one JSON body."""
    if not stream:
        return await run_in_threadpool(_collect, events)

    async def sse() -> AsyncIterator[dict[str, str]]:
        try:
            async for ev in iterate_in_threadpool(events):
                yield {"event": ev.name, "data": json.dumps(ev.data(), default=str)}
        except (IndexUnavailable, SQLAlchemyError, OSError) as exc:  # a failing dependency: retryable
            log.error("chat stream: dependency failed: %s", exc)
            yield {"event": "error", "data": json.dumps({"message": "The shop is unavailable right now; please retry shortly."})}
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
                {
                    k: ev.data()[k]
                    for k in ("session_id", "answer_id", "message", "intent", "items", "constraints", "table", "citations", "actions")
                }
            )
        elif isinstance(ev, Done):
            out.update(text=ev.text, llm=ev.report.llm, fallback=ev.report.fallback)
    return out
