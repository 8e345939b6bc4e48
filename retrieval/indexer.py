"""Building and updating the vector index: only new or changed products are embedded.

A product's content hash (computed by the store from the text the embedder sees) is kept in
its payload; `sync` compares the catalog's hashes with the index's and embeds the difference.
The index records which embedding model built it and refuses vectors from another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qdrant_edge import Bm25, Bm25Config
from tqdm import tqdm

from records import Product
from retrieval.embedder import Embedder
from retrieval.vectorstore import IndexedItem, SparseVec, VectorStore, payload_for

BM25_AVG_LEN = 40.0  # product texts are short; the engine's default (256) assumes documents


class ModelMismatch(RuntimeError):
    pass


_bm25: Bm25 | None = None


def bm25() -> Bm25:
    global _bm25
    if _bm25 is None:
        _bm25 = Bm25(Bm25Config(avg_len=BM25_AVG_LEN, language="english"))
    return _bm25


def sparse_document(text: str) -> SparseVec:
    v = bm25().embed_document(text)
    return SparseVec(list(v.indices), list(v.values))


def sparse_query(text: str) -> SparseVec:
    v = bm25().embed_query(text)
    return SparseVec(list(v.indices), list(v.values))


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
    store.ensure(embedder.dim)
    store.set_meta({"model": embedder.name, "dim": embedder.dim})
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
            store.upsert([
                IndexedItem(p.id, vec, sparse_document(text), payload_for(p, catalog_hashes[p.id]))
                for p, vec, text in zip(products, vectors, texts)
            ])
            bar.update(len(products))
    if todo:
        store.optimize()
    return report


def refresh_payload(store: VectorStore, product: Product, content_hash: str) -> None:
    """Payload-only change (stock, popularity, price display): no re-embedding needed."""
    store.set_payload(product.id, payload_for(product, content_hash))
