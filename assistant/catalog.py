"""What the shop knows about its own catalog, derived from the store and built on first use:
the vocabulary understanding reads messages with, the speller that fixes query words, and the
verifier's list of brands. `changed()` drops them all after an ingest or index."""

from __future__ import annotations

from assistant.store import Store
from assistant.understand import Vocabulary
from assistant.verifier import Verifier
from retrieval.spelling import Speller


class Catalog:
    def __init__(self, store: Store):
        self.store = store
        self._vocabulary: Vocabulary | None = None
        self._verifier: Verifier | None = None
        self._speller: Speller | None = None

    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            products = self.store.iter_products()
            colors = sorted({str(p.attributes.get("color")).lower() for p in products if p.attributes.get("color")})
            self._vocabulary = Vocabulary(brands=self.store.brands(), colors=colors, categories=self.store.categories())
        return self._vocabulary

    def verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = Verifier(self.store.brands())
        return self._verifier

    def speller(self) -> Speller:
        """Spelling correction against the catalog's words."""
        if self._speller is None:
            self._speller = Speller(p.embedding_text() for p in self.store.iter_products())
        return self._speller

    def changed(self) -> None:
        self._vocabulary = self._verifier = self._speller = None
