"""Amazon 2018: 5-core reviews, and product metadata where it exists."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from assistant.datasets.base import Batch, is_number, one, read_jsonl_gz
from records import Event, Product, Review, User


def product_page(asin: str) -> str:
    """Amazon's product page is addressed by the ASIN, so every product in these files has one."""
    return f"https://www.amazon.com/dp/{asin}"


def _first_image(meta: dict) -> str | None:
    """The metadata's first picture, the large one where it exists (about 4 in 10 products have one)."""
    for key in ("imageURLHighRes", "imageURL", "image"):
        for address in meta.get(key) or []:
            if str(address).startswith("https://"):
                return str(address)
    return None


def amazon2018(folder: Path) -> tuple[Iterator[Batch], int | None]:
    def batches() -> Iterator[Batch]:
        for meta in sorted(folder.glob("meta_*.json.gz")):
            if "2020" in meta.name:
                continue
            for m in read_jsonl_gz(meta):
                price = m.get("price", "").replace("$", "").replace(",", "")
                yield one(
                    products=[
                        Product(
                            id=f"az-{m['asin']}",
                            title=m.get("title") or m["asin"],
                            brand=m.get("brand") or "",
                            description=" ".join(m.get("description") or [])[:2000],
                            price=float(price) if is_number(price) else None,
                            category=" > ".join(dict.fromkeys(m.get("category") or [])),
                            attributes={"features": "; ".join(m.get("feature") or [])[:500]} if m.get("feature") else {},
                            image_url=_first_image(m),
                            url=product_page(m["asin"]),
                        )
                    ]
                )
        for path in sorted(folder.glob("*_5.json.gz")):
            category = path.name.removesuffix("_5.json.gz").replace("_", " ")
            for r in read_jsonl_gz(path):
                pid, uid = f"az-{r['asin']}", f"az-{r['reviewerID']}"
                ts = datetime.fromtimestamp(int(r["unixReviewTime"]))
                rid = "az-" + hashlib.sha1(f"{r['reviewerID']}|{r['asin']}|{r['unixReviewTime']}".encode()).hexdigest()[:16]
                text = (r.get("reviewText") or "").strip()
                b = one(
                    users=[User(id=uid, name=r.get("reviewerName") or "")],
                    events=[Event(user_id=uid, product_id=pid, kind="review", ts=ts, value=float(r["overall"]))],
                )
                if text:
                    b.reviews.append(
                        Review(
                            id=rid, product_id=pid, user_id=uid, rating=float(r["overall"]), title=r.get("summary") or "", text=text, ts=ts
                        )
                    )
                # products seen only in review files get a minimal record; meta products are not overwritten
                b.products.append(
                    Product(id=pid, title=f"{category} item {r['asin']}", category=category, url=product_page(r["asin"]))
                ) if category != "Gift Cards" else None
                yield b

    return batches(), None
