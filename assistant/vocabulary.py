"""The words a shopper may use for this store, derived from the catalog itself, never written by
hand for one shop: brands (with how much a word means the brand), colours, category paths,
attribute facets (yes/no features, enumerations, numbers with units) and the currency.

Evidence over lists: "Lego" in a title almost always sits on a LEGO product, so "lego" names
the brand; "set" sits in thousands of titles whose maker is not "Set", so a shopper's "set" is a
search word unless they clearly mean the maker ("by Set"). A yes/no attribute is called by its
own name ("milk_frother" → "milk frother") and by the phrases that, in this catalog, occur
almost only on products that have it ("noise cancelling" for `anc: true`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from records import Product, category_path

WORD = re.compile(r"[a-z0-9][a-z0-9']*")  # "carbon-plated" is two words
BASIC_COLORS = [
    "black", "white", "grey", "gray", "silver", "red", "blue", "green", "pink", "yellow", "orange", "purple",
    "brown", "beige", "navy", "olive", "cream", "teal", "gold", "brass",
]  # fmt: skip
# Units a number attribute may carry, by the suffix of its key, and how shoppers write them.
UNITS = {
    "hours": ("hours", "hour", "hrs", "hr", "h"),
    "h": ("hours", "hour", "hrs", "hr", "h"),
    "l": ("litres", "liters", "litre", "liter", "l"),
    "ml": ("ml", "millilitres", "milliliters"),
    "oz": ("oz", "ounces", "ounce"),
    "lb": ("lb", "lbs", "pounds"),
    "kg": ("kg", "kilos", "kilograms"),
    "g": ("g", "grams"),
    "mm": ("mm", "millimetres", "millimeters"),
    "cm": ("cm", "centimetres", "centimeters"),
    "in": ("inch", "inches", "in"),
    "w": ("w", "watts", "watt"),
    "cups": ("cups", "cup"),
    "count": ("count", "pack", "pieces", "pcs"),
    "dpi": ("dpi",),
}
STOP = set(
    ["a", "an", "the", "and", "or", "for", "with", "of", "to", "in", "on", "at", "by", "from", "my", "your", "our", "this", "that", "these", "those", "it", "is", "are", "be", "i", "me", "we", "you", "some", "any", "all", "new", "best", "good", "great", "one", "ones", "item", "items", "product", "products", "even", "very", "more", "most", "well", "also", "just", "only", "than", "then", "into", "over", "under", "your", "their", "them", "they", "has", "have", "had", "not", "can", "will", "each", "every", "still", "again", "too", "less", "bit", "little", "much", "way", "quite", "rather", "slightly", "please", "maybe"]
)  # fmt: skip
# Words a question is made of that say nothing about what it asks: the asking itself …
ASKING = set(
    ["does", "do", "did", "is", "are", "was", "were", "can", "could", "will", "would", "should", "how", "what", "what's", "which", "who", "where", "when", "has", "have", "had", "it", "its", "it's", "this", "that", "these", "those", "them", "they", "one", "ones", "about", "say", "says", "said", "tell", "me", "there", "their", "any", "much", "many", "the", "first", "second", "third"]
)  # fmt: skip
# … and verbs and words of manner that say little ("does it fit?", "how long?"): what a question
# asks only when nothing else is left ("what do they fit?", "how long is it?").
ASKING_VERBS = set(
    ["long", "work", "works", "come", "comes", "came", "go", "goes", "use", "used", "using", "get", "fit", "fits", "offer", "offers", "need", "want", "like", "take", "make", "give", "sell", "carry", "stock"]
)  # fmt: skip
QUESTION_WORDS = ASKING | ASKING_VERBS
# What "how big / heavy / long …?" asks of a product: the attribute names that measure it.
SIZE = ("capacity", "size", "volume", "dimension")
MEASURES = {
    "big": SIZE,
    "large": SIZE,
    "small": SIZE,
    "heavy": ("weight",),
    "long": ("length",),
    "wide": ("width",),
    "tall": ("height",),
    "high": ("height",),
}
BRAND_EVIDENCE = 0.7  # a brand name whose titles are this brand's less often than this is an everyday word
MAX_ENUM_VALUES = 30  # more distinct values than this: free text, not a facet
PHRASE_PRECISION = 0.9  # a word means a yes/no feature when this share of the models it is on have it …
PHRASE_MIN_MODELS = 3  # … and it is on at least this many of them, and on half of those that have it


def plain(text: str) -> str:
    """Lowercase without accents: "Pokémon" → "pokemon"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return WORD.findall(plain(text))


IRREGULAR = {
    "does": "do",
    "goes": "go",
    "has": "has",
    "this": "this",
    "mice": "mouse",
    "feet": "foot",
    "teeth": "tooth",
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "knives": "knife",
    "leaves": "leaf",
    "shelves": "shelf",
}


def singular(word: str) -> str:
    """A plain English singular, good enough to match "keyboards" with "keyboard"."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def root(word: str) -> str:
    """A word without its inflection, so "upgrading", "upgraded" and "upgrade" meet; "grinder" (a
    thing, not grinding) keeps its ending."""
    for suffix in ("ing", "ed", "es", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def stems(text: str) -> list[str]:
    return [singular(w) for w in words(text)]


def key_label(key: str) -> str:
    """`milk_frother` → "milk frother", `capacityL` → "capacity l"."""
    return re.sub(r"[_\-]+", " ", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key)).strip().lower()


@dataclass
class Facet:
    """One attribute key the catalog's products share, as shoppers can ask for it."""

    key: str
    kind: Literal["bool", "enum", "number"]
    label: str  # the key in words
    phrases: list[str] = field(default_factory=list)  # bool: what asking for it sounds like
    values: list[str] = field(default_factory=list)  # enum: its values, lowercase
    unit: str | None = None  # number: the unit in its key ("battery_hours" → "hours")
    products: int = 0  # how many products have it


@dataclass
class Vocabulary:
    """What understanding reads messages with; built by `Vocabulary.of(products)`."""

    brands: list[str] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # full paths
    currency: str = "USD"
    # brand → share of the titles holding its name that are that brand's (1.0 when no title holds it)
    brand_evidence: dict[str, float] = field(default_factory=dict)
    facets: dict[str, Facet] = field(default_factory=dict)
    words: Counter[str] = field(default_factory=Counter)  # how many products' texts hold each stemmed word
    uncategorised: int = 0  # products without a category
    is_word: Callable[[str], bool] = lambda w: False  # an ordinary word of the language (the embedder's vocabulary)

    @classmethod
    def of(cls, products: Iterable[Product], is_word: Callable[[str], bool] | None = None) -> Vocabulary:
        products = list(products)
        brands = sorted({p.brand for p in products if p.brand})
        colors = sorted({str(p.attributes.get("color")).lower() for p in products if p.attributes.get("color")})
        categories = sorted({p.category for p in products if p.category})
        currencies = Counter(p.currency for p in products if p.currency)
        docs = [set(stems(f"{p.title} {p.category.replace('>', ' ')} {p.description}")) for p in products]
        counts: Counter[str] = Counter(w for d in docs for w in d)
        return cls(
            brands=brands,
            colors=colors,
            categories=categories,
            currency=currencies.most_common(1)[0][0] if currencies else "USD",
            brand_evidence=brand_evidence(products, is_word or (lambda w: False)),
            facets=facets(products, docs),
            words=counts,
            uncategorised=sum(not p.category for p in products),
            is_word=is_word or (lambda w: False),
        )

    @property
    def category_nodes(self) -> list[str]:
        """Every level of every category path."""
        if not hasattr(self, "_nodes"):
            self._nodes = category_nodes(self.categories)
        return self._nodes

    @cached_property
    def _common_path(self) -> list[str]:
        """The lowercase path every product sits under (empty when none is shared, or a product has
        no category): worked out once, not on every request that names a category."""
        paths = [[x.lower() for x in category_path(path)] for path in self.categories]
        if self.uncategorised or not paths:
            return []
        common = paths[0]
        for path in paths[1:]:
            common = [a for a, b in itertools.takewhile(lambda ab: ab[0] == ab[1], zip(common, path))]
        return common

    def holds_everything(self, node: str) -> bool:
        """Whether every product sits under this category (a shop with one department): as a filter
        it narrows nothing, and "picks in home improvement" says nothing."""
        parts = [x.lower() for x in category_path(node)]
        return bool(parts) and parts == self._common_path[: len(parts)]

    def clear_brand(self, brand: str) -> bool:
        """Whether the brand's name, typed alone, means the brand (not an ordinary word)."""
        return self.brand_evidence.get(brand, 1.0) >= BRAND_EVIDENCE

    def known(self, word: str) -> bool:
        """The catalog uses this word somewhere (titles, categories, descriptions)."""
        return self.words.get(singular(word.lower()), 0) > 0


def brand_evidence(products: list[Product], is_word: Callable[[str], bool] = lambda w: False) -> dict[str, float]:
    """For each brand, the share of products whose title holds the brand's name (as words, plural
    or singular) that are that brand's: "Hornby" ~1.0, "Set" or "Games" ~0.01. A name no title
    holds is the brand's own word (1.0) unless it is an everyday word ("Food", 0.0)."""
    by_brand: dict[tuple[str, ...], str] = {}
    for p in products:
        if p.brand and stems(p.brand):
            by_brand.setdefault(tuple(stems(p.brand)), p.brand)
    holding: Counter[tuple[str, ...]] = Counter()
    own: Counter[tuple[str, ...]] = Counter()
    first_words: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for key in by_brand:
        first_words[key[0]].append(key)
    for p in products:
        title = stems(p.title)
        mine = tuple(stems(p.brand)) if p.brand else ()
        found = set()
        for i, w in enumerate(title):
            for key in first_words.get(w, ()):
                if tuple(title[i : i + len(key)]) == key:
                    found.add(key)
        for key in found:
            holding[key] += 1
            own[key] += key == mine
    evidence = {key: own[key] / holding[key] if holding[key] else 0.0 if all(is_word(w) for w in key) else 1.0 for key in by_brand}
    return {p.brand: evidence[tuple(stems(p.brand))] for p in products if p.brand and stems(p.brand)}


def _numeric(v: Any) -> bool:
    try:
        float(v)
        return isinstance(v, str)
    except (TypeError, ValueError):
        return False


def _value_kind(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all((isinstance(v, int | float) and not isinstance(v, bool)) or _numeric(v) for v in values):
        return "number"
    return "enum"


def unit_of(key: str) -> str | None:
    """The unit an attribute key carries in its name ("capacity_l" → "l"), if any."""
    parts = key_label(key).split()
    return parts[-1] if len(parts) > 1 and parts[-1] in UNITS else (parts[0] if parts[0] in UNITS else None)


def facets(products: list[Product], docs: list[set[str]]) -> dict[str, Facet]:
    """Attribute keys as facets. Colour is its own filter; keys whose values are free text
    (more than MAX_ENUM_VALUES distinct) are not facets."""
    values: dict[str, list[Any]] = defaultdict(list)
    holders: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(products):
        for k, v in p.attributes.items():
            if k == "color" or v is None or v == "":
                continue
            values[k].append(v)
            holders[k].append(i)
    # one document per model: colour variants would count one model's words several times
    models = [frozenset(d - set(stems(str(p.attributes.get("color") or ""))) - set(stems(p.brand))) for p, d in zip(products, docs)]
    everywhere = Counter(w for m in set(models) for w in m)
    names = {part.lower() for p in products for part in category_path(p.category)}
    out: dict[str, Facet] = {}
    for key, vals in values.items():
        kind = _value_kind(vals)
        facet = Facet(key, kind, key_label(key), products=len(vals))  # type: ignore[arg-type]
        if kind == "bool":
            yes = {models[i] for i, v in zip(holders[key], vals) if v is True}
            no = {models[i] for i, v in zip(holders[key], vals) if v is False}
            facet.phrases = [facet.label, *feature_words(yes, no, everywhere)]
        elif kind == "number":
            facet.unit = unit_of(key)
        else:
            distinct = sorted({str(v).strip().lower() for v in vals})
            if len(distinct) > MAX_ENUM_VALUES or len(distinct) < 2 or len(set(distinct) & names) >= len(distinct) / 2:
                continue  # free text, a constant, or the category tree again (a department per product)
            facet.values = distinct
        out[key] = facet
    return out


def feature_words(yes: set[frozenset[str]], no: set[frozenset[str]], everywhere: Counter[str]) -> list[str]:
    """Words that sit almost only on the models where a yes/no feature is true, both among the
    models that have the key and in the whole catalog: the catalog's own way of saying the
    feature ("cancelling" for `anc`, "warm" for `insulated`)."""
    if len(yes) < PHRASE_MIN_MODELS or not no:
        return []
    on_yes = Counter(w for d in yes for w in d)
    on_no = Counter(w for d in no for w in d)
    found = []
    for w, n in on_yes.items():
        if w in STOP or len(w) < 4 or any(c.isdigit() for c in w) or n < max(PHRASE_MIN_MODELS, len(yes) / 2):
            continue
        if n / (n + on_no.get(w, 0)) >= PHRASE_PRECISION and n / everywhere[w] >= PHRASE_PRECISION:
            found.append(w)
    return sorted(found)


def category_nodes(paths: Iterable[str]) -> list[str]:
    """Every level of every path: 'A > B > C' gives 'A', 'A > B', 'A > B > C'."""
    nodes: set[str] = set()
    for path in paths:
        parts = category_path(path)
        nodes |= {" > ".join(parts[: i + 1]) for i in range(len(parts))}
    return sorted(nodes)


def model_key(product: Product, colors: Iterable[str] = BASIC_COLORS) -> str:
    """What stays of a title once its colour and size are taken out: colour and size variants of
    one model share it ("Acme K3 Keyboard, Black" and "…, White")."""
    title = product.title.lower()
    drop = {str(v).lower() for k, v in product.attributes.items() if re.search(r"colou?r|size", k, re.I) and v}
    for value in sorted(drop, key=len, reverse=True):
        title = title.replace(value, " ")
    kept = [w for w in re.findall(r"[a-z0-9]+", title) if w not in set(colors)]
    return f"{product.brand.lower()}|{product.category.lower()}|{' '.join(kept)}"
