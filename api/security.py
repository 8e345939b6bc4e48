"""Who is calling, over HTTP: the shopper's token, a visitor's id, an API key, a signed-in
agent; and the browser-facing defences (CSRF, security headers, a body limit, the client's
real address behind trusted proxies). The decisions about identities are assistant/identity.py's.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import identity
from assistant.settings import Settings
from assistant.shop import Shop

VISITOR = re.compile(r"^v_[A-Za-z0-9_\-]{16,64}$")  # the widget's random id for a visitor who is not signed in
AGENT_COOKIE = "sa_agent"
CSRF_COOKIE = "sa_csrf"
CSRF_HEADER = "x-csrf-token"
# Our own pages (the demo store, the console) run only our own scripts and styles, and are not framed.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


def get_shop(request: Request) -> Shop:
    return request.app.state.shop


ShopDep = Annotated[Shop, Depends(get_shop)]


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (its secrets, origins, proxies)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(app_settings)]


@dataclass(frozen=True)
class Caller:
    """What a /v1 request proved about who sends it."""

    shopper: str | None = None  # the shopper id a valid token vouches for
    visitor: str | None = None  # an anonymous visitor's random id
    key: identity.ApiKey | None = None

    @property
    def owner(self) -> str | None:
        """Who a conversation opened by this caller belongs to."""
        return f"user:{self.shopper}" if self.shopper else f"visitor:{self.visitor}" if self.visitor else None

    def require(self, user_id: str, scope: str) -> None:
        """Acting for shopper `user_id` needs that shopper's own token, or a key with `scope`."""
        if self.shopper == user_id or (self.key is not None and scope in self.key.scopes):
            return
        if self.shopper is not None:
            raise HTTPException(403, f"This shopper token is for another shopper than {user_id!r}.")
        if self.key is not None:
            raise HTTPException(403, f"This API key lacks the {scope!r} scope.")
        raise HTTPException(
            401, f"Acting for shopper {user_id!r} needs their shopper token (X-Shopper-Token) or an API key with the {scope!r} scope."
        )


def caller(request: Request, shop: ShopDep, settings: SettingsDep) -> Caller:
    token = request.headers.get("x-shopper-token") or request.query_params.get("shopper_token")
    shopper = identity.verify_shopper(token, settings.shopper_secret()) if token else None
    if token and shopper is None:
        raise HTTPException(401, "The shopper token is invalid or has expired: ask the store's page for a fresh one.")
    visitor = request.headers.get("x-visitor-id") or request.query_params.get("visitor_id")
    if visitor is not None and not VISITOR.match(visitor):
        raise HTTPException(422, "X-Visitor-Id must look like v_ followed by 16-64 letters, digits, _ or -.")
    key = None
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, presented = auth.partition(" ")
        key = identity.check_api_key(shop.store, presented.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise HTTPException(401, "The API key is unknown or revoked.", headers={"WWW-Authenticate": "Bearer"})
    return Caller(shopper, visitor, key)


CallerDep = Annotated[Caller, Depends(caller)]


# ---- agents -------------------------------------------------------------------------------------------
def current_agent(request: Request, shop: ShopDep) -> str:
    agent = identity.agent_for(shop.store, request.cookies.get(AGENT_COOKIE))
    if agent is None:
        raise HTTPException(401, "Log in to the agent console first.")
    if request.method not in ("GET", "HEAD") and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, "Missing or wrong CSRF token: reload the console.")
    return agent


AgentDep = Annotated[str, Depends(current_agent)]


def set_agent_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(AGENT_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


def csrf_token(request: Request, response: Response) -> str:
    """The page's CSRF token: the cookie's, or a new one set on the response (double submit)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="strict", secure=request.url.scheme == "https", path="/")
    return token


def csrf_ok(request: Request, presented: str | None) -> bool:
    expected = request.cookies.get(CSRF_COOKIE)
    return bool(expected and presented and secrets.compare_digest(expected, presented))


# ---- the network ---------------------------------------------------------------------------------------
def client_ip(request: Request, trusted: list[str]) -> str:
    """The client's address; behind a trusted proxy, the last address in X-Forwarded-For that is
    not one of our proxies (a client can prepend anything, not append)."""
    peer = request.client.host if request.client else "unknown"
    nets = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def ours(address: str) -> bool:
        try:
            return any(ipaddress.ip_address(address) in net for net in nets)
        except ValueError:
            return False

    if not ours(peer):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not ours(hop):
            return hop
    return peer


class BodyLimit:
    """Refuses request bodies over `limit` bytes with a 413, whether or not they say their size.
    The body is read here first (our bodies are small JSON), so the app never sees a cut one."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await _too_large(send, self.limit)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"error": {{"code": 413, "message": "The request body is larger than {limit} bytes."}}}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def security_headers(response: Response, path: str) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if path.startswith("/static/"):
        response.headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")  # the widget loads on the store's pages
    elif not path.startswith(("/docs", "/redoc", "/openapi")):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
