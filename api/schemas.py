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
    product_id: str | None = Field(
        None, max_length=128, description="The product page the shopper is on: what “it” means before anything was shown"
    )
    stream: bool = True


class AgentChatIn(BaseModel):
    message: str = Field(..., min_length=1, max_length=2000)
    customer_id: str | None = Field(None, max_length=128)
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    stream: bool = True


class AgentReplyIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)
    product_ids: list[str] = Field(default_factory=list, max_length=10)


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
    variants: list[dict[str, Any]] = []  # the model's other colours and sizes: id, label, price, in_stock
    owned: dict[str, str] | None = None  # the shopper already bought or carted it: {kind, ts}


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
    gist: str = ""  # one sentence with counts: "31 of 40 praise it: …; 6 of 40 criticise it: …"
    gist_reviews: list[str] = []  # the reviews the gist cites
    likes: list[SummaryPoint]
    dislikes: list[SummaryPoint]
    aspects: list[dict[str, Any]]


class ChatOut(BaseModel):
    session_id: str
    message: str
    intent: str
    items: list[Item]
    text: str
    constraints: dict[str, Any] = {}
    table: dict[str, Any] | None = None  # a comparison: rows of attributes side by side
    citations: list[str] = []  # evidence ids the message rests on
    actions: list[dict[str, Any]] = []  # for the host page: {type: add_to_cart | remove_from_cart, product_id, quantity}
    llm: str | None = None
    fallback: bool = False
