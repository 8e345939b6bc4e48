"""The embedded backend: Qdrant's engine in-process (`qdrant-edge-py`), on disk under `data/`.

One process may open a shard at a time (the engine locks its WAL), so the app opens it once and
writes who holds it to `owner.json`: a second process is told which one, and what to do.
An index that cannot be read (corrupt, half-deleted) is reported as `broken`, never fatal: the
store holds everything it is built from, and `shopassist index --rebuild` rebuilds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tarfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache
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
    HIT_FIELDS,
    SPARSE,
    Hit,
    IndexedItem,
    IndexLocked,
    IndexUnavailable,
    SparseVec,
    VectorStore,
    by_score,
    dense_of,
    named_vectors,
    payload_of,
    point_id,
    point_uuid,
)

# Search breadth, the lowest that keeps recall@10 against exact search at 0.97 or more
# (bench/results/vectors.md): 128 up to 100k products (0.99), 256 from LARGE points on (at 1M,
# 128 gave 0.976 unfiltered but 0.965 filtered; 256 gives 0.991 / 0.979 at p99 3.4 / 1.9 ms).
HNSW_EF = 128
VECTOR_CACHE = 20_000  # product vectors kept in memory (1.5 kB each at 384 dimensions)
HNSW_EF_LARGE = 256
LARGE = 500_000


def hnsw_ef(points: int) -> int:
    return HNSW_EF_LARGE if points >= LARGE else HNSW_EF


# what a list by popularity needs of each product (the whole payload costs 10 ms for 50 points)
TOP_FIELDS = ["product_id", "title", "brand", "category", "price", "popularity"]
SCHEMA = {"keyword": PayloadSchemaType.Keyword, "float": PayloadSchemaType.Float, "bool": PayloadSchemaType.Bool}


def edge_filter(c: Constraints | None, only_ids: list[str] | None = None) -> Filter | None:
    spec = filter_spec(c, only_ids)
    if spec is None:
        return None
    return Filter(must=[_condition(x) for x in spec.must] or None, must_not=[_condition(x) for x in spec.must_not] or None)


def _condition(x: Condition) -> Any:
    if isinstance(x, Ids):
        return HasIdCondition({point_uuid(p) for p in x.product_ids})
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
        self.owner_file = self.root / "owner.json"
        self._lock = threading.RLock()  # the engine is thread-safe; this guards open/close
        self.shard: EdgeShard | None = None
        self.broken = None
        self._ef = HNSW_EF  # follows the collection's size (hnsw_ef)
        self._cache_lock = threading.Lock()
        self._vectors: LRUCache[str, np.ndarray] = LRUCache(VECTOR_CACHE)
        if self.meta_file.exists():
            self.shard = self._load()
            self._ef = hnsw_ef(self.count())

    def _load(self) -> EdgeShard | None:
        """Opens the shard on disk: a lock held elsewhere is an error that says who holds it; an
        unreadable shard is `broken` (reported by /readyz, repaired by `index --rebuild`)."""
        try:
            shard = EdgeShard.load(str(self.shard_dir))
        except Exception as exc:
            if "WouldBlock" in str(exc):
                raise IndexLocked(self._held_by()) from None
            self.broken = f"{type(exc).__name__}: {str(exc)[:200]}"
            return None
        self._claim()
        return shard

    def _held_by(self) -> str:
        owner = {}
        with contextlib.suppress(OSError, ValueError):  # no owner file: who holds it is unknown
            owner = json.loads(self.owner_file.read_text())
        who = f"process {owner['pid']} (`{owner['command']}`)" if owner.get("pid") else "another process"
        return (
            f"the vector index {self.root} is open in {who}; the embedded engine allows one process. "
            "Stop it, or run maintenance through the running server: "
            "`shopassist index|train|snapshot --server http://HOST:PORT` with an admin API key in SHOPASSIST_API_KEY (README: Operations)."
        )

    def _claim(self) -> None:
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:3]]) if sys.argv else "?"
        with contextlib.suppress(OSError):  # a read-only or full disk: the lock still holds, only the message is vaguer
            self.owner_file.write_text(json.dumps({"pid": os.getpid(), "command": command}))

    def _require(self) -> EdgeShard:
        if self.shard is None:
            if self.broken:
                raise IndexUnavailable(f"the vector index {self.root} cannot be read ({self.broken}): run `shopassist index --rebuild`")
            raise IndexUnavailable("the vector index is empty: run `shopassist index` first")
        return self.shard

    def ensure(self, dim: int) -> None:
        with self._lock:
            if self.shard is not None:
                return
            if self.broken:  # a broken index is rebuilt on purpose (`index --rebuild`), never overwritten
                self._require()
            self.root.mkdir(parents=True, exist_ok=True)
            config = EdgeConfig(
                vectors={DENSE: EdgeVectorParams(size=dim, distance=Distance.Cosine)},
                sparse_vectors={name: EdgeSparseVectorParams(modifier=Modifier.Idf) for name in (SPARSE, GRAMS)},
            )
            self.shard = EdgeShard.create(str(self.shard_dir), config)
            self._claim()
            for name, kind in INDEXED_FIELDS.items():
                self.shard.update(UpdateOperation.create_field_index(name, SCHEMA[kind]))
            self.set_meta({"dim": dim})

    def upsert(self, items: list[IndexedItem]) -> None:
        points = [Point(point_id(i.product_id), named_vectors(i, _sparse), i.payload) for i in items]
        self._forget(i.product_id for i in items)
        if points:
            shard = self._require()
            shard.update(UpdateOperation.upsert_points(points))
            self._ef = hnsw_ef(shard.info().points_count)

    def _forget(self, product_ids) -> None:
        with self._cache_lock:
            for pid in product_ids:
                self._vectors.pop(pid, None)

    def delete(self, product_ids: list[str]) -> None:
        self._forget(product_ids)
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
        params = SearchParams(exact=True) if exact else SearchParams(hnsw_ef=self._ef)
        req = QueryRequest(limit=limit, query=query, filter=edge_filter(constraints, only_ids), with_payload=HIT_FIELDS, params=params)
        # `.payload` converts from the engine on every access: read it once per point
        return by_score([Hit(pl["product_id"], float(p.score), pl) for p in shard.query(req) for pl in (payload_of(p),)])

    def scores(self, product_ids, dense=None, sparse=None, using=SPARSE) -> dict[str, float]:
        """Both channels in the engine, restricted to the products, without payloads: reading 250
        vectors out of the engine into numpy took 5 ms (their conversion, not the read), the
        engine scores them in 0.5; payloads cost more than the search itself."""
        if not product_ids:
            return {}
        if dense is not None:
            query, params = Query.Nearest(np.asarray(dense, dtype=np.float32).tolist(), using=DENSE), SearchParams(exact=True)
        else:
            query, params = Query.Nearest(_sparse(sparse), using=using), None
        by_point: dict[Any, str] = {point_uuid(pid): pid for pid in product_ids}
        req = QueryRequest(limit=len(product_ids), query=query, filter=edge_filter(None, product_ids), params=params)
        out = dict.fromkeys(product_ids, 0.0)
        for p in self._require().query(req):
            out[by_point[p.id]] = float(p.score)
        return out

    def top_by(self, key: str, constraints: Constraints | None = None, limit: int = 50) -> list[Hit]:
        records, _ = self._require().scroll(
            ScrollRequest(limit=limit, filter=edge_filter(constraints), with_payload=TOP_FIELDS, order_by=OrderBy(key, Direction.Desc))
        )
        return [Hit(pl["product_id"], float(pl.get(key) or 0.0), pl) for r in records for pl in (payload_of(r),)]

    def vectors(self, product_ids: list[str]) -> dict[str, np.ndarray]:
        """Dense vectors by product id (read-only arrays: cached, shared by every request; a
        product's entry goes when it is upserted or deleted)."""
        if not product_ids or self.shard is None:
            return {}
        with self._cache_lock:
            out = {pid: v for pid in product_ids if (v := self._vectors.get(pid)) is not None}
        missing = [pid for pid in product_ids if pid not in out]
        if missing:
            by_point: dict[Any, str] = {point_uuid(pid): pid for pid in missing}  # no payload: it cost more than the read
            fresh = {by_point[r.id]: dense_of(r) for r in self.shard.retrieve(list(by_point), False, [DENSE])}
            with self._cache_lock:
                for pid, v in fresh.items():
                    v.setflags(write=False)
                    self._vectors[pid] = out[pid] = v
        return out

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
        try:
            return json.loads(self.meta_file.read_text()) if self.meta_file.exists() else {}
        except ValueError:  # a torn write: the index is rebuilt from the store
            self.broken = self.broken or f"{self.meta_file} is not JSON"
            return {}

    def set_meta(self, meta: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.meta_file.write_text(json.dumps({**self.get_meta(), **meta}, indent=2))

    def drop(self) -> None:
        with self._lock:
            self.close()
            shutil.rmtree(self.root, ignore_errors=True)
            self.broken = None

    def warm(self) -> None:
        """Reads the index's files once, in order: the engine maps them, and a search that touches
        a page not in memory waits on the disk. At 1M products the first searches took 25-50 ms
        instead of 5 (the 3.4 GB read in about 7 s)."""
        for path in sorted(self.shard_dir.rglob("*")) if self.shard is not None else []:
            if path.is_file():
                with path.open("rb") as f:
                    while f.read(1 << 24):
                        pass

    def optimize(self) -> None:
        if self.shard is not None:
            self.shard.optimize()
            self._ef = hnsw_ef(self.count())

    def snapshot(self, target: Path) -> Path:
        """A tar.gz of the shard and its meta, taken with the shard flushed and closed."""
        with self._lock:
            if self.shard is not None:
                self.shard.flush()
                self.shard.close()
                self.shard = None
                self.owner_file.unlink(missing_ok=True)
            try:
                with tarfile.open(target, "w:gz") as tar:
                    tar.add(self.root, arcname="qdrant")
            finally:
                if self.meta_file.exists():
                    self.shard = self._load()
        return target

    def restore(self, archive: Path) -> None:
        """Replaces the index with a snapshot; an archive that is not one leaves the index as it was."""
        staging = self.root.parent / "_restore"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="data")
            if not (staging / "qdrant" / "index.json").exists():
                raise tarfile.TarError("no qdrant/index.json inside")
        except (tarfile.TarError, OSError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise IndexUnavailable(f"{archive} is not an index snapshot ({exc}); the index was not touched") from None
        with self._lock:
            self.close()
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.move(str(staging / "qdrant"), str(self.root))
            shutil.rmtree(staging, ignore_errors=True)
            self.broken = None
            self.shard = self._load()
            self._require()

    def close(self) -> None:
        with self._lock:
            with self._cache_lock:
                self._vectors.clear()
            if self.shard is not None:
                self.shard.flush()
                self.shard.close()
                self.shard = None
                self.owner_file.unlink(missing_ok=True)
