"""Shared record types: the one module that every layer may import.

`api` → `assistant` → (`retrieval`, `ranking`) point one way; these plain records are
what crosses those boundaries, so none of the layers has to know another's internals.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from untrusted import without_instructions

# remove: taken out of the cart; dismiss: shown, and the shopper said "not interested"
EventKind = Literal["view", "cart", "remove", "purchase", "rating", "review", "dismiss"]
ReasonKind = Literal["constraint", "attribute", "history", "review", "rating", "price", "popularity", "explore"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


WEB_ADDRESS = re.compile(r"^(https?://[^\s]+|/(?!/)[^\s]*)$", re.IGNORECASE)  # http(s), or a path on this server


class Product(BaseModel):
    id: str
    title: str
    description: str = ""
    brand: str = ""
    price: float | None = None
    currency: str = "USD"
    category: str = ""  # a path: "Electronics > Keyboards"
    attributes: dict[str, Any] = Field(default_factory=dict)  # color, size, material, …
    stock: int | None = None  # None: the catalog does not say
    image_url: str | None = Field(default=None, max_length=1000)  # a picture: https://… or a path on this server
    url: str | None = Field(default=None, max_length=1000)  # its page in the store
    rating: float | None = None  # mean review rating, filled by the store
    review_count: int = 0
    popularity: float = 0.0  # weighted event count, filled by the store

    @field_validator("image_url", "url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        """Only web addresses: a feed's `javascript:` or `data:` link never reaches a page."""
        if value in (None, ""):
            return None
        if not WEB_ADDRESS.match(value):
            raise ValueError("must be an http(s) address or a path starting with /")
        return value

    @property
    def color(self) -> str | None:
        value = self.attributes.get("color")
        return str(value) if value else None

    @property
    def in_stock(self) -> bool:
        """Unknown stock counts as available: only a known zero is out of stock."""
        return self.stock is None or self.stock > 0

    @property
    def top_category(self) -> str:
        return category_path(self.category)[0] if self.category else ""

    def embedding_text(self) -> str:
        """The text the embedder sees: what a shopper would search for, most telling first."""
        attrs = ", ".join(f"{k}: {v}" for k, v in sorted(self.attributes.items()) if v not in (None, ""))
        # text addressed to the assistant must not pull the product up in search
        parts = [
            without_instructions(self.title),
            self.brand,
            self.category.replace(">", " "),
            attrs,
            without_instructions(self.description),
        ]
        return ". ".join(p for p in parts if p)


class User(BaseModel):
    id: str
    name: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)


EARLIEST = datetime(1970, 1, 1)  # behaviour before this is a broken clock, not history
LATEST = datetime(2100, 1, 1)


def plausible_time(ts: datetime) -> datetime:
    """Naive UTC (what the store keeps), within EARLIEST..LATEST; else a ValueError that says so."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    if not EARLIEST <= ts < LATEST:
        raise ValueError(f"a time between {EARLIEST.year} and {LATEST.year} is expected, not {ts.isoformat()}")
    return ts


class Event(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    user_id: str
    product_id: str
    kind: EventKind
    ts: datetime = Field(default_factory=utcnow)
    value: float | None = Field(None, ge=-1e6, le=1e6)  # quantity for purchases, stars for ratings
    id: str | None = None  # a stable id makes ingest idempotent; derived when absent

    _ts = field_validator("ts")(plausible_time)


class Review(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    id: str
    product_id: str
    user_id: str | None = None
    rating: float
    title: str = ""
    text: str
    ts: datetime = Field(default_factory=utcnow)

    _ts = field_validator("ts")(plausible_time)


class Candidate(BaseModel):
    """A product proposed by recall, with where it came from and how each channel scored it."""

    product_id: str
    score: float = 0.0
    channels: dict[str, int] = Field(default_factory=dict)  # channel -> rank (0 = best)


class Reason(BaseModel):
    kind: ReasonKind
    text: str
    evidence: list[str] = Field(default_factory=list)  # ids: product:…, review:…, event:…


MAX_VALUES = 50  # values a filter may list: more is no shopper's request
FACET_NAME = re.compile(r"[^\W_][\w \-]{0,63}")


class Constraints(BaseModel):
    """What a shopper asked for, as filters the vector engine applies inside the search."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN and infinity are no prices

    price_min: float | None = Field(default=None, ge=0, le=1e9)
    price_max: float | None = Field(default=None, ge=0, le=1e9)
    brands: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    exclude_brands: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    categories: list[str] = Field(default_factory=list, max_length=MAX_VALUES)  # category paths or prefixes, any level
    colors: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    exclude_colors: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    # attribute facets: key → values any of which will do (lowercase; yes/no features as "true"/"false")
    attributes: dict[str, Annotated[list[str], Field(max_length=MAX_VALUES)]] = Field(default_factory=dict, max_length=MAX_VALUES)
    # number facets: key → [at least, at most], either may be None
    ranges: dict[str, Annotated[list[float | None], Field(min_length=2, max_length=2)]] = Field(default_factory=dict, max_length=MAX_VALUES)
    in_stock: bool = True  # products known to be out of stock are left out; unknown stock stays in
    exclude_ids: list[str] = Field(default_factory=list)

    @field_validator("attributes", "ranges")
    @classmethod
    def _facet_names(cls, facets: dict[str, Any]) -> dict[str, Any]:
        """A facet is named by an attribute: letters, digits, spaces, _ or - (it becomes a field path)."""
        bad = [k for k in facets if not FACET_NAME.fullmatch(k)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an attribute name (letters, digits, spaces, _ or -, up to 64)")
        return facets


def category_path(path: str) -> list[str]:
    """'A > B > C' → ['A', 'B', 'C']: the one place a category path is split."""
    return [part.strip() for part in path.split(">") if part.strip()]


def leaf(path: str) -> str:
    """'Electronics > Keyboards' → 'Keyboards'."""
    parts = category_path(path)
    return parts[-1] if parts else ""
