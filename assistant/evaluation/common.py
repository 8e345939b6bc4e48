"""What the evaluations share: a store of their own per dataset."""

from __future__ import annotations

from assistant.settings import Settings


def dataset_settings(settings: Settings, dataset: str) -> Settings:
    """A data folder of its own per dataset, so an evaluation never touches the shop's data."""
    s = settings.model_copy(update={"data_dir": settings.data_dir / "eval" / dataset, "database_url": None, "qdrant_url": None})
    s.data_dir.mkdir(parents=True, exist_ok=True)
    return s
