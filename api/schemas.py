"""Request and response bodies of the public API (what OpenAPI at /docs shows)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, field_validator

from records import Constraints, Product, Reason, plausible_time, utcnow

ID = r"^[A-Za-z0-9_.:@\-]+$"  # ids and keys a client may send: no spaces, slashes or control characters


class ErrorBody(BaseModel):
    code: int
    message: str = Field(..., description="What went wrong, for a person to read")
    details: list[str] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents (every one has the same body)."""
    meaning = {
        400: "The body is not valid JSON",
        401: "Who is calling is not proven (token, key or sign-in missing or invalid)",
        403: "The caller may not do this",
        404: "No such thing",
        413: "The body is too large",
        422: "The request does not fit the schema",
        423: "The account is locked",
        429: "Too many requests; see Retry-After",
        503: "The store or the vector index is unavailable for now; retry (see /readyz)",
    }
    return {c: {"model": ErrorOut, "description": meaning[c]} for c in codes}


class ChatIn(BaseModel):
    message: str = Field(..., min_length=1, max_length=2000, examples=["a quiet keyboard for the office under $100"])
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    user_id: str | None = Field(None, min_length=1, max_length=128)
    product_id: str | None = Field(
        None, min_length=1, max_length=128, description="The product page the shopper is on: what “it” means before anything was shown"
    )
    stream: StrictBool = True


class AgentChatIn(BaseModel):
    message: str = Field(..., min_length=1, max_length=2000)
    customer_id: str | None = Field(None, min_length=1, max_length=128)
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    stream: StrictBool = True


class AgentReplyIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)
    product_ids: list[str] = Field(default_factory=list, max_length=10)


class RecommendationsIn(BaseModel):
    user_id: str | None = Field(None, min_length=1, max_length=128)
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
    ts: datetime | None = Field(None, description="When it happened (default: now); 1970 up to a day from now")
    value: float | None = Field(None, ge=-1e6, le=1e6, allow_inf_nan=False, description="Quantity for purchases, stars for ratings")
    id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=ID,
        description="Your id for this event (or send an Idempotency-Key header): a retry with the same id is stored once",
    )

    @field_validator("ts")
    @classmethod
    def _not_in_the_future(cls, ts: datetime | None) -> datetime | None:
        if ts is None:
            return None
        ts = plausible_time(ts)
        if ts > utcnow() + timedelta(days=1):
            raise ValueError("the event's time is in the future")
        return ts


class EventOut(BaseModel):
    stored: bool
    event_id: str


class FeedbackIn(BaseModel):
    """A thumbs up or down on one answer of a conversation (the widget's buttons)."""

    session_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    answer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    value: Literal["up", "down"]


class FeedbackOut(BaseModel):
    stored: bool


class DismissIn(BaseModel):
    product_id: str = Field(min_length=1, max_length=128)


class DismissOut(BaseModel):
    dismissed: list[str]  # what this conversation now leaves out (the product and its variants)


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
    answer_id: str = ""  # for feedback on this answer (POST /v1/feedback)
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
