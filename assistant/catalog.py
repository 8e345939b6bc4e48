"""What the shop knows about its own catalog, derived from the store and the index and built on
first use: the vocabulary understanding reads messages with, the speller that fixes query
words, the verifier's brands, which category a request is about, and whether the shop sells
what is asked at all. `changed()` drops what was built after an ingest or index.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from cachetools import TTLCache

from assistant.store import Store
from assistant.verifier import Verifier
from assistant.vocabulary import Vocabulary, stems
from records import Constraints
from retrieval.embedder import Embedder
from retrieval.hybrid import best_matches, search
from retrieval.spelling import Speller
from retrieval.vectorstore import Hit, VectorStore

MATCHES_KEPT = 1024
MATCH_KEPT_S = 60.0  # another process's index changes reach a kept match this late
CATEGORY_HITS = 20  # products whose categories vote for a request's category …
CATEGORY_SHARE = 0.7  # … and the share of their (rank-weighted) votes the chosen category must hold …
CATEGORY_COSINE = 0.35  # … when the best of them is at least this close in meaning
RELATED = 0.35  # cosine above which new search words still belong to the current need


@dataclass
class Match:
    """How well the catalog answers a request: the best product's cosine to it, and the share of
    the request's words the catalog uses anywhere."""

    cosine: float
    known_words: float
    hits: list[Hit]


class Catalog:
    def __init__(self, store: Store, vectors: VectorStore, embedder: Embedder):
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self._vocabulary: Vocabulary | None = None
        self._verifier: Verifier | None = None
        self._speller: Speller | None = None
        # a turn asks twice for the same request (its category, whether the shop carries it),
        # and a shopper's next turn often again: each is a hybrid search over the whole catalog
        self._matches: TTLCache[tuple[str, int], Match] = TTLCache(MATCHES_KEPT, MATCH_KEPT_S)
        self._lock = threading.Lock()

    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.of(self.store.iter_products(), self.embedder.is_word)
        return self._vocabulary

    def verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = Verifier(self.store.brands())
        return self._verifier

    def speller(self) -> Speller:
        """Spelling correction against the catalog's words."""
        if self._speller is None:
            self._speller = Speller((p.embedding_text() for p in self.store.iter_products()), self.embedder.is_word)
        return self._speller

    def changed(self) -> None:
        self._vocabulary = self._verifier = self._speller = None
        with self._lock:
            self._matches.clear()

    # ---- what a request is about -----------------------------------------------------------------
    def match(self, text: str, limit: int = CATEGORY_HITS) -> Match:
        """The catalog's best products for a request, by meaning and words, with no filter."""
        if not text.strip() or not self.vectors.count():
            return Match(0.0, 0.0, [])
        with self._lock:
            kept = self._matches.get((text, limit))
        if kept is None:
            kept = self._match(text, limit)
            with self._lock:
                self._matches[(text, limit)] = kept
        return kept

    def _match(self, text: str, limit: int) -> Match:
        from retrieval.analysis import grams_query, sparse_query

        dense_text, sparse_text = self.speller().rewrite(text)
        v = self.embedder.encode_one(dense_text)
        hits, best = best_matches(self.vectors, v, sparse_query(sparse_text), grams_query(text), limit)
        said = [w for w in stems(dense_text) if len(w) > 2]
        vocab = self.vocabulary()
        known = sum(vocab.known(w) for w in said) / len(said) if said else 0.0
        return Match(best, known, hits)

    def categorize(self, text: str) -> str | None:
        """The deepest category holding most of the best products for the request (their votes
        weighted by rank), or None when they spread over unrelated categories or the category
        holds every product (a filter on it narrows nothing, and costs the engine a check per
        product it looks at: at 1M products a filtered dense search took 8 ms, an open one 6)."""
        m = self.match(text)
        hits = m.hits
        if not hits or m.cosine < CATEGORY_COSINE:
            return None
        mass: dict[str, float] = defaultdict(float)
        total = 0.0
        for rank, hit in enumerate(hits):
            w = 1.0 / (rank + 2)
            total += w
            for node in hit.payload.get("category") or []:
                mass[node] += w
        held = [node for node, m in mass.items() if m >= CATEGORY_SHARE * total]
        if not held:
            return None
        deepest = self._path(max(held, key=lambda n: (n.count(">"), mass[n])))
        return None if deepest is None or self.vocabulary().holds_everything(deepest) else deepest

    def _path(self, node: str) -> str | None:
        """A lowercase payload prefix back to the catalog's own spelling."""
        for path in self.vocabulary().category_nodes:
            if path.lower() == node:
                return path
        return None

    def fits(self, need: str, category: str | None, text: str) -> bool:
        """Whether products of the current need are described with these words ("chocolate" ice
        cream): among the best matches of need + words (in the need's category), a title holding
        every new word and a word of the need."""
        from retrieval.analysis import sparse_query

        want, need_words = set(stems(text)), set(stems(need))
        if not want:
            return False
        c = Constraints(categories=[category] if category else [], in_stock=False)
        hits = search(self.vectors, sparse=sparse_query(f"{need} {text}"), constraints=c, limit=5)
        return any(want <= (t := set(stems(h.payload.get("title", "")))) and (not need_words or need_words & t) for h in hits)

    def related(self, a: str, b: str) -> bool:
        """Whether two requests are about the same need (cosine of their embeddings)."""
        va, vb = self.embedder.encode_cached([a, b])
        return float(np.dot(va, vb)) >= RELATED
