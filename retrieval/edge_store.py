"""The embedded backend: Qdrant's engine in-process (`qdrant-edge-py`), on disk under `data/`.

One process may open a shard at a time (the engine locks its WAL), so the app opens it once.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_edge import (
    Direction,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    FieldCondition,
    Filter,
    HasIdCondition,
    MatchAny,
    Modifier,
    OrderBy,
    PayloadSchemaType,
    Point,
    Query,
    QueryRequest,
    RangeFloat,
    ScrollRequest,
    SearchParams,
    SparseVector,
    UpdateOperation,
)

from records import Constraints
from retrieval.filters import INDEXED_FIELDS, AnyOf, Condition, Ids, filter_spec
from retrieval.vectorstore import (
    DENSE,
    GRAMS,
    SPARSE,
    Hit,
    IndexedItem,
    SparseVec,
    VectorStore,
    by_score,
    dense_of,
    named_vectors,
    payload_of,
    point_id,
)

HNSW_EF = 128  # search breadth: the default lost against exact search (bench/results/NOTES.md)
SCHEMA = {"keyword": PayloadSchemaType.Keyword, "float": PayloadSchemaType.Float, "bool": PayloadSchemaType.Bool}


def edge_filter(c: Constraints | None, only_ids: list[str] | None = None) -> Filter | None:
    spec = filter_spec(c, only_ids)
    if spec is None:
        return None
    return Filter(must=[_condition(x) for x in spec.must] or None, must_not=[_condition(x) for x in spec.must_not] or None)


def _condition(x: Condition) -> Any:
    if isinstance(x, Ids):
        return HasIdCondition({point_id(p) for p in x.product_ids})
    if isinstance(x, AnyOf):
        return FieldCondition(x.key, match=MatchAny(list(x.values)))
    # a bool match on an indexed bool finds nothing in edge 0.9: stock is a float range
    return FieldCondition(x.key, range=RangeFloat(gte=x.gte, lte=x.lte, gt=x.gt))


def _sparse(v: SparseVec) -> SparseVector:
    return SparseVector(v.indices, v.values)


class EdgeStore(VectorStore):
    def __init__(self, path: str | Path):
        self.root = Path(path)
        self.shard_dir = self.root / "shard"
        self.meta_file = self.root / "index.json"
        self._lock = threading.RLock()  # the engine is thread-safe; this guards open/close
        self.shard: EdgeShard | None = EdgeShard.load(str(self.shard_dir)) if self.meta_file.exists() else None

    def _require(self) -> EdgeShard:
        if self.shard is None:
            raise RuntimeError("the vector index is empty: run `shopassist index` first")
        return self.shard

    def ensure(self, dim: int) -> None:
        with self._lock:
            if self.shard is not None:
                return
            self.root.mkdir(parents=True, exist_ok=True)
            config = EdgeConfig(
                vectors={DENSE: EdgeVectorParams(size=dim, distance=Distance.Cosine)},
                sparse_vectors={name: EdgeSparseVectorParams(modifier=Modifier.Idf) for name in (SPARSE, GRAMS)},
            )
            self.shard = EdgeShard.create(str(self.shard_dir), config)
            for name, kind in INDEXED_FIELDS.items():
                self.shard.update(UpdateOperation.create_field_index(name, SCHEMA[kind]))
            self.set_meta({"dim": dim})

    def upsert(self, items: list[IndexedItem]) -> None:
        points = [Point(point_id(i.product_id), named_vectors(i, _sparse), i.payload) for i in items]
        if points:
            self._require().update(UpdateOperation.upsert_points(points))

    def delete(self, product_ids: list[str]) -> None:
        if product_ids:
            self._require().update(UpdateOperation.delete_points([point_id(p) for p in product_ids]))

    def set_payload(self, product_id: str, payload: dict[str, Any]) -> None:
        self._require().update(UpdateOperation.set_payload([point_id(product_id)], payload))

    def nearest(self, dense=None, sparse=None, constraints=None, limit=50, only_ids=None, exact=False, using=SPARSE) -> list[Hit]:
        shard = self._require()
        if dense is not None:
            query = Query.Nearest(np.asarray(dense, dtype=np.float32).tolist(), using=DENSE)
        else:
            query = Query.Nearest(_sparse(sparse), using=using)
        params = SearchParams(exact=True) if exact else SearchParams(hnsw_ef=HNSW_EF)
        req = QueryRequest(limit=limit, query=query, filter=edge_filter(constraints, only_ids), with_payload=True, params=params)
        return by_score([Hit(payload_of(p)["product_id"], float(p.score), payload_of(p)) for p in shard.query(req)])

    def top_by(self, key: str, constraints: Constraints | None = None, limit: int = 50) -> list[Hit]:
        records, _ = self._require().scroll(
            ScrollRequest(limit=limit, filter=edge_filter(constraints), with_payload=True, order_by=OrderBy(key, Direction.Desc))
        )
        return [Hit(payload_of(r)["product_id"], float(payload_of(r).get(key) or 0.0), payload_of(r)) for r in records]

    def vectors(self, product_ids: list[str]) -> dict[str, np.ndarray]:
        if not product_ids or self.shard is None:
            return {}
        records = self.shard.retrieve([point_id(p) for p in product_ids], ["product_id"], [DENSE])
        return {payload_of(r)["product_id"]: dense_of(r) for r in records}

    def indexed_hashes(self) -> dict[str, str]:
        if self.shard is None:
            return {}
        out: dict[str, str] = {}
        offset = None
        while True:
            records, offset = self.shard.scroll(ScrollRequest(offset=offset, limit=2000, with_payload=["product_id", "content_hash"]))
            out.update({payload_of(r)["product_id"]: payload_of(r).get("content_hash", "") for r in records})
            if offset is None:
                return out

    def count(self) -> int:
        return self.shard.info().points_count if self.shard is not None else 0

    def get_meta(self) -> dict[str, Any]:
        return json.loads(self.meta_file.read_text()) if self.meta_file.exists() else {}

    def set_meta(self, meta: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.meta_file.write_text(json.dumps({**self.get_meta(), **meta}, indent=2))

    def drop(self) -> None:
        with self._lock:
            self.close()
            shutil.rmtree(self.root, ignore_errors=True)

    def optimize(self) -> None:
        if self.shard is not None:
            self.shard.optimize()

    def snapshot(self, target: Path) -> Path:
        """A tar.gz of the shard and its meta, taken with the shard flushed and closed."""
        with self._lock:
            if self.shard is not None:
                self.shard.flush()
                self.shard.close()
                self.shard = None
            try:
                with tarfile.open(target, "w:gz") as tar:
                    tar.add(self.root, arcname="qdrant")
            finally:
                if self.meta_file.exists():
                    self.shard = EdgeShard.load(str(self.shard_dir))
        return target

    def restore(self, archive: Path) -> None:
        with self._lock:
            self.close()
            shutil.rmtree(self.root, ignore_errors=True)
            with tarfile.open(archive) as tar:
                tar.extractall(self.root.parent / "_restore", filter="data")
            shutil.move(str(self.root.parent / "_restore" / "qdrant"), str(self.root))
            shutil.rmtree(self.root.parent / "_restore", ignore_errors=True)
            self.shard = EdgeShard.load(str(self.shard_dir))

    def close(self) -> None:
        with self._lock:
            if self.shard is not None:
                self.shard.flush()
                self.shard.close()
                self.shard = None
