"""One recommendation, as a readable pipeline: recall → rank → serve rules → cards with reasons.

Works for a known shopper, a new one, or none; with a message (search), with products to be
like ("more like #2"), or with neither (what will they buy next).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from assistant.facts import HABIT_PURCHASES, build_reasons
from assistant.store import Store
from assistant.vocabulary import model_key
from ranking import diversity, explore
from ranking.behaviour import event_weight
from ranking.rank import Ranker, serve
from records import Constraints, Event, Product, Reason, utcnow
from retrieval.embedder import Embedder
from retrieval.recall import Recall, RecallRequest
from retrieval.vectorstore import VectorStore

log = logging.getLogger(__name__)
# A shopper's events read per request: enough for a weekly grocery shopper's rhythm (the repeat
# model counts and spaces their purchases), few enough to read in milliseconds.
HISTORY_EVENTS = 1000
# In chat lists, a product's reviews move it: its Bayesian-average rating (PRIOR_REVIEWS reviews
# at the list's mean added to its own) moves it RATING_SHIFT places per star from that mean.
# Places, not scores: recall's fused scores and the ranker's differ in scale, a rank does not.
RATING_SHIFT = 2.0
PRIOR_REVIEWS = 3
LIST_DEPTH = 10  # lists are ranked this deep (more when asked), so one serves every page's length
WARM_S = 10.0  # at start, lists are ranked for the shoppers seen most lately for at most this long
WARM_SHOPPERS = 500


@dataclass
class Card:
    product: Product
    position: int
    score: float
    reasons: list[Reason]
    channels: dict[str, int] = field(default_factory=dict)
    alternative: bool = False  # shown because nothing matched every constraint
    due: bool = False  # the shopper re-buys it and is likely to now (the repeat model): "running low"
    variants: list[dict[str, Any]] = field(default_factory=list)  # the model's other colours and sizes
    owned: dict[str, str] | None = None  # the shopper already bought (or carted) it: {kind, ts}

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "product": self.product.model_dump(),
            "score": round(self.score, 4),
            "reasons": [r.model_dump() for r in self.reasons],
            "channels": self.channels,
            "alternative": self.alternative,
            "variants": self.variants,
            "owned": self.owned,
        }


def owned(product_id: str, history: list[Event]) -> dict[str, str] | None:
    """The shopper's latest purchase (else cart) of this product, if any."""
    for kind in ("purchase", "cart"):
        last = next((e for e in reversed(history) if e.product_id == product_id and e.kind == kind), None)
        if last is not None:
            return {"kind": kind, "ts": last.ts.date().isoformat()}
    return None


@dataclass
class Listing:
    """One ranked list, before its exploration slot: what the store's list cache keeps, so a
    shopper's page asking again gets it without recall and ranking (cards built once each)."""

    ranked: list[Any]  # best first, the first `k` shown and the next ones the exploration pool
    vectors: dict[str, np.ndarray]
    bought: set[str]
    what_next: bool  # no message: the list is what the shopper will buy next
    build: Callable[[Any], Card]
    built: dict[str, Card] = field(default_factory=dict)

    @classmethod
    def empty(cls, bought: set[str], what_next: bool) -> Listing:
        def nothing(item: Any) -> Card:
            raise LookupError("an empty list has no cards")

        return cls([], {}, bought, what_next, nothing)

    def card(self, item: Any, position: int, explored: bool = False) -> Card:
        if explored:  # said plainly: this one is a try, not the ranking's best guess
            card = self.build(item)
            card.reasons.insert(
                0, Reason(kind="explore", text="Something new we think you may like", evidence=[f"product:{item.product_id}"])
            )
        else:
            card = self.built.get(item.product_id) or self.built.setdefault(item.product_id, self.build(item))
        return replace(card, position=position)


class Recommender:
    """Recall (Qdrant) → rank (the two-tower and repeat models, when trained) → rules → reasons."""

    def __init__(
        self,
        store: Store,
        vectors: VectorStore,
        embedder: Embedder,
        recall: Recall,
        praise: Callable[[np.ndarray], np.ndarray],
        cards: int = 4,
        recall_limit: int = 100,
        diversity: float = 1.0,
        explore_rate: float = 0.0,
    ):
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.recall = recall
        self.praise = praise  # review sentences' polarity, for review reasons
        self.cards = cards
        self.recall_limit = recall_limit
        self.diversity = diversity  # MMR weight (ranking/diversity.py)
        self.explore_rate = explore_rate  # share of those lists whose last place explores (ranking/explore.py)
        self._ranker: Ranker | None = None  # set by the shop once a model is trained

    @property
    def ranker(self) -> Ranker | None:
        return self._ranker

    @ranker.setter
    def ranker(self, ranker: Ranker | None) -> None:
        """Another model ranks: no list the old one ranked is served again."""
        self._ranker = ranker
        self.store.cache.forget_lists()

    def history(self, user_id: str | None) -> list[Event]:
        return self.store.history(user_id, limit=HISTORY_EVENTS) if user_id else []

    def recommend(
        self,
        user_id: str | None,
        text: str = "",
        constraints: Constraints | None = None,
        k: int | None = None,
        like: list[str] | None = None,
        max_per_category: int | None = None,
        by_rating: bool = False,
        who: str = "you",
        rebuys_first: bool = False,
    ) -> list[Card]:
        """Cards best first, one per model (its other colours and sizes listed on the card);
        `by_rating`: reviews weigh in the order (chat lists); `rebuys_first`: the shopper asked
        what they need again, so the repeat model's due products lead whatever policy serves."""
        k = k or self.cards
        listing = self.listing(user_id, text, constraints, k, like, max_per_category, by_rating, who, rebuys_first)
        explorer = user_id if listing.what_next and not rebuys_first else None
        top, explored = self._with_exploration(listing.ranked, k, listing.vectors, listing.bought, explorer)
        return [listing.card(item, pos, item.product_id in explored) for pos, item in enumerate(top, start=1)]

    def listing(
        self,
        user_id: str | None,
        text: str = "",
        constraints: Constraints | None = None,
        k: int | None = None,
        like: list[str] | None = None,
        max_per_category: int | None = None,
        by_rating: bool = False,
        who: str = "you",
        rebuys_first: bool = False,
    ) -> Listing:
        """The ranked list behind `recommend`, from the store's list cache. A page's list (no
        message) serves every length up to LIST_DEPTH (a page's 4 cards, an API call's 5 or 8):
        its first `k` are the same whatever the length asked, as every step after scoring fills
        places in order. A chat list is ranked for its own length: reviews reorder the first
        3k + 10 of it, so its head depends on k."""
        page = not text.strip() and not like
        depth = max(k or self.cards, LIST_DEPTH) if page else k or self.cards
        c = constraints or Constraints()
        like = like or []
        shape = (text, c.model_dump_json(), depth, tuple(like), max_per_category, by_rating, who, rebuys_first, self.diversity)
        return self.store.cache.listing(
            user_id,
            shape,
            lambda: self._listing(user_id, text, c, depth, like, max_per_category, by_rating, who, rebuys_first, shown=k or self.cards),
            lambda: self._inputs(user_id),
            page=page,  # asked again after the shopper's next event
        )

    def _inputs(self, user_id: str | None) -> tuple[Any, ...]:
        """What a list read that another process may change: the shopper's events, the catalog."""
        return tuple(e.id for e in self.history(user_id)), self.store.catalog_version()

    def warm(self, budget_s: float = WARM_S, shoppers: int = WARM_SHOPPERS) -> int:
        """Ranks the lists of the shoppers seen most lately, for a while at start: after a restart
        their first page finds its list ready instead of ranking it while others wait. Nothing is
        shown, so nothing is logged. Returns how many were ranked."""
        until = time.monotonic() + budget_s
        done = 0
        for user_id in self.store.recent_shoppers(shoppers):
            if time.monotonic() > until:
                break
            self.listing(user_id)
            done += 1
        return done

    def _listing(
        self,
        user_id: str | None,
        text: str,
        c: Constraints,
        k: int,
        like: list[str],
        max_per_category: int | None,
        by_rating: bool,
        who: str,
        rebuys_first: bool,
        shown: int | None = None,
    ) -> Listing:
        """Recall, rank, the serving rules and variety: everything of a list but its exploration
        slot, which is drawn (and logged) for every request."""
        history = self.history(user_id)
        bought = [e.product_id for e in history if e.kind == "purchase"]
        again = self.again(user_id, history)
        texts = self.recall.query_texts(text) if text.strip() else None  # spelling fixed once per request
        query_vec = self.embedder.encode_one(texts[0]) if texts else None
        candidates = self.recall.recall(self._recall_request(text, c, history, bought, again, like, query_vec, texts))
        what_next = not text.strip() and not like  # no message: rank by what they will buy next
        if not candidates:
            return Listing.empty(set(bought), what_next)
        ids = [cand.product_id for cand in candidates]
        products = self.store.get_products(ids + [e.product_id for e in history])
        vectors = self.vectors.vectors(list({*ids, *(e.product_id for e in history)}))
        if like and query_vec is None:
            liked = [vectors[i] for i in like if i in vectors] or list(self.vectors.vectors(like).values())
            query_vec = np.mean(liked, axis=0) if liked else None
        ranker = self.ranker
        scored: list[Any] = candidates
        # no message: the policy `shopassist train` chose on this store's data orders the list;
        # the blend (two-tower taste, then the rules with the repeat model) is one such policy
        found = [products[i] for i in ids if i in products]
        chosen = ranker is not None and what_next and not rebuys_first
        single = ranker.by_policy(history, products, found, vectors) if chosen else None
        if single is not None:
            scored, again = single, {}  # a single method's order stands as the choice measured it
        elif ranker is not None:
            scored = ranker.rank(history, products, found, vectors, query_vec, popularity=what_next)
        due_at = ranker.repeat.due_at if ranker is not None and ranker.repeat is not None else None
        ranked = serve(
            scored,
            products,
            set(bought),
            again,
            due_at,
            what_next,
            top=k,
            max_per_category=max_per_category,
            in_stock=c.in_stock,
            demote=single is None,
        )
        if by_rating and not what_next:
            ranked = self._by_rating(ranked[: 3 * k + 10], products)
        ranked = self._one_per_model(ranked, products)
        if self.diversity < 1.0 and not rebuys_first:  # variety over the head of the list (due re-buys keep their order)
            unit = self._rows([r.product_id for r in ranked[: diversity.POOL]], vectors)
            ranked = [ranked[i] for i in diversity.mmr(unit, self.diversity, k)] + ranked[diversity.POOL :]
        by_id = {cand.product_id: cand for cand in candidates}

        def card(item: Any) -> Card:
            p = products[item.product_id]
            # "running low" is a claim about a habit: it needs the purchases the again reason cites;
            # a grinder bought once may still lead the list, but is not called due
            due = due_at is not None and p.id in bought and again.get(p.id, 0.0) >= due_at and bought.count(p.id) >= HABIT_PURCHASES
            reasons = self.reasons(p, text, c, history, products, vectors, query_vec, who)
            channels = by_id[p.id].channels if p.id in by_id else {}
            return Card(p, 0, float(item.score), reasons, channels, due=due, variants=self.variants(p), owned=owned(p.id, history))

        listing = Listing(ranked[: k + diversity.POOL], vectors, set(bought), what_next, card)
        listing.built = {item.product_id: card(item) for item in ranked[: shown or k]}  # the cards the asking request shows
        return listing

    def _with_exploration(
        self, ranked: list[Any], k: int, vectors: dict[str, np.ndarray], bought: set[str], user_id: str | None
    ) -> tuple[list[Any], set[str]]:
        """The first `k`, the last place given to an exploration pick in `explore_rate` of the
        lists without a message (`user_id` set), with every shown item's propensity logged."""
        top = ranked[:k]
        if user_id is None:
            return top, set()
        pool = [r for r in ranked[k : k + diversity.POOL] if r.product_id not in bought]
        propensity = {r.product_id: 1.0 for r in top}
        explored: set[str] = set()
        rng = np.random.default_rng()
        if pool and len(top) == k and k >= 2 and self.explore_rate > 0:
            if rng.random() < self.explore_rate:
                pick, chance = self._explore_pick(pool, vectors, rng)
                top = [*top[:-1], pick]
                explored.add(pick.product_id)
                propensity[pick.product_id] = self.explore_rate * chance
            else:
                propensity[top[-1].product_id] = 1.0 - self.explore_rate
        try:
            shown = [(r.product_id, propensity[r.product_id], r.product_id in explored) for r in top]
            self.store.log_impressions(uuid.uuid4().hex, user_id, shown)
        except Exception as exc:  # a log that cannot be written never costs the shopper the list
            log.warning("impressions not logged: %s", exc)
        return top, explored

    def _explore_pick(self, pool: list[Any], vectors: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[Any, float]:
        ids = [r.product_id for r in pool]
        record = self.store.explore_record(ids)
        pick = explore.choose(
            self._rows(ids, vectors),
            np.array([record.get(i, (0, 0))[0] for i in ids]),
            np.array([record.get(i, (0, 0))[1] for i in ids]),
            rng,
        )
        return pool[pick.index], pick.propensity

    def _rows(self, ids: list[str], vectors: dict[str, np.ndarray]) -> np.ndarray:
        """The products' text vectors as rows (zeros for one the index does not hold)."""
        zero = np.zeros(self.embedder.dim, np.float32)
        return np.array([vectors.get(i, zero) for i in ids], dtype=np.float32).reshape(len(ids), self.embedder.dim)

    def _by_rating(self, ranked: list[Any], products: dict[str, Product]) -> list[Any]:
        rated = [products[r.product_id] for r in ranked if products[r.product_id].rating is not None]
        if len(ranked) < 2 or not rated:
            return ranked
        mean = float(np.mean([p.rating for p in rated]))

        def stars(p: Product) -> float:
            n = p.review_count or 0
            return ((p.rating or mean) * n + mean * PRIOR_REVIEWS) / (n + PRIOR_REVIEWS)

        place = {r.product_id: i - RATING_SHIFT * (stars(products[r.product_id]) - mean) for i, r in enumerate(ranked)}
        return sorted(ranked, key=lambda r: place[r.product_id])

    def _one_per_model(self, ranked: list[Any], products: dict[str, Product]) -> list[Any]:
        seen: set[str] = set()
        out = []
        for item in ranked:
            key = model_key(products[item.product_id])
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out

    def variants(self, p: Product) -> list[dict[str, Any]]:
        """The model's other colours and sizes in the catalog: id, what tells it apart, price, stock."""
        out = []
        for other in self.store.variants(p):
            label = other.color or ", ".join(str(v) for k, v in other.attributes.items() if "size" in k.lower()) or other.title
            out.append({"id": other.id, "label": label, "price": other.price, "in_stock": other.in_stock})
        return out

    def record(self, event: Event) -> bool:
        """Stores one behaviour event; the next recommendation for that shopper reflects it at once
        (the user vector is computed from the history on every request)."""
        added = self.store.add_events([event])
        if added and event.kind in ("purchase", "cart", "view"):
            _, _, pop = self.store.product_stats([event.product_id]).get(event.product_id, (None, 0, 0.0))
            try:
                self.vectors.set_payload(event.product_id, {"popularity": float(pop)})
            except Exception as exc:  # not indexed yet: popularity catches up at the next index
                log.info("popularity not updated for %s: %s", event.product_id, exc)
        return bool(added)

    def _recall_request(
        self, text: str, c: Constraints, history: list[Event], bought: list[str], again: dict[str, float], like: list[str], query_vec, texts
    ) -> RecallRequest:
        now = max((e.ts for e in history), default=None)
        taste = [(e.product_id, event_weight(e, now)) for e in history] if now is not None else []
        likeliest = sorted(again, key=lambda pid: -again[pid])[:50]
        co_purchased = [p for p, _ in self.store.co_purchased(bought[-20:])]
        return RecallRequest(
            text=text,
            constraints=c,
            history=taste,
            co_purchased=co_purchased,
            like=like,
            again=likeliest,
            query_vec=query_vec,
            texts=texts,
            limit=self.recall_limit,
        )

    def again(self, user_id: str | None, history: list[Event]) -> dict[str, float]:
        """Past product → chance the shopper buys it again now; empty when the store taught no
        repeat model (nobody re-buys anything) or the shopper has no history."""
        if self.ranker is None or self.ranker.repeat is None or not history:
            return {}
        return self.ranker.repeat.chances(user_id, history, utcnow())

    def reasons(
        self,
        p: Product,
        text: str,
        c: Constraints,
        history: list[Event],
        products: dict[str, Product],
        vectors: dict[str, np.ndarray],
        query_vec: np.ndarray | None,
        who: str = "you",
    ) -> list[Reason]:
        reviews = self.store.reviews_for(p.id, limit=50)
        return build_reasons(p, text, c, history, products, vectors, reviews, query_vec, self.embedder.encode_cached, self.praise, who)
