"""What every dataset adapter shares: the `Batch` it yields, and small readers."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from records import Event, Product, Review, User


@dataclass
class Batch:
    """What one source yields: any mix of records, written to the store in this order."""

    products: list[Product]
    users: list[User]
    events: list[Event]
    reviews: list[Review]

    @classmethod
    def empty(cls) -> Batch:
        return cls([], [], [], [])

    def __len__(self) -> int:
        return len(self.products) + len(self.users) + len(self.events) + len(self.reviews)


def one(**records: list) -> Batch:
    """A batch of the given records: `one(products=[p])`."""
    b = Batch.empty()
    for kind, items in records.items():
        getattr(b, kind).extend(items)
    return b


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def read_jsonl_gz(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
