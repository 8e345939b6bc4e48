"""Home Depot: product titles only (the search judgments are read by the retrieval evaluation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from assistant.datasets.base import Batch, one, read_csv
from records import Product


def homedepot_products(folder: Path) -> Iterator[Product]:
    for r in read_csv(folder / "products.csv"):
        yield Product(id=f"hd-{r['product_uid']}", title=r["product_title"], category="Home Improvement")


def homedepot(folder: Path) -> tuple[Iterator[Batch], int | None]:
    return (one(products=[p]) for p in homedepot_products(folder)), 54667
