"""The demo store's page, standing in for any shop: its server mints the shopper token for the
shopper it has signed in, exactly as a real store's backend would (SECURITY.md)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.security import SettingsDep, ShopDep
from assistant import identity

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
templates = Jinja2Templates(directory=FRONTEND / "templates")
router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, shop: ShopDep, settings: SettingsDep):
    user = request.query_params.get("user") or ""
    known = shop.store.get_user(user) if user else None
    token = identity.sign_shopper(known.id, settings.shopper_secret(), ttl_s=3600) if known else ""
    return templates.TemplateResponse(
        request, "index.html", {"users": shop.store.list_users(50), "user": known.id if known else "", "token": token}
    )
