"""Lexical analysis for the sparse channels: how product text and queries become BM25 tokens.

Product titles are full of sizes ("1/2 in. x 10 ft. Copper Pipe", "5 gal.", "60W"), which a
plain English analyzer breaks badly: "in" is a stop word, "1/2" becomes "1" and "2", and
"2x4" stays one unknown token. `normalize` rewrites sizes into tokens that survive (`1over2
inch x 10 foot`), identically for products and queries, so "1/2 inch pipe" meets "1/2 in.
pipe". `char_grams` feeds a second, character-trigram BM25 channel that still matches when
words are glued, split or misspelt ("fire place" / "Fireplace", "undercounter"). Both become
sparse vectors through Qdrant's own BM25 analyzer (stemming, English stop words); the engine
applies IDF at search time.

Bump LEXICAL_VERSION whenever this changes: the index then rebuilds its sparse vectors
(without re-embedding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qdrant_edge import Bm25, Bm25Config, DisabledStemmer, StopwordsSet, TokenizerType

LEXICAL_VERSION = 2

NUMBER = r"(\d+(?:[./]\d+)?)"
# canonical unit words are not stop words and survive stemming unchanged
UNITS = [
    (r"in\.|inch(?:es)?|\"|''|(?<=[\d-])in\b", "inch"),  # a bare "in" only glued on: "30in", "30-in"
    (r"ft\.|feet|foot|'|ft\b", "foot"),
    (r"gal\.|gallons?|gal\b", "gallon"),
    (r"lbs?\.?|pounds?", "pound"),
    (r"oz\.?|ounces?", "ounce"),
    (r"qt\.?|quarts?", "quart"),
    (r"volts?|v\b", "volt"),
    (r"watts?|w\b", "watt"),
    (r"amps?", "amp"),
    (r"mm\b", "mm"),
    (r"cm\b", "cm"),
    (r"btu\b", "btu"),
]
UNIT_AFTER_NUMBER = [(re.compile(NUMBER + r"\s*-?\s*(?:" + pattern + ")", re.IGNORECASE), word) for pattern, word in UNITS]
FRACTION = re.compile(r"(\d+)/(\d+)")
DIMENSIONS = re.compile(r"(\d)\s*x\s*(?=\d)", re.IGNORECASE)  # 2x4x8 → 2 x 4 x 8
TOKEN = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> str:
    """Sizes and units in one canonical spelling; everything else untouched."""
    text = DIMENSIONS.sub(r"\1 x ", text)
    for pattern, word in UNIT_AFTER_NUMBER:
        text = pattern.sub(lambda m, w=word: f"{m.group(1)} {w} ", text)  # type: ignore[misc]
    return FRACTION.sub(r"\1over\2", text)


def char_grams(text: str, n: int = 3) -> str:
    """Each word padded with `_` and cut into overlapping n-grams, as one whitespace-separated string."""
    grams: list[str] = []
    for word in TOKEN.findall(text.lower()):
        padded = f"_{word}_"
        grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
    return " ".join(grams)


@dataclass
class SparseVec:
    indices: list[int]
    values: list[float]


BM25_AVG_LEN = 40.0  # product texts are short; the engine's default (256) assumes documents
GRAMS_AVG_LEN = 60.0  # a short title is ~65 trigrams


_words: Bm25 | None = None
_grams: Bm25 | None = None


def words_model() -> Bm25:
    """Word BM25: English stop words and stemming, over size-normalized text."""
    global _words
    if _words is None:
        _words = Bm25(Bm25Config(avg_len=BM25_AVG_LEN, language="english"))
    return _words


def grams_model() -> Bm25:
    """Trigram BM25: the grams are already tokens, so no stemming and no stop words."""
    global _grams
    if _grams is None:
        plain = StopwordsSet(languages=set(), custom=set())
        _grams = Bm25(Bm25Config(avg_len=GRAMS_AVG_LEN, tokenizer=TokenizerType.Whitespace, stemmer=DisabledStemmer(), stopwords=plain))
    return _grams


def _vec(v) -> SparseVec:
    return SparseVec(list(v.indices), list(v.values))


def sparse_document(text: str) -> SparseVec:
    return _vec(words_model().embed_document(normalize(text)))


def sparse_query(text: str) -> SparseVec:
    return _vec(words_model().embed_query(normalize(text)))


def grams_document(text: str) -> SparseVec:
    return _vec(grams_model().embed_document(char_grams(text)))


def grams_query(text: str) -> SparseVec:
    return _vec(grams_model().embed_query(char_grams(text)))
