"""The LLM rewords a review-summary point, and the wording is kept only where it adds nothing.

A point is a quoted review sentence ("The keys are a bit loud at night but I got used to it").
The LLM may turn it into a short neutral point ("Keys are somewhat loud"); the result is kept
only if the verifier finds nothing in it that the quote does not hold (numbers, brands, names,
content words) and it still means the same (cosine to the quote ≥ REWORD_SIMILAR, the
embedder's own paraphrase range). Otherwise the quote stays. The quote is always kept beside
the wording, with the review ids, so a reader can check it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import numpy as np

from assistant.llm import LLM
from assistant.prompts import render
from assistant.verifier import Verifier, split_sentences

log = logging.getLogger(__name__)

REWORD_SIMILAR = 0.75  # a paraphrase of a review sentence by all-MiniLM-L6-v2 scores above this
MAX_WORDS = 16


def reword(quote: str, llm: LLM, verifier: Verifier, encode) -> tuple[str | None, str]:
    """(the reworded point or None, why): None whenever the LLM failed or added anything."""
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [SystemMessage(render("review_rewrite", "system")), HumanMessage(render("review_rewrite", "user", point=quote))]
    try:
        reply = llm.invoke(messages)
    except Exception as exc:  # down or slow: the quote stays
        log.warning("rewording failed: %s", exc)
        return None, "llm error"
    parts = split_sentences(reply.strip())
    text = re.sub(r"^[\s\"'“*\-•]+|[\s\"'”*]+$", "", parts[0]) if parts else ""
    if not text or len(text.split()) > MAX_WORDS:
        return None, "empty or too long"
    if text.lower().rstrip(".!") == quote.lower().rstrip(".!"):
        return None, "unchanged"
    if re.search(r"\byou(r|rs|'re|'ll)?\b", text, re.I) and not re.search(r"\byou", quote, re.I):
        return None, "addresses the reader"  # "my partner loves it" is not "your partner loves it"
    verdict = verifier.check(text, quote)
    if not verdict.ok:
        return None, "verifier"
    a, b = encode([text, quote])
    if float(np.dot(a, b)) < REWORD_SIMILAR:
        return None, "meaning drifted"
    return text[0].upper() + text[1:], "kept"


def reword_summary(summary: dict[str, Any], llm: LLM, verifier: Verifier, encode) -> Counter[str]:
    """Rewords every point in place (`quote` keeps the review sentence); returns what happened."""
    outcomes: Counter[str] = Counter()
    for side in ("likes", "dislikes"):
        for point in summary[side]:
            quote = point.get("quote") or point["text"]
            text, why = reword(quote, llm, verifier, encode)
            outcomes[why] += 1
            point["quote"] = quote
            point["text"] = text or quote
    return outcomes
