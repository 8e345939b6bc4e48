"""The LLM's explanation of the first card, one verified sentence at a time.

The cards never wait for it. A sentence is shown only when the verifier finds every number,
brand and name of it in the facts; when the LLM is down, too slow to say anything true within
the first-prose budget, or starts replaying its prompt, the facts' own wording is shown.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.facts import facts_text, template_sentence
from assistant.llm import LLM, POOL, get_llm
from assistant.prompts import render
from assistant.recommend import Card
from assistant.settings import Settings
from assistant.text import complete_sentences
from assistant.verifier import ECHO, Verifier

log = logging.getLogger(__name__)
MAX_REQUEST = 300  # characters of the shopper's message the prompt quotes (it is data, fenced)
MIN_WORDS = 3  # a verified "Yes." says nothing worth showing


@dataclass
class ProseReport:
    """How the prose of one answer came about (the `done` event carries it)."""

    llm: str | None = None
    skipped: str | None = None  # why the LLM was not asked (its measured verified rate is too low)
    verified: int = 0
    rejected: int = 0
    fallback: bool = False
    timeout: bool = False
    slow_start: bool = False
    error: str | None = None

    def to_dict(self) -> dict:
        out = {"llm": self.llm, "verified": self.verified, "rejected": self.rejected, "fallback": self.fallback}
        out |= {
            k: v
            for k, v in (("timeout", self.timeout), ("slow_start", self.slow_start), ("error", self.error), ("skipped", self.skipped))
            if v
        }
        return out


@dataclass
class Facts:
    """What the prose may say about the first card, and the facts' own wording of it."""

    card: Card
    text: str
    fallback: str

    @classmethod
    def of(cls, card: Card) -> Facts:
        return cls(card, facts_text(card.product, card.reasons), template_sentence(card.product, card.reasons))


PROSE_RATE = "prose_rate:"  # store meta key prefix: a model's measured verified-sentence rate


class Explainer:
    def __init__(
        self,
        settings: Settings,
        verifier: Callable[[], Verifier],
        stats: Counter[str],
        measured: Callable[[str], float | None] = lambda name: None,
    ):
        self.settings = settings
        self.verifier = verifier
        self.stats = stats
        self.measured = measured  # a model's verified-sentence rate as `shopassist eval explain` measured it

    def wanted(self, llm: LLM) -> str | None:
        """None when the LLM should write prose; else why not."""
        if self.settings.llm_prose is not None:
            return None if self.settings.llm_prose else "LLM_PROSE is off"
        if self.settings.llm_external:
            return None
        rate = self.measured(llm.name)
        if rate is None:
            return f"{llm.name} has no measured verified rate (run `shopassist eval explain`)"
        if rate < self.settings.llm_prose_min_rate:
            return f"{llm.name} passes the verifier {rate:.0%} of the time, under {self.settings.llm_prose_min_rate:.0%}"
        return None

    def stream(self, facts: Facts, message: str, report: ProseReport) -> Iterator[str]:
        """Pieces of prose: the LLM's verified sentences, or the facts' wording."""
        llm = get_llm(self.settings)
        shown = 0
        if llm is not None and (reason := self.wanted(llm)):
            report.skipped = reason
            llm = None
        if llm is not None:
            report.llm = llm.name
            for sentence in self._verified(llm, facts, message, report):
                shown += 1
                yield ("" if shown == 1 else " ") + sentence
        if shown == 0:
            report.fallback = True
            self.stats["fallback"] += 1
            yield facts.fallback

    def _verified(self, llm: LLM, facts: Facts, message: str, report: ProseReport) -> Iterator[str]:
        evidence = facts.text  # never the shopper's own words: "$1" in a message proves no price
        top = {"title": facts.card.product.title, "reasons": facts.card.reasons}
        msgs = [
            SystemMessage(render("explain", "system")),
            HumanMessage(render("explain", "example_user")),
            AIMessage(render("explain", "example_answer")),
            HumanMessage(render("explain", "user", request=message[:MAX_REQUEST], product=top)),
        ]
        started = time.monotonic()
        deadline = started + self.settings.llm_timeout_s
        # a shopper waits for words, not for a small model to find a true sentence: when
        # nothing verified came by this budget, the facts' own wording is shown instead. The
        # budgets hold even when no chunk arrives at all (a server that accepts and never answers)
        first_by = started + self.settings.llm_first_prose_s
        buffer, shown = "", 0
        pieces = _stream_in_background(llm, msgs)
        try:
            while True:
                wait = (deadline if shown else min(deadline, first_by)) - time.monotonic()
                try:
                    piece = pieces.get(timeout=max(0.0, wait))
                except queue.Empty:
                    if shown == 0 and time.monotonic() < deadline:
                        report.slow_start = True
                        self.stats["llm_slow_start"] += 1
                    else:
                        report.timeout = True
                        self.stats["llm_timeout"] += 1
                    break
                if piece is _END:
                    if buffer.strip() and self._accept(buffer.strip(), evidence, report):
                        yield buffer.strip()
                    break
                if isinstance(piece, Exception):
                    raise piece
                buffer += piece
                done, buffer = complete_sentences(buffer)
                for sentence in done:
                    if self._accept(sentence, evidence, report):
                        shown += 1
                        yield sentence
                if ECHO.search(buffer):  # the model started replaying the prompt: nothing useful follows
                    break
        except Exception as exc:  # LLM down or broken: the facts speak for themselves
            log.warning("LLM failed, using the facts' wording: %s", exc)
            self.stats["llm_error"] += 1
            report.error = str(exc)[:200]
        finally:
            pieces.stop.set()  # the generation ends at its next chunk (and frees the in-process model)

    def _accept(self, sentence: str, facts: str, report: ProseReport) -> bool:
        verdict = self.verifier().check(sentence, facts)
        if verdict.ok and len(sentence.split()) >= MIN_WORDS:
            report.verified += 1
            return True
        report.rejected += 1
        self.stats["rejected_sentences"] += 1
        log.info("verifier rejected %r: %s", sentence, "; ".join(verdict.problems))
        return False


_END = object()


class _Pieces(queue.Queue):
    """Chunks of a generation running on the LLM pool; `stop` ends it early."""

    def __init__(self) -> None:
        super().__init__()
        self.stop = threading.Event()


def _stream_in_background(llm: LLM, msgs: list) -> _Pieces:
    pieces = _Pieces()

    def produce() -> None:
        try:
            with llm.lock or contextlib.nullcontext():
                if pieces.stop.is_set():  # waited for the model past the budget: nobody is listening
                    return
                for chunk in llm.model.stream(msgs):
                    pieces.put(str(chunk.content))
                    if pieces.stop.is_set():
                        return
        except Exception as exc:
            pieces.put(exc)
        finally:
            pieces.put(_END)

    POOL.submit(produce)
    return pieces
