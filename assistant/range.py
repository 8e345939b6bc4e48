"""Honest range: does the shop sell what is asked for at all?

Two signals, each from the catalog: how much closer the best product is in meaning than the
best product for everyday things this catalog does not name usually is (a big catalog is close to
everything, a small one to little: its "background"), and the share of the request's words the
catalog uses anywhere. A request the catalog never words ("tents" in a shop without them) and that
sits far from every product is not carried; the answer says so in its first sentence and offers
the nearest category that is. The weights and the bar are calibrated on labelled in-range and
out-of-range requests over three catalogs (`shopassist eval range`, bench/results/range.md), not
on any one shop.

Category names are not a signal: a catalog may have one category for everything, or none, and
then every request would sit far from every category name (on the labelled requests, judging
without them was as accurate, and carried better to a catalog left out of the fit). Nor are
everyday things the catalog names ("paint for walls" in a hardware store) part of the background:
they would make a shop that sells them look close to everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.catalog import Catalog, Match
from assistant.vocabulary import STOP, stems
from records import leaf

# score = W_PRODUCT·(cosine of the best product − background) + W_WORDS·known-word share + BIAS
W_PRODUCT, W_WORDS, BIAS = 12.9, 1.8, -3.4  # fitted: `shopassist eval range`
BAR = 0.0  # carried when the score is above this (a logistic score: 0 is even odds)
# Everyday things of every kind, no shop's: the median cosine of the best products for those the
# catalog does not name is its background closeness.
PROBES = (
    "a piano", "a tractor", "garden furniture", "insurance", "a wedding ring", "concert tickets", "a fishing rod",
    "paint for walls", "a violin", "roof tiles", "a microscope", "cat litter", "a sewing machine", "a chandelier",
    "a hammock", "a snowboard", "a saddle for a horse", "hearing aids", "a mattress topper", "kitchen tiles",
    "an aquarium", "a telescope", "contact lenses", "a lawnmower blade", "a rowing machine", "curtains",
    "a surfboard", "wallpaper", "a car battery", "a boat engine", "a barbecue grill", "a crib for a baby",
    "a dishwasher", "a vacuum cleaner", "garden soil", "an umbrella", "a bathtub", "hiking boots", "a bookshelf",
)  # fmt: skip


# A request that describes a need instead of naming a thing ("something to keep me dry", "a gift
# for my dad who hikes") cannot be "not carried": the nearest products are the honest answer.
NEED = re.compile(r"\b(something|anything|gift|present|ideas?|stuff|to|that|who|which|so)\b", re.I)


def describes_a_need(text: str) -> bool:
    return bool(NEED.search(text))


@dataclass
class Verdict:
    carried: bool
    score: float
    nearest: str | None  # the category to offer instead
    features: tuple[float, float]


class Range:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._names: tuple[list[str], np.ndarray] | None = None
        self._background: tuple[int, float] | None = None  # (index size it was measured at, median cosine)

    def warm(self) -> None:
        """Measures the background and embeds the category names before the first request needs
        them (39 probes embedded and searched: the first turn was half a second slower)."""
        self.background()
        self._category_names()

    def background(self) -> float:
        """The median cosine of the best product for everyday things the catalog does not name (the
        lowest quarter of all of them when it names every one)."""
        size = self.catalog.vectors.count()
        if self._background is None or self._background[0] != size:
            vecs = self.catalog.embedder.encode(list(PROBES))
            best = [hits[0].score if (hits := self.catalog.vectors.nearest(dense=v, limit=1)) else 0.0 for v in vecs]
            vocab = self.catalog.vocabulary()
            unnamed = [b for probe, b in zip(PROBES, best) if not any(vocab.known(w) for w in stems(probe) if w not in STOP)]
            kept = unnamed or sorted(best)[: max(1, len(best) // 4)]
            self._background = (size, float(np.median(kept)) if kept else 0.0)
        return self._background[1]

    def features(self, text: str) -> tuple[tuple[float, float], str | None]:
        """(best product's cosine − background, known-word share), and the category to offer."""
        m = self.catalog.match(text)
        return (m.cosine - self.background(), m.known_words), self._nearest(text, m)

    def _nearest(self, text: str, m: Match) -> str | None:
        """The best product's own leaf, else the category whose name is closest to the request."""
        best_hit = m.hits[0].payload.get("category") if m.hits else None
        if best_hit and (path := self.catalog._path(best_hit[-1])):
            return path
        nodes, vecs = self._category_names()
        if not nodes:
            return None
        v = self.catalog.embedder.encode_cached([text])[0]
        return nodes[int(np.argmax(vecs @ v))]

    def judge(self, text: str) -> Verdict:
        f, nearest = self.features(text)
        score = W_PRODUCT * f[0] + W_WORDS * f[1] + BIAS
        return Verdict(score > BAR or describes_a_need(text), score, nearest, f)

    def _category_names(self) -> tuple[list[str], np.ndarray]:
        vocab = self.catalog.vocabulary()
        if self._names is None or len(self._names[0]) != len(vocab.category_nodes):
            nodes = vocab.category_nodes
            self._names = (nodes, self.catalog.embedder.encode([leaf(n).lower() for n in nodes]) if nodes else np.zeros((0, 1)))
        return self._names
