"""Building and updating the vector index: only new or changed products are embedded.

A product's content hash (computed by the store from the text the embedder sees) is kept in
its payload; `sync` compares the catalog's hashes with the index's and embeds the difference.
The index records which embedding model built it and refuses vectors from another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tqdm import tqdm

from records import Product
from retrieval.analysis import LEXICAL_VERSION, grams_document, sparse_document
from retrieval.embedder import Embedder
from retrieval.filters import payload_for
from retrieval.vectorstore import IndexedItem, VectorStore


class ModelMismatch(RuntimeError):
    pass


@dataclass
class SyncReport:
    embedded: int = 0
    deleted: int = 0
    unchanged: int = 0
    total: int = 0


def check_model(store: VectorStore, embedder: Embedder) -> None:
    meta = store.get_meta()
    built_with = meta.get("model")
    if built_with and built_with != embedder.name:
        raise ModelMismatch(
            f"the index was built with {built_with!r} but the embedder is {embedder.name!r}; "
            "rebuild it with `shopassist index --rebuild` instead of mixing vectors from two models"
        )


def sync(
    store: VectorStore,
    embedder: Embedder,
    catalog_hashes: dict[str, str],
    load: Callable[[list[str]], Iterable[Product]],
    batch: int = 256,
    progress: bool = True,
) -> SyncReport:
    """Makes the index match the catalog: embeds new/changed products, deletes removed ones."""
    check_model(store, embedder)
    relexed = bool(store.count()) and store.get_meta().get("lexical") != LEXICAL_VERSION
    if relexed:
        relex(store, load, batch, progress)
    store.ensure(embedder.dim)
    store.set_meta({"model": embedder.name, "dim": embedder.dim, "lexical": LEXICAL_VERSION})
    indexed = store.indexed_hashes()
    todo = [pid for pid, h in catalog_hashes.items() if indexed.get(pid) != h]
    gone = [pid for pid in indexed if pid not in catalog_hashes]
    report = SyncReport(embedded=len(todo), deleted=len(gone), unchanged=len(catalog_hashes) - len(todo), total=len(catalog_hashes))
    store.delete(gone)
    with tqdm(total=len(todo), desc="embed + index", unit="product", disable=not progress) as bar:
        for start in range(0, len(todo), batch):
            products = list(load(todo[start : start + batch]))
            texts = [p.embedding_text() for p in products]
            vectors = embedder.encode(texts)
            store.upsert([indexed_item(p, vec, catalog_hashes[p.id]) for p, vec in zip(products, vectors)])
            bar.update(len(products))
    if todo or relexed:
        store.optimize()  # (re)builds HNSW; without it the dense search would scan every vector
    return report


def indexed_item(product: Product, vector, content_hash: str) -> IndexedItem:
    text = product.embedding_text()
    return IndexedItem(product.id, vector, sparse_document(text), payload_for(product, content_hash), grams=grams_document(product.title))


def relex(store: VectorStore, load: Callable[[list[str]], Iterable[Product]], batch: int = 256, progress: bool = True) -> None:
    """The lexical analysis changed: rebuilds the collection with new sparse vectors, keeping
    every dense vector (re-embedding a large catalog takes minutes, this takes seconds).
    Products that left the catalog are dropped; changed ones are then re-embedded by `sync`."""
    meta = store.get_meta()
    hashes = store.indexed_hashes()
    kept: list[IndexedItem] = []
    ids = sorted(hashes)
    with tqdm(total=len(ids), desc="rebuild sparse vectors", unit="product", disable=not progress) as bar:
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            vectors = store.vectors(chunk)
            kept += [indexed_item(p, vectors[p.id], hashes[p.id]) for p in load(chunk) if p.id in vectors]
            bar.update(len(chunk))
    store.drop()
    store.ensure(int(meta.get("dim") or len(kept[0].dense)))
    store.set_meta({k: v for k, v in meta.items() if k != "lexical"})
    for start in range(0, len(kept), batch):
        store.upsert(kept[start : start + batch])
