"""The two-tower model: one file you can hold in your head.

item tower: text embedding + category + top category + price band + popularity band → 64-d
user tower: attention pooling over the item-tower vectors of the shopper's history, biased by
            each event's kind × recency weight, plus a learned "no history yet" vector → 64-d
score:      cosine(user, item) / temperature
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ranking.features import POP_EDGES, PRICE_EDGES, FeatureSchema, ItemBatch


@dataclass(frozen=True)
class TwoTowerConfig:
    """The model's sizes, saved with its weights (ranking/checkpoint.py)."""

    dim: int = 64  # the shared space of users and items
    category_dim: int = 16
    top_dim: int = 8  # top-level category
    band_dim: int = 8  # price band and popularity band, each
    hidden: int = 128  # the towers' MLP width
    temperature: float = 0.07


class ItemTower(nn.Module):
    def __init__(self, schema: FeatureSchema, config: TwoTowerConfig):
        super().__init__()
        dim, band = config.dim, config.band_dim
        self.text = nn.Linear(schema.text_dim, dim)
        self.category = nn.Embedding(len(schema.categories) + 1, config.category_dim)
        self.top = nn.Embedding(len(schema.tops) + 1, config.top_dim)
        self.price = nn.Embedding(len(PRICE_EDGES) + 2, band)
        self.popularity = nn.Embedding(len(POP_EDGES) + 2, band)
        extra = config.category_dim + config.top_dim + 2 * band
        self.mlp = nn.Sequential(nn.Linear(dim + extra, config.hidden), nn.GELU(), nn.Linear(config.hidden, dim))

    def forward(self, items: ItemBatch) -> torch.Tensor:
        text = self.text(items.text)
        x = torch.cat(
            [text, self.category(items.category), self.top(items.top), self.price(items.price), self.popularity(items.popularity)], dim=-1
        )
        return F.normalize(text + self.mlp(x), dim=-1)  # residual on text keeps cold items sensible


class UserTower(nn.Module):
    def __init__(self, config: TwoTowerConfig):
        super().__init__()
        dim = config.dim
        self.query = nn.Parameter(torch.randn(dim) * 0.1)
        self.empty = nn.Parameter(torch.randn(dim) * 0.1)
        self.mlp = nn.Sequential(nn.Linear(2 * dim, config.hidden), nn.GELU(), nn.Linear(config.hidden, dim))

    def forward(self, hist: torch.Tensor, weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """hist (B, L, dim) item vectors, weights (B, L) event weights, mask (B, L) True where real."""
        logits = hist @ self.query + torch.log(weights.clamp_min(1e-4))
        logits = logits.masked_fill(~mask, float("-inf"))
        has = mask.any(dim=1, keepdim=True)
        attn = torch.softmax(torch.where(has, logits, torch.zeros_like(logits)), dim=1) * mask
        attended = (attn.unsqueeze(-1) * hist).sum(1)
        w = weights * mask
        mean = (w.unsqueeze(-1) * hist).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-6)
        user = attended + self.mlp(torch.cat([attended, mean], dim=-1))
        user = torch.where(has, user, self.empty.expand_as(user))
        return F.normalize(user, dim=-1)


class TwoTower(nn.Module):
    def __init__(self, schema: FeatureSchema, config: TwoTowerConfig | None = None):
        super().__init__()
        self.schema = schema
        self.config = config or TwoTowerConfig()
        self.items = ItemTower(schema, self.config)
        self.users = UserTower(self.config)
        self.temperature = self.config.temperature
        # log Q(item), the sampling correction taken out in training (ranking/train.py), by product id;
        # serving adds it back when the question is "what will they buy next" (no message)
        self.log_q: dict[str, float] = {}
        self.log_q_unseen = 0.0  # for a product nobody carted or bought in training
        self.prior_weight = 0.0  # how much of it to add back, chosen on validation (train.choose_prior_weight)

    def prior(self, product_ids: list[str], own: frozenset[str] | set[str] = frozenset()) -> np.ndarray:
        """w·T·log Q per product: in taste units, the popularity the logQ correction removed. The
        shopper's `own` products count as unseen: whether they come back is the repeat model's
        question, not the crowd's."""
        log_q = [self.log_q_unseen if i in own else self.log_q.get(i, self.log_q_unseen) for i in product_ids]
        return self.prior_weight * self.temperature * np.array(log_q, dtype=np.float32)

    def user_vector(self, hist_vecs: torch.Tensor, weights: list[float]) -> torch.Tensor:
        """One shopper's vector from the item-tower vectors of their history (L, dim), L may be 0."""
        if not weights:
            dim = self.users.empty.shape[0]
            return self.users(torch.zeros(1, 1, dim), torch.ones(1, 1), torch.zeros(1, 1, dtype=torch.bool))[0]
        w = torch.tensor([weights], dtype=torch.float32)
        return self.users(hist_vecs.unsqueeze(0), w, torch.ones(1, len(weights), dtype=torch.bool))[0]

    def user_vectors(self, item_vecs: torch.Tensor, hist_idx: torch.Tensor, weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """hist_idx (B, L) indexes rows of `item_vecs` (the item tower's output)."""
        return self.users(item_vecs[hist_idx], weights, mask)
