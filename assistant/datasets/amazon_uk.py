"""Amazon UK toys: prices, brands, category paths, ratings."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from assistant.datasets.base import Batch, is_number, one
from records import Product


def amazon_uk(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        with open(folder / "products.csv", encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                uid, name, cat, maker, price, stock, *_rest = row + [""] * 9
                price = price.replace("£", "").replace(",", "").split("-")[0].strip()
                yield one(
                    products=[
                        Product(
                            id=f"uk-{uid}",
                            title=name,
                            brand=maker,
                            category=cat,
                            currency="GBP",
                            price=float(price) if is_number(price) else None,
                            stock=int(stock.split()[0]) if stock.split() and stock.split()[0].isdigit() else None,
                            attributes={"average_rating": row[8]} if len(row) > 8 and row[8] else {},
                        )
                    ]
                )

    return batches(), 9999
