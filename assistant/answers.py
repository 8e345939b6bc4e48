"""Answers that are not lists: questions about shown products, comparisons, the cart, the store's
own policies. Every claim comes from the data and cites it: the product's listing
(`product:<id>`), its reviews (`review:<id>`, counted, not characterised), the store's FAQ
(`faq:<id>`). When nothing supports an answer, the answer says so instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from assistant.catalog import Catalog
from assistant.faq import FAQ
from assistant.recommend import Card, Recommender
from assistant.reviews import vader
from assistant.summaries import Summaries, gist
from assistant.text import money, split_sentences, stars
from assistant.understand import Request
from assistant.vocabulary import ASKING_VERBS, MEASURES, QUESTION_WORDS, STOP, UNITS, key_label, root, singular, stems, unit_of, words
from records import Event, Product, Review
from retrieval.embedder import Embedder
from untrusted import quotable_sentences

if TYPE_CHECKING:
    from assistant.conversation import Answer, Session, Turn

SPECIFIC = 7  # a question word this long that no review uses means no review answers it (unless it is a judgement)
REVIEW_MATCH_WORDS = 0.25  # a review sentence holding the question's key word and this close (cosine) addresses it
LISTING_MATCH = 0.4  # a listing sentence this close to the question (with a shared word) answers it
STOCK = re.compile(
    r"\b(in stock|available|availability|sold out|out of stock|how many (are )?left|can i (get|buy|order) it|have it)\b", re.I
)
PRICE = re.compile(r"\b(how much|price|cost|costs|expensive|cheap)\b", re.I)
REVIEWS = re.compile(
    r"\b(reviews?|reviewers?|people (say|think)|customers (say|think)|rated|rating|stars?|any good|worth it|complain(t|ts)?|opinions?)\b",
    re.I,
)
POSITION = re.compile(r"#\d|\b(first|second|third|fourth|fifth|last|number \d|option \d)\b", re.I)
VARIANT_WORDS = {"colour", "color", "colours", "colors", "size", "version", "variant", "available", "other", "another"}
MADE_OF = re.compile(r"\bmade (?:of|from|out of)\b|\bwhat fabric\b", re.I)  # "what is it made of?" asks the material
FEATURE = re.compile(
    r"^\s*(?:does|do|can|will|is there|are there)\s+(?:it|they|this|these|that|one)?\s*(?:have|has|come with|comes with|include|support|make)\b",
    re.I,
)  # "does it have / come with / support / can it make …": the rest names a feature
DEGREE = {"enough", "plenty", "extra", "lots", "lot", "decent"}  # "enough storage" names storage
COPULA = {"is", "are", "was", "were", "feel", "feels", "look", "looks", "seem", "seems"}
COLOURS = re.compile(r"\b(colou?rs?|come in|comes in|available in|other (colou?rs?|versions|sizes)|variants?|sizes?)\b", re.I)


@dataclass
class Evidence:
    text: str
    citations: list[str]
    near: bool = False  # the closest the data comes, not an answer: it does not name the feature asked


class Feature(NamedTuple):
    """A feature a question names in several words: "hip straps" is ("hip", "strap", "hip straps")."""

    modifier: str
    head: str
    text: str


class Answers:
    def __init__(self, catalog: Catalog, recommender: Recommender, embedder: Embedder, summaries: Summaries, faq: FAQ):
        self.catalog = catalog
        self.recommender = recommender
        self.embedder = embedder
        self.summaries = summaries
        self.faq = faq

    @property
    def store_(self):
        return self.catalog.store

    # ---- questions about shown products -------------------------------------------------------------
    def about_shown(self, req: Request, session: Session, turn: Turn) -> Answer:
        from assistant.conversation import Answer

        shown = session.shown.ids
        if not shown:
            return Answer([], "Which product do you mean? Ask for suggestions first, then ask about one (“is #1 waterproof?”).", req)
        refs = req.refs or ([1, 2] if req.intent == "compare" else [1])
        if req.intent == "compare" and len(refs) < 2:
            refs = [1, 2] if refs == [1] else [1, *refs]
        if req.intent == "question" and re.search(
            r"\bwhich (one|of (these|them|those))\b|\bany of (these|them|those)\b", req.message, re.I
        ):
            refs = list(range(1, len(shown) + 1))
        picked = list(dict.fromkeys(shown[(len(shown) if r == -1 else r) - 1] for r in refs if r == -1 or 0 < r <= len(shown)))
        if not picked:
            return Answer([], f"I showed {len(shown)} products; which one do you mean (#1 to #{len(shown)})?", req)
        products = self.store_.get_products(picked)
        items = [products[p] for p in picked if p in products]
        cards = self._cards(items, req, turn)
        if req.intent == "why":
            card = cards[0]
            lead = f"Why the {card.product.title}: " + "; ".join(r.text.rstrip(".") for r in card.reasons[:4]) + "."
            return Answer(cards, lead, req, citations=[e for r in card.reasons[:4] for e in r.evidence])
        if req.intent == "compare":
            return self.compare(cards, req)
        parts = [self.answer_question(p, req.message) for p in items]
        text = " ".join(e.text for e in parts)
        return Answer(cards, text, req, citations=[c for e in parts for c in e.citations])

    def _cards(self, items: list[Product], req: Request, turn: Turn) -> list[Card]:
        history = self.recommender.history(turn.user_id)
        ids = [p.id for p in items]
        products = self.store_.get_products(ids + [e.product_id for e in history])
        vectors = self.recommender.vectors.vectors(list({*ids, *(e.product_id for e in history)}))
        query_vec = self.embedder.encode_one(req.text) if req.text else None
        return [
            Card(
                p,
                pos,
                0.0,
                self.recommender.reasons(p, req.text, req.constraints, history, products, vectors, query_vec, turn.who),
                variants=self.recommender.variants(p),
            )
            for pos, p in enumerate(items, start=1)
        ]

    def answer_question(self, p: Product, question: str) -> Evidence:
        """One product's answer: its stock, price, colours, reviews or listing, whichever the
        question asks; cited, and plain about what the data does not say."""
        cite = f"product:{p.id}"
        topic = self._topic(question)
        if STOCK.search(question):
            return Evidence(self._stock(p), [cite])
        colours = set(self.catalog.vocabulary().colors)
        if (COLOURS.search(question) and set(topic) <= VARIANT_WORDS) or (topic and set(topic) <= colours | VARIANT_WORDS):
            return self._variants(p)
        if PRICE.search(question) and p.price is not None and not self._attribute_hits(p, question):
            return Evidence(f"The {p.title} costs {money(p.price, p.currency)} [{cite}].", [cite])
        reviews = self.store_.reviews_for(p.id, limit=200)
        if REVIEWS.search(question) and not self._topic(question, reviews=True):
            return self._review_gist(p, reviews)
        feature = feature_phrase(question)
        found = [
            e
            for e in (
                self._attributes(p, question),
                self._description(p, question, feature),
                self._from_reviews(p, question, reviews, feature),
            )
            if e
        ]
        parts = [e for e in found if not e.near]
        if not parts:
            return self._unsaid(p, question, reviews, feature, next((e for e in found if e.near), None))
        return Evidence(" ".join(e.text for e in parts), [c for e in parts for c in e.citations])

    def _unsaid(self, p: Product, question: str, reviews: list[Review], feature: Feature | None, near: Evidence | None) -> Evidence:
        """What the data does not say, plainly: the store's policy when one covers the question
        ("does it have a warranty?"), else the closest the listing comes when the question names a
        feature it does not ("exact temperature" for "temperature control?": the shopper judges)."""
        cite = f"product:{p.id}"
        n = len(reviews)
        asked = feature.text if feature else " or ".join(dict.fromkeys(self._topic(question))) or "it"
        said = f"none of its {n} review{'s' if n != 1 else ''} mention {asked}" if n else "it has no reviews yet"
        policy = self.faq.best(question)
        if policy is not None:
            return Evidence(
                f"The listing of the {p.title} doesn't say, and {said} [{cite}]. Our store policy: {policy.answer} [faq:{policy.id}]",
                [cite, f"faq:{policy.id}"],
            )
        if near is not None and feature is not None:
            return Evidence(
                f"The listing of the {p.title} doesn't say it has {feature.text}, and {said} [{cite}]. The nearest it says: {near.text}",
                near.citations,
            )
        return Evidence(f"The listing of the {p.title} doesn't say, and {said} [{cite}].", [cite])

    def _topic(self, question: str, reviews: bool = False) -> list[str]:
        said = [w for w in words(MADE_OF.sub(" material ", question)) if w not in STOP]
        found = [singular(w) for w in said if w not in QUESTION_WORDS and len(w) > 2]
        if not found:  # "what do they fit?", "how long is it?": the verb or manner is the topic
            found = [singular(w) for w in said if w in ASKING_VERBS and len(w) > 2]
        if reviews:
            found = [w for w in found if not REVIEWS.search(w) and w not in ("think", "say", "people", "customer", "good")]
        return found

    def _attribute_hits(self, p: Product, question: str) -> list[tuple[str, Any]]:
        """The product's attributes the question asks about: by the attribute's name ("battery"),
        by one of its values in this catalog ("wireless?" asks the connectivity, "loud?" the
        noise), or by the catalog's words for a yes/no feature ("noise cancelling" for `anc`)."""
        topic = set(self._topic(question))
        measured = topic | {m for w in topic for m in MEASURES.get(w, ())}  # "how big?" asks the capacity
        facets = self.catalog.vocabulary().facets
        hits = []
        for key, value in p.attributes.items():
            if key == "color":
                continue
            facet = facets.get(key)
            unit = unit_of(key)
            names = _near(stems(key_label(key)), measured) or (unit and topic & set(stems(" ".join(UNITS[unit]))))  # "how many litres?"
            values = set(stems(" ".join(facet.values))) if facet and facet.kind == "enum" else set()
            feature = any(set(stems(ph)) <= topic for ph in facet.phrases) if facet and facet.kind == "bool" else False
            own = set(stems(str(value))) if not isinstance(value, bool) else set()
            if names or feature or topic & values or topic & own:
                hits.append((key, value))
        return hits

    def _attributes(self, p: Product, question: str) -> Evidence | None:
        cite = f"product:{p.id}"
        hits = self._attribute_hits(p, question)
        if not hits:
            return None
        said = "; ".join(_attribute_words(k, v) for k, v in hits[:3])
        yes_no = re.match(r"^(is|does|can|has|are|do|will)\b", question.strip(), re.I)
        asked = set(self._topic(question))
        values = [v for _, v in hits]
        if yes_no and all(v is True for v in values):
            lead = "Yes: "
        elif yes_no and all(v is False for v in values):
            lead = "No: "
        elif yes_no and all(not isinstance(v, bool) for v in values):
            own = {w for v in values for w in stems(str(v))}
            lead = (
                "Yes: "
                if asked & own
                else "No: "
                if not asked & own and any(asked & set(stems(" ".join(f.values))) for f in self._enum_facets(hits))
                else ""
            )
        else:
            lead = ""
        text = f"{lead}the listing of the {p.title} says {said} [{cite}]."
        return Evidence(text[0].upper() + text[1:], [cite])

    def _enum_facets(self, hits: list[tuple[str, Any]]) -> list:
        facets = self.catalog.vocabulary().facets
        return [facets[k] for k, _ in hits if k in facets and facets[k].kind == "enum"]

    def _description(self, p: Product, question: str, feature: Feature | None) -> Evidence | None:
        """The description sentence that answers the question: the most of its words, then the
        closest in meaning."""
        cite = f"product:{p.id}"
        topic = set(self._topic(question))
        sentences = [s for s in quotable_sentences(p.description, split_sentences(p.description)) if len(s.split()) >= 3]
        own = [(len(_near(stems(s), topic)), s) for s in sentences]
        own = [(n, s) for n, s in own if n]
        if not topic or not own:
            return None
        sims = self.embedder.encode_cached([s for _, s in own]) @ self.embedder.encode_cached([question])[0]
        best = max(range(len(own)), key=lambda i: (own[i][0], sims[i]))
        n, sentence = own[best]
        if sims[best] < LISTING_MATCH and n < max(1, len(topic) // 2):
            return None
        if feature is not None and not names_feature(sentence, feature):
            return Evidence(f"“{sentence.strip()}” [{cite}].", [cite], near=True)
        return Evidence(f"The listing of the {p.title} says: “{sentence.strip()}” [{cite}].", [cite])

    def _from_reviews(self, p: Product, question: str, reviews: list[Review], feature: Feature | None) -> Evidence | None:
        """How many reviews address the question, and one of them quoted. A review addresses it
        when one of its sentences holds a word of the question and is close to it in meaning; when
        a long, specific word of the question appears in none of them ("fingerprint"), none does;
        a judgement ("are the straps comfortable?") is answered by what reviews say of the rest
        ("the straps dig into my shoulders")."""
        topic = set(self._topic(question))
        if not reviews or not topic:
            return None
        pairs = [
            (r, s)
            for r in reviews
            for s in quotable_sentences(f"{r.title}. {r.text}", split_sentences(f"{r.title}. {r.text}" if r.title else r.text))
            if 2 <= len(s.split()) <= 40 and names_feature(s, feature)
        ]
        if not pairs:
            return None
        held = [{root(w) for w in stems(s)} for _, s in pairs]
        roots = {w: root(w) for w in topic}  # "upgrading" is said "upgraded", "upgrade"
        df = {w: sum(roots[w] in ws for ws in held) for w in topic}
        if not any(df.values()) or any(not n and len(w) >= SPECIFIC and not judgement(w) for w, n in df.items()):
            return None
        vecs = self.embedder.encode_cached([s for _, s in pairs])
        sims = vecs @ self.embedder.encode_cached([question])[0]
        holds = np.array([bool(set(roots.values()) & ws) for ws in held])
        about = holds & (sims >= REVIEW_MATCH_WORDS)
        if not about.any():
            return None
        addressing = {pairs[i][0].id for i in np.flatnonzero(about)}
        best = int(np.argmax(np.where(about, sims, -1.0)))
        review, sentence = pairs[best]
        n, total = len(addressing), len(reviews)
        cites = [f"review:{rid}" for rid in sorted(addressing)][:10]
        return Evidence(
            f"{n} of its {total} reviews mention it; one ({review.rating:g} stars) says: “{sentence.strip()}” [review:{review.id}].", cites
        )

    def _review_gist(self, p: Product, reviews: list[Review]) -> Evidence:
        if not reviews:
            return Evidence(f"The {p.title} has no reviews yet [product:{p.id}].", [f"product:{p.id}"])
        summary = self.catalog_summaries(p.id)
        text, cites = gist(p.title, summary, reviews)
        return Evidence(text, cites)

    def catalog_summaries(self, product_id: str) -> dict[str, Any]:
        return self.summaries.summary(product_id)

    def _stock(self, p: Product) -> str:
        cite = f"product:{p.id}"
        if p.stock is None:
            return f"The catalog doesn't say how many of the {p.title} are in stock [{cite}]."
        if p.stock <= 0:
            others = [v for v in self.recommender.variants(p) if v["in_stock"]]
            alt = f"; it is in stock in {', '.join(v['label'] for v in others)}" if others else ""
            return f"The {p.title} is out of stock right now{alt} [{cite}]."
        return f"Yes, the {p.title} is in stock ({p.stock} left) [{cite}]."

    def _variants(self, p: Product) -> Evidence:
        variants = self.recommender.variants(p)
        cite = [f"product:{p.id}", *(f"product:{v['id']}" for v in variants)]
        sizes = next((v for k, v in p.attributes.items() if "size" in k.lower()), None)
        size_text = f" It comes in sizes {sizes}." if sizes else ""
        if not variants:
            own = p.color or "one version"
            return Evidence(f"The {p.title} comes only in {own} here [product:{p.id}].{size_text}", cite)
        own_price = f" ({money(p.price, p.currency)})" if p.price is not None else ""
        options = ", ".join(
            f"{v['label']} ({money(v['price'], p.currency) if v['price'] is not None else 'no price'}{'' if v['in_stock'] else ', out of stock'})"
            for v in variants
        )
        return Evidence(
            f"Besides {p.color or 'this one'}{own_price}, the {p.title.split(',')[0]} comes in {options} [{', '.join(cite)}].{size_text}",
            cite,
        )

    # ---- comparing ------------------------------------------------------------------------------------
    def compare(self, cards: list[Card], req: Request) -> Answer:
        from assistant.conversation import Answer

        items = [c.product for c in cards]
        rows = comparison_rows(items)
        differ = [r for r in rows if len({str(v) for v in r["values"]}) > 1]
        reviews = []
        cites = [f"product:{p.id}" for p in items]
        for p in items:
            s = self.catalog_summaries(p.id)
            like = s["likes"][0] if s.get("likes") else None
            dislike = s["dislikes"][0] if s.get("dislikes") else None
            reviews.append({"product_id": p.id, "praised": like, "criticised": dislike})
            cites += [f"review:{r}" for point in (like, dislike) if point for r in point["review_ids"][:3]]
        names = " vs ".join(p.title for p in items)
        diffs = (
            "; ".join(f"{r['attribute']}: {' vs '.join(_shown(v) for v in r['values'])}" for r in differ[:5])
            or "they are alike in everything the listings say"
        )
        praise = " ".join(
            f"Reviews of the {p.title.split(',')[0]} praise “{r['praised']['text']}” ({len(r['praised']['review_ids'])})"
            + (f" and criticise “{r['criticised']['text']}” ({len(r['criticised']['review_ids'])})" if r["criticised"] else "")
            + "."
            for p, r in zip(items, reviews)
            if r["praised"]
        )
        lead = f"Side by side, {names}: {diffs}. {praise}".strip()
        table = {"products": [p.id for p in items], "rows": rows, "differ": [r["attribute"] for r in differ], "reviews": reviews}
        return Answer(cards, lead, req, table=table, citations=cites)

    # ---- the cart -----------------------------------------------------------------------------------------
    def cart(self, req: Request, session: Session, turn: Turn) -> Answer:
        from assistant.conversation import Answer

        if req.intent == "cart_show":
            return self._show_cart(req, session)
        shown = session.shown.ids
        refs = req.refs or [1]
        picked = [shown[(len(shown) if r == -1 else r) - 1] for r in refs if r == -1 or 0 < r <= len(shown)]
        if req.intent == "cart_remove" and session.cart and not POSITION.search(req.message):
            picked = session.cart[-1:]  # "remove it": what went into the cart last
        if not picked:
            return Answer([], "Which product? Ask for suggestions first, then say “add #2 to my cart”.", req)
        products = self.store_.get_products(picked)
        titles = [products[p].title for p in picked if p in products]
        if req.intent == "cart_add":
            unavailable = [products[p].title for p in picked if p in products and not products[p].in_stock]
            picked = [p for p in picked if p in products and products[p].in_stock]
            for pid in picked:
                session.cart.append(pid)
                if turn.user_id:
                    self.recommender.record(Event(user_id=turn.user_id, product_id=pid, kind="cart", value=1))
            lead = f"Added the {', '.join(products[p].title for p in picked)} to your cart." if picked else ""
            if unavailable:
                lead += f" The {', '.join(unavailable)} {'is' if len(unavailable) == 1 else 'are'} out of stock, so I didn't add {'it' if len(unavailable) == 1 else 'them'}."
            actions = [{"type": "add_to_cart", "product_id": pid, "quantity": 1} for pid in picked]
            return Answer([], lead.strip(), req, citations=[f"product:{p}" for p in picked], actions=actions)
        removed = [p for p in picked if p in session.cart]
        for pid in removed:
            session.cart.remove(pid)
            if turn.user_id:
                self.recommender.record(Event(user_id=turn.user_id, product_id=pid, kind="remove", value=1))
        if not removed:
            return Answer([], f"The {', '.join(titles)} {'is' if len(titles) == 1 else 'are'} not in your cart.", req)
        actions = [{"type": "remove_from_cart", "product_id": pid, "quantity": 1} for pid in removed]
        return Answer([], f"Removed the {', '.join(products[p].title for p in removed)} from your cart.", req, actions=actions)

    def _show_cart(self, req: Request, session: Session) -> Answer:
        from assistant.conversation import Answer

        if not session.cart:
            return Answer([], "Your cart is empty.", req)
        products = self.store_.get_products(session.cart)
        counts: dict[str, int] = {}
        for pid in session.cart:
            counts[pid] = counts.get(pid, 0) + 1
        lines = [
            f"{n} × {products[p].title} ({money(products[p].price, products[p].currency) if products[p].price is not None else 'no price'})"
            for p, n in counts.items()
            if p in products
        ]
        total = sum((products[p].price or 0) * n for p, n in counts.items() if p in products)
        currency = next((products[p].currency for p in counts if p in products), "USD")
        cards = [Card(products[p], i, 0.0, []) for i, p in enumerate(counts, start=1) if p in products]
        return Answer(
            cards, f"Your cart holds {'; '.join(lines)}: {money(total, currency)} in all.", req, citations=[f"product:{p}" for p in counts]
        )

    # ---- the store's own policies ----------------------------------------------------------------------
    def store(self, req: Request, session: Session | None = None) -> Answer:
        from assistant.conversation import Answer

        entry = self.faq.best(req.message)
        if entry is None and session is not None and session.shown.ids:
            # "what about the warranty?" on a product page: what its listing and reviews say
            p = self.store_.get_product(session.shown.ids[0])
            if p is not None:
                found = self.answer_question(p, req.message)
                if "doesn't say" not in found.text:
                    return Answer([], found.text, req, citations=found.citations)
        if entry is None:
            return Answer(
                [], "Our store information doesn't cover that. I can hand you over to a person: just say “talk to a person”.", req
            )
        return Answer([], f"{entry.answer} [faq:{entry.id}]", req, citations=[f"faq:{entry.id}"])


def comparison_rows(items: list[Product]) -> list[dict[str, Any]]:
    """Price, rating, stock and every attribute any of the products has, one row each."""
    rows: list[dict[str, Any]] = [
        {"attribute": "price", "values": [money(p.price, p.currency) if p.price is not None else None for p in items]},
        {"attribute": "rating", "values": [f"{stars(p.rating)} ({p.review_count})" if p.rating is not None else None for p in items]},
        {"attribute": "in stock", "values": ["unknown" if p.stock is None else "yes" if p.stock > 0 else "no" for p in items]},
        {"attribute": "brand", "values": [p.brand or None for p in items]},
    ]
    keys = list(dict.fromkeys(k for p in items for k in p.attributes))
    for key in keys:
        rows.append({"attribute": key_label(key), "values": [_value(p.attributes.get(key)) for p in items]})
    return rows


def _value(v: Any) -> Any:
    if isinstance(v, bool):
        return "yes" if v else "no"
    return v


def _shown(v: Any) -> str:
    return "—" if v is None else str(v)


def _attribute_words(key: str, value: Any) -> str:
    """ "capacity_l", 18 → "capacity: 18 litres"; "milk_frother", False → "milk frother: no"."""
    label = key_label(key)
    if isinstance(value, bool):
        return f"{label}: {'yes' if value else 'no'}"
    unit = unit_of(key)
    parts = label.split()
    if unit and len(parts) > 1 and parts[-1] == unit:
        return f"{' '.join(parts[:-1])}: {value} {UNITS[unit][0]}"
    return f"{label}: {value}"


def judgement(word: str) -> bool:
    """A word that judges rather than names ("comfortable", "easy"): in VADER's valence lexicon."""
    return word in vader().lexicon


def feature_phrase(question: str) -> Feature | None:
    """The feature a "does it have …?" question names in several words, as (modifier, head):
    "hip straps" → ("hip", "strap"), "can it make phone calls?" → ("phone", "call"). A listing or
    review that has the words apart ("the straps dig into my shoulders", "on my hips") does not
    answer it; one that names the feature ("the hip straps take the weight") does. Questions of
    other shapes ("are the straps comfortable?", "how is the battery life?") have none."""
    found = FEATURE.search(question)
    if not found:
        return None
    run: list[str] = []
    for w in words(question[found.end() :]):
        if w in STOP or w in QUESTION_WORDS or w in DEGREE:
            if len(run) >= 2:
                break
            run = []
        else:
            run.append(w)
    return Feature(singular(run[-2]), singular(run[-1]), " ".join(run)) if len(run) >= 2 else None


def names_feature(sentence: str, phrase: Feature | None) -> bool:
    """Whether the sentence names the feature: its two words side by side, in order, or as one
    word ("hip strap", "hip-straps", "hipstrap"), or said of it ("the storage is expandable");
    any sentence when there is no phrase."""
    if phrase is None:
        return True
    modifier, head, _ = phrase
    said = stems(sentence)
    for i, w in enumerate(said):
        if _near([w], {modifier}) and i + 1 < len(said) and _near([said[i + 1]], {head}):
            return True
        after = said[i + 1 : i + 4]
        if _near([w], {head}) and after and after[0] in COPULA and _near(after[1:], {modifier}):
            return True
    return modifier + head in said


def _near(words: list[str], topic: set[str]) -> set[str]:
    """Words that match a topic word, or share its first four letters ("noisy" and "noise")."""
    return {w for w in words if w in topic or (len(w) >= 5 and any(len(t) >= 5 and t[:4] == w[:4] for t in topic))}
