"""The store's own policies and answers (shipping, returns, warranty…), as the store wrote them.

A store supplies them as a file (`shopassist ingest --faq faq.jsonl`: id, question, answer,
topic); a store question is answered with the entry that asks the same thing, quoted and cited
(`faq:<id>`). When no entry is close enough, the answer says the store information doesn't
cover it and offers a person, instead of making a policy up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.store import Store
from assistant.vocabulary import QUESTION_WORDS, STOP, stems
from retrieval.embedder import Embedder

MATCH = 0.7  # cosine between a question and an entry's question (with its topic) that answers it alone …
MATCH_WITH_WORD = 0.35  # … or this, when they share a word that is not a stop word
SHARED_WORD = 0.05  # between candidate entries, each shared word counts this much cosine


@dataclass
class Entry:
    id: str
    question: str
    answer: str
    topic: str = ""


class FAQ:
    def __init__(self, store: Store, embedder: Embedder):
        self.store = store
        self.embedder = embedder
        self._entries: list[Entry] | None = None
        self._vectors: np.ndarray | None = None
        self._words: list[set[str]] = []  # each entry's words (topic, question and answer), for overlap

    def entries(self) -> list[Entry]:
        if self._entries is None:
            entries = [Entry(**row) for row in self.store.faq()]
            texts = [f"{e.topic}: {e.question}" if e.topic else e.question for e in entries]
            self._vectors = self.embedder.encode(texts) if texts else None
            self._words = [{w for w in stems(f"{e.topic} {e.question} {e.answer}") if w not in STOP} for e in entries]
            self._entries = entries  # last: a concurrent reader sees all three or rebuilds them
        return self._entries

    def changed(self) -> None:
        self._entries = self._vectors = None

    def best(self, message: str) -> Entry | None:
        entries = self.entries()
        if not entries or self._vectors is None:
            return None
        sims = self._vectors @ self.embedder.encode_cached([message])[0]
        said = {w for w in stems(message) if w not in STOP and w not in QUESTION_WORDS and len(w) > 2}
        # the words it shares with each entry, the answer's words too: "can I pay with PayPal?" is
        # the entry whose answer names PayPal, "how much does express delivery cost?" the one
        # whose answer says what express costs
        overlap = np.array([len(said & words) for words in self._words])
        ok = (sims >= MATCH) | ((overlap > 0) & (sims >= MATCH_WITH_WORD))
        if not ok.any():
            return None
        return entries[int(np.argmax(np.where(ok, sims + SHARED_WORD * overlap, -1.0)))]
