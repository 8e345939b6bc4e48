"""The shop: everything a chat turn, a recommendation or an event needs, opened once per process.

One turn: understand → recall (Qdrant, constraints as filters) → rank (two-tower + rules) →
cards with cited reasons → LLM prose, verified sentence by sentence, streamed after the cards.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.facts import HABIT_PURCHASES, build_reasons, facts_text, money, template_sentence
from assistant.llm import get_llm
from assistant.prompts import render
from assistant.reviews import Polarity, Summary, fit_polarity, generic, sentiment_lean, summarize
from assistant.reword import abstract_summary, reword_summary
from assistant.settings import Settings
from assistant.store import Store
from assistant.understand import Request, Vocabulary, understand
from assistant.understand_llm import understand_with_llm
from assistant.verifier import ECHO, Verifier
from ranking.features import SchemaMismatch
from ranking.rank import Ranker
from ranking.rules import Rules, apply
from records import Constraints, Event, Product, Reason, utcnow
from retrieval.embedder import Embedder, get_embedder
from retrieval.indexer import SyncReport, sync
from retrieval.recall import Recall, RecallRequest
from retrieval.spelling import Speller
from retrieval.vectorstore import VectorStore, open_vector_store

log = logging.getLogger(__name__)
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
# A message is off-topic when it is this close to one of these, and clearly closer than to any product.
OFF_TOPIC_ANCHORS = [
    "what is the weather forecast", "sports scores and football results", "tell me a joke", "write a poem or a story",
    "latest news and politics", "restaurants and food near me", "help me with math homework", "write some code for me",
    "how are you doing today", "who are you, what is your name", "what time is it",
]
OFF_TOPIC_MIN, OFF_TOPIC_MARGIN = 0.45, 0.1
# A shopper's events read per request: enough for a weekly grocery shopper's rhythm (the repeat
# model counts and spaces their purchases), few enough to read in milliseconds.
HISTORY_EVENTS = 1000


@dataclass
class Card:
    product: Product
    position: int
    score: float
    reasons: list[Reason]
    channels: dict[str, int] = field(default_factory=dict)
    alternative: bool = False  # shown because nothing matched every constraint
    due: bool = False  # the shopper re-buys it and is likely to now (the repeat model): "running low"

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "product": self.product.model_dump(),
            "score": round(self.score, 4),
            "reasons": [r.model_dump() for r in self.reasons],
            "channels": self.channels,
            "alternative": self.alternative,
        }


@dataclass
class Answer:
    cards: list[Card]
    message: str  # the deterministic lead: what was understood, or why nothing matched
    request: Request
    facts: list[str] = field(default_factory=list)  # sentences the LLM may reword
    fallback: str = ""  # the facts' own wording, shown when the LLM's words cannot be
    off_topic: bool = False


class Shop:
    def __init__(self, settings: Settings, store: Store, vectors: VectorStore, embedder: Embedder):
        self.settings = settings
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.recall = Recall(vectors, embedder, self.speller)
        self.ranker: Ranker | None = None
        self.stats: Counter[str] = Counter()
        self._vocab: Vocabulary | None = None
        self._verifier: Verifier | None = None
        self._polarity: Polarity | None = None
        self._off_topic_anchors: np.ndarray | None = None
        self._speller: Speller | None = None
        self._session_locks: dict[str, threading.Lock] = {}
        self.load_ranker()

    @classmethod
    def open(cls, settings: Settings) -> Shop:
        store = Store(settings.db_url)
        vectors = open_vector_store(path=str(settings.qdrant_path), url=settings.qdrant_url, collection=settings.qdrant_collection, api_key=settings.qdrant_api_key)
        return cls(settings, store, vectors, get_embedder(settings.embedding_model, settings.embedding_batch_size))

    def close(self) -> None:
        self.vectors.close()

    # ---- building blocks ---------------------------------------------------------------
    def load_ranker(self) -> None:
        path = self.settings.ranker_path
        self.ranker = None
        if path.exists():
            try:
                self.ranker = Ranker.load(path, self.embedder.dim, self.embedder.name)
            except SchemaMismatch as exc:
                log.warning("ranker not used: %s", exc)

    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            colors = sorted({str(p.attributes.get("color")).lower() for p in self.store.iter_products() if p.attributes.get("color")})
            self._vocab = Vocabulary(brands=self.store.brands(), colors=colors, categories=self.store.categories())
        return self._vocab

    def verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = Verifier(self.store.brands())
        return self._verifier

    def speller(self) -> Speller:
        """Spelling correction against the catalog's words; built on first use, after each index."""
        if self._speller is None:
            self._speller = Speller(p.embedding_text() for p in self.store.iter_products())
        return self._speller

    def warm_up(self) -> None:
        """Builds what the first request would otherwise wait for (vocabulary, speller, review
        polarity model, anchor embeddings, the LLM): measured, a cold first recommend took 2.5 s."""
        self.vocabulary()
        self.speller()
        self._praise(self.embedder.encode_cached(["warm up"]))
        self._off_topic(Request("warm up", Constraints(), "search", said="warm up"))
        get_llm(self.settings)

    def catalog_changed(self) -> None:
        self._vocab = self._verifier = self._polarity = self._speller = None

    def index(self, rebuild: bool = False, progress: bool = True) -> SyncReport:
        if rebuild:  # a fresh collection: the new model may have another dimension
            self.vectors.drop()
        stats = self.store.product_stats()

        def load(ids: list[str]) -> list[Product]:
            found = self.store.get_products(ids)
            return [found[i] for i in ids if i in found]

        report = sync(self.vectors, self.embedder, self.store.product_hashes(), load, progress=progress)
        self.refresh_popularity(stats)
        self.catalog_changed()
        return report

    def refresh_popularity(self, stats: dict[str, tuple] | None = None) -> None:
        stats = stats if stats is not None else self.store.product_stats()
        for pid, (_, _, pop) in stats.items():
            if pop:
                try:
                    self.vectors.set_payload(pid, {"popularity": float(pop)})
                except Exception:  # the product may not be indexed yet
                    continue

    # ---- recommendations ----------------------------------------------------------------
    def recommend(
        self,
        user_id: str | None,
        text: str = "",
        constraints: Constraints | None = None,
        k: int | None = None,
        like: list[str] | None = None,
        max_per_category: int | None = None,
    ) -> list[Card]:
        """Recall → rank → rules → cards with reasons. Works for a known user, a new one, or none."""
        k = k or self.settings.cards
        c = constraints or Constraints()
        history = self.store.history(user_id, limit=HISTORY_EVENTS) if user_id else []
        bought = [e.product_id for e in history if e.kind == "purchase"]
        again = self.again(user_id, history)
        texts = self.recall.query_texts(text) if text.strip() else None  # spelling fixed once per request
        query_vec = self.embedder.encode_one(texts[0]) if texts else None
        likeliest = sorted(again, key=lambda pid: -again[pid])[:50]
        req = RecallRequest(text=text, constraints=c, history=history, co_purchased=[p for p, _ in self.store.co_purchased(bought[-20:])], like=like or [], again=likeliest, query_vec=query_vec, texts=texts, limit=self.settings.recall_limit)
        candidates = self.recall.recall(req)
        if not candidates:
            return []
        ids = [cand.product_id for cand in candidates]
        products = self.store.get_products(ids + [e.product_id for e in history])
        vectors = self.vectors.vectors(list({*ids, *(e.product_id for e in history)}))
        if like and query_vec is None:
            liked = [vectors[i] for i in like if i in vectors] or list(self.vectors.vectors(like).values())
            query_vec = np.mean(liked, axis=0) if liked else None
        by_id = {cand.product_id: cand for cand in candidates}
        what_next = not text.strip() and not like  # no message: rank by what they will buy next
        if self.ranker is not None:
            scored = self.ranker.rank(history, products, [products[i] for i in ids if i in products], vectors, query_vec, popularity=what_next)
        else:  # no model trained yet: recall's fused order
            scored = candidates
        rules = Rules(demote_ids=set(bought), max_per_category=max_per_category, top=k)
        if self.ranker is not None and self.ranker.repeat is not None:
            # bought items the shopper re-buys are not demoted while due; with no message, due ones lead
            mine = {pid: p for pid, p in again.items() if pid in rules.demote_ids}
            rules = replace(rules, again=mine, due_first=what_next, due_at=self.ranker.repeat.due_at)
        ranked = apply(scored, products, rules)[:k]
        cards = []
        for pos, item in enumerate(ranked, start=1):
            p = products[item.product_id]
            reasons = self._reasons(p, text, c, history, products, vectors, query_vec)
            # "running low" is a claim about a habit: it needs the purchases the again reason cites;
            # a grinder bought once may still lead the list, but is not called due
            due = rules.again.get(p.id, 0.0) >= rules.due_at and bought.count(p.id) >= HABIT_PURCHASES
            cards.append(Card(p, pos, float(item.score), reasons, by_id[p.id].channels if p.id in by_id else {}, due=due))
        return cards

    def again(self, user_id: str | None, history: list[Event]) -> dict[str, float]:
        """Past product → chance the shopper buys it again now; empty when the store taught no
        repeat model (nobody re-buys anything) or the shopper has no history."""
        if self.ranker is None or self.ranker.repeat is None or not history:
            return {}
        return self.ranker.repeat.chances(user_id, history, utcnow())

    def _reasons(self, p: Product, text: str, c: Constraints, history: list[Event], products: dict[str, Product], vectors: dict[str, np.ndarray], query_vec: np.ndarray | None) -> list[Reason]:
        reviews = self.store.reviews_for(p.id, limit=50)
        return build_reasons(p, text, c, history, products, vectors, reviews, query_vec, self.embedder.encode_cached, self._praise)

    def record_event(self, event: Event) -> bool:
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

    # ---- the conversation ---------------------------------------------------------------
    def _lock(self, session_id: str) -> threading.Lock:
        return self._session_locks.setdefault(session_id, threading.Lock())

    def chat(self, message: str, session_id: str | None = None, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """One turn as events: `cards` (immediately), `token`… (verified prose), `done`."""
        session_id = session_id or uuid.uuid4().hex
        started = time.perf_counter()
        with self._lock(session_id):
            state = self.store.load_session(session_id) or {"user_id": user_id, "turns": [], "shown": [], "request": None}
            user_id = user_id or state.get("user_id")
            answer = self.answer(message, state, user_id)
            state["user_id"] = user_id
            lists = answer.request.intent in ("search", "refine", "more", "more_like", "reorder") and not answer.off_topic
            if lists:
                state["request"] = _request_dict(answer.request)
            if answer.cards and lists:
                state["shown"] = [c.product.id for c in answer.cards]
                state["shown_prices"] = [c.product.price for c in answer.cards if c.product.price is not None]
                state["shown_brands"] = [c.product.brand for c in answer.cards]
            state["turns"] = (state.get("turns", []) + [{"role": "user", "text": message}, {"role": "assistant", "text": answer.message}])[-20:]
            self.store.save_session(session_id, user_id, state)
        yield {"event": "cards", "data": {"session_id": session_id, "message": answer.message, "intent": answer.request.intent, "constraints": answer.request.constraints.model_dump(), "items": [c.to_dict() for c in answer.cards]}}
        prose, info = "", {"llm": None, "verified": 0, "rejected": 0, "fallback": False}
        for kind, text in self.prose(answer, message, info):
            prose += text
            yield {"event": "token", "data": {"text": text}}
        yield {"event": "done", "data": {"session_id": session_id, "text": prose, "elapsed_ms": round((time.perf_counter() - started) * 1000), **info}}

    def answer(self, message: str, state: dict[str, Any], user_id: str | None) -> Answer:
        previous = _request_from(state.get("request"))
        shown = state.get("shown", [])
        req = understand(message, self.vocabulary(), previous, state.get("shown_prices"), state.get("shown_brands"))
        if self.settings.understanding_by_llm and req.intent == "search":
            req, grounded = understand_with_llm(req, message, self.vocabulary(), get_llm(self.settings))
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
        if req.intent in ("search", "refine") and not like and self._off_topic(req):
            cats = ", ".join(sorted({p.split('>')[-1].strip().lower() for p in self.vocabulary().categories})[:6])
            return Answer([], f"I can only help with shopping here ({cats} and more). What are you looking for?", req, off_topic=True)
        cards = self.recommend(user_id, req.text, c, like=like)
        if not cards:
            return self._nothing_matches(req, user_id)
        said = _understood(req)
        lead = f"Here {'is 1 pick' if len(cards) == 1 else f'are {len(cards)} picks'}{said}." if req.intent != "more_like" else f"More like the {self.store.get_product(like[0]).title if like else 'one you picked'}{said}:"
        return self._with_prose(cards, lead, req)

    def _reorder(self, req: Request, user_id: str | None) -> Answer:
        """Their own products that are due first (the repeat model), then picks for them."""
        if not user_id:
            return Answer([], "I can list what you usually buy once I know who you are (sign in first). Meanwhile, what are you looking for?", req)
        cards = self.recommend(user_id, req.text, req.constraints)
        due = [c for c in cards if c.due]
        if not due:
            lead = "Nothing you bought before looks due yet; here are picks for you."
        else:
            lead = f"You may be running low on {'this' if len(due) == 1 else f'these {len(due)}'}; more picks follow." if len(due) < len(cards) else "You may be running low on these."
        return self._with_prose(cards, lead, req)

    def _example(self) -> str:
        cats = self.vocabulary().categories
        return f"{cats[0].split('>')[-1].strip().lower()} under $100" if cats else "a gift under $50"

    def _off_topic(self, req: Request) -> bool:
        """Zero-shot: closer to small talk (weather, jokes, news…) than to anything we sell."""
        if req.intent == "search" and (req.constraints.price_max or req.constraints.price_min or req.constraints.brands or req.constraints.categories or req.constraints.colors):
            return False
        said = req.said if req.intent == "refine" else req.text
        if not said.strip():
            return req.intent != "refine"  # "cheaper", "in white": a pure refinement
        v = self.embedder.encode_one(said)
        if self._off_topic_anchors is None:
            self._off_topic_anchors = self.embedder.encode(OFF_TOPIC_ANCHORS)
        off = float((self._off_topic_anchors @ v).max())
        best = self.vectors.search(dense=v, limit=1)
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
        wanted = " ".join(d for d in c.describe() if not (d.startswith("in ") and d[3:].rstrip("s") in said)) or "that"  # not "keyboard … in keyboards"
        for label, relaxed in relaxations:
            cards = self.recommend(user_id, req.text, relaxed)
            if cards:
                for card in cards:
                    card.alternative = True
                lead = f"Nothing matches {req.text or 'your request'} {wanted}. Without {label}, these are the closest alternatives."
                return self._with_prose(cards, lead.replace("  ", " "), req)
        return Answer([], f"Nothing in the catalog matches {req.text or 'that'} {wanted}. Try relaxing the price or colour.", req)

    def _about_shown(self, req: Request, shown: list[str], user_id: str | None) -> Answer:
        positions = [len(shown) if r == -1 else r for r in req.refs]  # -1: "the last one"
        picked = [shown[r - 1] for r in positions if 0 < r <= len(shown)]
        if not picked:
            return Answer([], "Which product do you mean? Ask for suggestions first, then say “why #1” or “compare the first two”.", req)
        history = self.store.history(user_id, limit=HISTORY_EVENTS) if user_id else []
        products = self.store.get_products(picked + [e.product_id for e in history])
        vectors = self.vectors.vectors(list({*picked, *(e.product_id for e in history)}))
        query_vec = self.embedder.encode_one(req.text) if req.text else None
        cards = []
        for pos, pid in enumerate(picked, start=1):
            p = products[pid]
            cards.append(Card(p, pos, 0.0, self._reasons(p, req.text, req.constraints, history, products, vectors, query_vec)))
        if req.intent == "why":
            card = cards[0]
            lead = f"Why the {card.product.title}: " + "; ".join(r.text.rstrip(".") for r in card.reasons[:4]) + "."
            return Answer(cards, lead, req, fallback="")
        lead = "Side by side: " + " vs ".join(_compare_line(c) for c in cards) + "."
        return Answer(cards, lead, req, fallback="")

    def _with_prose(self, cards: list[Card], lead: str, req: Request) -> Answer:
        top = cards[:2]
        fallback = " ".join(template_sentence(c.product, c.reasons) for c in top[:1])
        return Answer(cards, lead, req, facts=[facts_text(c.product, c.reasons) for c in top], fallback=fallback)

    def prose(self, answer: Answer, message: str, info: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """The LLM's explanation, one verified sentence at a time; the facts' wording otherwise."""
        if not answer.cards or not answer.fallback:
            return
        llm = get_llm(self.settings)
        facts = answer.facts[0] + " " + message  # the prose is about the first card only
        shown = 0
        if llm is not None:
            info["llm"] = llm.name
            top = {"title": answer.cards[0].product.title, "reasons": answer.cards[0].reasons}
            msgs = [
                SystemMessage(render("explain", "system")),
                HumanMessage(render("explain", "example_user")),
                AIMessage(render("explain", "example_answer")),
                HumanMessage(render("explain", "user", request=message, product=top)),
            ]
            started = time.monotonic()
            deadline = started + self.settings.llm_timeout_s
            # a shopper waits for words, not for a small model to find a true sentence: when
            # nothing verified came by this budget, the facts' own wording is shown instead
            first_by = started + self.settings.llm_first_prose_s
            buffer = ""
            try:
                lock = llm.lock or threading.Lock()
                with lock:
                    for chunk in llm.model.stream(msgs):
                        buffer += str(chunk.content)
                        *done, buffer = _complete_sentences(buffer)
                        for sentence in done:
                            if self._accept(sentence, facts, info):
                                shown += 1
                                yield ("token", ("" if shown == 1 else " ") + sentence)
                        if ECHO.search(buffer):  # the model started replaying the prompt: nothing useful follows
                            buffer = ""
                            break
                        if time.monotonic() > deadline:
                            info["timeout"] = True
                            self.stats["llm_timeout"] += 1
                            break
                        if shown == 0 and time.monotonic() > first_by:
                            info["slow_start"] = True
                            self.stats["llm_slow_start"] += 1
                            break
                    else:
                        if buffer.strip() and self._accept(buffer.strip(), facts, info):
                            shown += 1
                            yield ("token", ("" if shown == 1 else " ") + buffer.strip())
            except Exception as exc:  # LLM down or broken: the facts speak for themselves
                log.warning("LLM failed, using the facts' wording: %s", exc)
                self.stats["llm_error"] += 1
                info["error"] = str(exc)[:200]
        if shown == 0:
            info["fallback"] = True
            self.stats["fallback"] += 1
            yield ("token", answer.fallback)

    def _accept(self, sentence: str, facts: str, info: dict[str, Any]) -> bool:
        verdict = self.verifier().check(sentence, facts)
        if verdict.ok and len(sentence.split()) >= 3:
            info["verified"] += 1
            return True
        info["rejected"] += 1
        self.stats["rejected_sentences"] += 1
        log.info("verifier rejected %r: %s", sentence, "; ".join(verdict.problems))
        return False

    # ---- reviews ---------------------------------------------------------------------------
    def _praise(self, vecs: np.ndarray) -> np.ndarray:
        """Polarity of review sentences for card reasons; generic ones ("love it") count as neutral."""
        scores = self.polarity().score(vecs, sentiment_lean(vecs, self.embedder.encode))
        return np.where(generic(vecs, self.embedder.encode), 0.0, scores)

    def polarity(self) -> Polarity:
        if self._polarity is None:
            sample = []
            for pid in list(self.store.review_counts())[:400]:
                sample += self.store.reviews_for(pid, limit=20)
            self._polarity = fit_polarity(sample, self.embedder.encode)
        return self._polarity

    def review_summary(self, product_id: str, refresh: bool = False) -> dict[str, Any]:
        """Cached; recomputed when reviews were added since it was written."""
        count = self.store.review_counts([product_id]).get(product_id, 0)
        cached = self.store.get_summary(product_id)
        if cached and cached[1] == count and not refresh:
            return cached[0]
        data = self.build_summary(product_id)
        llm = get_llm(self.settings) if self.settings.summaries_by_llm else None
        if llm is not None:  # reworded (or rewritten) where the verifier allows; the quotes stay beside
            rewrite = abstract_summary if self.settings.summary_style == "abstractive" else reword_summary
            self.stats.update({f"{self.settings.summary_style}_{k}": n for k, n in rewrite(data, llm, self.verifier(), self.embedder.encode).items()})
        self.store.save_summary(product_id, data, count)
        return data

    def build_summary(self, product_id: str) -> dict[str, Any]:
        """Extractive points from the reviews, not cached."""
        summary: Summary = summarize(product_id, self.store.reviews_for(product_id), self.embedder.encode, polarity_model=self.polarity())
        return summary.to_dict()


def _complete_sentences(text: str) -> list[str]:
    """Splits streamed text; every part but the last is a finished sentence, the last is pending."""
    return [p.lstrip() for p in SENTENCE_BREAK.split(text)]


def _understood(req: Request) -> str:
    bits = req.constraints.describe()
    return f" {', '.join(bits)}" if bits else ""


def _compare_line(card: Card) -> str:
    p = card.product
    price = money(p.price, p.currency) if p.price is not None else "no price"
    rating = next((r.text.lower() for r in card.reasons if r.kind == "rating"), "no reviews yet")
    return f"{p.title} ({price}, {rating})"


def _request_dict(req: Request) -> dict[str, Any]:
    d = asdict(req)
    d["constraints"] = req.constraints.model_dump()
    return d


def _request_from(data: dict[str, Any] | None) -> Request | None:
    if not data:
        return None
    return Request(text=data["text"], constraints=Constraints(**data["constraints"]), intent=data["intent"], refs=data.get("refs", []), category=data.get("category"), notes=data.get("notes", []), said=data.get("said", ""))
