"""Review summaries as the shop serves them: extractive points (assistant/reviews.py), reworded
or rewritten by the LLM where the verifier allows (assistant/reword.py), cached in the store
and recomputed when reviews were added. Also the polarity of review sentences that card
reasons use."""

from __future__ import annotations

import copy
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.llm import get_llm, within
from assistant.reviews import generic, sentence_polarity, summarize
from assistant.reword import abstract_summary, reword_summary
from assistant.settings import Settings
from assistant.store import Store
from assistant.verifier import Verifier
from retrieval.embedder import Embedder

log = logging.getLogger(__name__)


class Summaries:
    def __init__(self, settings: Settings, store: Store, embedder: Embedder, verifier: Callable[[], Verifier], stats: Counter[str]):
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.verifier = verifier
        self.stats = stats

    def praise(self, texts: list[str], vecs: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """Polarity of review sentences for card reasons, by the fast signals (chosen while the shopper
        waits); generic ones ("love it") count as neutral."""
        scores = sentence_polarity(texts, vecs, stars, self.embedder.encode, model_reads=0)
        return np.where(generic(vecs, self.embedder.encode), 0.0, scores)

    def summary(self, product_id: str, refresh: bool = False) -> dict[str, Any]:
        """Cached; recomputed when reviews were added since it was written."""
        count = self.store.review_counts([product_id]).get(product_id, 0)
        cached = self.store.get_summary(product_id)
        if cached and cached[1] == count and not refresh:
            return cached[0]
        data = self.build(product_id)
        product = self.store.get_product(product_id)
        data["gist"], data["gist_reviews"] = gist(product.title if product else product_id, data, self.store.reviews_for(product_id))
        llm = get_llm(self.settings) if self.settings.summaries_by_llm else None
        if llm is not None:  # reworded (or rewritten) where the verifier allows; the quotes stay beside
            style = self.settings.summary_style
            rewrite = abstract_summary if style == "abstractive" else reword_summary
            draft = copy.deepcopy(data)  # a late rewrite must not touch what is served meanwhile
            try:
                counts = within(self.settings.llm_timeout_s, lambda: rewrite(draft, llm, self.verifier(), self.embedder.encode))
            except TimeoutError as exc:  # served extractive, and not cached: the next request tries again
                log.warning("summary of %s: %s; served extractive", product_id, exc)
                self.stats["summary_llm_timeout"] += 1
                return data
            data = draft
            self.stats.update({f"{style}_{k}": n for k, n in counts.items()})
        self.store.save_summary(product_id, data, count)
        return data

    def build(self, product_id: str) -> dict[str, Any]:
        """Extractive points from the reviews, not cached."""
        return summarize(product_id, self.store.reviews_for(product_id), self.embedder.encode).to_dict()


def gist(title: str, summary: dict[str, Any], reviews: list) -> tuple[str, list[str]]:
    """One sentence with counts heading a summary: how many reviews say the most-said praise
    and the most-said complaint ("31 of 40 reviews say …; 6 say …"), with the reviews cited."""
    n = len(reviews) or summary.get("review_count", 0)
    mean = sum(r.rating for r in reviews) / len(reviews) if reviews else None
    head = f"The {title} has {n} review{'s' if n != 1 else ''}" + (f" averaging {mean:.1f} stars" if mean is not None else "")
    cites: list[str] = []
    parts = []
    for side, verb in (("likes", "praise"), ("dislikes", "criticise")):
        if summary.get(side):
            point = summary[side][0]
            k = len(point["review_ids"])
            parts.append(f"{k} of {n} {verb} it: “{point.get('quote') or point['text']}”")
            cites += [f"review:{r}" for r in point["review_ids"][:5]]
    text = head + (": " + "; ".join(parts) if parts else "") + "."
    return f"{text} [{', '.join(cites[:3])}]" if cites else text, cites
