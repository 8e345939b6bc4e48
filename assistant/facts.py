"""Facts first: why each product fits, built deterministically from the data and cited by id.

Evidence ids: `product:<id>` (catalog attributes), `review:<id>`, `event:<id>` (the shopper's
own history). The LLM may only reword these; the verifier holds it to them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from assistant.text import money, split_sentences, stars
from records import Constraints, Event, Product, Reason, Review
from untrusted import quotable_sentences

WORD = re.compile(r"[a-z0-9]+")
STOP = {
    "a",
    "an",
    "the",
    "for",
    "and",
    "or",
    "with",
    "of",
    "to",
    "in",
    "on",
    "my",
    "me",
    "i",
    "is",
    "it",
    "that",
    "this",
    "under",
    "over",
    "some",
    "good",
    "best",
    "new",
}
HISTORY_SIMILARITY = 0.7  # cosine (+0.15 for the same brand) above which a past item is worth citing
HABIT_PURCHASES = 2  # purchases of one product that make a habit worth citing ("You bought this N times…")


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 2}


def constraint_reasons(p: Product, c: Constraints) -> list[Reason]:
    """The constraints this product satisfies (an alternative shown despite one says nothing of it)."""
    ev = [f"product:{p.id}"]
    out = []
    in_range = p.price is not None and (c.price_max is None or p.price <= c.price_max) and (c.price_min is None or p.price >= c.price_min)
    if in_range and (c.price_max is not None or c.price_min is not None):
        if c.price_max is not None and c.price_min is not None:
            bound = f"within your {money(c.price_min, p.currency)}–{money(c.price_max, p.currency)} range"
        elif c.price_max is not None:
            bound = f"under your {money(c.price_max, p.currency)} limit"
        else:
            bound = f"above {money(c.price_min, p.currency)} as asked"  # type: ignore[arg-type]
        out.append(Reason(kind="constraint", text=f"{money(p.price, p.currency)}, {bound}", evidence=ev))  # type: ignore[arg-type]
    if c.colors and p.color and p.color.lower() in {x.lower() for x in c.colors}:
        out.append(Reason(kind="constraint", text=f"Comes in {p.color}", evidence=ev))
    if c.brands and p.brand.lower() in {b.lower() for b in c.brands}:
        out.append(Reason(kind="constraint", text=f"Made by {p.brand}", evidence=ev))
    if c.exclude_brands and p.brand and p.brand.lower() not in {b.lower() for b in c.exclude_brands}:
        out.append(Reason(kind="constraint", text=f"Not by {', '.join(c.exclude_brands)}", evidence=ev))
    return out


def attribute_reasons(p: Product, query: str) -> list[Reason]:
    """Attributes whose name or value shares a word with the request ("quiet" → noise: quiet)."""
    q = _words(query)
    out = []
    for key, value in p.attributes.items():
        if key == "color" or value in (None, "", False):
            continue
        label = key.replace("_", " ")
        val = "yes" if value is True else str(value)
        if q & (_words(label) | _words(val)):
            out.append(Reason(kind="attribute", text=f"{label.capitalize()}: {val}", evidence=[f"product:{p.id}"]))
    return out[:2]


def again_reason(p: Product, history: list[Event], who: str = "you") -> Reason | None:
    """For a product the shopper buys regularly: how often since when (true of whatever window of
    the history was read), and when they last bought it."""
    bought = [e for e in history if e.product_id == p.id and e.kind == "purchase"]
    if len(bought) < HABIT_PURCHASES:
        return None
    every = (bought[-1].ts - bought[0].ts).days / (len(bought) - 1)
    rhythm = f", about every {every:.0f} days" if every >= 1 else ""
    text = f"{who[:1].upper()}{who[1:]} bought this {len(bought)} times since {bought[0].ts:%Y-%m-%d}{rhythm}; last on {bought[-1].ts:%Y-%m-%d}"
    return Reason(kind="history", text=text, evidence=[f"event:{e.id}" for e in bought[-5:]])


def history_reason(
    p: Product, history: list[Event], products: dict[str, Product], vectors: dict[str, np.ndarray], who: str = "you"
) -> Reason | None:
    """The shopper's own past item this one relates to most (same brand, or close in meaning)."""
    v = vectors.get(p.id)
    best: tuple[float, Event] | None = None
    for e in reversed(history):
        if e.product_id == p.id or e.product_id not in products or e.kind not in ("purchase", "cart", "view"):
            continue
        hv = vectors.get(e.product_id)
        sim = float(v @ hv) if v is not None and hv is not None else 0.0
        if products[e.product_id].brand and products[e.product_id].brand == p.brand:
            sim += 0.15
        if best is None or sim > best[0]:
            best = (sim, e)
    if best is None or best[0] < HISTORY_SIMILARITY:
        return None
    e = best[1]
    past = products[e.product_id]
    verb = {"purchase": "bought", "cart": f"added to {'your' if who == 'you' else 'their'} cart", "view": "looked at"}[e.kind]
    relation = f"Also by {p.brand}, like" if past.brand == p.brand and p.brand else "Similar to"
    return Reason(
        kind="history",
        text=f"{relation} the {past.title} {who} {verb} on {e.ts:%Y-%m-%d}",
        evidence=[f"event:{e.id}", f"product:{past.id}"],
    )


@lru_cache(maxsize=50_000)
def quotable_review_sentences(text: str) -> tuple[str, ...]:
    """A review's sentences that may be quoted (each card reads its reviews on every answer)."""
    return tuple(quotable_sentences(text, split_sentences(text)))


def review_reason(p: Product, reviews: list[Review], query_vec: np.ndarray | None, encode, polarity=None) -> Reason | None:
    """The praising sentence of a 4-5 star review closest in meaning to the request."""
    candidates = [(r, s) for r in reviews if r.rating >= 4 for s in quotable_review_sentences(r.text) if len(s.split()) >= 4]
    if not candidates:
        return None
    if query_vec is not None and encode is not None:
        vecs = encode([s for _, s in candidates])
        sims = vecs @ query_vec
        if polarity is not None:  # a 5-star review can still complain ("the keys are loud"): skip those
            texts = [s for _, s in candidates]
            sims = np.where(polarity(texts, vecs, np.array([r.rating for r, _ in candidates])) > 0.2, sims, -1.0)
            if sims.max() <= -1.0:
                return None
        r, s = candidates[int(np.argmax(sims))]
    else:
        r, s = candidates[0]
    return Reason(kind="review", text=f'A {r.rating:g}-star review says: "{s.strip()}"', evidence=[f"review:{r.id}"])


def rating_reason(p: Product, reviews: list[Review]) -> Reason | None:
    """The product's rating over all its reviews (the card's own figure, rounded the same way);
    `reviews` (the newest, cited) stand in when the store's stats are not loaded."""
    if not reviews:
        return None
    mean, count = (
        (p.rating, p.review_count)
        if p.rating is not None and p.review_count
        else (
            sum(r.rating for r in reviews) / len(reviews),
            len(reviews),
        )
    )
    plural = "s" if count != 1 else ""
    return Reason(
        kind="rating", text=f"Rated {stars(mean)} out of 5 in {count} review{plural}", evidence=[f"review:{r.id}" for r in reviews[:10]]
    )


def build_reasons(
    p: Product,
    query: str,
    constraints: Constraints,
    history: list[Event],
    products: dict[str, Product],
    vectors: dict[str, np.ndarray],
    reviews: list[Review],
    query_vec: np.ndarray | None = None,
    encode=None,
    polarity=None,
    who: str = "you",
) -> list[Reason]:
    """`who`: whom the history reasons speak of ("you" to a shopper, the customer's name to an agent)."""
    reasons = constraint_reasons(p, constraints) + attribute_reasons(p, query)
    past = again_reason(p, history, who) or history_reason(p, history, products, vectors, who)
    for extra in (past, review_reason(p, reviews, query_vec, encode, polarity), rating_reason(p, reviews)):
        if extra is not None:
            reasons.append(extra)
    if not any(r.kind in ("constraint", "price") for r in reasons) and p.price is not None:
        reasons.insert(0, Reason(kind="price", text=f"Priced at {money(p.price, p.currency)}", evidence=[f"product:{p.id}"]))
    return reasons


def facts_text(p: Product, reasons: list[Reason]) -> str:
    """Everything a sentence about `p` may draw on, for the verifier."""
    attrs = " ".join(f"{k} {v}" for k, v in p.attributes.items())
    return " ".join([p.title, p.brand, p.category, attrs, p.description, *(r.text for r in reasons)])


def template_sentence(p: Product, reasons: list[Reason]) -> str:
    """The facts' own wording: what the answer says when the LLM's text cannot be trusted."""
    bits = [r.text for r in reasons if r.kind in ("constraint", "attribute", "history", "price")][:2]
    rating = next((r.text for r in reasons if r.kind == "rating"), None)
    sentence = f"{p.title}: {'; '.join(bits) if bits else 'a close match for what you asked'}."
    return f"{sentence} {rating}." if rating else sentence
