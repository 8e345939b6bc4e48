"""Loading records into the store: our own CSV/JSONL schema and adapters for public datasets.

The schema (one object per line in JSONL, or one row per line in CSV with a header):

- products: id, title, description, brand, price, currency, category ("A > B > C"), stock,
  attributes (a JSON object; in CSV also any extra column, e.g. `color`, `size`), image_url, url
- users: id, name, attributes (JSON object)
- events: user_id, product_id, kind (view|cart|purchase|rating|review), ts (ISO 8601), value, id (optional)
- reviews: id, product_id, user_id, rating (1-5), title, text, ts

Every loader is idempotent (records are keyed by id; events by a stable hash when they have
none) and resumable: a checkpoint per source file records how many rows were committed, so an
interrupted ingest continues where it stopped and a finished one is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from tqdm import tqdm

from assistant.datasets import ADAPTERS, dataset_folder
from assistant.datasets.base import Batch
from assistant.store import Store
from records import Event, Product, Review, User

DEMO_DIR = Path(__file__).parent / "demo"
KINDS = ("products", "users", "events", "reviews")
PRODUCT_FIELDS = {"id", "title", "description", "brand", "price", "currency", "category", "stock", "attributes", "image_url", "url"}


@dataclass
class IngestReport:
    rows: int = 0
    products_changed: int = 0
    users_added: int = 0
    events_added: int = 0
    reviews_added: int = 0
    skipped: bool = False

    def add(self, other: IngestReport) -> None:
        for name in ("rows", "products_changed", "users_added", "events_added", "reviews_added"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a .jsonl/.json-lines or .csv file as dicts."""
    if path.suffix in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)
    elif path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)
    else:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .jsonl or .csv")


def product_from_row(row: dict[str, Any]) -> Product:
    attrs = row.get("attributes") or {}
    if isinstance(attrs, str):
        attrs = json.loads(attrs) if attrs.strip() else {}
    attrs = {**attrs, **{k: v for k, v in row.items() if k not in PRODUCT_FIELDS and v not in (None, "")}}
    price = row.get("price")
    return Product(
        id=str(row["id"]),
        title=row["title"],
        description=row.get("description") or "",
        brand=row.get("brand") or "",
        price=float(price) if price not in (None, "") else None,
        currency=row.get("currency") or "USD",
        category=row.get("category") or "",
        attributes=attrs,
        stock=int(float(row["stock"])) if row.get("stock") not in (None, "") else None,  # empty: unknown, not 0
        image_url=row.get("image_url") or None,
        url=row.get("url") or None,
    )


def undated_event_id(row: dict[str, Any], seen: Counter[str]) -> str:
    """An id for an event row with neither `id` nor `ts` (its time would be "now", new on every
    run): its content and how many identical rows came before it, so a re-run adds nothing."""
    content = json.dumps(row, sort_keys=True, default=str)
    seen[content] += 1
    return hashlib.sha1(f"row|{content}|{seen[content]}".encode()).hexdigest()


def _from_rows(kind: str, rows: Iterable[dict[str, Any]], source: str = "") -> Iterator[Batch]:
    """One batch per row; a bad row stops the load with its number and what is wrong (the rows
    before it are kept: fix the row and run again)."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")
    undated: Counter[str] = Counter()
    for n, row in enumerate(rows, start=1):
        try:
            batch = _parse_row(kind, row, undated)
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{source or kind} row {n}: {reason}") from exc
        except KeyError as exc:
            raise ValueError(f"{source or kind} row {n}: the field {exc} is missing") from exc
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{source or kind} row {n}: {exc}") from exc
        yield batch


def _parse_row(kind: str, row: dict[str, Any], undated: Counter[str]) -> Batch:
    batch = Batch.empty()
    if kind == "products":
        batch.products.append(product_from_row(row))
    elif kind == "users":
        attrs = row.get("attributes") or {}
        batch.users.append(
            User(id=str(row["id"]), name=row.get("name") or "", attributes=json.loads(attrs) if isinstance(attrs, str) else attrs)
        )
    elif kind == "events":
        data = {k: v for k, v in row.items() if v not in ("", None)}
        if "id" not in data and "ts" not in data:
            data["id"] = undated_event_id(data, undated)
        batch.events.append(Event.model_validate(data))
    else:
        batch.reviews.append(Review.model_validate({k: v for k, v in row.items() if v not in ("", None)}))
    return batch


def write_batch(store: Store, batch: Batch) -> IngestReport:
    report = IngestReport(rows=len(batch))
    if batch.products:
        report.products_changed = len(store.upsert_products(batch.products))
    if batch.users:
        report.users_added = store.upsert_users(batch.users)
    if batch.events:
        report.events_added = len(store.add_events(batch.events))
    if batch.reviews:
        report.reviews_added = store.add_reviews(batch.reviews)
    return report


def merge(batches: Iterable[Batch]) -> Batch:
    out = Batch.empty()
    for b in batches:
        out.products += b.products
        out.users += b.users
        out.events += b.events
        out.reviews += b.reviews
    return out


def ingest_stream(
    store: Store,
    source: str,
    fingerprint: str,
    batches: Iterable[Batch],
    chunk: int = 2000,
    total: int | None = None,
    force: bool = False,
) -> IngestReport:
    """Writes `batches` in chunks with a checkpoint after each, resuming after the last one."""
    key = f"ingest:{source}"
    state = json.loads(store.get_meta(key) or "{}")
    if state.get("fingerprint") != fingerprint or force:
        state = {"fingerprint": fingerprint, "done": 0, "complete": False}
    report = IngestReport()
    if state["complete"]:
        report.skipped = True
        return report
    it = iter(batches)
    skipped = sum(1 for _ in islice(it, state["done"]))  # already committed by an earlier run
    with tqdm(total=total, initial=skipped, desc=f"ingest {source}", unit="row", leave=False) as bar:
        while True:
            group = list(islice(it, chunk))
            if not group:
                break
            report.add(write_batch(store, merge(group)))
            state["done"] += len(group)
            store.set_meta(key, json.dumps(state))
            bar.update(len(group))
    state["complete"] = True
    store.set_meta(key, json.dumps(state))
    return report


def file_fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{int(st.st_mtime)}"


def ingest_file(store: Store, kind: str, path: Path, force: bool = False) -> IngestReport:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    return ingest_stream(
        store, f"{kind}:{path.resolve()}", file_fingerprint(path), _from_rows(kind, read_rows(path), str(path)), force=force
    )


def ingest_faq(store: Store, path: Path) -> int:
    """The store's policies and answers (id, question, answer, topic): replaced by id, so
    re-running changes nothing and an edited answer replaces the old one."""
    rows = list(read_rows(Path(path)))
    for row in rows:
        missing = {"id", "question", "answer"} - {k for k, v in row.items() if v}
        if missing:
            raise ValueError(f"{path}: an FAQ entry lacks {', '.join(sorted(missing))}: {row}")
    return store.upsert_faq(rows)


def ingest_demo(store: Store) -> IngestReport:
    """The shop's own demo catalog, shoppers, behaviour, reviews and FAQ."""
    report = IngestReport()
    for kind in KINDS:
        report.add(ingest_file(store, kind, DEMO_DIR / f"{kind}.jsonl"))
    ingest_faq(store, DEMO_DIR / "faq.jsonl")
    return report


def ingest_dataset(store: Store, name: str, root: Path, force: bool = False) -> IngestReport:
    """Loads one of the public datasets by name (see `assistant.datasets.ADAPTERS`) from the
    datasets folder `root` (the `DATASETS_DIR` setting)."""
    folder = dataset_folder(name, root)
    if not folder.exists():
        raise FileNotFoundError(f"dataset folder {folder} is absent")
    batches, total = ADAPTERS[name][1](folder)
    fingerprint = ";".join(file_fingerprint(p) for p in sorted(folder.iterdir()) if p.is_file())
    return ingest_stream(store, f"dataset:{name}", fingerprint, batches, total=total, force=force)
