"""Shared record types: the one module that every layer may import.

`api` → `assistant` → (`retrieval`, `ranking`) point one way; these plain records are
what crosses those boundaries, so none of the layers has to know another's internals.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

EventKind = Literal["view", "cart", "purchase", "rating", "review"]
ReasonKind = Literal["constraint", "attribute", "history", "review", "rating", "price", "popularity"]

# How much each kind of behaviour says about a shopper's taste (used by recall and ranking).
EVENT_WEIGHT: dict[str, float] = {"view": 0.3, "cart": 0.6, "purchase": 1.0, "rating": 0.8, "review": 0.8}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Product(BaseModel):
    id: str
    title: str
    description: str = ""
    brand: str = ""
    price: float | None = None
    currency: str = "USD"
    category: str = ""  # a path: "Electronics > Keyboards"
    attributes: dict[str, Any] = Field(default_factory=dict)  # color, size, material, …
    stock: int = 0
    rating: float | None = None  # mean review rating, filled by the store
    review_count: int = 0
    popularity: float = 0.0  # weighted event count, filled by the store

    @property
    def color(self) -> str | None:
        value = self.attributes.get("color")
        return str(value) if value else None

    @property
    def top_category(self) -> str:
        return self.category.split(">")[0].strip()

    @property
    def leaf_category(self) -> str:
        return self.category.split(">")[-1].strip()

    def embedding_text(self) -> str:
        """The text the embedder sees: what a shopper would search for, most telling first."""
        attrs = ", ".join(f"{k}: {v}" for k, v in sorted(self.attributes.items()) if v not in (None, ""))
        parts = [self.title, self.brand, self.category.replace(">", " "), attrs, self.description]
        return ". ".join(p for p in parts if p)


class User(BaseModel):
    id: str
    name: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)


class Event(BaseModel):
    user_id: str
    product_id: str
    kind: EventKind
    ts: datetime = Field(default_factory=utcnow)
    value: float | None = None  # quantity for purchases, stars for ratings
    id: str | None = None  # a stable id makes ingest idempotent; derived when absent


class Review(BaseModel):
    id: str
    product_id: str
    user_id: str | None = None
    rating: float
    title: str = ""
    text: str
    ts: datetime = Field(default_factory=utcnow)


class Candidate(BaseModel):
    """A product proposed by recall, with where it came from and how each channel scored it."""

    product_id: str
    score: float = 0.0
    channels: dict[str, int] = Field(default_factory=dict)  # channel -> rank (0 = best)


class Reason(BaseModel):
    kind: ReasonKind
    text: str
    evidence: list[str] = Field(default_factory=list)  # ids: product:…, review:…, event:…


class Constraints(BaseModel):
    """What a shopper asked for, as filters the vector engine applies inside the search."""

    price_min: float | None = None
    price_max: float | None = None
    brands: list[str] = Field(default_factory=list)
    exclude_brands: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)  # category paths or prefixes, any level
    colors: list[str] = Field(default_factory=list)
    exclude_colors: list[str] = Field(default_factory=list)
    in_stock: bool = True
    exclude_ids: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return self == Constraints() or self == Constraints(in_stock=False)

    def describe(self) -> list[str]:
        """Each active constraint in words, for answers such as 'nothing matches under $20'."""
        parts = []
        if self.price_min is not None and self.price_max is not None:
            parts.append(f"between {_usd(self.price_min)} and {_usd(self.price_max)}")
        elif self.price_max is not None:
            parts.append(f"under {_usd(self.price_max)}")
        elif self.price_min is not None:
            parts.append(f"over {_usd(self.price_min)}")
        parts += [f"by {b}" for b in self.brands]
        parts += [f"not by {b}" for b in self.exclude_brands]
        parts += [f"in {c.split('>')[-1].strip().lower()}" for c in self.categories]
        parts += [f"in {c}" for c in self.colors]
        parts += [f"not in {c}" for c in self.exclude_colors]
        return parts


def _usd(value: float) -> str:
    return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"


def category_prefixes(path: str) -> list[str]:
    """'A > B > C' → ['a', 'a > b', 'a > b > c']: lets one keyword filter match any level."""
    parts = [p.strip().lower() for p in path.split(">") if p.strip()]
    return [" > ".join(parts[: i + 1]) for i in range(len(parts))]


HALF_LIFE_DAYS = 30.0


def event_weight(event: Event, now: datetime) -> float:
    """How much one event says about today's taste: its kind, halved every 30 days."""
    age_days = max((now - event.ts).total_seconds() / 86400.0, 0.0)
    return EVENT_WEIGHT.get(event.kind, 0.3) * 0.5 ** (age_days / HALF_LIFE_DAYS)
