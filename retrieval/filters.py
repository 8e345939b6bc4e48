"""What the vector engine stores beside each vector, and the one filter specification.

A product's payload holds the fields that filters read (price, brand, category prefixes,
colour, stock, popularity). `filter_spec` turns a shopper's `Constraints` into plain
conditions; each backend translates those into its own client's classes, so the meaning of a
constraint is written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from records import Constraints, Product, category_path

# Payload fields with an index in the engine, and their type.
INDEXED_FIELDS = {
    "brand": "keyword",
    "category": "keyword",
    "color": "keyword",
    "price": "float",
    "stock": "float",
    "popularity": "float",
    "product_id": "keyword",
}


def category_prefixes(path: str) -> list[str]:
    """'A > B > C' → ['a', 'a > b', 'a > b > c']: lets one keyword filter match any level."""
    parts = [p.lower() for p in category_path(path)]
    return [" > ".join(parts[: i + 1]) for i in range(len(parts))]


def payload_for(product: Product, content_hash: str) -> dict[str, Any]:
    return {
        "product_id": product.id,
        "title": product.title,
        "brand": product.brand.lower(),
        "category": category_prefixes(product.category),
        "color": (product.color or "").lower(),
        "price": float(product.price) if product.price is not None else None,
        "stock": float(product.stock) if product.stock is not None else None,
        "popularity": float(product.popularity),
        "attrs": attribute_payload(product.attributes),
        "content_hash": content_hash,
    }


def attribute_key(key: str) -> str:
    """An attribute key as a payload field name (no dots or spaces)."""
    return re.sub(r"\W+", "_", key.strip().lower())


def attribute_payload(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes as filters read them: words lowercase, yes/no as "true"/"false", numbers as
    numbers (a list of words stays a list: any of them matches)."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None or value == "" or key == "color":
            continue
        if isinstance(value, bool):
            out[attribute_key(key)] = "true" if value else "false"
        elif isinstance(value, int | float):
            out[attribute_key(key)] = float(value)
        elif isinstance(value, list):
            out[attribute_key(key)] = [str(v).strip().lower() for v in value]
        else:
            out[attribute_key(key)] = str(value).strip().lower()
    return out


@dataclass(frozen=True)
class AnyOf:
    """The keyword field holds one of `values`."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Between:
    """The number field lies in the range; None leaves that side open."""

    key: str
    gte: float | None = None
    lte: float | None = None
    gt: float | None = None


@dataclass(frozen=True)
class Ids:
    """The point is one of these products."""

    product_ids: tuple[str, ...]


Condition = AnyOf | Between | Ids


@dataclass
class FilterSpec:
    must: list[Condition] = field(default_factory=list)
    must_not: list[Condition] = field(default_factory=list)


def filter_spec(c: Constraints | None, only_ids: list[str] | None = None) -> FilterSpec | None:
    """The conditions a search must meet; None when it meets none."""
    spec = FilterSpec()
    if only_ids is not None:
        spec.must.append(Ids(tuple(only_ids)))
    if c is not None:
        if c.price_min is not None or c.price_max is not None:
            spec.must.append(Between("price", gte=c.price_min, lte=c.price_max))
        for key, wanted, unwanted in (
            ("brand", c.brands, c.exclude_brands),
            ("category", c.categories, []),
            ("color", c.colors, c.exclude_colors),
        ):
            if wanted:
                spec.must.append(AnyOf(key, tuple(v.lower() for v in wanted)))
            if unwanted:
                spec.must_not.append(AnyOf(key, tuple(v.lower() for v in unwanted)))
        if c.in_stock:  # only a known zero is out: unknown stock stays in
            spec.must_not.append(Between("stock", lte=0))
        for key, values in c.attributes.items():
            if values:
                spec.must.append(AnyOf(f"attrs.{attribute_key(key)}", tuple(v.lower() for v in values)))
        for key, (lo, hi) in c.ranges.items():
            if lo is not None or hi is not None:
                spec.must.append(Between(f"attrs.{attribute_key(key)}", gte=lo, lte=hi))
        if c.exclude_ids:
            spec.must_not.append(Ids(tuple(c.exclude_ids)))
    if not spec.must and not spec.must_not:
        return None
    return spec
