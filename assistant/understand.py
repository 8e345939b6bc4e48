"""Understanding a message: search text, constraints and intent, in the light of the session.

A deterministic parser (always available, and what the tests pin down) reads prices, brands,
colours, categories, negations ("not Logitech", "not that brand") and references to shown
cards ("#2", "the first two", "this one"); follow-ups ("cheaper", "in white") refine the
session's previous request instead of starting over.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from records import Constraints

Intent = Literal["search", "refine", "more", "more_like", "compare", "why", "reorder", "greeting", "thanks", "empty"]
# "what do I need again?": the shopper's own products that are due (ranking/repeat.py), not a search
# "running out of battery" describes a product, "running low on filters" the shopper's pantry
REORDER = re.compile(
    r"\b(buy (?:it |them |that |those )?again|re-?order|re-?stock|my usual|running (?:low|out) (?:on|of)(?! (?:battery|charge|power|space|storage|juice))|what do i need again)\b",
    re.I,
)

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4}
BASIC_COLORS = [
    "black",
    "white",
    "grey",
    "gray",
    "silver",
    "red",
    "blue",
    "green",
    "pink",
    "yellow",
    "orange",
    "purple",
    "brown",
    "beige",
    "navy",
    "olive",
    "cream",
    "teal",
    "gold",
    "brass",
]
# Everyday words for catalog categories; matched against the last part of each category path.
CATEGORY_WORDS = {
    "keyboard": ["keyboard", "keyboards", "keeb"],
    "mice": ["mouse", "mice"],
    "headphones": ["headphones", "headphone", "headset", "earbuds", "earphones", "cans"],
    "coffee": ["coffee", "espresso", "kettle", "grinder", "french press", "coffee maker"],
    "desk lamps": ["lamp", "lamps", "desk light", "reading light", "light bar", "lighting"],
    "backpacks": ["backpack", "backpacks", "daypack", "rucksack", "bag"],
    "jackets": ["jacket", "jackets", "coat", "shell", "puffer", "raincoat"],
    "running shoes": ["running shoes", "shoes", "sneakers", "trainers", "runners"],
}
FILLER = re.compile(
    r"\b(i am|i'm|i want|i need|i'd like|i would like|looking for|show me|find me|can you|could you|please|some|something|anything|a|an|the|for me|recommend|suggest|me|do you have|what about|how about|any)\b",
    re.I,
)
UNITS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
CURRENCY_WORD = re.compile(r"(?:dollars?|bucks|usd|pounds?|gbp|euros?|eur)\b", re.I)
PRICE_WORD = re.compile(r"\b(?:under|below|over|above|around|about|than|max(?:imum)?|min(?:imum)?|budget|to|and|between|most|least)$", re.I)
MONEY = r"[$£€]?\s*(\d+(?:[.,]\d+)?)\s*(?:dollars|usd|bucks|pounds|gbp|eur)?"


def number_word_runs(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each run of number words: "fifty", "a hundred and fifty", "two thousand"."""
    runs, value, start, end, seen, w = [], 0, None, 0, False, ""
    for m in list(re.finditer(r"[A-Za-z]+", text)) + [None]:
        last, w = w, m.group(0).lower() if m else ""
        if w in UNITS or w in TENS or w in ("hundred", "thousand"):
            value = (
                max(value, 1) * (100 if w == "hundred" else 1000)
                if w in ("hundred", "thousand")
                else value + UNITS.get(w, 0) + TENS.get(w, 0)
            )
            start = m.start() if start is None else start
            end, seen = m.end(), True
        elif w == "a" and not seen:
            start = m.start()
        elif w == "and" and last in ("hundred", "thousand"):  # "a hundred and fifty", not "twenty and forty"
            continue
        else:
            if seen:
                runs.append((start, end, value))
            value, start, seen = 0, None, False
    return runs


def money_words_as_digits(text: str) -> str:
    """ "under a hundred dollars" → "under 100 dollars"; only runs next to a price word or a
    currency, so "the first two" and "this one" keep their words."""
    for start, end, value in reversed(number_word_runs(text)):
        if CURRENCY_WORD.match(text[end:].lstrip()) or PRICE_WORD.search(text[:start].rstrip()):
            text = f"{text[:start]}{value}{text[end:]}"
    return text


def _key(term: str) -> str:
    """Brand names compared without case and punctuation: "Arc'teryx" = "arcteryx"."""
    return re.sub(r"[^\w ]", "", term.lower())


@dataclass
class Vocabulary:
    """What the parser recognises, taken from the catalog itself."""

    brands: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # full paths

    def category_for(self, text: str) -> str | None:
        lowered = text.lower()
        best: tuple[int, str] | None = None
        for path in self.categories:
            leaf = path.split(">")[-1].strip().lower()
            singular = re.sub(r"s\b", "", leaf)  # "running shoes" → "running shoe"
            words = [leaf, singular] + next((v for k, v in CATEGORY_WORDS.items() if k in leaf or leaf in k), [])
            for w in words:
                m = re.search(rf"\b{re.escape(w)}\b", lowered)
                if m and (best is None or len(w) > best[0]):
                    best = (len(w), path)
        return best[1] if best else None


@dataclass
class Request:
    text: str  # what to search for, constraint phrases removed
    constraints: Constraints
    intent: Intent
    refs: list[int] = field(default_factory=list)  # 1-based positions of shown cards
    category: str | None = None
    notes: list[str] = field(default_factory=list)  # what was understood, for the answer
    said: str = ""  # the search words of this message alone (a refinement adds them to `text`)


def _refs(text: str) -> list[int]:
    t = text.lower()
    refs = [int(n) for n in re.findall(r"(?:#|number |no\.? ?|option )(\d)\b", t)]
    m = re.search(r"\b(?:first|top) (two|three|four|2|3|4)\b", t)
    if m:
        n = NUMBER_WORDS.get(m.group(1)) or int(m.group(1))
        refs += list(range(1, n + 1))
    refs += [v for k, v in ORDINALS.items() if re.search(rf"\bthe {k}\b|\b{k} one\b", t)]
    if not refs and re.search(r"\b(this one|that one|it)\b", t):
        refs = [1]
    return list(dict.fromkeys(refs))


def _misspelt(word: str, name: str) -> bool:
    """A slip of the keyboard, not another word: same start, about the same length, 80% alike
    ("logitek" → Logitech; "espresso" is not "Nespresso", "keyboard" is not "Das Keyboard")."""
    return word[:2] == name[:2] and abs(len(word) - len(name)) <= 1 and difflib.SequenceMatcher(None, word, name).ratio() >= 0.8


def match_terms(text: str, terms: list[str], fuzzy: bool = False) -> list[str]:
    """Terms named in the text; `fuzzy` also takes names typed without punctuation ("arcteryx")
    and misspelt one-word names of six letters or more ("logitek"), as shoppers type brands."""
    found = []
    for term in sorted(terms, key=len, reverse=True):
        if term and re.search(rf"(?<![\w']){re.escape(term.lower())}(?![\w'])", text.lower()):
            found.append(term)
            text = re.sub(re.escape(term), " ", text, flags=re.I)
    if not fuzzy:
        return found
    plain = f" {_key(text)} "
    words = plain.split()
    for term in terms:
        key = _key(term)
        if term in found:
            continue
        if f" {key} " in plain or (" " not in key and len(key) >= 6 and any(_misspelt(w, key) for w in words)):
            found.append(term)
    return found


def parse_prices(text: str) -> tuple[float | None, float | None, str]:
    lo = hi = None
    t = money_words_as_digits(text)
    m = re.search(rf"\bbetween\s+{MONEY}\s+and\s+{MONEY}", t, re.I) or re.search(rf"(?<![\w.]){MONEY}\s*(?:-|to)\s*{MONEY}", t, re.I)
    if m and ("$" in m.group(0) or "£" in m.group(0) or "between" in m.group(0).lower()):
        lo, hi = sorted([float(m.group(1).replace(",", ".")), float(m.group(2).replace(",", "."))])
        t = t.replace(m.group(0), " ")
    m = re.search(
        rf"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than|within)\s+{MONEY}|<\s*{MONEY}", t, re.I
    )
    if m:
        hi = float((m.group(1) or m.group(2)).replace(",", "."))
        t = t.replace(m.group(0), " ")
    m = re.search(rf"\b(?:over|above|more than|at least|min(?:imum)?|from)\s+{MONEY}|>\s*{MONEY}", t, re.I)
    if m:
        lo = float((m.group(1) or m.group(2)).replace(",", "."))
        t = t.replace(m.group(0), " ")
    m = re.search(rf"\b(?:around|about|roughly|~)\s*{MONEY}", t, re.I)
    if m:
        v = float(m.group(1).replace(",", "."))
        lo, hi = round(v * 0.8, 2), round(v * 1.2, 2)
        t = t.replace(m.group(0), " ")
    return lo, hi, t


def understand(
    message: str,
    vocab: Vocabulary,
    previous: Request | None = None,
    shown_prices: list[float] | None = None,
    shown_brands: list[str] | None = None,
) -> Request:
    text = message.strip()
    low = text.lower()
    if not text:
        return Request("", Constraints(), "empty")
    if re.fullmatch(r"(hi|hello|hey|good (morning|afternoon|evening)|yo)[!. ]*", low):
        return Request("", previous.constraints if previous else Constraints(), "greeting")
    if re.fullmatch(r"(thanks|thank you|thx|cheers|great|ok|okay)[!. ]*", low):
        return Request("", previous.constraints if previous else Constraints(), "thanks")

    if REORDER.search(low):
        rest = re.sub(
            r"\b(i'm|i’m|i|am|me|my|show|please|on|of|what|do|need|some|the|can|you|list)\b", " ", REORDER.sub(" ", text), flags=re.I
        )
        rest = re.sub(r"\s+", " ", rest).strip(" ?!.,")
        return Request(rest, Constraints(), "reorder", said=rest)

    refs = _refs(text)
    if previous and re.search(r"\b(compare|versus|vs\.?|difference between)\b", low):
        return Request(previous.text, previous.constraints, "compare", refs or [1, 2], previous.category)
    if previous and re.search(r"\bwhy\b", low):
        return Request(previous.text, previous.constraints, "why", refs or [1], previous.category)
    if previous and re.search(r"\b(more like|similar to|like the|like #|like number|something like)\b", low) and refs:
        return Request(previous.text, previous.constraints, "more_like", refs[:1], previous.category)

    lo, hi, rest = parse_prices(text)
    notes: list[str] = []
    exclude_brands: list[str] = []
    neg = re.findall(
        r"\b(?:not|no|without|except|other than|anything but)\s+((?:that|this) brand|[\w'&\- ]{2,40}?)(?=[,.!?]|\s+(?:and|or|but|in|under|over)\b|$)",
        rest,
        re.I,
    )
    exclude_colors: list[str] = []
    for phrase in neg:
        if re.fullmatch(r"(that|this) brand", phrase.strip(), re.I):
            targets = [shown_brands[r - 1] for r in refs if shown_brands and 0 < r <= len(shown_brands)] or (
                shown_brands[:1] if shown_brands else []
            )
            exclude_brands += targets
        else:
            exclude_brands += match_terms(phrase, vocab.brands, fuzzy=True)
            exclude_colors += match_terms(phrase, vocab.colors or BASIC_COLORS)
        rest = re.sub(rf"\b(?:not|no|without|except|other than|anything but)\s+{re.escape(phrase)}", " ", rest, flags=re.I)

    brands = match_terms(re.sub(r"\bby\b", " ", rest), vocab.brands, fuzzy=True)
    colors = match_terms(rest, list(dict.fromkeys((vocab.colors or []) + BASIC_COLORS)))
    category = vocab.category_for(rest)
    for term in brands + colors:
        rest = re.sub(rf"\b(?:by|in|from)?\s*{re.escape(term)}\b", " ", rest, flags=re.I)
    cheaper = bool(re.search(r"\b(cheaper|less expensive|lower price|more affordable)\b", low))
    pricier = bool(re.search(r"\b(more expensive|pricier|premium|higher end|fancier)\b", low))
    more = bool(re.search(r"\b(show more|more options|other options|anything else|what else|others|more results)\b", low))
    rest = re.sub(
        r"\b(cheaper|less expensive|lower price|more affordable|more expensive|pricier|higher end|fancier|show more|more options|other options|anything else|what else|others|more results|one|ones|instead|please|in|by|from|with|and|or)\b",
        " ",
        rest,
        flags=re.I,
    )
    search_text = re.sub(r"\s+", " ", FILLER.sub(" ", rest)).strip(" ,.!?")

    fresh = Constraints(
        price_min=lo,
        price_max=hi,
        brands=brands,
        exclude_brands=exclude_brands,
        categories=[category] if category else [],
        colors=colors,
        exclude_colors=exclude_colors,
    )
    refining = previous is not None and (not category or category == previous.category)
    if not refining:
        return Request(search_text or (category or ""), fresh, "search", refs, category, notes, search_text)

    assert previous is not None
    c = previous.constraints.model_copy(deep=True)
    c.exclude_ids = []
    if lo is not None or hi is not None:
        c.price_min, c.price_max = lo, hi
    if cheaper:
        ref = min(shown_prices) if shown_prices else c.price_max
        if ref:
            c.price_max = round(ref * 0.9, 2)
            c.price_min = None
            notes.append(f"under ${c.price_max:g}")
    if pricier and shown_prices:
        c.price_min, c.price_max = round(max(shown_prices), 2), None
    if brands:
        c.brands = brands
        c.exclude_brands = [b for b in c.exclude_brands if b not in brands]
    if exclude_brands:
        c.exclude_brands = list(dict.fromkeys(c.exclude_brands + exclude_brands))
        c.brands = [b for b in c.brands if b not in exclude_brands]
    if colors:
        c.colors = colors
    if exclude_colors:
        c.exclude_colors = list(dict.fromkeys(c.exclude_colors + exclude_colors))
    text_out = previous.text if not search_text else f"{previous.text} {search_text}".strip()
    intent: Intent = "more" if more and not search_text else "refine"
    return Request(text_out, c, intent, refs, previous.category, notes, search_text)
