"""UCI Online Retail: invoices with prices, thin histories."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from assistant.datasets.base import Batch, read_csv
from records import Event, Product, User


def online_retail(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        seen: set[str] = set()
        for r in read_csv(folder / "online_retail_sample.csv"):
            code, desc = r["StockCode"].strip(), (r["Description"] or "").strip()
            if not desc or desc == "NA":
                continue
            pid = f"or-{code}"
            b = Batch.empty()
            if pid not in seen:
                seen.add(pid)
                b.products.append(
                    Product(
                        id=pid,
                        title=desc.title(),
                        price=float(r["UnitPrice"] or 0) or None,
                        currency="GBP",
                        category="Gifts & Homeware",
                    )
                )
            customer = r["CustomerID"]
            cancelled = r["InvoiceNo"].startswith("C")
            if customer and customer != "NA" and not cancelled and float(r["Quantity"]) > 0:
                uid = f"or-u{customer.split('.')[0]}"
                b.users.append(User(id=uid, attributes={"country": r["Country"]}))
                b.events.append(
                    Event(
                        user_id=uid,
                        product_id=pid,
                        kind="purchase",
                        ts=datetime.fromisoformat(r["InvoiceDate"]),
                        value=float(r["Quantity"]),
                    )
                )
            yield b

    return batches(), None
