"""The server backend: a Qdrant server or cluster through `qdrant-client` (`QDRANT_URL`).

`QDRANT_URL=:memory:` or `local:/some/dir` use qdrant-client's local mode, which is how the
tests exercise this backend without a server.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from records import Constraints
from retrieval.filters import INDEXED_FIELDS, AnyOf, Condition, Ids, filter_spec
from retrieval.vectorstore import (
    DENSE,
    GRAMS,
    HIT_FIELDS,
    SPARSE,
    Hit,
    IndexedItem,
    IndexUnavailable,
    SparseVec,
    VectorStore,
    by_score,
    dense_of,
    named_vectors,
    payload_of,
    point_id,
)

SCHEMA = {"keyword": models.PayloadSchemaType.KEYWORD, "float": models.PayloadSchemaType.FLOAT, "bool": models.PayloadSchemaType.BOOL}
META_ID = 0  # the meta collection's single point


def remote_filter(c: Constraints | None, only_ids: list[str] | None = None) -> models.Filter | None:
    spec = filter_spec(c, only_ids)
    if spec is None:
        return None
    return models.Filter(must=[_condition(x) for x in spec.must] or None, must_not=[_condition(x) for x in spec.must_not] or None)


def _condition(x: Condition) -> Any:
    if isinstance(x, Ids):
        return models.HasIdCondition(has_id=[point_id(p) for p in x.product_ids])
    if isinstance(x, AnyOf):
        return models.FieldCondition(key=x.key, match=models.MatchAny(any=list(x.values)))
    return models.FieldCondition(key=x.key, range=models.Range(gte=x.gte, lte=x.lte, gt=x.gt))


def _sparse(v: SparseVec) -> models.SparseVector:
    return models.SparseVector(indices=v.indices, values=v.values)


class RemoteStore(VectorStore):
    def __init__(self, url: str, collection: str = "products", api_key: str | None = None):
        if url == ":memory:":
            self.client = QdrantClient(location=":memory:")
        elif url.startswith("local:"):
            self.client = QdrantClient(path=url.removeprefix("local:"))
        else:
            self.client = QdrantClient(url=url, api_key=api_key)
        self.collection = collection
        self.meta_collection = f"{collection}__meta"

    def _exists(self) -> bool:
        return self.client.collection_exists(self.collection)

    def ensure(self, dim: int) -> None:
        if self._exists():
            return
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={name: models.SparseVectorParams(modifier=models.Modifier.IDF) for name in (SPARSE, GRAMS)},
        )
        for name, kind in INDEXED_FIELDS.items():
            self.client.create_payload_index(self.collection, name, SCHEMA[kind])
        self.client.create_collection(self.meta_collection, vectors_config=models.VectorParams(size=1, distance=models.Distance.DOT))
        self.set_meta({"dim": dim})

    def upsert(self, items: list[IndexedItem]) -> None:
        if not items:
            return
        points = [
            models.PointStruct(
                id=point_id(i.product_id),
                vector=named_vectors(i, _sparse),
                payload=i.payload,
            )
            for i in items
        ]
        self.client.upsert(self.collection, points)

    def delete(self, product_ids: list[str]) -> None:
        if product_ids:
            self.client.delete(self.collection, models.PointIdsList(points=[point_id(p) for p in product_ids]))

    def set_payload(self, product_id: str, payload: dict[str, Any]) -> None:
        self.client.set_payload(self.collection, payload, points=[point_id(product_id)])

    def nearest(self, dense=None, sparse=None, constraints=None, limit=50, only_ids=None, exact=False, using=SPARSE) -> list[Hit]:
        if not self._exists():
            raise IndexUnavailable("the vector index is empty: run `shopassist index` first")
        if dense is not None:
            query, using = np.asarray(dense, dtype=np.float32).tolist(), DENSE
        else:
            query = _sparse(sparse)
        params = models.SearchParams(exact=True) if exact else models.SearchParams(hnsw_ef=128)
        res = self.client.query_points(
            self.collection,
            query=query,
            using=using,
            query_filter=remote_filter(constraints, only_ids),
            limit=limit,
            with_payload=HIT_FIELDS,
            search_params=params,
        )
        return by_score([Hit(payload_of(p)["product_id"], float(p.score), payload_of(p)) for p in res.points])

    def top_by(self, key: str, constraints: Constraints | None = None, limit: int = 50) -> list[Hit]:
        records, _ = self.client.scroll(
            self.collection,
            scroll_filter=remote_filter(constraints),
            limit=limit,
            with_payload=True,
            order_by=models.OrderBy(key=key, direction=models.Direction.DESC),
        )
        return [Hit(payload_of(r)["product_id"], float(payload_of(r).get(key) or 0.0), payload_of(r)) for r in records]

    def vectors(self, product_ids: list[str]) -> dict[str, np.ndarray]:
        if not product_ids or not self._exists():
            return {}
        records = self.client.retrieve(
            self.collection, [point_id(p) for p in product_ids], with_payload=["product_id"], with_vectors=[DENSE]
        )
        return {payload_of(r)["product_id"]: dense_of(r) for r in records}

    def indexed_hashes(self) -> dict[str, str]:
        if not self._exists():
            return {}
        out: dict[str, str] = {}
        offset = None
        while True:
            records, offset = self.client.scroll(self.collection, offset=offset, limit=2000, with_payload=["product_id", "content_hash"])
            out.update({payload_of(r)["product_id"]: payload_of(r).get("content_hash", "") for r in records})
            if offset is None:
                return out

    def count(self) -> int:
        return self.client.count(self.collection).count if self._exists() else 0

    def get_meta(self) -> dict[str, Any]:
        if not self.client.collection_exists(self.meta_collection):
            return {}
        found = self.client.retrieve(self.meta_collection, [META_ID], with_payload=True)
        return payload_of(found[0]) if found else {}

    def set_meta(self, meta: dict[str, Any]) -> None:
        merged = {**self.get_meta(), **meta}
        self.client.upsert(self.meta_collection, [models.PointStruct(id=META_ID, vector=[1.0], payload=merged)])

    def snapshot(self, target: Path) -> Path:
        """A portable gzip'd JSON-lines export (meta first, then one point per line): works the
        same against qdrant-client's local mode and any server version, unlike server snapshots."""
        with gzip.open(target, "wt", encoding="utf-8") as out:
            out.write(json.dumps({"meta": self.get_meta()}) + "\n")
            offset = None
            while self._exists():
                records, offset = self.client.scroll(self.collection, offset=offset, limit=500, with_payload=True, with_vectors=True)
                for r in records:
                    out.write(json.dumps({"payload": payload_of(r), "vectors": _plain_vectors(r.vector)}) + "\n")
                if offset is None:
                    break
        return target

    def restore(self, archive: Path) -> None:
        with gzip.open(archive, "rt", encoding="utf-8") as f:
            meta = json.loads(f.readline())["meta"]
            self.drop()
            self.ensure(int(meta["dim"]))
            self.set_meta(meta)
            batch: list[IndexedItem] = []
            for line in f:
                batch.append(_item(json.loads(line)))
                if len(batch) == 500:
                    self.upsert(batch)
                    batch = []
            self.upsert(batch)

    def drop(self) -> None:
        for name in (self.collection, self.meta_collection):
            if self.client.collection_exists(name):
                self.client.delete_collection(name)

    def close(self) -> None:
        self.client.close()


def _plain_vectors(vectors: Any) -> dict[str, Any]:
    return {
        name: {"indices": list(v.indices), "values": list(v.values)} if isinstance(v, models.SparseVector) else list(v)
        for name, v in vectors.items()
    }


def _item(row: dict[str, Any]) -> IndexedItem:
    v = row["vectors"]
    grams = v.get(GRAMS)
    return IndexedItem(
        row["payload"]["product_id"],
        np.asarray(v[DENSE], dtype=np.float32),
        SparseVec(**v[SPARSE]),
        row["payload"],
        grams=SparseVec(**grams) if grams else None,
    )
