"""The dialogue: a typed session, and the policy that turns one message into an answer.

Each message gets a dialogue act (assistant/acts.py) and is read against the session's current
need (assistant/understand.py); the policy then does what the act asks and says so in its
first sentence:

| act | the session after it | the answer |
|---|---|---|
| new need | a fresh need | a list, or "we don't carry …" with the nearest things we do |
| refine | the need, merged | a list under the new constraints |
| more | the need, next page | products not shown yet for this need |
| more like #n | the need | products like #n, never #n or its other colours |
| reset | nothing | an invitation to start again |
| question, compare, why | unchanged | answers from the shown products' own data and reviews |
| cart | unchanged | what was added, removed or is in the cart |
| store question | unchanged | the store's policy, quoted |
| hand-over | flagged for a person | a promise a person will answer |
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from assistant import answers
from assistant.catalog import Catalog
from assistant.explain import Facts
from assistant.llm import get_llm
from assistant.range import Range
from assistant.recommend import Card, Recommender
from assistant.settings import Settings
from assistant.text import money
from assistant.understand import FILLER, Request, Shown, parse_prices, tidy, understand
from assistant.understand_llm import understand_with_llm
from records import Constraints, leaf
from retrieval.embedder import Embedder
from retrieval.vectorstore import VectorStore
from untrusted import quotable

# A message is off-topic when it is this close to one of these, and clearly closer than to any product.
OFF_TOPIC_ANCHORS = [
    "what is the weather forecast", "sports scores and football results", "tell me a joke", "write a poem or a story",
    "latest news and politics", "restaurants and food near me", "help me with math homework", "write some code for me",
    "who won the election", "translate this sentence", "what is the capital of France", "what time is it",
]  # fmt: skip
OFF_TOPIC_MIN, OFF_TOPIC_MARGIN = 0.45, 0.1
LISTING = ("search", "refine", "more", "more_like", "reorder")  # acts whose answer is a list the session remembers
TURNS_KEPT = 20
ECHO_WORDS = 8  # "we don't carry …" repeats at most this many of the shopper's words


@dataclass
class Session:
    """What a conversation remembers between turns (stored as JSON in the store)."""

    user_id: str | None = None
    owner: str | None = None  # who may continue it ("user:<id>", "visitor:<id>", "agent:<name>")
    turns: list[dict[str, str]] = field(default_factory=list)
    need: Request | None = None  # the need the last list answered
    shown: Shown = field(default_factory=Shown)  # the cards of the last list, in order
    seen: list[str] = field(default_factory=list)  # every product listed for this need ("more" skips them)
    variants: dict[str, list[str]] = field(default_factory=dict)  # a shown card → its other colours and sizes
    cart: list[str] = field(default_factory=list)  # product ids, for a shopper the store does not know
    handoff: bool = False  # waiting for a person
    dismissed: list[str] = field(default_factory=list)  # "not interested": never listed again in this conversation

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        need = data.get("need")
        return cls(
            user_id=data.get("user_id"),
            owner=data.get("owner"),
            turns=data.get("turns", []),
            need=Request(**{**need, "constraints": Constraints(**need["constraints"])}) if need else None,
            shown=Shown(**data.get("shown") or {}),
            seen=data.get("seen", []),
            variants=data.get("variants", {}),
            cart=data.get("cart", []),
            handoff=data.get("handoff", False),
            dismissed=data.get("dismissed", []),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.need is not None:
            out["need"]["constraints"] = self.need.constraints.model_dump()
        return out

    def show(self, products) -> None:
        """These products are what "it" and "#1" point at."""
        items = list(products)
        self.shown = Shown(
            [p.id for p in items], [p.price for p in items if p.price is not None], [p.brand for p in items], [p.title for p in items]
        )

    def record(self, message: str, answer: Answer) -> None:
        """The session after this answer."""
        act = answer.request.intent
        if act == "reset":
            self.need, self.shown, self.seen, self.variants, self.dismissed = None, Shown(), [], {}, []
        elif act in LISTING and not answer.off_topic:
            fresh = answer.request.fresh or act == "reorder"
            self.need = answer.request
            if fresh:
                self.seen = []
            if answer.cards:
                cards = answer.cards
                self.shown = Shown(
                    [c.product.id for c in cards],
                    [c.product.price for c in cards if c.product.price is not None],
                    [c.product.brand for c in cards],
                    [c.product.title for c in cards],
                )
                self.variants = {c.product.id: [v["id"] for v in c.variants] for c in cards}
                self.seen = list(dict.fromkeys(self.seen + [pid for c in cards for pid in (c.product.id, *(v["id"] for v in c.variants))]))
        if act == "handoff":
            self.handoff = True
        self.turns = (self.turns + [{"role": "user", "text": message}, {"role": "assistant", "text": answer.message}])[-TURNS_KEPT:]


@dataclass(frozen=True)
class Turn:
    """Who a turn is for: the shopper (spoken to as "you"), or an agent asking about a customer
    (who is spoken of by name)."""

    user_id: str | None = None
    audience: str = "shopper"  # "shopper" | "agent"
    name: str = ""  # the customer's name, for an agent

    @property
    def who(self) -> str:
        return "you" if self.audience == "shopper" else self.name or "the customer"


@dataclass
class Answer:
    cards: list[Card]
    message: str  # the lead: what was understood, found or not found, or the answer to a question
    request: Request
    facts: Facts | None = None  # what the LLM may explain (the first card), when prose follows
    off_topic: bool = False
    table: dict[str, Any] | None = None  # a comparison, side by side
    citations: list[str] = field(default_factory=list)  # evidence ids the message's claims rest on
    actions: list[dict[str, Any]] = field(default_factory=list)  # for the host page: added to / removed from the cart


class Conversation:
    """The dialogue policy: one message and its session → an answer."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        recommender: Recommender,
        answers: answers.Answers,
        vectors: VectorStore,
        embedder: Embedder,
        stats: Counter[str],
    ):
        self.settings = settings
        self.catalog = catalog
        self.recommender = recommender
        self.vectors = vectors
        self.embedder = embedder
        self.stats = stats
        self.range = Range(catalog)
        self.answers = answers
        self._off_topic_anchors: np.ndarray | None = None

    @property
    def currency(self) -> str:
        return self.catalog.vocabulary().currency

    def answer(self, message: str, session: Session, user_id: str | None, audience: str = "shopper") -> Answer:
        user = self.catalog.store.get_user(user_id) if user_id and audience == "agent" else None
        turn = Turn(user_id, audience, (user.name if user else "") or "")
        return self._answer(message, session, turn)

    def _answer(self, message: str, session: Session, turn: Turn) -> Answer:
        vocab = self.catalog.vocabulary()
        req = understand(
            message,
            vocab,
            session.need,
            session.shown,
            categorize=self.catalog.categorize,
            related=self.catalog.related,
            fits=self.catalog.fits,
        )
        if self.settings.understanding_by_llm and req.intent == "search" and req.fresh:
            req, grounded = understand_with_llm(req, message, vocab, get_llm(self.settings), self.settings.llm_understand_s)
            self.stats["understanding_llm_used" if grounded else "understanding_llm_failed"] += 1
            self.stats["understanding_llm_rejected"] += len(grounded.rejected) if grounded else 0
        self.stats[f"act_{req.intent}"] += 1
        act = req.intent
        if session.dismissed and act != "reset":  # what the shopper waved away stays away in this conversation
            kept = list(dict.fromkeys([*req.constraints.exclude_ids, *session.dismissed]))
            req = replace(req, constraints=req.constraints.model_copy(update={"exclude_ids": kept}))
        if act in ("empty", "greeting", "thanks", "smalltalk"):
            return Answer([], self._small_talk(act), req)
        if act == "reset":
            return Answer([], "Okay, starting over. What are you looking for?", req)
        if act in ("question", "compare", "why"):
            return self.answers.about_shown(req, session, turn)
        if act in ("cart_add", "cart_remove", "cart_show"):
            return self.answers.cart(req, session, turn)
        if act == "store":
            return self.answers.store(req, session)
        if act == "handoff":
            return Answer(
                [], "I'll hand you over to a person from our team: they can see this conversation and will reply here shortly.", req
            )
        if act == "reorder":
            return self._reorder(req, turn)
        if act == "more":
            return self._more(req, session, turn)
        if act == "more_like":
            return self._more_like(req, session, turn)
        return self._list(req, session, turn)

    # ---- lists ---------------------------------------------------------------------------------------
    def _list(self, req: Request, session: Session, turn: Turn) -> Answer:
        if req.fresh and req.said and not self._named_in_catalog(req):
            verdict = self.range.judge(asked(req.message))
            if not verdict.carried:
                if self.off_topic(req):
                    sells = self._range_words()
                    here = f"I can only help with shopping here ({sells})." if sells else "I can only help with shopping here."
                    return Answer([], f"{here} What are you looking for?", req, off_topic=True)
                return self._not_carried(req, turn, verdict.nearest)
        cards = self.recommender.recommend(turn.user_id, req.text, req.constraints, by_rating=True, who=turn.who)
        if not cards:
            return self._nothing_matches(req, turn)
        lead = f"Here {'is 1 pick' if len(cards) == 1 else f'are {len(cards)} picks'}{self._understood(req)}."
        return _with_prose(cards, lead, req)

    def _more(self, req: Request, session: Session, turn: Turn) -> Answer:
        if session.need is None:
            return Answer([], "More of what? Tell me what you are looking for first.", req)
        c = req.constraints.model_copy(update={"exclude_ids": list(dict.fromkeys([*req.constraints.exclude_ids, *session.seen]))})
        cards = self.recommender.recommend(turn.user_id, req.text, c, by_rating=True, who=turn.who)
        if not cards:
            return Answer([], f"That's everything I have{self._understood(req)}; try widening the price or dropping a filter.", req)
        lead = f"Here {'is 1 more' if len(cards) == 1 else f'are {len(cards)} more'}{self._understood(req)}."
        return _with_prose(cards, lead, req)

    def _more_like(self, req: Request, session: Session, turn: Turn) -> Answer:
        shown = session.shown.ids
        picked = [shown[(len(shown) if r == -1 else r) - 1] for r in req.refs if 0 < abs(r) <= len(shown) or r == -1]
        if not picked:
            return Answer([], "Which one do you mean? Say “more like #2” after I show a few.", req)
        anchor = picked[0]
        same = [anchor, *session.variants.get(anchor, [])]
        # like it, not the same constraints: its category and price band, any maker, colour or feature
        c = req.constraints.model_copy(
            update={"exclude_ids": [*same, *req.constraints.exclude_ids], "colors": [], "brands": [], "attributes": {}, "ranges": {}}
        )
        cards = self.recommender.recommend(turn.user_id, "", c, like=[anchor], who=turn.who)
        liked = self.catalog.store.get_product(anchor)
        if not cards:
            return Answer([], f"I found nothing else like the {liked.title if liked else 'one you picked'}.", req)
        lead = f"More like the {liked.title if liked else 'one you picked'}:"
        return _with_prose(cards, lead, req)

    def _reorder(self, req: Request, turn: Turn) -> Answer:
        """Their own products that are due first (the repeat model), then picks for them."""
        if not turn.user_id:
            return Answer(
                [], "I can list what you usually buy once I know who you are (sign in first). Meanwhile, what are you looking for?", req
            )
        who = turn.who[:1].upper() + turn.who[1:]
        cards = self.recommender.recommend(turn.user_id, req.text, req.constraints, who=turn.who, rebuys_first=True)
        due = [c for c in cards if c.due]
        if not due:
            lead = f"Nothing {turn.who} bought before looks due yet; here are picks for {'you' if turn.who == 'you' else turn.who}."
        elif len(due) < len(cards):
            lead = f"{who} may be running low on {'this' if len(due) == 1 else f'these {len(due)}'}; more picks follow."
        else:
            lead = f"{who} may be running low on these."
        return _with_prose(cards, lead, req)

    # ---- honesty -------------------------------------------------------------------------------------
    def _named_in_catalog(self, req: Request) -> bool:
        """A brand or category name of the catalog in the request: it is about what we sell (a
        feature alone is not: "road" is a shoe's surface, "road bikes" still not ours)."""
        return bool(req.constraints.brands or "named category" in req.notes)

    def _not_carried(self, req: Request, turn: Turn, nearest: str | None) -> Answer:
        # the closest in the nearest category; in a catalog without categories, the closest at all
        c = req.constraints.model_copy(update={"categories": [nearest] if nearest else []})
        cards = self.recommender.recommend(turn.user_id, req.text, c, who=turn.who)
        for card in cards:
            card.alternative = True
        # the shopper's words are echoed only as a short, plain name (never a link, an address or an instruction)
        what = req.said if req.said and len(req.said.split()) <= ECHO_WORDS and quotable(req.said) else "that"
        if cards:
            where = f" in {leaf(nearest).lower()}" if nearest else ""
            return Answer(cards, f"Sorry, we don't carry {what}. The closest we have are{where}:", req, facts=None)
        sells = self._range_words()
        return Answer([], f"Sorry, we don't carry {what}." + (f" We sell {sells}." if sells else ""), req)

    def _range_words(self) -> str:
        """The catalog's most common kinds of thing, in words ("" when it has no categories)."""
        tops = Counter(leaf(p).lower() for p in self.catalog.vocabulary().categories if leaf(p))
        names = [n for n, _ in tops.most_common(6)]
        return ", ".join(names) + (" and more" if len(tops) > 6 else "")

    def off_topic(self, req: Request) -> bool:
        """Zero-shot, for a request the shop does not carry: closer to small talk (weather, jokes,
        news…) than to anything we sell."""
        said = asked(req.message) or req.text
        if not said.strip():
            return False
        v = self.embedder.encode_one(said)
        if self._off_topic_anchors is None:
            self._off_topic_anchors = self.embedder.encode(OFF_TOPIC_ANCHORS)
        off = float((self._off_topic_anchors @ v).max())
        best = self.vectors.nearest(dense=v, limit=1)
        shop = best[0].score if best else 0.0
        return off > OFF_TOPIC_MIN and off > shop + OFF_TOPIC_MARGIN

    def _nothing_matches(self, req: Request, turn: Turn) -> Answer:
        """Say which constraint empties the list and show the closest alternatives; a product that
        exists but is out of stock is named as such."""
        c = req.constraints
        gone = self.recommender.recommend(turn.user_id, req.text, c.model_copy(update={"in_stock": False}), who=turn.who)
        if gone:
            names = _names([card.product.title for card in gone[:2]])
            relaxed = c.model_copy(update={"brands": [], "exclude_ids": [*c.exclude_ids, *(card.product.id for card in gone)]})
            cards = self.recommender.recommend(turn.user_id, req.text, relaxed, by_rating=True, who=turn.who)
            for card in cards:
                card.alternative = True
            verb = "is" if len(gone) == 1 else "are"
            if cards:
                return _with_prose(cards, f"Sorry, the {names} {verb} out of stock right now. These are in stock and close:", req)
            return Answer([], f"Sorry, the {names} {verb} out of stock right now.", req)
        for label, relaxed in self._relaxations(c):
            cards = self.recommender.recommend(turn.user_id, req.text, relaxed, by_rating=True, who=turn.who)
            if cards:
                for card in cards:
                    card.alternative = True
                lead = f"Nothing matches {self._wanted(req)}. Without {label}, these are the closest:"
                return _with_prose(cards, lead, req)
        return Answer([], f"Nothing in the catalog matches {self._wanted(req)}. Try relaxing the price or a filter.", req)

    def _relaxations(self, c: Constraints) -> list[tuple[str, Constraints]]:
        out: list[tuple[str, Constraints]] = []
        if c.price_min is not None or c.price_max is not None:
            out.append(("the price limit", c.model_copy(update={"price_min": None, "price_max": None})))
        if c.colors:
            out.append((f"the colour ({', '.join(c.colors)})", c.model_copy(update={"colors": []})))
        vocab = self.catalog.vocabulary()
        for key in list(c.attributes) + list(c.ranges):
            label = vocab.facets[key].label if key in vocab.facets else key
            out.append(
                (
                    f"the {label} requirement",
                    c.model_copy(
                        update={
                            "attributes": {k: v for k, v in c.attributes.items() if k != key},
                            "ranges": {k: v for k, v in c.ranges.items() if k != key},
                        }
                    ),
                )
            )
        if c.brands:
            out.append((f"the brand ({', '.join(c.brands)})", c.model_copy(update={"brands": []})))
        if c.exclude_brands or c.exclude_colors:
            out.append(("the exclusions", c.model_copy(update={"exclude_brands": [], "exclude_colors": []})))
        if c.categories:
            out.append(("the category", c.model_copy(update={"categories": []})))
        return out

    # ---- wording -------------------------------------------------------------------------------------
    def _small_talk(self, act: str) -> str:
        example = self._example()
        return {
            "empty": f"Tell me what you are looking for, for example “{example}”.",
            "greeting": f"Hi! What are you shopping for today? Try “{example}”.",
            "thanks": "Happy to help! Anything else you're looking for?",
            "smalltalk": f"I'm the shop's assistant: I find products{f' ({sells})' if (sells := self._range_words()) else ''}, answer questions about them from their listings and reviews, and can add them to your cart. Try “{example}”.",
        }[act]

    def _example(self) -> str:
        cats = self.catalog.vocabulary().categories
        return f"{leaf(cats[0]).lower()} under {money(100, self.currency, short=True)}" if cats else "a gift"

    def _understood(self, req: Request) -> str:
        bits = describe(req.constraints, self.currency, self.catalog.vocabulary().facets)
        said = (req.text or "").lower()
        bits = [b for b in bits if not (b.startswith("in ") and b[3:].rstrip("s") in said)]  # not "keyboard … in keyboards"
        return f" {', '.join(bits)}" if bits else ""

    def _wanted(self, req: Request) -> str:
        return f"{req.text or 'your request'}{self._understood(req)}".strip()


def asked(message: str) -> str:
    """What a message asks for, in its own words: no price, no "I'd like" ("I want to buy a laptop"
    → "laptop")."""
    return tidy(FILLER.sub(" ", parse_prices(message)[2]))


def _with_prose(cards: list[Card], lead: str, req: Request) -> Answer:
    return Answer(cards, lead, req, facts=Facts.of(cards[0]))


def _names(titles: list[str]) -> str:
    return " and the ".join(titles)


def describe(c: Constraints, currency: str = "USD", facets: dict | None = None) -> list[str]:
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
    for key, values in c.attributes.items():
        label = facets[key].label if facets and key in facets else key.replace("_", " ")
        parts.append(label if values == ["true"] else f"not {label}" if values == ["false"] else f"{label}: {values[0]}")
    for key, (lo, hi) in c.ranges.items():
        label = facets[key].label if facets and key in facets else key.replace("_", " ")
        parts.append(
            f"{label} {'≥ ' + f'{lo:g}' if lo is not None and hi is None else '≤ ' + f'{hi:g}' if hi is not None and lo is None else f'{lo:g}–{hi:g}'}"
        )
    return parts
