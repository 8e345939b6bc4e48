"""Datafiniti device reviews: hundreds of reviews per product."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from assistant.datasets.amazon2018 import product_page
from assistant.datasets.base import Batch
from records import Product, Review


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
                    asin = (r["asins"] or "").split(",")[0].strip()
                    page = product_page(asin) if asin else None  # the file has no pictures, only the ASINs
                    b.products.append(Product(id=pid, title=r["name"] or r["asins"], brand=r["brand"], category=" > ".join(cats), url=page))
                if r["reviews.text"] and r["reviews.rating"]:
                    when = r["reviews.date"][:19] or "2017-01-01T00:00:00"
                    b.reviews.append(
                        Review(
                            id=f"dv-{i}",
                            product_id=pid,
                            rating=float(r["reviews.rating"]),
                            title=r["reviews.title"] or "",
                            text=r["reviews.text"],
                            ts=datetime.fromisoformat(when),
                        )
                    )
                yield b

    return batches(), 34660
