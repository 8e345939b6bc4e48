"""Instacart: real baskets, ordered per user, no absolute timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from assistant.datasets.base import Batch, one, read_csv
from records import Event, Product, User

EPOCH = datetime(2017, 1, 1)  # Instacart has no dates: each shopper's first order is placed here


def instacart_products(folder: Path) -> Iterator[Product]:
    """The products the sampled shoppers bought (14,190 of the 49,688 names): the catalog they saw."""
    aisles = {r["aisle_id"]: r["aisle"] for r in read_csv(folder / "aisles.csv")}
    depts = {r["department_id"]: r["department"] for r in read_csv(folder / "departments.csv")}
    bought = {r["product_id"] for r in read_csv(folder / "order_lines_sample.csv")}
    for r in read_csv(folder / "products.csv"):
        if r["product_id"] not in bought:
            continue
        dept, aisle = depts.get(r["department_id"], ""), aisles.get(r["aisle_id"], "")
        yield Product(
            id=f"ic-{r['product_id']}",
            title=r["product_name"],
            category=f"{dept.title()} > {aisle.title()}",
            attributes={"aisle": aisle, "department": dept},
        )


def instacart_orders(folder: Path) -> Iterator[tuple[str, int, datetime, list[str]]]:
    """(user, order_number, synthetic timestamp, product ids) per order, in order."""
    orders: dict[tuple[str, int], list[str]] = {}
    gaps: dict[tuple[str, int], float] = {}
    for r in read_csv(folder / "order_lines_sample.csv"):
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
            yield one(products=[p])
        for user, number, ts, items in instacart_orders(folder):
            events = [
                Event(user_id=user, product_id=pid, kind="purchase", ts=ts + timedelta(seconds=i), value=1) for i, pid in enumerate(items)
            ]
            yield one(users=[User(id=user, attributes={"source": "instacart"})] if number == 1 else [], events=events)

    return batches(), None
