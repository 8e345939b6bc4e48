"""The demo store's pages, standing in for any shop: its server mints the shopper token for the
shopper it has signed in, exactly as a real store's backend would (SECURITY.md). The demo's
products have pages here and pictures drawn here (SVG, from the product's own colour and
category), so nothing is fetched from elsewhere."""

from __future__ import annotations

import hashlib
from html import escape
from itertools import islice
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.locale import page_context
from api.security import SettingsDep, ShopDep
from assistant import identity
from assistant.text import money, stars
from records import leaf

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
templates = Jinja2Templates(directory=FRONTEND / "templates")
router = APIRouter()
FEATURED = 8  # products the demo's home page shows


# colour words of the demo catalog and their swatches; any other colour gets a hue of its own
SWATCHES = {
    "black": "#222831",
    "white": "#f3f3f3",
    "graphite": "#4a4e57",
    "silver": "#c0c4cc",
    "pink": "#f4a7bb",
    "blue": "#2f6db5",
    "navy": "#1d2f5a",
    "red": "#c43c3c",
    "green": "#3f8f4f",
    "grey": "#8b8f97",
    "gray": "#8b8f97",
    "orange": "#e98a2e",
    "yellow": "#e9c93a",
    "purple": "#7a4fa3",
    "brown": "#7b5537",
    "beige": "#d9c7a7",
    "olive": "#6f7440",
    "teal": "#2a8c8c",
}


def _signed_in(request: Request, shop, settings) -> tuple[str, str]:
    """(the demo shopper chosen with ?user=, their token): what a store's own sign-in gives."""
    user = request.query_params.get("user") or ""
    known = shop.store.get_user(user) if user else None
    return (known.id, identity.sign_shopper(known.id, settings.shopper_secret(), ttl_s=3600)) if known else ("", "")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, shop: ShopDep, settings: SettingsDep):
    user, token = _signed_in(request, shop, settings)
    featured = list(islice(shop.store.iter_products(batch=FEATURED), FEATURED))
    return templates.TemplateResponse(
        request,
        "index.html",
        {"users": shop.store.list_users(50), "user": user, "token": token, "products": featured, **page_context(request)},
    )


@router.get("/demo/products/{product_id}", response_class=HTMLResponse, include_in_schema=False)
def product_page(product_id: str, request: Request, shop: ShopDep, settings: SettingsDep):
    """A product page of the demo store, with the widget knowing which product it sits on."""
    product = shop.store.get_product(product_id)
    if product is None:
        raise HTTPException(404, f"No product with id {product_id!r}.")
    user, token = _signed_in(request, shop, settings)
    price = money(product.price, product.currency) if product.price is not None else ""
    rating = stars(product.rating) if product.rating is not None else ""
    context = {"product": product, "price": price, "rating": rating, "user": user, "token": token, **page_context(request)}
    return templates.TemplateResponse(request, "product.html", context)


@router.get("/demo/images/{product_id}.svg", include_in_schema=False)
def product_image(product_id: str, shop: ShopDep) -> Response:
    """A placeholder picture drawn from the product's colour and category."""
    product = shop.store.get_product(product_id)
    if product is None:
        raise HTTPException(404, f"No product with id {product_id!r}.")
    colour = str(product.attributes.get("color") or "").lower()
    fill = SWATCHES.get(colour) or f"hsl({int(hashlib.sha1(colour.encode()).hexdigest()[:4], 16) % 360} 45% 55%)"
    ink = "#1b1b1b" if colour in ("white", "silver", "beige", "yellow", "pink") else "#ffffff"
    word = escape(leaf(product.category) or product.brand or "")[:18]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160" viewBox="0 0 160 160" role="img" '
        f'aria-label="{escape(product.title)}"><rect width="160" height="160" rx="14" fill="{fill}"/>'
        f'<text x="80" y="92" font-family="system-ui, sans-serif" font-size="56" font-weight="700" text-anchor="middle" fill="{ink}">'
        f"{escape((product.brand or product.title)[:1].upper())}</text>"
        f'<text x="80" y="132" font-family="system-ui, sans-serif" font-size="15" text-anchor="middle" fill="{ink}">{word}</text></svg>'
    )
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
