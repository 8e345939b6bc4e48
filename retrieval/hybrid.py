"""Hybrid search over a `VectorStore`: meaning (dense), words (BM25) and trigrams fused by score,
with pseudo-relevance feedback. Storage lives in the backends; the ranking of a query is here.
"""

from __future__ import annotations

import numpy as np

from records import Constraints
from retrieval.analysis import SparseVec, sparse_document
from retrieval.vectorstore import GRAMS, SPARSE, Hit, VectorStore, by_score

HYBRID_POOL = 100  # candidates each channel proposes to the hybrid
HYBRID_DENSE_WEIGHT = 1.0  # λ: cosine lives in [-1, 1], normalised BM25 in [0, 1]
HYBRID_GRAMS_WEIGHT = 0.3  # μ: trigrams rescue glued/split/misspelt words but are noisier than words
FEEDBACK_DOCS = 5  # pseudo-relevance feedback: the dense query moves towards the first pass's top 5 …
FEEDBACK_WEIGHT = 0.5  # … by this much of their mean (Rocchio), …
FEEDBACK_TERMS = 10  # … and the words most typical of their titles become one more word channel …
FEEDBACK_TERMS_WEIGHT = 0.3  # … counted like the trigrams, …
FIRST_PAGE = 10  # … which orders only what comes after the first page


def expansion_words(top: list[Hit], query: SparseVec, terms: int = FEEDBACK_TERMS) -> SparseVec | None:
    """The words most typical of the best products' titles that the query lacks (RM3-style:
    each title's BM25 weights, normalised to sum 1 and averaged), weighted relative to the
    strongest. Titles, not descriptions: a description would flood the expansion with generic
    words. The engine still applies IDF, so a word every product has counts for little."""
    asked = set(query.indices)
    weight: dict[int, float] = {}
    for hit in top:
        doc = sparse_document(hit.payload.get("title", ""))
        total = sum(doc.values) or 1.0
        for i, v in zip(doc.indices, doc.values):
            if i not in asked:
                weight[i] = weight.get(i, 0.0) + v / total / len(top)
    best = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:terms]
    if not best:
        return None
    return SparseVec([i for i, _ in best], [w / best[0][1] for _, w in best])


def search(
    store: VectorStore,
    dense: np.ndarray | None = None,
    sparse: SparseVec | None = None,
    constraints: Constraints | None = None,
    limit: int = 50,
    only_ids: list[str] | None = None,
    exact: bool = False,
    grams: SparseVec | None = None,
    feedback: bool = True,
    feedback_words: bool = True,
) -> list[Hit]:
    """Nearest products by meaning, by words, or by both (`hybrid`, with `grams` if given)."""
    if dense is not None and sparse is not None and sparse.indices:
        return hybrid(store, dense, sparse, constraints, limit, only_ids, exact, grams, feedback, feedback_words)
    if dense is None and (sparse is None or not sparse.indices):
        return []
    return store.nearest(
        dense=dense, sparse=sparse if dense is None else None, constraints=constraints, limit=limit, only_ids=only_ids, exact=exact
    )


def hybrid(
    store: VectorStore,
    dense: np.ndarray,
    sparse: SparseVec,
    constraints: Constraints | None = None,
    limit: int = 50,
    only_ids: list[str] | None = None,
    exact: bool = False,
    grams: SparseVec | None = None,
    feedback: bool = True,
    feedback_words: bool = True,
) -> list[Hit]:
    """Score-level fusion: words BM25/best + λ·cosine + μ·trigram BM25/best, in two passes.

    Each channel first proposes HYBRID_POOL candidates (filters inside the engine); then
    every channel's score is computed for every candidate of the union, so a product found
    by one channel is not scored as zero by the others. Rank fusion (RRF) throws the score
    gaps away; on the Home Depot judgments it lost to BM25 alone, this does not.

    The second pass is pseudo-relevance feedback from the first pass's best products: the
    dense query moves towards them, which finds products described in other words, and
    (`feedback_words`) the words most typical of their titles become one more word channel
    (RM3-style expansion). Expansion words widen recall but blur precision at the top (on the
    Home Depot judgments they cost 0.01 nDCG@10 when they ordered the whole list), so the
    first page keeps the order without them and they order only the rest: the candidates a
    ranker reorders (bench/results/retrieval_home_depot.md).
    """
    pool = max(limit, HYBRID_POOL)
    lexical = _lexical(sparse, grams)
    known: dict[int, dict[str, float]] = {}  # lexical scores by channel; a query does not change between the passes
    found = _propose(store, lexical, constraints, pool, only_ids, known)  # every channel's candidates, with their payloads
    first = _fuse(*_score(store, dense, lexical, found, constraints, pool, only_ids, exact, known))
    if not first or not feedback:
        return first[:limit]
    top = first[:FEEDBACK_DOCS]
    moved = dense + FEEDBACK_WEIGHT * np.mean(list(store.vectors([h.product_id for h in top]).values()), axis=0)
    moved = (moved / (np.linalg.norm(moved) or 1.0)).astype(np.float32)
    words = expansion_words(top, sparse) if feedback_words else None
    if words is None:
        return _fuse(*_score(store, moved, lexical, found, constraints, pool, only_ids, exact, known))[:limit]
    expansion = [(words, SPARSE, FEEDBACK_TERMS_WEIGHT)]
    found.update(_propose(store, expansion, constraints, pool, only_ids, known, first=len(lexical)))
    cosine, parts = _score(store, moved, lexical + expansion, found, constraints, pool, only_ids, exact, known)
    page = _fuse(cosine, parts[:-1])[:FIRST_PAGE]
    shown = {h.product_id for h in page}
    return (page + [h for h in _fuse(cosine, parts) if h.product_id not in shown])[:limit]


def best_matches(
    store: VectorStore, dense: np.ndarray, sparse: SparseVec, grams: SparseVec | None = None, limit: int = 20
) -> tuple[list[Hit], float]:
    """What understanding needs to know what a request is about (its category, whether the shop
    carries it): the first pass of a hybrid over the whole catalog with a pool as deep as the list,
    and the best cosine of any product. A fraction of recall's cost: at 1M products a pool of 100
    words, trigrams and vectors, scored in every channel, and one more search for the best cosine,
    were almost half of a chat turn."""
    lexical = _lexical(sparse, grams)
    known: dict[int, dict[str, float]] = {}
    found = _propose(store, lexical, None, limit, None, known)
    cosine, parts = _score(store, dense, lexical, found, None, limit, None, False, known)
    best = max((h.score for h in cosine.values()), default=0.0)  # the dense channel's first is among them
    return _fuse(cosine, parts)[:limit], best


def _lexical(sparse: SparseVec, grams: SparseVec | None) -> list[tuple[SparseVec, str, float]]:
    """The word channels of a query: (vector, which index, weight); trigrams only when it has any."""
    words = [(sparse, SPARSE, 1.0)] if sparse.indices else []
    return words + ([(grams, GRAMS, HYBRID_GRAMS_WEIGHT)] if grams is not None and grams.indices else [])


def _propose(store: VectorStore, lexical, constraints, pool: int, only_ids, known: dict[int, dict[str, float]], first: int = 0):
    """Each word channel's best `pool` products (filtered in the engine), with their payloads; their
    scores in that channel go to `known` (channel `first` onwards), so only the other channels'
    candidates are scored again."""
    found: dict[str, dict] = {}
    for channel, (vec, using, _) in enumerate(lexical, start=first):
        hits = store.nearest(sparse=vec, using=using, constraints=constraints, limit=pool, only_ids=only_ids)
        known.setdefault(channel, {}).update({h.product_id: h.score for h in hits})
        found.update({h.product_id: h.payload for h in hits})
    return found


def _score(
    store: VectorStore,
    dense,
    lexical,
    found: dict[str, dict],
    constraints,
    pool: int,
    only_ids,
    exact: bool,
    known: dict[int, dict[str, float]],
):
    """Every candidate's cosine (as a hit with its payload), and each lexical channel's weighted,
    best-normalised score. The channels' searches find the candidates; their scores for the
    candidates another channel found come from `store.scores`, not from another search."""
    nearest = store.nearest(dense=dense, constraints=constraints, limit=pool, only_ids=only_ids, exact=exact)
    found = found | {h.product_id: h.payload for h in nearest}
    if not found:
        return {}, []
    ids = sorted(found)
    close = {h.product_id: h.score for h in nearest}
    close.update(store.scores([pid for pid in ids if pid not in close], dense=dense))
    cosine = {pid: Hit(pid, close[pid], found[pid]) for pid in ids}
    parts = []
    for channel, (vec, using, weight) in enumerate(lexical):
        seen = known.setdefault(channel, {})
        missing = [pid for pid in ids if pid not in seen]
        if missing:
            seen.update(store.scores(missing, sparse=vec, using=using))
        best = max((seen[pid] for pid in ids), default=0.0) or 1.0
        parts.append({pid: weight * seen[pid] / best for pid in cosine})
    return cosine, parts


def _fuse(cosine: dict[str, Hit], parts: list[dict[str, float]]) -> list[Hit]:
    """λ·cosine plus the given lexical channels' parts, best first."""
    return by_score([Hit(pid, HYBRID_DENSE_WEIGHT * h.score + sum(p[pid] for p in parts), h.payload) for pid, h in cosine.items()])
