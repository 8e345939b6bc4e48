"""Review summaries: "Customers like … / Customers dislike …", each point quoting a real review
sentence and citing every review that says the same thing.

Extractive on purpose: the small local model invents when asked to summarise, so the points
come from the reviews themselves. Sentences are embedded and grouped by meaning (greedy
clustering at a cosine threshold). A sentence's polarity weighs a sentiment model (the embedder
fine-tuned through a small adapter on public review sentences, assistant/sentiment.py), VADER's
lexicon and the review's stars: a review's stars are too coarse for its sentences ("love it, but
the keys are loud").
Long review lists are handled map-reduce style: clusters per chunk, then clusters of clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from assistant.sentiment import get_sentiment
from assistant.text import split_sentences
from records import Review
from untrusted import quotable_sentences

SIMILAR = 0.62  # sentences this close (cosine) say the same thing; checked by hand on demo reviews
CHUNK = 400  # sentences per map step
GENERIC_SIMILARITY = 0.6
MODEL_READS = 2000  # review sentences per summary the sentiment model reads (sentence_polarity)
SIDE = 0.2  # a sentence whose polarity is within ±SIDE is on neither side
POSITIVE = ["this works really well and I am happy with it", "excellent, comfortable, easy to use and reliable", "it is great"]
NEGATIVE = [
    "this is a real problem, annoying, and it failed",
    "poor quality, broke quickly, hard to use, disappointing",
    "it is bad",
    "I complained because it stopped working",
]
GENERIC = [
    "I like it",
    "great product",
    "would buy again",
    "not what I expected",
    "recommended",
    "disappointed",
    "happy with it",
    "exactly what I wanted",
    "worth the money",
    "it was a gift",
]


@dataclass
class Point:
    text: str
    review_ids: list[str]
    polarity: str  # "positive" | "negative"


@dataclass
class Summary:
    product_id: str
    review_count: int
    likes: list[Point] = field(default_factory=list)
    dislikes: list[Point] = field(default_factory=list)
    aspects: list[dict] = field(default_factory=list)  # {aspect, positive, negative}

    def to_dict(self) -> dict:
        return {
            "product_id": self.product_id,
            "review_count": self.review_count,
            "likes": [p.__dict__ for p in self.likes],
            "dislikes": [p.__dict__ for p in self.dislikes],
            "aspects": self.aspects,
        }


def sentences(reviews: list[Review]) -> list[tuple[Review, str]]:
    out = []
    for r in reviews:
        for s in quotable_sentences(r.text, split_sentences(r.text)):  # never an instruction, a link or a phone number
            if 4 <= len(s.split()) <= 40:
                out.append((r, s))
    return out


def _cluster(vecs: np.ndarray, threshold: float) -> list[list[int]]:
    """Greedy leader clustering: each vector joins the first centroid it is close to."""
    centroids: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, v in enumerate(vecs):
        if centroids:
            sims = np.array(centroids) @ v
            j = int(np.argmax(sims))
            if sims[j] >= threshold:
                members[j].append(i)
                c = vecs[members[j]].mean(0)
                centroids[j] = c / (np.linalg.norm(c) or 1.0)
                continue
        centroids.append(v)
        members.append([i])
    return members


def sentiment_lean(vecs: np.ndarray, encode) -> np.ndarray:
    """How much closer each sentence is to praise than to complaint (cosine difference): the
    fast stand-in for sentences the sentiment model does not read."""
    both = anchors(encode, tuple(POSITIVE + NEGATIVE))
    pos, neg = both[: len(POSITIVE)], both[len(POSITIVE) :]
    return (vecs @ pos.T).max(1) - (vecs @ neg.T).max(1)


@lru_cache(maxsize=16)
def anchors(encode, texts: tuple[str, ...]) -> np.ndarray:
    """Anchor phrases are embedded once per model, not on every request."""
    return encode(list(texts))


def generic(vecs: np.ndarray, encode) -> np.ndarray:
    """True for sentences that praise or complain without naming anything ("Really happy with it.")."""
    return (vecs @ anchors(encode, tuple(GENERIC)).T).max(1) >= GENERIC_SIMILARITY


def sentence_polarity(texts: list[str], vecs: np.ndarray, stars: np.ndarray, encode, model_reads: int = MODEL_READS) -> np.ndarray:
    """-1 … 1 per review sentence, from three signals that fail differently: the sentiment model
    (assistant/sentiment.py, reads the whole sentence: "soaked through in a proper shower"), VADER's
    valence lexicon (knows "love" and "broke", and negation) and the review's stars (the reviewer's
    own verdict, too coarse for a sentence). The model counts twice. Measured on hand-labelled
    sentences: `shopassist eval polarity`.

    The model reads the first `model_reads` sentences (a product's newest reviews come first); the
    rest, and all of them with `model_reads=0`, get the zero-shot lean (a dot product) in its
    place, with VADER counting twice instead (as before the model). The model reads ~260
    sentences a second on a CPU: card reasons, chosen while the shopper waits, pass 0; a summary,
    built once and cached, reads its newest MODEL_READS (a product with 10,000 reviews would
    otherwise take minutes)."""
    lexicon = np.array([vader().polarity_scores(t)["compound"] for t in texts]) if texts else np.zeros(0)
    verdict = (np.asarray(stars, dtype=float) - 3) / 2
    sentiment = get_sentiment() if model_reads > 0 and texts else None
    k = min(model_reads, len(texts)) if sentiment is not None else 0
    scores = np.empty(len(texts))
    if sentiment is not None and k:
        scores[:k] = (lexicon[:k] + 2 * sentiment.score(texts[:k]) + verdict[:k]) / 4
    if k < len(texts):  # without the model VADER counts twice: the lean barely reads sentiment
        lean = np.tanh(8.0 * sentiment_lean(vecs[k:], encode))
        scores[k:] = (2 * lexicon[k:] + lean + verdict[k:]) / 4
    return scores


@lru_cache(maxsize=1)
def vader():
    """VADER, loaded once: its lexicon of valence words and its sentence scorer."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def side(score: float) -> str | None:
    """A sentence's side in a summary: praise, complaint, or neither (filler, facts, mixed)."""
    return "positive" if score > SIDE else "negative" if score < -SIDE else None


def summarize(product_id: str, reviews: list[Review], encode, max_points: int = 5) -> Summary:
    """`encode(texts) -> unit vectors`; returns up to `max_points` likes and dislikes."""
    summary = Summary(product_id, len(reviews))
    items = sentences(reviews)
    if not items:
        return summary
    vecs = encode([s for _, s in items])
    keep = ~generic(vecs, encode)  # "great product"-style sentences name no aspect
    polarity = sentence_polarity([s for _, s in items], vecs, np.array([r.rating for r, _ in items]), encode)
    keep &= np.abs(polarity) > SIDE  # neither praise nor complaint ("Three stars for now."): never a point

    # map: cluster each chunk; reduce: cluster the chunk centroids again
    groups: list[list[int]] = []
    idx = np.flatnonzero(keep)
    for start in range(0, len(idx), CHUNK):
        part = idx[start : start + CHUNK]
        groups += [[int(part[i]) for i in g] for g in _cluster(vecs[part], SIMILAR)]
    if len(idx) > CHUNK:
        cents = np.array([vecs[g].mean(0) / (np.linalg.norm(vecs[g].mean(0)) or 1) for g in groups])
        groups = [[i for gi in merged for i in groups[gi]] for merged in _cluster(cents, SIMILAR)]

    for g in groups:
        pol = polarity[g]
        n_pos, n_neg = int((pol > SIDE).sum()), int((pol < -SIDE).sum())
        centroid = vecs[g].mean(0)
        members = sorted(g, key=lambda i: -float(vecs[i] @ centroid))
        side = "positive" if n_pos >= n_neg else "negative"
        agree = [i for i in members if (polarity[i] > SIDE) == (side == "positive") and abs(polarity[i]) > SIDE]
        if not agree:
            continue
        head = agree[0]
        # a review is cited only if it says what the quoted sentence says: merged clusters
        # (the reduce step) can hold looser members that must not be counted as support
        backing = [i for i in agree if float(vecs[i] @ vecs[head]) >= SIMILAR]
        point = Point(items[head][1], list(dict.fromkeys(items[i][0].id for i in backing)), side)
        (summary.likes if side == "positive" else summary.dislikes).append(point)
        summary.aspects.append({"aspect": items[members[0]][1], "positive": n_pos, "negative": n_neg})
    summary.likes = sorted(summary.likes, key=lambda p: -len(p.review_ids))[:max_points]
    summary.dislikes = sorted(summary.dislikes, key=lambda p: -len(p.review_ids))[:max_points]
    summary.aspects.sort(key=lambda a: -(a["positive"] + a["negative"]))
    return summary
