"""The agent console at /agent: sign-in (argon2 accounts, throttled, locked after failures,
CSRF-safe), the customer view (every look is audited), the assistant asked on a customer's
behalf, the hand-over queue, and a customer's data export and deletion."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.locale import language, page_context, words
from api.ratelimit import RateLimiter, make_limiter
from api.schemas import AgentChatIn, AgentReplyIn, ChatOut, RecommendationsOut, errors
from api.security import AGENT_COOKIE, AgentDep, SettingsDep, ShopDep, client_ip, csrf_ok, csrf_token, set_agent_cookie
from api.v1 import respond
from assistant import identity
from assistant.settings import Settings

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
templates = Jinja2Templates(directory=FRONTEND / "templates")
router = APIRouter(responses=errors(400, 401, 403, 404, 413, 422, 503))
PAGE = 50  # customers listed at a time; the search box finds the rest
LOGINS_PER_MINUTE = 10  # per client address: guessing passwords is slow


def login_limiter(request: Request) -> RateLimiter:
    app = request.app
    if not hasattr(app.state, "login_limiter"):
        app.state.login_limiter = make_limiter(app.state.settings, LOGINS_PER_MINUTE, burst=LOGINS_PER_MINUTE, name="login")
    return app.state.login_limiter


@router.get("/agent/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, error: str | None = None):
    return _render(request, "login.html", {"error": error})


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200):
    """A console page with its CSRF token in a hidden field and in the cookie it must match."""
    placeholder = JSONResponse({})
    token = csrf_token(request, placeholder)
    response = templates.TemplateResponse(request, name, {**page_context(request), **context, "csrf": token}, status_code=status_code)
    for key, value in placeholder.headers.items():
        if key == "set-cookie":
            response.headers.append(key, value)
    return response


def _refused(request: Request, reason: str, status_code: int, **values: str):
    """The login page again, saying why in the agent's language."""
    error = words(language(request))[reason].format(**values)
    return _render(request, "login.html", {"error": error}, status_code=status_code)


@router.post("/agent/login", include_in_schema=False)
def login(
    request: Request,
    shop: ShopDep,
    settings: SettingsDep,
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "agent",
):
    wait = login_limiter(request).check(client_ip(request, settings.trusted_proxies))
    if wait:
        return _refused(request, "login.too_many", 429, wait=f"{wait:g}")
    if not csrf_ok(request, csrf):
        return _refused(request, "login.expired", 403)
    name = (name or "agent").strip()[:128]
    if shop.store.count_agents():
        result = identity.check_login(shop.store, name, password)
        if result.locked:
            return _refused(request, "login.locked", 423)
        agent = result.agent
    elif tryout_allowed(request, settings):  # no accounts yet: the shared password of a local try-out
        agent = name if identity.same(password, settings.agent_password or "") else None
    else:
        return _refused(request, "login.no_accounts", 401)
    if agent is None:
        return _refused(request, "login.wrong", 401)
    shop.store.audit(agent, "login")
    response = RedirectResponse("/agent", status_code=303)
    set_agent_cookie(response, request, identity.open_agent_session(shop.store, agent))
    return response


def tryout_allowed(request: Request, settings: Settings) -> bool:
    """The try-out password works only from this machine itself: not through a proxy, not on a
    deployment (one with SECRET_KEY or trusted proxies set)."""
    if not settings.agent_password or settings.secret_key or settings.trusted_proxies:
        return False
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(client_ip(request, [])).is_loopback
    except ValueError:
        return False


@router.post("/agent/logout", include_in_schema=False)
def logout(request: Request, shop: ShopDep, csrf: Annotated[str, Form()] = ""):
    if csrf_ok(request, csrf):
        identity.close_agent_session(shop.store, request.cookies.get(AGENT_COOKIE))
    response = RedirectResponse("/agent/login", status_code=303)
    response.delete_cookie(AGENT_COOKIE, path="/")
    return response


@router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
def agent_page(request: Request, shop: ShopDep):
    agent = identity.agent_for(shop.store, request.cookies.get(AGENT_COOKIE))
    if agent is None:
        return RedirectResponse("/agent/login", status_code=303)
    return _render(request, "agent.html", {"agent": agent, "users": shop.store.list_users(PAGE), "total": shop.store.count_users()})


@router.post(
    "/agent/api/chat",
    tags=["agent"],
    response_model=ChatOut,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE: `cards`, then `done` (or JSON with stream=false)"}},
)
async def agent_chat(body: AgentChatIn, shop: ShopDep, agent: AgentDep):
    """The assistant asked on a customer's behalf: it speaks of the customer by name and flags
    what they already own."""
    if body.customer_id:
        shop.store.audit(agent, "ask about customer", body.customer_id)
    return await respond(shop.chat(body.message, body.session_id, body.customer_id, audience="agent", owner=f"agent:{agent}"), body.stream)


@router.get("/agent/api/customers/{user_id}/suggestions", tags=["agent"], response_model=RecommendationsOut)
async def suggestions(user_id: str, shop: ShopDep, agent: AgentDep, k: int = 5) -> dict[str, Any]:
    """What the customer will likely buy next, with what they already own flagged."""
    shop.store.audit(agent, "suggest for customer", user_id)
    cards = await run_in_threadpool(shop.recommend, user_id, "", None, max(1, min(k, 20)), None, 2)
    return {"user_id": user_id, "items": [c.to_dict() for c in cards]}


@router.get("/agent/api/handoffs", tags=["agent"])
def handoffs(shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    """Conversations where the shopper asked for a person, oldest first, with transcripts."""
    return {"handoffs": shop.store.handoffs()}


@router.post("/agent/api/sessions/{session_id}/reply", tags=["agent"], status_code=201)
def reply(session_id: str, body: AgentReplyIn, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    """Writes into the shopper's conversation; their widget shows it at once (with any picks)."""
    exists, _ = shop.store.session_owner(session_id)
    if not exists:
        raise HTTPException(404, f"No conversation with id {session_id!r}.")
    unknown = [p for p in body.product_ids if shop.store.get_product(p) is None]
    if unknown:
        raise HTTPException(422, f"No product with id {unknown[0]!r}.")
    shop.store.audit(agent, "reply", session_id)
    return {"seq": shop.store.add_message(session_id, agent, body.text, body.product_ids)}


@router.post("/agent/api/sessions/{session_id}/close", tags=["agent"])
def close_handoff(session_id: str, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    shop.store.set_handoff(session_id, False)
    return {"closed": session_id}


@router.get("/agent/api/customers", tags=["agent"])
def customers(
    shop: ShopDep,
    agent: AgentDep,
    q: Annotated[str, Query(max_length=128, description="Part of an id or a name")] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    """Customers whose id or name holds `q`, a page at a time (a store has more than fit a list)."""
    users = shop.store.list_users(limit, q.strip(), offset)
    return {"total": shop.store.count_users(q.strip()), "offset": offset, "customers": [{"id": u.id, "name": u.name} for u in users]}


@router.get("/agent/api/customers/{user_id}", tags=["agent"])
def customer(user_id: str, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    user = shop.store.get_user(user_id)
    if user is None:
        raise HTTPException(404, f"No customer with id {user_id!r}.")
    shop.store.audit(agent, "view customer", user_id)
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


@router.get("/agent/api/customers/{user_id}/export", tags=["agent"])
def export(user_id: str, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    """Everything held about the customer (their right of access)."""
    shop.store.audit(agent, "export customer", user_id)
    return shop.store.export_user(user_id)


@router.post("/agent/api/customers/{user_id}/forget", tags=["agent"])
def forget(user_id: str, shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    """Deletes the customer's data (their right to erasure)."""
    shop.store.audit(agent, "forget customer", user_id)
    return {"deleted": shop.forget_user(user_id)}


@router.get("/agent/api/audit", tags=["agent"])
def audit(shop: ShopDep, agent: AgentDep) -> dict[str, Any]:
    return {"log": shop.store.audit_log()}
