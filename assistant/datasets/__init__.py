"""Adapters from the public datasets (`DATASETS_DIR`, by default `../shared/datasets`) to our
records, one module each. Each adapter reads one dataset folder and yields `Batch`es for
`ingest_stream`, which makes them idempotent and resumable. Ids are prefixed per dataset so
several can share one store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.datasets import amazon2018, amazon_uk, device_reviews, homedepot, instacart, online_retail
from assistant.datasets.base import Batch

Adapter = Callable[[Path], tuple[Iterable[Batch], int | None]]

# name → (folder under the datasets folder, adapter)
ADAPTERS: dict[str, tuple[str, Adapter]] = {
    "instacart": ("instacart", instacart.instacart),
    "online_retail": ("online_retail", online_retail.online_retail),
    "amazon2018": ("amazon_reviews_2018", amazon2018.amazon2018),
    "homedepot": ("homedepot_queries", homedepot.homedepot),
    "amazon_uk": ("amazon_uk_toys", amazon_uk.amazon_uk),
    "device_reviews": ("device_reviews", device_reviews.device_reviews),
}


def dataset_folder(name: str, root: Path) -> Path:
    if name not in ADAPTERS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(ADAPTERS)}")
    return root / ADAPTERS[name][0]
