"""Saving and loading a trained ranking: the one place that knows the file's layout.

One file holds the two-tower weights, its sizes (`TwoTowerConfig`) and feature schema, the
popularity correction it learned, how training went, the repeat model when the store's
behaviour had re-purchases to learn it from, and the served policy (`ranking.policy.Served`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from ranking.features import FeatureSchema
from ranking.model import TwoTower, TwoTowerConfig


def save(model: TwoTower, path: Path, result: Any = None, repeat: object | None = None, served: object | None = None) -> None:
    """Writes atomically: a crash never leaves a half-written model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    blob = {
        "state": model.state_dict(),
        "schema": model.schema.to_dict(),
        "config": asdict(model.config),
        "result": result.__dict__ if result is not None else None,
        "repeat": repeat,
        "log_q": model.log_q,
        "log_q_unseen": model.log_q_unseen,
        "prior_weight": model.prior_weight,
        "served": served,
    }
    torch.save(blob, tmp)
    tmp.replace(path)


def load(path: Path) -> tuple[TwoTower, dict[str, Any]]:
    """The two-tower model, and what was saved beside it: `repeat` (the repeat model, or None),
    `served` (the served policy, or None: a model saved before policies were chosen serves the
    blend) and `result` (how training went, as a dict, or None)."""
    blob = torch.load(path, map_location="cpu", weights_only=False)
    config = TwoTowerConfig(**blob["config"]) if "config" in blob else TwoTowerConfig(temperature=blob.get("temperature", 0.07))
    model = TwoTower(FeatureSchema(**blob["schema"]), config)
    model.load_state_dict(blob["state"])
    model.log_q, model.log_q_unseen = blob.get("log_q") or {}, blob.get("log_q_unseen", 0.0)
    model.prior_weight = blob.get("prior_weight", 0.0)
    model.eval()
    return model, {"repeat": blob.get("repeat"), "result": blob.get("result"), "served": blob.get("served")}
