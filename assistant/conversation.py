"""The dialogue: a typed session, and the policy that turns one message into an answer.

Each message is understood in the light of the session (assistant/understand.py), then the
policy picks what to do with it — list products, say why or compare shown ones, list what the
shopper re-buys, say what was not found — and words the lead sentence. The session remembers
the request and the cards shown, so "cheaper", "#2" and "not that brand" mean something.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from assistant.catalog import Catalog
from assistant.explain import Facts
from assistant.llm import get_llm
from assistant.recommend import Card, Recommender
from assistant.settings import Settings
from assistant.text import money
from assistant.understand import Request, understand
from assistant.understand_llm import understand_with_llm
from records import Constraints, leaf
from retrieval.embedder import Embedder
from retrieval.hybrid import search
from retrieval.vectorstore import VectorStore

# A message is off-topic when it is this close to one of these, and clearly closer than to any product.
OFF_TOPIC_ANCHORS = [
    "what is the weather forecast",
    "sports scores and football results",
    "tell me a joke",
    "write a poem or a story",
    "latest news and politics",
    "restaurants and food near me",
    "help me with math homework",
    "write some code for me",
    "how are you doing today",
    "who are you, what is your name",
    "what time is it",
]
OFF_TOPIC_MIN, OFF_TOPIC_MARGIN = 0.45, 0.1
LISTING = ("search", "refine", "more", "more_like", "reorder")  # intents whose answer is a list the session remembers
TURNS_KEPT = 20


@dataclass
class Session:
    """What a conversation remembers between turns (stored as JSON in the store)."""

    user_id: str | None = None
    turns: list[dict[str, str]] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # product ids of the last list, in order
    shown_prices: list[float] = field(default_factory=list)
    shown_brands: list[str] = field(default_factory=list)
    request: Request | None = None  # the request the last list answered

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        req = data.get("request")
        request = None
        if req:
            request = Request(
                text=req["text"],
                constraints=Constraints(**req["constraints"]),
                intent=req["intent"],
                refs=req.get("refs", []),
                category=req.get("category"),
                notes=req.get("notes", []),
                said=req.get("said", ""),
            )
        return cls(
            data.get("user_id"),
            data.get("turns", []),
            data.get("shown", []),
            data.get("shown_prices", []),
            data.get("shown_brands", []),
            request,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.request is not None:
            out["request"]["constraints"] = self.request.constraints.model_dump()
        return out

    def record(self, message: str, answer: Answer) -> None:
        """The session after this answer: a new list replaces the remembered one."""
        lists = answer.request.intent in LISTING and not answer.off_topic
        if lists:
            self.request = answer.request
        if answer.cards and lists:
            self.shown = [c.product.id for c in answer.cards]
            self.shown_prices = [c.product.price for c in answer.cards if c.product.price is not None]
            self.shown_brands = [c.product.brand for c in answer.cards]
        self.turns = (self.turns + [{"role": "user", "text": message}, {"role": "assistant", "text": answer.message}])[-TURNS_KEPT:]


@dataclass
class Answer:
    cards: list[Card]
    message: str  # the deterministic lead: what was understood, or why nothing matched
    request: Request
    facts: Facts | None = None  # what the LLM may explain (the first card), when prose follows
    off_topic: bool = False


class Conversation:
    """The dialogue policy: one message and its session → an answer."""

    def __init__(
        self, settings: Settings, catalog: Catalog, recommender: Recommender, vectors: VectorStore, embedder: Embedder, stats: Counter[str]
    ):
        self.settings = settings
        self.catalog = catalog
        self.recommender = recommender
        self.vectors = vectors
        self.embedder = embedder
        self.stats = stats
        self._off_topic_anchors: np.ndarray | None = None

    def answer(self, message: str, session: Session, user_id: str | None) -> Answer:
        vocab = self.catalog.vocabulary()
        shown = session.shown
        req = understand(message, vocab, session.request, session.shown_prices, session.shown_brands)
        if self.settings.understanding_by_llm and req.intent == "search":
            req, grounded = understand_with_llm(req, message, vocab, get_llm(self.settings))
            self.stats["understanding_llm_used" if grounded else "understanding_llm_failed"] += 1
            self.stats["understanding_llm_rejected"] += len(grounded.rejected) if grounded else 0
        if req.intent == "empty":
            return Answer([], "Tell me what you are looking for, for example “a quiet keyboard under $100”.", req)
        if req.intent in ("greeting", "thanks"):
            lead = "Happy to help!" if req.intent == "thanks" else "Hi! What are you shopping for today?"
            return Answer([], f"{lead} Try “{self._example()}”.", req)
        if req.intent in ("why", "compare"):
            return self._about_shown(req, shown, user_id)
        if req.intent == "reorder":
            return self._reorder(req, user_id)
        like = [shown[r - 1] for r in req.refs if 0 < r <= len(shown)] if req.intent == "more_like" else []
        c = req.constraints.model_copy(deep=True)
        if req.intent == "more":
            c.exclude_ids = list(shown)
        if req.intent in ("search", "refine") and not like and self.off_topic(req):
            cats = ", ".join(sorted({leaf(p).lower() for p in vocab.categories})[:6])
            return Answer([], f"I can only help with shopping here ({cats} and more). What are you looking for?", req, off_topic=True)
        cards = self.recommender.recommend(user_id, req.text, c, like=like)
        if not cards:
            return self._nothing_matches(req, user_id)
        said = _understood(req)
        if req.intent == "more_like":
            liked = self.catalog.store.get_product(like[0]) if like else None
            lead = f"More like the {liked.title if liked else 'one you picked'}{said}:"
        else:
            lead = f"Here {'is 1 pick' if len(cards) == 1 else f'are {len(cards)} picks'}{said}."
        return _with_prose(cards, lead, req)

    def _reorder(self, req: Request, user_id: str | None) -> Answer:
        """Their own products that are due first (the repeat model), then picks for them."""
        if not user_id:
            return Answer(
                [], "I can list what you usually buy once I know who you are (sign in first). Meanwhile, what are you looking for?", req
            )
        cards = self.recommender.recommend(user_id, req.text, req.constraints)
        due = [c for c in cards if c.due]
        if not due:
            lead = "Nothing you bought before looks due yet; here are picks for you."
        elif len(due) < len(cards):
            lead = f"You may be running low on {'this' if len(due) == 1 else f'these {len(due)}'}; more picks follow."
        else:
            lead = "You may be running low on these."
        return _with_prose(cards, lead, req)

    def _example(self) -> str:
        cats = self.catalog.vocabulary().categories
        return f"{leaf(cats[0]).lower()} under $100" if cats else "a gift under $50"

    def off_topic(self, req: Request) -> bool:
        """Zero-shot: closer to small talk (weather, jokes, news…) than to anything we sell."""
        c = req.constraints
        if req.intent == "search" and (c.price_max or c.price_min or c.brands or c.categories or c.colors):
            return False
        said = req.said if req.intent == "refine" else req.text
        if not said.strip():
            return req.intent != "refine"  # "cheaper", "in white": a pure refinement
        v = self.embedder.encode_one(said)
        if self._off_topic_anchors is None:
            self._off_topic_anchors = self.embedder.encode(OFF_TOPIC_ANCHORS)
        off = float((self._off_topic_anchors @ v).max())
        best = search(self.vectors, dense=v, limit=1)
        shop = best[0].score if best else 0.0
        return off > OFF_TOPIC_MIN and off > shop + OFF_TOPIC_MARGIN

    def _nothing_matches(self, req: Request, user_id: str | None) -> Answer:
        """Find which constraint empties the result, say so, and show the closest alternatives."""
        c = req.constraints
        relaxations: list[tuple[str, Constraints]] = []
        if c.price_min is not None or c.price_max is not None:
            relaxations.append(("the price limit", c.model_copy(update={"price_min": None, "price_max": None})))
        if c.colors:
            relaxations.append((f"the colour ({', '.join(c.colors)})", c.model_copy(update={"colors": []})))
        if c.brands:
            relaxations.append((f"the brand ({', '.join(c.brands)})", c.model_copy(update={"brands": []})))
        if c.exclude_brands or c.exclude_colors:
            relaxations.append(("the exclusions", c.model_copy(update={"exclude_brands": [], "exclude_colors": []})))
        relaxations.append(("the in-stock requirement", c.model_copy(update={"in_stock": False})))
        said = (req.text or "").lower()
        wanted = (
            " ".join(d for d in describe(c) if not (d.startswith("in ") and d[3:].rstrip("s") in said)) or "that"
        )  # not "keyboard … in keyboards"
        for label, relaxed in relaxations:
            cards = self.recommender.recommend(user_id, req.text, relaxed)
            if cards:
                for card in cards:
                    card.alternative = True
                lead = f"Nothing matches {req.text or 'your request'} {wanted}. Without {label}, these are the closest alternatives."
                return _with_prose(cards, lead.replace("  ", " "), req)
        return Answer([], f"Nothing in the catalog matches {req.text or 'that'} {wanted}. Try relaxing the price or colour.", req)

    def _about_shown(self, req: Request, shown: list[str], user_id: str | None) -> Answer:
        positions = [len(shown) if r == -1 else r for r in req.refs]  # -1: "the last one"
        picked = [shown[r - 1] for r in positions if 0 < r <= len(shown)]
        if not picked:
            return Answer([], "Which product do you mean? Ask for suggestions first, then say “why #1” or “compare the first two”.", req)
        history = self.recommender.history(user_id)
        products = self.catalog.store.get_products(picked + [e.product_id for e in history])
        vectors = self.vectors.vectors(list({*picked, *(e.product_id for e in history)}))
        query_vec = self.embedder.encode_one(req.text) if req.text else None
        cards = []
        for pos, pid in enumerate(picked, start=1):
            p = products[pid]
            cards.append(Card(p, pos, 0.0, self.recommender.reasons(p, req.text, req.constraints, history, products, vectors, query_vec)))
        if req.intent == "why":
            card = cards[0]
            lead = f"Why the {card.product.title}: " + "; ".join(r.text.rstrip(".") for r in card.reasons[:4]) + "."
            return Answer(cards, lead, req)
        lead = "Side by side: " + " vs ".join(_compare_line(c) for c in cards) + "."
        return Answer(cards, lead, req)


def _with_prose(cards: list[Card], lead: str, req: Request) -> Answer:
    return Answer(cards, lead, req, facts=Facts.of(cards[0]))


def describe(c: Constraints, currency: str = "USD") -> list[str]:
    """Each active constraint in words, for answers such as 'nothing matches under $20'."""
    parts = []
    if c.price_min is not None and c.price_max is not None:
        parts.append(f"between {money(c.price_min, currency, short=True)} and {money(c.price_max, currency, short=True)}")
    elif c.price_max is not None:
        parts.append(f"under {money(c.price_max, currency, short=True)}")
    elif c.price_min is not None:
        parts.append(f"over {money(c.price_min, currency, short=True)}")
    parts += [f"by {b}" for b in c.brands]
    parts += [f"not by {b}" for b in c.exclude_brands]
    parts += [f"in {leaf(x).lower()}" for x in c.categories]
    parts += [f"in {x}" for x in c.colors]
    parts += [f"not in {x}" for x in c.exclude_colors]
    return parts


def _understood(req: Request) -> str:
    bits = describe(req.constraints)
    return f" {', '.join(bits)}" if bits else ""


def _compare_line(card: Card) -> str:
    p = card.product
    price = money(p.price, p.currency) if p.price is not None else "no price"
    rating = next((r.text.lower() for r in card.reasons if r.kind == "rating"), "no reviews yet")
    return f"{p.title} ({price}, {rating})"
