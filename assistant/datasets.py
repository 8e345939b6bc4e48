"""Adapters from the public datasets in `../shared/datasets/` to our records.

Each adapter reads one dataset folder and yields `Batch`es for `ingest_stream`, which makes
them idempotent and resumable. Ids are prefixed per dataset so several can share one store.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from assistant.ingest import Batch
from records import Event, Product, Review, User

DATASETS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
EPOCH = datetime(2017, 1, 1)


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _one(**kw: list) -> Batch:
    b = Batch.empty()
    for k, v in kw.items():
        getattr(b, k).extend(v)
    return b


# ---- Instacart: real baskets, ordered per user, no absolute timestamps ------------------------
def instacart_products(folder: Path) -> Iterator[Product]:
    """The products the sampled shoppers bought (14,190 of the 49,688 names): the catalog they saw."""
    aisles = {r["aisle_id"]: r["aisle"] for r in _csv(folder / "aisles.csv")}
    depts = {r["department_id"]: r["department"] for r in _csv(folder / "departments.csv")}
    bought = {r["product_id"] for r in _csv(folder / "order_lines_sample.csv")}
    for r in _csv(folder / "products.csv"):
        if r["product_id"] not in bought:
            continue
        dept, aisle = depts.get(r["department_id"], ""), aisles.get(r["aisle_id"], "")
        yield Product(
            id=f"ic-{r['product_id']}",
            title=r["product_name"],
            category=f"{dept.title()} > {aisle.title()}",
            attributes={"aisle": aisle, "department": dept},
            stock=100,
        )


def instacart_orders(folder: Path) -> Iterator[tuple[str, int, datetime, list[str]]]:
    """(user, order_number, synthetic timestamp, product ids) per order, in order."""
    orders: dict[tuple[str, int], list[str]] = {}
    gaps: dict[tuple[str, int], float] = {}
    for r in _csv(folder / "order_lines_sample.csv"):
        key = (r["user_id"], int(r["order_number"]))
        orders.setdefault(key, []).append(f"ic-{r['product_id']}")
        gaps[key] = float(r["days_since_prior_order"] or 0)
    clock: dict[str, datetime] = {}
    for user, number in sorted(orders, key=lambda k: (int(k[0]), k[1])):
        ts = clock.get(user, EPOCH) + timedelta(days=gaps[(user, number)], hours=1)
        clock[user] = ts
        yield f"ic-u{user}", number, ts, orders[(user, number)]


def instacart(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        for p in instacart_products(folder):
            yield _one(products=[p])
        for user, number, ts, items in instacart_orders(folder):
            events = [Event(user_id=user, product_id=pid, kind="purchase", ts=ts + timedelta(seconds=i), value=1) for i, pid in enumerate(items)]
            yield _one(users=[User(id=user, attributes={"source": "instacart"})] if number == 1 else [], events=events)

    return batches(), None


# ---- UCI Online Retail: invoices with prices, thin histories ------------------------------------
def online_retail(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        seen: set[str] = set()
        for r in _csv(folder / "online_retail_sample.csv"):
            code, desc = r["StockCode"].strip(), (r["Description"] or "").strip()
            if not desc or desc == "NA":
                continue
            pid = f"or-{code}"
            b = Batch.empty()
            if pid not in seen:
                seen.add(pid)
                b.products.append(Product(id=pid, title=desc.title(), price=float(r["UnitPrice"] or 0) or None, currency="GBP", category="Gifts & Homeware", stock=50))
            customer = r["CustomerID"]
            cancelled = r["InvoiceNo"].startswith("C")
            if customer and customer != "NA" and not cancelled and float(r["Quantity"]) > 0:
                uid = f"or-u{customer.split('.')[0]}"
                b.users.append(User(id=uid, attributes={"country": r["Country"]}))
                b.events.append(Event(user_id=uid, product_id=pid, kind="purchase", ts=datetime.fromisoformat(r["InvoiceDate"]), value=float(r["Quantity"])))
            yield b

    return batches(), None


# ---- Amazon 2018 reviews + meta ---------------------------------------------------------------
def _jsonl_gz(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def amazon2018(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        for meta in sorted(folder.glob("meta_*.json.gz")):
            if "2020" in meta.name:
                continue
            for m in _jsonl_gz(meta):
                price = m.get("price", "").replace("$", "").replace(",", "")
                yield _one(products=[Product(
                    id=f"az-{m['asin']}", title=m.get("title") or m["asin"], brand=m.get("brand") or "",
                    description=" ".join(m.get("description") or [])[:2000], price=float(price) if _is_number(price) else None,
                    category=" > ".join(dict.fromkeys(m.get("category") or [])), attributes={"features": "; ".join(m.get("feature") or [])[:500]} if m.get("feature") else {}, stock=10,
                )])
        for path in sorted(folder.glob("*_5.json.gz")):
            category = path.name.removesuffix("_5.json.gz").replace("_", " ")
            for r in _jsonl_gz(path):
                pid, uid = f"az-{r['asin']}", f"az-{r['reviewerID']}"
                ts = datetime.fromtimestamp(int(r["unixReviewTime"]))
                rid = "az-" + hashlib.sha1(f"{r['reviewerID']}|{r['asin']}|{r['unixReviewTime']}".encode()).hexdigest()[:16]
                text = (r.get("reviewText") or "").strip()
                b = _one(users=[User(id=uid, name=r.get("reviewerName") or "")], events=[Event(user_id=uid, product_id=pid, kind="review", ts=ts, value=float(r["overall"]))])
                if text:
                    b.reviews.append(Review(id=rid, product_id=pid, user_id=uid, rating=float(r["overall"]), title=r.get("summary") or "", text=text, ts=ts))
                # products seen only in review files get a minimal record; meta products are not overwritten
                b.products.append(Product(id=pid, title=f"{category} item {r['asin']}", category=category, stock=10)) if category != "Gift Cards" else None
                yield b

    return batches(), None


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---- Home Depot: titles only ------------------------------------------------------------------
def homedepot_products(folder: Path) -> Iterator[Product]:
    for r in _csv(folder / "products.csv"):
        yield Product(id=f"hd-{r['product_uid']}", title=r["product_title"], category="Home Improvement", stock=10)


def homedepot(folder: Path) -> tuple[Iterator[Batch], int | None]:
    return (_one(products=[p]) for p in homedepot_products(folder)), 54667


# ---- Amazon UK toys: prices, brands, category paths, ratings -----------------------------------
def amazon_uk(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        with open(folder / "products.csv", encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                uid, name, cat, maker, price, stock, *_rest = row + [""] * 9
                price = price.replace("£", "").replace(",", "").split("-")[0].strip()
                yield _one(products=[Product(
                    id=f"uk-{uid}", title=name, brand=maker, category=cat, currency="GBP",
                    price=float(price) if _is_number(price) else None,
                    stock=int(stock.split()[0]) if stock.split() and stock.split()[0].isdigit() else 0,
                    attributes={"average_rating": row[8]} if len(row) > 8 and row[8] else {},
                )])

    return batches(), 9999


# ---- Datafiniti device reviews: hundreds of reviews per product -----------------------------------
def device_reviews(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        with zipfile.ZipFile(folder / "amazon.csv.zip") as z, z.open(z.namelist()[0]) as raw:
            seen: set[str] = set()
            for i, r in enumerate(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))):
                pid = f"dv-{r['id']}"
                b = Batch.empty()
                if pid not in seen:
                    seen.add(pid)
                    cats = [c for c in (r["categories"] or "").split(",") if c][:3]
                    b.products.append(Product(id=pid, title=r["name"] or r["asins"], brand=r["brand"], category=" > ".join(cats), stock=20))
                if r["reviews.text"] and r["reviews.rating"]:
                    when = r["reviews.date"][:19] or "2017-01-01T00:00:00"
                    b.reviews.append(Review(id=f"dv-{i}", product_id=pid, rating=float(r["reviews.rating"]), title=r["reviews.title"] or "", text=r["reviews.text"], ts=datetime.fromisoformat(when)))
                yield b

    return batches(), 34660


ADAPTERS = {
    "instacart": ("instacart", instacart),
    "online_retail": ("online_retail", online_retail),
    "amazon2018": ("amazon_reviews_2018", amazon2018),
    "homedepot": ("homedepot_queries", homedepot),
    "amazon_uk": ("amazon_uk_toys", amazon_uk),
    "device_reviews": ("device_reviews", device_reviews),
}


def dataset_folder(name: str, root: Path | None = None) -> Path:
    if name not in ADAPTERS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(ADAPTERS)}")
    return (root or DATASETS_DIR) / ADAPTERS[name][0]
