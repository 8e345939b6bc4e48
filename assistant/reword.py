"""The LLM rewords a review-summary point, and the wording is kept only where it adds nothing.

A point is a quoted review sentence ("The keys are a bit loud at night but I got used to it").
The LLM may turn it into a short neutral point ("Keys are somewhat loud"); the result is kept
only if the verifier finds nothing in it that the quote does not hold (numbers, brands, names,
content words) and it still means the same (cosine to the quote ≥ REWORD_SIMILAR, the
embedder's own paraphrase range). Otherwise the quote stays. The quote is always kept beside
the wording, with the review ids, so a reader can check it.

With a strong model (`SUMMARY_STYLE=abstractive`) the LLM may instead write a side's points
afresh from the numbered quotes, merging what says the same thing; each point must cite the
quotes it summarises, the verifier checks it against them, and its review ids are theirs. A
side where fewer than two points survive keeps its extracted points.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import numpy as np

from assistant.llm import LLM
from assistant.prompts import render
from assistant.text import split_sentences
from assistant.verifier import Verifier

log = logging.getLogger(__name__)

REWORD_SIMILAR = 0.75  # a paraphrase of a review sentence by all-MiniLM-L6-v2 scores above this
ABSTRACT_SIMILAR = 0.6  # a point merging quotes stays on the topic of one of them (the summary check's bar)
MAX_WORDS = 16
CITED = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*\.?\s*$")  # "Battery lasts all day [1, 3]"
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


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
    if _addresses_reader(text, quote):
        return None, "addresses the reader"
    verdict = verifier.check(text, quote)
    if not verdict.ok:
        return None, "verifier"
    a, b = encode([text, quote])
    if float(np.dot(a, b)) < REWORD_SIMILAR:
        return None, "meaning drifted"
    return text[0].upper() + text[1:], "kept"


def _addresses_reader(text: str, quote: str) -> bool:
    """'my partner loves it' is not 'your partner loves it'."""
    return bool(re.search(r"\byou(r|rs|'re|'ll)?\b", text, re.I)) and not re.search(r"\byou", quote, re.I)


def abstract_side(points: list[dict], side: str, llm: LLM, verifier: Verifier, encode) -> tuple[list[dict] | None, Counter[str]]:
    """One side's points written afresh, each citing the quotes it summarises, or None when
    fewer than two (or than the side had) survive the checks."""
    from langchain_core.messages import HumanMessage, SystemMessage

    quotes = [p.get("quote") or p["text"] for p in points]
    messages = [
        SystemMessage(render("review_abstract", "system", side=side)),
        HumanMessage(render("review_abstract", "user", quotes=quotes)),
    ]
    outcomes: Counter[str] = Counter()
    try:
        reply = llm.invoke(messages)
    except Exception as exc:  # down or slow: the extracted points stay
        log.warning("abstractive summary failed: %s", exc)
        return None, Counter({"llm error": 1})
    kept: list[dict] = []
    for line in reply.splitlines():
        line = BULLET.sub("", line).strip()
        if not line:
            continue
        why, point = _abstract_point(line, points, quotes, verifier, encode)
        outcomes[why] += 1
        if point is not None:
            kept.append(point)
    if len(kept) < min(2, len(points)):
        outcomes["side kept extracted"] += 1
        return None, outcomes
    return kept[:5], outcomes


def _abstract_point(line: str, points: list[dict], quotes: list[str], verifier: Verifier, encode) -> tuple[str, dict | None]:
    """(what happened, the point or None) for one line of the LLM's answer."""
    cited = CITED.search(line)
    if not cited:
        return "cites nothing", None
    numbers = sorted({int(n) for n in cited.group(1).split(",")})
    if any(not 1 <= n <= len(quotes) for n in numbers):
        return "cites no such quote", None
    text = line[: cited.start()].strip().rstrip(".") + "."
    sources = [quotes[n - 1] for n in numbers]
    if not 3 <= len(text.split()) <= MAX_WORDS:
        return "empty or too long", None
    if _addresses_reader(text, " ".join(sources)):
        return "addresses the reader", None
    if not verifier.check(text, " ".join(sources)).ok:
        return "verifier", None
    vecs = encode([text, *sources])
    if float((vecs[1:] @ vecs[0]).max()) < ABSTRACT_SIMILAR:
        return "off topic", None
    ids = sorted({rid for n in numbers for rid in points[n - 1]["review_ids"]})
    return "kept", {
        "text": text[0].upper() + text[1:],
        "quote": " / ".join(sources),
        "review_ids": ids,
        "polarity": points[numbers[0] - 1]["polarity"],
    }


def abstract_summary(summary: dict[str, Any], llm: LLM, verifier: Verifier, encode) -> Counter[str]:
    """Rewrites each side in place where the checks allow; returns what happened."""
    outcomes: Counter[str] = Counter()
    for side in ("likes", "dislikes"):
        if summary[side]:
            written, why = abstract_side(summary[side], side, llm, verifier, encode)
            outcomes += why
            if written is not None:
                summary[side] = written
    return outcomes


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
