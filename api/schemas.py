"""Request and response bodies of the public API (what OpenAPI at /docs shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from records import Constraints, Product, Reason


class ChatIn(BaseModel):
    message: str = Field(..., min_length=1, max_length=2000, examples=["a quiet keyboard for the office under $100"])
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    user_id: str | None = Field(None, max_length=128)
    stream: bool = True


class RecommendationsIn(BaseModel):
    user_id: str | None = Field(None, max_length=128)
    query: str = Field("", max_length=2000)
    constraints: Constraints = Field(default_factory=Constraints)
    k: int = Field(5, ge=1, le=50)
    max_per_category: int | None = Field(None, ge=1, le=50)


class Item(BaseModel):
    position: int
    product: Product
    score: float
    reasons: list[Reason]
    channels: dict[str, int] = {}
    alternative: bool = False


class RecommendationsOut(BaseModel):
    user_id: str | None
    items: list[Item]


class EventIn(BaseModel):
    user_id: str = Field(..., min_length=1, max_length=128)
    product_id: str = Field(..., min_length=1, max_length=128)
    kind: Literal["view", "cart", "purchase", "rating", "review"]
    ts: datetime | None = None
    value: float | None = None


class EventOut(BaseModel):
    stored: bool
    event_id: str


class SummaryPoint(BaseModel):
    text: str
    review_ids: list[str]
    polarity: str
    quote: str | None = None  # the review sentence, when `text` is the LLM's verified rewording


class ReviewSummaryOut(BaseModel):
    product_id: str
    review_count: int
    likes: list[SummaryPoint]
    dislikes: list[SummaryPoint]
    aspects: list[dict[str, Any]]


class ChatOut(BaseModel):
    session_id: str
    message: str
    intent: str
    items: list[Item]
    text: str
    llm: str | None = None
    fallback: bool = False
