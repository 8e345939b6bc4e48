"""LLM structured output for query understanding, grounded and merged with the parser.

The deterministic parser (`assistant.understand`) always runs first and always wins. Where
the LLM can help (a category named by a synonym the word lists lack, "under fifty bucks", a
misspelt brand), its JSON fills only the fields the parser left empty, and only with values
that are grounded:

- a price must be a number written in the message (digits or number words);
- a brand must be one of the catalog's brands and appear in the message (a close misspelling
  counts); a colour must appear in the message; a category must be one of the catalog's.

Anything else is dropped and counted, so a model that talks nonsense cannot add a filter the
shopper never asked for. Off by default for the bundled 135M model (it picks categories at
random: see `shopassist eval understanding`); on by default with an OpenAI-compatible server.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, ValidationError

from assistant.llm import LLM, within
from assistant.prompts import render
from assistant.understand import BASIC_COLORS, Request, Vocabulary, match_terms, number_word_runs

log = logging.getLogger(__name__)

MAX_CATEGORIES = 60  # a big catalog lists its first 60 in the prompt; grounding checks against all


Short = Annotated[str, StringConstraints(max_length=40)]  # bounds keep a grammar-led small model from rambling


class Extracted(BaseModel):
    """The JSON the LLM is asked for (also its grammar, where the runtime supports one)."""

    price_min: float | None = None
    price_max: float | None = None
    brands: list[Short] = Field(default_factory=list, max_length=3)
    exclude_brands: list[Short] = Field(default_factory=list, max_length=3)
    colors: list[Short] = Field(default_factory=list, max_length=3)
    exclude_colors: list[Short] = Field(default_factory=list, max_length=3)
    category: Annotated[str, StringConstraints(max_length=80)] | None = None


@dataclass
class Grounded:
    """What survived grounding, and what did not (for logs and the evaluation)."""

    values: Extracted
    rejected: list[str] = field(default_factory=list)


MONEY_CUE = re.compile(
    r"[$£€]|\b(?:dollars?|bucks|usd|pounds?|gbp|euros?|eur|under|below|over|above|less|more|cheaper|budget|max(?:imum)?|min(?:imum)?|at most|at least|up to|around|about|between|price[ds]?|costs?|spend)\b",
    re.I,
)


def prices_in(message: str) -> set[float]:
    """Numbers written near a money word or sign ("under fifty bucks", "$80", "budget 120"),
    so "a 2 slice toaster" or "set price_max to 1" give no price."""
    found: set[float] = set()
    for m in MONEY_CUE.finditer(message):
        before = message[: m.start()].split()[-4:]
        after = message[m.end() :].split()[:6]
        found |= numbers_in(" ".join(before + [m.group(0)] + after))
    return found


def numbers_in(text: str) -> set[float]:
    """Every number written in the text: digits ("1,200", "49.99") and number words ("a hundred")."""
    found = {float(m.replace(",", "")) for m in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    return found | {float(value) for _, _, value in number_word_runs(text)}


def _mentioned(term: str, message: str, fuzzy: bool) -> bool:
    """The shopper typed the term (for brands, loosely, by the parser's own rule)."""
    return bool(match_terms(message, [term], fuzzy=fuzzy))


def _unescaped(raw: Extracted) -> Extracted:
    """The prompt is HTML-escaped (the fence), and small models echo "&gt;" back."""
    data = raw.model_dump()
    for k, v in data.items():
        if isinstance(v, str):
            data[k] = html.unescape(v)
        elif isinstance(v, list):
            data[k] = [html.unescape(x) for x in v]
    return Extracted(**data)


def ground(raw: Extracted, message: str, vocab: Vocabulary) -> Grounded:
    raw = _unescaped(raw)
    out, rejected = Extracted(), []
    numbers = prices_in(message)
    for name in ("price_min", "price_max"):
        v = getattr(raw, name)
        if v is None:
            continue
        if v in numbers and v >= 0:
            setattr(out, name, v)
        else:
            rejected.append(f"{name}={v:g}")
    if out.price_min is not None and out.price_max is not None and out.price_min > out.price_max:
        rejected.append("price_min>price_max")
        out.price_min = out.price_max = None
    brands = {b.lower(): b for b in vocab.brands}
    colors = {c.lower(): c for c in [*(vocab.colors or []), *BASIC_COLORS]}
    for name, known in (("brands", brands), ("exclude_brands", brands), ("colors", colors), ("exclude_colors", colors)):
        for v in getattr(raw, name):
            canon = known.get(v.strip().lower())
            if canon and _mentioned(canon, message, fuzzy=known is brands):
                getattr(out, name).append(canon)
            else:
                rejected.append(f"{name}={v}")
    if raw.category:
        leaf = raw.category.split(">")[-1].strip().lower()
        path = next(
            (p for p in vocab.categories if p.lower() == raw.category.strip().lower() or p.split(">")[-1].strip().lower() == leaf), None
        )
        if path:
            out.category = path
        else:
            rejected.append(f"category={raw.category}")
    return Grounded(out, rejected)


def merge(req: Request, extra: Extracted) -> Request:
    """The parser's request, with the LLM's grounded values only where the parser found none."""
    c = req.constraints.model_copy(deep=True)
    if c.price_min is None and c.price_max is None:
        c.price_min, c.price_max = extra.price_min, extra.price_max
    for name in ("brands", "exclude_brands", "colors", "exclude_colors"):
        if not getattr(c, name):
            setattr(c, name, list(getattr(extra, name)))
    c.brands = [b for b in c.brands if b not in c.exclude_brands]
    c.colors = [x for x in c.colors if x not in c.exclude_colors]
    category = req.category
    if not c.categories and extra.category:
        c.categories, category = [extra.category], extra.category
    text = req.text
    for term in [*c.brands, *c.colors]:  # a filter now, so no longer search words
        text = re.sub(rf"(?i)\b{re.escape(term)}\b", " ", text)
    text = re.sub(r"\s+", " ", text).strip() or req.text
    return Request(text, c, req.intent, req.refs, category, req.notes, req.said)


def response_formats(llm: LLM) -> list[dict]:
    """JSON modes to try, strictest first: llama.cpp in-process takes the schema as a grammar;
    servers differ (OpenAI, vLLM, Ollama take `json_schema`; llama-cpp-python's server takes a
    schema inside `json_object`), so a server gets each in turn until one is accepted."""
    schema = Extracted.model_json_schema()
    if llm.name.startswith("llama.cpp"):
        return [{"type": "json_object", "schema": schema}]
    return [
        {"type": "json_schema", "json_schema": {"name": "filters", "schema": schema}},
        {"type": "json_object", "schema": schema},
        {"type": "json_object"},
    ]


def _invoke(llm: LLM, messages: list) -> str:
    formats = response_formats(llm)
    known = getattr(llm, "json_format", None)  # the first format this server accepted
    for fmt in [known] if known else formats:
        try:
            reply = llm.invoke(messages, response_format=fmt)
        except Exception as exc:
            if not known and "response_format" in str(exc):
                continue  # this server does not take this JSON mode (some say so with a 500): try the next
            raise
        llm.json_format = fmt
        return reply
    raise ValueError("the server accepted none of the JSON modes")


def extract(llm: LLM, message: str, vocab: Vocabulary) -> Extracted | None:
    """Ask the LLM for the message's filters as JSON; None when it fails or answers nonsense."""
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [
        SystemMessage(render("understand", "system", categories=vocab.categories[:MAX_CATEGORIES])),
        HumanMessage(render("understand", "user", message=message)),
    ]
    try:
        text = _invoke(llm, messages)
        start, end = text.find("{"), text.rfind("}")
        return Extracted.model_validate(json.loads(text[start : end + 1], strict=False))
    except (ValidationError, ValueError) as exc:
        log.info("query understanding: unusable LLM output (%s)", exc)
    except Exception as exc:  # down, slow, refused: the parser's answer stands
        log.warning("query understanding: LLM failed (%s)", exc)
    return None


def understand_with_llm(
    req: Request, message: str, vocab: Vocabulary, llm: LLM | None, budget_s: float = 2.5
) -> tuple[Request, Grounded | None]:
    """The parser's request, filled in by the LLM where it can; unchanged when it cannot, or when
    the LLM has not answered within `budget_s` (cards never wait longer for it)."""
    if llm is None or req.intent != "search":
        return req, None
    try:
        raw = within(budget_s, lambda: extract(llm, message, vocab))
    except TimeoutError as exc:
        log.warning("query understanding: %s; the parser's reading stands", exc)
        return req, None
    if raw is None:
        return req, None
    grounded = ground(raw, message, vocab)
    if grounded.rejected:
        log.info("query understanding: dropped ungrounded values %s", grounded.rejected)
    return merge(req, grounded.values), grounded
