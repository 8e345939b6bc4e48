"""Small text helpers every part of the conversation shares: sentences and money."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

# A sentence ends at . ! or ? followed by space, or at a line break.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€"}


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, stripped, empty ones dropped."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def complete_sentences(text: str) -> tuple[list[str], str]:
    """Streamed text → (finished sentences, the pending rest)."""
    *done, rest = [p.lstrip() for p in SENTENCE_END.split(text)]
    return [s for s in done if s.strip()], rest


def stars(value: float) -> str:
    """A rating to one decimal, rounded as the widget's `toFixed(1)` rounds it (half up, on the
    exact binary value): the card's "★ 4.3" and the reason's "Rated 4.3" must agree."""
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def money(value: float, currency: str = "USD", short: bool = False) -> str:
    """ "$84.00", "£12.50", "15.00 CHF"; `short` drops the cents of a whole amount ("under $100")."""
    amount = f"{value:,.0f}" if short and value == int(value) else f"{value:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"
