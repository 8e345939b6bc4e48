"""Sentence sentiment: the bundled embedder with a small LoRA adapter and a linear head, trained
on public review sentences (assistant/sentiment_train.py, `shopassist train-sentiment`).

Why its own model: the embedder's vectors say what a sentence is about, hardly how it feels
("The keys are loud" sits beside "The keys are quiet"), so a classifier on frozen vectors reads
sentiment poorly. Fine-tuning the encoder's attention and feed-forward weights through a
low-rank adapter learns it, and the adapter is 2.7 MB: it ships in the package
(assistant/models/sentiment/), the base weights are the embedder's own. Without the adapter the
score is None and summaries fall back to the other signals (assistant/reviews.py).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from cachetools import LRUCache

ADAPTER = Path(__file__).parent / "models" / "sentiment"
MAX_TOKENS = 64  # review sentences kept for summaries are at most 40 words
BATCH = 64


class Sentiment:
    """-1 (complaint) … 1 (praise) per sentence; scores are cached by text, since the same review
    sentences come back on every card and summary of a product."""

    def __init__(self, encoder, tokenizer, head: torch.nn.Linear):
        self.encoder, self.tokenizer, self.head = encoder.eval(), tokenizer, head.eval()
        self._cache: LRUCache[str, float] = LRUCache(maxsize=1 << 16)
        self._lock = threading.Lock()

    def logits(self, texts: list[str]) -> torch.Tensor:
        """The head's logits (praise > 0); with gradients when training."""
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    def score(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            todo = sorted(dict.fromkeys(t for t in texts if t not in self._cache), key=len)  # batches of alike lengths pad little
            for start in range(0, len(todo), BATCH):
                part = todo[start : start + BATCH]
                with torch.inference_mode():
                    values = torch.tanh(self.logits(part) / 2).tolist()
                self._cache.update(zip(part, values))
            return np.array([self._cache[t] for t in texts], dtype=float)


def base_encoder(model_path: str | None = None):
    """A fresh copy of the embedder's transformer and tokenizer (fine-tuning must not touch the
    embedder that indexes the catalog)."""
    from sentence_transformers import SentenceTransformer

    from retrieval.embedder import default_model_path

    st = SentenceTransformer(model_path or default_model_path(), device="cpu")
    return st[0].auto_model, st.tokenizer


def load(adapter: Path = ADAPTER) -> Sentiment | None:
    """The trained model, or None when no adapter was trained (a checkout before training)."""
    if not (adapter / "adapter_config.json").exists():
        return None
    from peft import PeftModel
    from safetensors.torch import load_file

    encoder, tokenizer = base_encoder()
    encoder = PeftModel.from_pretrained(encoder, str(adapter)).merge_and_unload()  # plain weights: as fast as the base
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    head.load_state_dict(load_file(str(adapter / "head.safetensors")))
    return Sentiment(encoder, tokenizer, head)


@lru_cache(maxsize=1)
def get_sentiment() -> Sentiment | None:
    return load()
