"""Reading one message: the dialogue act, the constraints it states, and the need it leaves.

A deterministic reader (always available, and what the tests pin down) reads prices in the
catalog's currency, brands (only where the word clearly means the maker in this catalog),
colours, attribute facets (yes/no features, enumerations, numbers with units), negations
("not Acme", "not that brand") and references to shown cards ("#2", "the first two",
"the Acme"). `understand` then applies the act to the session's current need: a new need
starts fresh, a refinement merges into it, "more" pages on, "start over" clears it.

Everything it recognises comes from the store (assistant/vocabulary.py); nothing here names a
product, brand or category of any shop.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant import acts
from assistant.vocabulary import BASIC_COLORS, STOP, UNITS, Vocabulary, singular, stems
from records import Constraints, leaf

Intent = str  # one of acts.ACTS

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4}
FILLER = re.compile(
    r"\b(i am|i'm|i want|i need|i'd like|i would like|looking for|look for|show me|find me|can you|could you|please|some|something|anything|"
    r"a|an|the|for me|recommend|suggest|me|do you have|do you sell|do you carry|have you got|what about|how about|any|get|buy|want|need|"
    r"i|is|are|there|got|shopping|search|searching|find)\b",
    re.I,
)
UNITS_WORDS = {
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
CURRENCY_WORD = re.compile(r"(?:dollars?|bucks|usd|pounds?|quid|gbp|euros?|eur)\b", re.I)
PRICE_WORD = re.compile(r"\b(?:under|below|over|above|around|about|than|max(?:imum)?|min(?:imum)?|budget|to|and|between|most|least)$", re.I)
MONEY = r"[$£€]?\s*(\d+(?:[.,]\d+)?)\s*(?:dollars|usd|bucks|pounds|quid|gbp|eur|euros)?"
CHEAPER = re.compile(
    r"\b(cheaper|less expensive|lower price[ds]?|more affordable|too (?:expensive|pricey|much)|budget option|on a budget)\b", re.I
)
PRICIER = re.compile(r"\b(more expensive|pricier|higher end|fancier|more premium|better quality)\b", re.I)
NEGATION = re.compile(
    r"\b(?:not|no|without|except|other than|anything but|but not|avoid|exclude|excluding)\s+((?:that|this) (?:brand|one|colou?r)|[\w'&\- ]{2,40}?)"
    r"(?=[,.!?]|\s+(?:and|or|but|in|under|over|please)\b|$)",
    re.I,
)
BRAND_CUE = r"(?:by|from|made by|brand|of the brand)"


def number_word_runs(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each run of number words: "fifty", "a hundred and fifty", "two thousand"."""
    runs, value, start, end, seen, w = [], 0, None, 0, False, ""
    for m in [*re.finditer(r"[A-Za-z]+", text), None]:
        last, w = w, m.group(0).lower() if m else ""
        if w in UNITS_WORDS or w in TENS or w in ("hundred", "thousand"):
            assert m is not None
            value = (
                max(value, 1) * (100 if w == "hundred" else 1000)
                if w in ("hundred", "thousand")
                else value + UNITS_WORDS.get(w, 0) + TENS.get(w, 0)
            )
            start = m.start() if start is None else start
            end, seen = m.end(), True
        elif w == "a" and not seen:
            assert m is not None
            start = m.start()
        elif w == "and" and last in ("hundred", "thousand"):  # "a hundred and fifty", not "twenty and forty"
            continue
        else:
            if seen:
                runs.append((start, end, value))
            value, start, seen = 0, None, False
    return runs  # type: ignore[return-value]


def money_words_as_digits(text: str) -> str:
    """ "under a hundred dollars" → "under 100 dollars"; only runs next to a price word or a
    currency, so "the first two" and "this one" keep their words."""
    for start, end, value in reversed(number_word_runs(text)):
        if CURRENCY_WORD.match(text[end:].lstrip()) or PRICE_WORD.search(text[:start].rstrip()):
            text = f"{text[:start]}{value}{text[end:]}"
    return text


def _key(term: str) -> str:
    """Names compared without case and punctuation: "O'Brien" = "obrien"."""
    return re.sub(r"[^\w ]", "", term.lower())


def _misspelt(word: str, name: str) -> bool:
    """A slip of the keyboard, not another word: same start, about the same length, 80% alike
    ("northwnd" → Northwind; "walker" is not "Twalker", "keyboard" is not "Keyboard Co")."""
    return word[:2] == name[:2] and abs(len(word) - len(name)) <= 1 and difflib.SequenceMatcher(None, word, name).ratio() >= 0.8


def match_terms(text: str, terms: list[str], fuzzy: bool = False, is_word: Callable[[str], bool] | None = None) -> list[str]:
    """Terms named in the text; `fuzzy` also takes names typed without punctuation ("obrien")
    and misspelt one-word names of six letters or more ("northwnd"), as shoppers type brands, but
    never an ordinary word (`is_word`) for a name it resembles ("dinosaurs" is not "Dinowaurs")."""
    found = []
    for term in sorted(terms, key=len, reverse=True):
        if term and re.search(rf"(?<![\w']){re.escape(term.lower())}(?![\w'])", text.lower()):
            found.append(term)
            text = re.sub(re.escape(term), " ", text, flags=re.I)
    if not fuzzy:
        return found
    plain = f" {_key(text)} "
    plain_words = [w for w in plain.split() if not (is_word and is_word(w))]
    for term in terms:
        key = _key(term)
        if term in found or not key:
            continue
        if f" {key} " in plain or (" " not in key and len(key) >= 6 and any(_misspelt(w, key) for w in plain_words)):
            found.append(term)
    return found


def parse_prices(text: str) -> tuple[float | None, float | None, str]:
    lo = hi = None
    t = money_words_as_digits(text)
    m = re.search(rf"\bbetween\s+{MONEY}\s+and\s+{MONEY}", t, re.I) or re.search(rf"(?<![\w.]){MONEY}\s*(?:-|to)\s*{MONEY}", t, re.I)
    if (m and any(c in m.group(0) for c in "$£€")) or (m and "between" in m.group(0).lower()):
        lo, hi = sorted([float(m.group(1).replace(",", ".")), float(m.group(2).replace(",", "."))])
        t = t.replace(m.group(0), " ")
    m = re.search(
        rf"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than|within|not more than|tops)\s+{MONEY}|<\s*{MONEY}|{MONEY}\s+(?:or less|max|tops|at most)\b",
        t,
        re.I,
    )
    if m:
        hi = float((m.group(1) or m.group(2) or m.group(3)).replace(",", "."))
        t = t.replace(m.group(0), " ")
    m = re.search(rf"\b(?:over|above|more than|at least|min(?:imum)?|from)\s+{MONEY}|>\s*{MONEY}", t, re.I)
    if m and (any(c in m.group(0) for c in "$£€") or CURRENCY_WORD.search(m.group(0)) or not _unit_follows(t, m.end())):
        lo = float((m.group(1) or m.group(2)).replace(",", "."))
        t = t.replace(m.group(0), " ")
    m = re.search(rf"\b(?:around|about|roughly|approximately|~)\s*{MONEY}", t, re.I)
    if m and not _unit_follows(t, m.end()):
        v = float(m.group(1).replace(",", "."))
        lo, hi = round(v * 0.8, 2), round(v * 1.2, 2)
        t = t.replace(m.group(0), " ")
    m = re.search(rf"(?:budget (?:is |of )?|spend (?:up to )?){MONEY}|[$£€]\s*(\d+(?:[.,]\d+)?)\b", t, re.I)
    if m and hi is None and lo is None:
        hi = float((m.group(1) or m.group(2)).replace(",", "."))
        t = t.replace(m.group(0), " ")
    return lo, hi, t


def _unit_follows(text: str, at: int) -> bool:
    """ "over 30 hours": the number measures something, it is not a price."""
    nxt = re.match(r"\s*([a-z]+)", text[at:].lower())
    return bool(nxt and any(nxt.group(1) in spellings for spellings in UNITS.values()) and nxt.group(1) not in ("pounds",))


@dataclass
class Request:
    """What the shopper wants after this message: the act, and the need it leaves."""

    text: str  # what to search for, constraint phrases removed
    constraints: Constraints
    intent: Intent
    refs: list[int] = field(default_factory=list)  # 1-based positions of shown cards
    category: str | None = None
    notes: list[str] = field(default_factory=list)  # what was understood, for the answer
    said: str = ""  # the search words of this message alone (a refinement adds them to `text`)
    fresh: bool = True  # a new need: nothing of the previous one carries over
    message: str = ""  # the message itself


@dataclass
class Shown:
    """What the shopper can point at: the cards of the last list."""

    ids: list[str] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


def refs_in(text: str, shown: Shown | None = None) -> list[int]:
    """Positions of shown cards the message points at: "#2", "the first two", "the last one",
    "this one", or a shown product's maker or model words ("the Acme")."""
    t = text.lower()
    refs = [int(n) for n in re.findall(r"(?:#|number |no\.? ?|option |item )(\d)\b", t)]
    m = re.search(r"\b(?:first|top) (two|three|four|2|3|4)\b", t)
    if m:
        n = NUMBER_WORDS.get(m.group(1)) or int(m.group(1))
        refs += list(range(1, n + 1))
    refs += [v for k, v in ORDINALS.items() if re.search(rf"\bthe {k}\b|\b{k} one\b|\b{k} (?:item|option|pick)\b", t)]
    if re.search(r"\b(?:both|the two|these two|those two|them both)\b", t) and not refs:
        refs = [1, 2]
    if not refs and shown is not None:
        refs = named_refs(t, shown)
    if not refs and re.search(r"\b(this one|that one|this|that|it|its|it's|them|they|these|those)\b", t):
        refs = [1]
    return list(dict.fromkeys(refs))


def named_refs(text: str, shown: Shown) -> list[int]:
    """Shown cards named by their maker ("the Acme") or by a word of their model that no
    other shown card shares ("the Zephyr")."""
    found = []
    for i, brand in enumerate(shown.brands, start=1):
        if brand and match_terms(text, [brand], fuzzy=True) and shown.brands.count(brand) == 1:
            found.append(i)
    if found:
        return found
    title_words = [set(stems(t)) - set(stems(b)) for t, b in zip(shown.titles, shown.brands)]
    said = set(stems(text))
    for i, words in enumerate(title_words, start=1):
        own = {w for w in words if len(w) > 3 and not any(w in other for j, other in enumerate(title_words, start=1) if j != i)}
        if own & said:
            found.append(i)
    return found


@dataclass
class Parsed:
    """The constraints one message states, before the session is consulted."""

    constraints: Constraints
    text: str  # what is left to search for
    cheaper: bool = False
    pricier: bool = False
    refs: list[int] = field(default_factory=list)
    category: str | None = None


def parse(message: str, vocab: Vocabulary, shown: Shown | None = None) -> Parsed:
    """Prices, brands, colours, facets and negations in one message; the rest are search words."""
    text = re.sub(r"[’‘`]", "'", message.strip())
    refs = refs_in(text, shown)
    lo, hi, rest = parse_prices(text)
    exclude_brands: list[str] = []
    exclude_colors: list[str] = []
    for phrase in NEGATION.findall(rest):
        if re.fullmatch(r"(that|this) (brand|one)", phrase.strip(), re.I) and shown:
            exclude_brands += [shown.brands[r - 1] for r in refs if 0 < r <= len(shown.brands)] or shown.brands[:1]
        elif re.fullmatch(r"(that|this) colou?r", phrase.strip(), re.I):
            pass
        else:
            exclude_brands += match_terms(phrase, vocab.brands, fuzzy=True)
            exclude_colors += match_terms(phrase, colors_of(vocab))
        rest = re.sub(
            rf"\b(?:not|no|without|except|other than|anything but|but not|avoid|exclude|excluding)\s+{re.escape(phrase)}",
            " ",
            rest,
            flags=re.I,
        )
    brands = brands_in(rest, vocab)
    colors = [c for c in match_terms(rest, colors_of(vocab)) if c not in exclude_colors]
    for term in brands + colors:
        rest = re.sub(rf"\b(?:{BRAND_CUE}|in|coloured|colored)?\s*{re.escape(term)}\b", " ", rest, flags=re.I)
    attributes, ranges, rest = facets_in(rest, vocab)
    category = category_named(rest, vocab)
    cheaper, pricier = bool(CHEAPER.search(text)), bool(PRICIER.search(text))
    rest = CHEAPER.sub(" ", PRICIER.sub(" ", rest))
    rest = re.sub(
        r"#\d|\b(one|ones|instead|please|in|by|from|with|and|or|also|too|now|actually|then|okay|ok|thanks|hmm+|maybe|just|really|something|similar|other|another|like|than)\b",
        " ",
        rest,
        flags=re.I,
    )
    search = tidy(FILLER.sub(" ", rest))
    c = Constraints(
        price_min=lo,
        price_max=hi,
        brands=brands,
        exclude_brands=list(dict.fromkeys(exclude_brands)),
        colors=colors,
        exclude_colors=exclude_colors,
        categories=[category] if category else [],
        attributes=attributes,
        ranges=ranges,
    )
    return Parsed(c, search, cheaper, pricier, refs, category)


def tidy(text: str) -> str:
    """Search words without stray punctuation, and nothing at all when only small words are
    left ("for", "to the")."""
    words = re.sub(r"\s+", " ", text).strip(" ,.!?;:-").split()
    while words and words[0].lower() in STOP:
        words.pop(0)
    while words and words[-1].lower() in STOP:
        words.pop()
    return " ".join(words).strip(" ,.!?;:-")


def colors_of(vocab: Vocabulary) -> list[str]:
    """The catalog's own colours (its `color` attribute) and their basic names; none when its
    products have no colour ("olive" oil is not a colour in a grocery)."""
    return list(dict.fromkeys([*vocab.colors, *BASIC_COLORS])) if vocab.colors else []


def brands_in(text: str, vocab: Vocabulary) -> list[str]:
    """Brands the shopper names: a brand whose name is also an everyday word in this catalog's
    titles counts only with a cue ("by Set", "Set brand")."""
    found = []
    for brand in match_terms(text, vocab.brands, fuzzy=True, is_word=vocab.is_word):
        if vocab.clear_brand(brand) or re.search(
            rf"\b{BRAND_CUE}\s+{re.escape(brand)}\b|\b{re.escape(brand)}\s+(?:brand|make)\b", text, re.I
        ):
            found.append(brand)
    return found


def facets_in(text: str, vocab: Vocabulary) -> tuple[dict[str, list[str]], dict[str, list[float | None]], str]:
    """Attribute values asked for: a yes/no feature by its name or the catalog's words for it
    ("waterproof", "noise cancelling"), an enumeration by its value ("trail", "wide"), a number
    with its unit ("at least 30 hours", "under 25 litres")."""
    attributes: dict[str, list[str]] = {}
    ranges: dict[str, list[float | None]] = {}
    said = stems(text)
    low = text.lower()
    colors = set(colors_of(vocab))
    for key, facet in vocab.facets.items():
        if facet.kind == "bool":
            for phrase in facet.phrases:
                words = stems(phrase)
                if words and _contains(said, words) and not re.search(rf"\b(?:no|not|without|non)[\s-]+{re.escape(phrase)}", low):
                    attributes[key] = ["true"]
                    break
        elif facet.kind == "enum":
            hits = [v for v in facet.values if v not in colors and _contains(said, stems(v)) and not _inside_other(v, facet.values, said)]
            if hits:
                attributes[key] = hits + [v for v in facet.values if v not in hits and any(_contains(stems(v), stems(h)) for h in hits)]
        elif facet.kind == "number" and facet.unit:
            found = number_with_unit(low, UNITS[facet.unit], facet.label)
            if found is not None:
                ranges[key], phrase = found
                text = re.sub(re.escape(phrase), " ", text, flags=re.I)
                text = re.sub(rf"(?i)\b(?:of\s+)?(?:{'|'.join(re.escape(w) for w in facet.label.split())})\b", " ", text)
    for key in attributes:
        facet = vocab.facets[key]
        for phrase in [*facet.phrases, *attributes[key]]:
            text = re.sub(rf"(?i)\b(?:with|has|have)?\s*(?:an?\s+)?{re.escape(phrase)}s?\b", " ", text)
    return attributes, ranges, text


def _heads(words: list[str], phrase: list[str]) -> bool:
    """The phrase is in the words as the head of a noun phrase: nothing but a small word follows
    it ("coffee" names no category in "coffee beans", "baby" none in "baby spinach")."""
    n = len(phrase)
    return any(words[i : i + n] == phrase and (i + n == len(words) or words[i + n] in STOP) for i in range(len(words) - n + 1))


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def _inside_other(value: str, values: list[str], said: list[str]) -> bool:
    """ "red" is not asked when the message says "red linear", another value holding it."""
    return any(other != value and value in other and _contains(said, stems(other)) for other in values)


def number_with_unit(text: str, spellings: tuple[str, ...], label: str) -> tuple[list[float | None], str] | None:
    """ "at least 30 hours" → [30, None]; "under 25 litres" → [None, 25]; "a 20l bag" → [18, 22];
    with the phrase that said it."""
    unit = "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))
    m = re.search(
        rf"(?:(at least|over|more than|min(?:imum)?|above|under|less than|below|up to|at most|max(?:imum)?)\s+)?(\d+(?:\.\d+)?)\s*-?\s*(?:{unit})\b(\+| or more| plus| or less)?",
        text,
    )
    if not m:
        return None
    value = float(m.group(2))
    cue, tail = (m.group(1) or "").strip(), (m.group(3) or "").strip()
    if cue in ("at least", "over", "more than", "min", "minimum", "above") or tail in ("+", "or more", "plus"):
        return [value, None], m.group(0)
    if cue in ("under", "less than", "below", "up to", "at most", "max", "maximum") or tail == "or less":
        return [None, value], m.group(0)
    return [round(value * 0.9, 2), round(value * 1.1, 2)], m.group(0)


def category_named(text: str, vocab: Vocabulary) -> str | None:
    """The category whose own name the message says ("keyboard" → … > Keyboards). A name several
    unrelated categories share ("Toys" under each character) names their common parent, or none."""
    said = stems(text)
    found: list[tuple[int, str]] = []
    for node in vocab.category_nodes:
        name = [w for w in stems(leaf(node)) if w not in ("and", "&")]
        if name and _heads(said, name):
            found.append((len(name), node))
    if not found:
        return None
    longest = max(n for n, _ in found)
    nodes = [node for n, node in found if n == longest]
    deepest = [n for n in nodes if not any(o != n and o.startswith(n + " >") for o in nodes)]
    if len(deepest) > 2:  # a generic name ("Toys", "Accessories"): no category
        return None
    return _common_parent(deepest)


def _common_parent(nodes: list[str]) -> str | None:
    parts = [n.split(" > ") for n in nodes]
    common = []
    for level in zip(*parts):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return " > ".join(common) or None


# ---- the act, applied to the session's need ------------------------------------------------------
def understand(
    message: str,
    vocab: Vocabulary,
    previous: Request | None = None,
    shown: Shown | None = None,
    categorize: Callable[[str], str | None] | None = None,
    related: Callable[[str, str], bool] | None = None,
    fits: Callable[[str, str | None, str], bool] | None = None,
) -> Request:
    """The request after this message. `previous` is the session's need; `categorize` infers
    a category from the catalog when the message names none (retrieval); `related` says
    whether new search words still belong to the previous need."""
    text = message.strip()
    act = acts.classify(text, has_need=previous is not None, has_shown=bool(shown and shown.ids))
    if act in acts.NO_SEARCH:
        refs = refs_in(text, shown) if act in acts.ABOUT_SHOWN else []
        keep = previous.constraints if previous else Constraints()
        return Request(
            previous.text if previous else "", keep, act, refs, previous.category if previous else None, fresh=False, message=text
        )
    if act == "reset":
        rest = acts.after_reset(text)
        if not rest:
            return Request("", Constraints(), "reset", message=text)
        previous, act = None, "search"
        text = rest
    p = parse(text, vocab, shown)
    if act == "more_like":
        base = previous.constraints if previous else Constraints()
        return Request(
            previous.text if previous else "",
            base,
            "more_like",
            p.refs[:1] or [1],
            previous.category if previous else None,
            fresh=False,
            message=text,
        )
    if act == "reorder":
        return Request(acts.reorder_rest(text), Constraints(), "reorder", said=acts.reorder_rest(text), message=text)
    if act == "more":
        if previous is None:
            return Request("", Constraints(), "more", fresh=False, message=text)
        return Request(previous.text, previous.constraints, "more", [], previous.category, fresh=False, message=text)

    inferred = categorize(p.text) if categorize and p.text else None
    category = reconcile(p.category, inferred)
    fresh = previous is None or _new_need(p, category, previous, related, fits, text)
    if fresh:
        c = p.constraints.model_copy(update={"categories": [category] if category else []})
        named = ["named category"] if p.category and category else []
        return Request(p.text or (leaf(category).lower() if category else ""), c, "search", p.refs, category, named, p.text, True, text)
    assert previous is not None
    return Request(*_refined(previous, p, shown, categorize), message=text)  # type: ignore[misc]


def reconcile(named: str | None, inferred: str | None) -> str | None:
    """The category the message names and the one its best products hold, made to agree: the
    deeper when one holds the other, else the deepest category holding both ("coffee beans" names
    … > Coffee but its products sit in … > Coffee Supplies: … > Kitchen). A wrong leaf is worse
    than a broader one."""
    if not named or not inferred:
        return named or inferred
    if inferred.startswith(named):
        return inferred
    if named.startswith(inferred):
        return inferred
    common = []
    for a, b in zip(named.split(" > "), inferred.split(" > ")):
        if a != b:
            break
        common.append(a)
    return " > ".join(common) or None


NEW_NEED = re.compile(
    r"\b(instead|now|also|another thing|something else|next|as well|and some|then)\b|^(and|plus)\b|\bi (also )?(need|want)\b", re.I
)


def _new_need(
    p: Parsed,
    category: str | None,
    previous: Request,
    related: Callable[[str, str], bool] | None,
    fits: Callable[[str, str | None, str], bool] | None,
    message: str = "",
) -> bool:
    """Another category, or search words far from the need, start afresh; constraint words alone
    ("cheaper", "in white", "waterproof", "not by Acme") refine, and so does a word or two that
    the current need's own category has ("chocolate" after "ice cream")."""
    if (
        fits is not None
        and p.text
        and len(p.text.split()) <= 2
        and not p.category
        and not NEW_NEED.search(message)
        and fits(previous.text, previous.category, p.text)
    ):
        return False
    if category and previous.category and category != previous.category:
        return not (category.startswith(previous.category) or previous.category.startswith(category))
    if category and not previous.category:
        return True
    if not p.text:
        return False
    if len(p.text.split()) <= 2 and not category and not NEW_NEED.search(message):
        return False  # "cushioned", "narrow fit": a word or two more about the same need
    if related is not None and previous.text:
        return not related(p.text, previous.text)
    return False


def _refined(previous: Request, p: Parsed, shown: Shown | None, categorize: Callable[[str], str | None] | None = None) -> tuple:
    c = previous.constraints.model_copy(deep=True)
    new = p.constraints
    notes: list[str] = []
    c.exclude_ids = []
    if new.price_min is not None or new.price_max is not None:
        c.price_min, c.price_max = new.price_min, new.price_max
    prices = shown.prices if shown else []
    if p.cheaper:  # below most of what was shown: 90% of the middle price
        ref = sorted(prices)[(len(prices) - 1) // 2] if prices else c.price_max
        if ref:
            c.price_max = round(ref * 0.9, 2)
            c.price_min = None
    if p.pricier and prices:
        c.price_min, c.price_max = round(max(prices), 2), None
    if new.brands:
        c.brands = new.brands
        c.exclude_brands = [b for b in c.exclude_brands if b not in new.brands]
    if new.exclude_brands:
        c.exclude_brands = list(dict.fromkeys(c.exclude_brands + new.exclude_brands))
        c.brands = [b for b in c.brands if b not in new.exclude_brands]
    if new.colors:
        c.colors = new.colors
        c.exclude_colors = [x for x in c.exclude_colors if x not in new.colors]
    if new.exclude_colors:
        c.exclude_colors = list(dict.fromkeys(c.exclude_colors + new.exclude_colors))
        c.colors = [x for x in c.colors if x not in new.exclude_colors]
    c.attributes = {**c.attributes, **new.attributes}
    c.ranges = {**c.ranges, **new.ranges}
    category = previous.category
    if p.category and previous.category and p.category.startswith(previous.category):
        category, c.categories = p.category, [p.category]  # a narrower category of the same need
    elif p.text and categorize is not None and previous.category:
        wider = categorize(f"{previous.text} {p.text}")  # "coffee" then "beans": the beans' category too
        if wider and not wider.startswith(previous.category):
            category = _common_parent([wider, previous.category])
            c.categories = [category] if category else []
    said = p.text
    text = previous.text if not said or said in previous.text else f"{previous.text} {said}".strip()
    intent = "refine"
    return text, c, intent, p.refs, category, notes, said, False


def singular_word(word: str) -> str:
    return singular(word)
