"""Query rewriting: fix misspelt words against the catalog's own vocabulary (SymSpell), and
join words the catalog writes as one ("fire place" → also "fireplace", "br 30" → also "br30").

Shoppers type "toliet", "plyweood", "condiioner". A word that the catalog never uses, and
whose plural/singular it does not use either, is replaced by the closest catalog word within
two edits, preferring frequent words. The dense query gets the corrected text; the BM25
query gets the original words plus the corrections, so a rare but real word is never lost.
(What it gains is in bench/results/NOTES.md.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import pairwise

from symspellpy import SymSpell, Verbosity

from retrieval.analysis import TOKEN

WORD = re.compile(r"[a-z]+")
MIN_LENGTH = 4  # shorter words are too ambiguous to correct
MAX_EDITS = 2
MIN_COMPOUND_COUNT = 3  # a joined pair must be a word the catalog uses at least this often


class Speller:
    def __init__(self, texts: Iterable[str], is_word: Callable[[str], bool] | None = None):
        """`is_word`: whether a word is an ordinary word of the language (never "corrected" into a
        catalog word: "tents" is not a typo of "beats", "watch" not one of "with")."""
        self.is_word = is_word or (lambda w: False)
        self.freq: Counter[str] = Counter()
        for text in texts:
            self.freq.update(WORD.findall(text.lower()))
        self._sym = SymSpell(max_dictionary_edit_distance=MAX_EDITS)
        for word, n in self.freq.items():
            self._sym.create_dictionary_entry(word, n)

    def known(self, word: str) -> bool:
        return word in self.freq or word.rstrip("s") in self.freq or f"{word}s" in self.freq

    def fixes(self, text: str) -> dict[str, str]:
        out = {}
        for word in set(WORD.findall(text.lower())):
            if len(word) < MIN_LENGTH or self.known(word) or self.is_word(word) or self.is_word(word.rstrip("s")):
                continue
            found = self._sym.lookup(word, Verbosity.TOP, max_edit_distance=MAX_EDITS)
            if found and found[0].term != word:
                out[word] = found[0].term
        return out

    def compounds(self, text: str) -> list[str]:
        """Adjacent words the catalog writes as one: "dish washer" → "dishwasher", "br 30" → "br30"."""
        words = TOKEN.findall(text.lower())
        out = []
        for a, b in pairwise(words):
            if self.freq.get(a + b, 0) >= MIN_COMPOUND_COUNT or (a.isalpha() and len(a) <= 3 and b.isdigit()):
                out.append(a + b)
        return out

    def rewrite(self, text: str) -> tuple[str, str]:
        """(text for the dense query, text for the BM25 query).

        The BM25 query keeps the original words and adds corrections and compounds, so a rare
        but real word is never lost."""
        fixes = self.fixes(text)
        dense = WORD.sub(lambda m: fixes.get(m.group(0), m.group(0)), text.lower()) if fixes else text
        extra = [*fixes.values(), *self.compounds(dense)]
        return dense, f"{text} {' '.join(extra)}" if extra else text
