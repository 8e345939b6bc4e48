"""The verifier: an LLM sentence is shown only if every number, brand and name in it is in the facts.

Checks, per sentence:
- numbers (prices, ratings, counts, sizes) must occur in the facts (84 = 84.0 = 84.00);
- any brand of the catalog it names must be a brand in the facts (no other product's maker);
- capitalised or alphanumeric words that name things (models, product lines) must occur in
  the facts; ordinary sentence-initial words and a few pronouns are allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\.\d+)?")
NAMEISH = re.compile(r"\b(?:[A-Z][\w'\-]*|[\w\-]*\d[\w\-]*)\b")
ALLOWED = {
    "I",
    "It",
    "Its",
    "It's",
    "This",
    "That",
    "These",
    "Those",
    "The",
    "A",
    "An",
    "You",
    "Your",
    "You'll",
    "You're",
    "If",
    "With",
    "For",
    "And",
    "But",
    "Or",
    "So",
    "Great",
    "Perfect",
    "Ideal",
    "Also",
    "Plus",
    "Product",
    "Customers",
    "Reviewers",
    "Shoppers",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Both",
    "Yes",
    "No",
    "Overall",
    "Here",
    "Our",
    "We",
    "They",
    "There",
    "Buy",
    "Get",
    "Try",
    "Consider",
    "OK",
    "USD",
    "GBP",
}
WORD = re.compile(r"[a-z][a-z'\-]+")
# Everyday words a faithful sentence may add around the facts (grammar, hedges, shop talk).
COMMON = set(
    [
        "this",
        "that",
        "these",
        "those",
        "with",
        "your",
        "from",
        "they",
        "them",
        "their",
        "there",
        "have",
        "will",
        "would",
        "could",
        "should",
        "about",
        "also",
        "just",
        "very",
        "really",
        "great",
        "good",
        "perfect",
        "ideal",
        "nice",
        "best",
        "better",
        "excellent",
        "solid",
        "choice",
        "option",
        "pick",
        "fits",
        "fit",
        "suits",
        "suit",
        "match",
        "matches",
        "matching",
        "recommend",
        "recommended",
        "would",
        "love",
        "like",
        "likes",
        "liked",
        "want",
        "wants",
        "need",
        "needs",
        "looking",
        "look",
        "looks",
        "find",
        "offers",
        "offer",
        "makes",
        "make",
        "comes",
        "come",
        "thanks",
        "thank",
        "well",
        "more",
        "most",
        "much",
        "many",
        "some",
        "such",
        "than",
        "then",
        "when",
        "what",
        "which",
        "while",
        "where",
        "here",
        "into",
        "only",
        "even",
        "because",
        "since",
        "each",
        "both",
        "every",
        "other",
        "another",
        "still",
        "being",
        "been",
        "were",
        "does",
        "doing",
        "done",
        "keep",
        "keeps",
        "enjoy",
        "enjoys",
        "feature",
        "features",
        "product",
        "products",
        "item",
        "items",
        "price",
        "priced",
        "budget",
        "affordable",
        "value",
        "worth",
        "shopper",
        "shoppers",
        "customer",
        "customers",
        "review",
        "reviews",
        "reviewer",
        "reviewers",
        "rated",
        "rating",
        "ratings",
        "stars",
        "star",
        "says",
        "said",
        "mention",
        "mentions",
        "mentioned",
        "people",
        "users",
        "it's",
        "that's",
        "there's",
        "they're",
        "you're",
        "you'll",
        "you've",
        "those",
        "them",
        "theirs",
        "yours",
        "ours",
    ]
)
ECHO = re.compile(
    r"shopper wants|facts about|</?facts>|</?request>|tell the shopper|only use the facts|uses only the facts|shop assistant|"
    r"not instructions|one short sentence|system prompt",
    re.I,
)


def _num(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


@dataclass
class Verdict:
    ok: bool
    problems: list[str] = field(default_factory=list)


class Verifier:
    def __init__(self, catalog_brands: list[str]):
        self.brands = sorted({b for b in catalog_brands if b}, key=len, reverse=True)

    def check(self, sentence: str, facts: str) -> Verdict:
        problems = []
        fact_low = facts.lower()
        fact_numbers = {_num(n) for n in NUMBER.findall(facts)}
        for n in NUMBER.findall(sentence):
            if _num(n) not in fact_numbers:
                problems.append(f"number {n} is not in the facts")
        for brand in self.brands:
            if re.search(rf"(?<![\w']){re.escape(brand.lower())}(?![\w'])", sentence.lower()) and brand.lower() not in fact_low:
                problems.append(f"brand {brand} is not in the facts")
        first = re.match(r"\W*([\w'\-]+)", sentence)
        for m in NAMEISH.finditer(sentence):
            word = m.group(0)
            if word in ALLOWED or NUMBER.fullmatch(word):
                continue
            if first and m.start() == first.start(1) and not any(ch.isdigit() for ch in word):
                continue  # an ordinary capital at the start of the sentence; brands are checked above
            if word.lower() not in fact_low:
                problems.append(f"name {word!r} is not in the facts")
        if ECHO.search(sentence):
            problems.append("repeats the prompt instead of answering")
        if re.search(r"https?://|www\.", sentence):
            problems.append("links are not allowed")
        content = [w for w in WORD.findall(sentence.lower()) if len(w) > 3 and w not in COMMON]
        unsupported = [w for w in content if w[:5] not in fact_low]
        if content and len(unsupported) > len(content) // 5:
            problems.append(f"says things the facts do not: {', '.join(unsupported[:5])}")
        return Verdict(not problems, problems)
