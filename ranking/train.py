"""Training the two-tower model on the store's behaviour: in-batch sampled softmax with logQ
correction, early stopping on each shopper's last session, fixed seeds.

A sample is (what the shopper did before a session, an item they carted or bought in it).
The history stops at the session's start, so items of the same basket never leak into it.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ranking.behaviour import TARGET_KINDS, session_starts
from ranking.features import MAX_HISTORY, FeatureSchema, encode_items, history_weights
from ranking.model import TwoTower, TwoTowerConfig
from records import Event, Product

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    patience: int = 3
    seed: int = 7
    max_minutes: float = 9.0
    model: TwoTowerConfig = field(default_factory=TwoTowerConfig)  # the model's sizes
    # "all": learn from every carted or bought item; "new": only from items new to the shopper
    # (re-buys being the repeat model's), stopping early on those; "new" did not find new items
    # better (bench/results/NOTES.md), so "all" stays the default
    targets: Literal["all", "new"] = "all"


@dataclass
class Samples:
    hist: np.ndarray  # (S, L) item index, -1 = padding
    weights: np.ndarray  # (S, L)
    target: np.ndarray  # (S,)


@dataclass
class TrainResult:
    epochs: int
    best_val_recall10: float
    train_samples: int
    val_samples: int
    seconds: float
    history: list[dict] = field(default_factory=list)
    targets: str = "all"  # what it learned from: every carted or bought item, or those new to the shopper
    # why it stopped: "patience" (validation stopped improving), "epochs", or "time cap"; a model cut
    # by the cap depends on how busy the machine was
    stopped: str = "epochs"
    policy: dict | None = None  # the served policy chosen after training, with its validation scores (ranking/policy.py)


def build_samples(sequences: dict[str, list[Event]], index: dict[str, int], new_only: bool = False) -> tuple[Samples, Samples]:
    """Training samples, and validation samples from each shopper's last session. `new_only`
    keeps the targets the shopper had not carted or bought before that session."""
    train: list[tuple[list[int], list[float], int]] = []
    val: list[tuple[list[int], list[float], int]] = []
    for events in sequences.values():
        events = [e for e in events if e.product_id in index]
        if not events:
            continue
        starts = session_starts(events)
        last_start = starts[-1]
        owned: set[str] = set()
        for t, e in enumerate(events):
            if t and t == starts[t]:  # a session begins: the one before it is now the shopper's own
                owned.update(h.product_id for h in events[starts[t - 1] : t] if h.kind in TARGET_KINDS)
            if e.kind not in TARGET_KINDS or (new_only and e.product_id in owned):
                continue
            hist = events[: starts[t]][-MAX_HISTORY:]
            row = ([index[h.product_id] for h in hist], history_weights(hist, e.ts), index[e.product_id])
            (val if starts[t] == last_start and last_start > 0 else train).append(row)
    return _pack(train), _pack(val)


def _pack(rows: list[tuple[list[int], list[float], int]]) -> Samples:
    hist = np.full((len(rows), MAX_HISTORY), -1, dtype=np.int64)
    weights = np.zeros((len(rows), MAX_HISTORY), dtype=np.float32)
    for i, (h, w, _) in enumerate(rows):
        if h:
            hist[i, -len(h) :] = h
            weights[i, -len(w) :] = w
    return Samples(hist, weights, np.array([r[2] for r in rows], dtype=np.int64))


def _batch_user(model: TwoTower, item_vecs: torch.Tensor, s: Samples, idx: np.ndarray) -> torch.Tensor:
    hist = torch.from_numpy(s.hist[idx])
    mask = hist >= 0
    return model.user_vectors(item_vecs, hist.clamp_min(0), torch.from_numpy(s.weights[idx]), mask)


@dataclass
class Batch:
    """A training batch re-indexed into the items it touches (`hist`, `target` index `item_vecs`)."""

    hist: torch.Tensor
    weights: torch.Tensor
    mask: torch.Tensor
    target: torch.Tensor


def _batch_items(model: TwoTower, items, s: Samples, idx: np.ndarray) -> tuple[Batch, torch.Tensor]:
    """The item tower over only the items in the batch's histories and targets: the gradient is
    the same as over the whole catalog (an item nobody in the batch touches gets none), and on
    Instacart a batch of 256 touches about 3,700 of the 14,190 items, and a step took half the time."""
    hist = s.hist[idx]
    used, inverse = np.unique(np.concatenate([hist.clip(min=0).ravel(), s.target[idx]]), return_inverse=True)
    remap = torch.from_numpy(inverse.astype(np.int64))
    batch = Batch(remap[: hist.size].view(hist.shape), torch.from_numpy(s.weights[idx]), torch.from_numpy(hist >= 0), remap[hist.size :])
    return batch, model.items(items.take(torch.from_numpy(used)))


def evaluate_recall(model: TwoTower, items, s: Samples, k: int = 10, prior: torch.Tensor | None = None, new_only: bool = False) -> float:
    """Recall@k of the samples' targets. `prior` is added to every item's score; `new_only`
    keeps the samples whose target is not in their history and ranks only items outside it."""
    if new_only:
        fresh = ~(s.hist == s.target[:, None]).any(1)
        s = Samples(s.hist[fresh], s.weights[fresh], s.target[fresh])
    if len(s.target) == 0:
        return 0.0
    model.eval()
    with torch.no_grad():
        item_vecs = model.items(items)
        hits = 0
        for start in range(0, len(s.target), 1024):
            idx = np.arange(start, min(start + 1024, len(s.target)))
            scores = _batch_user(model, item_vecs, s, idx) @ item_vecs.T
            if prior is not None:
                scores = scores + prior
            if new_only:  # the shopper's own items cannot be hits
                hist = torch.from_numpy(s.hist[idx])
                own = torch.zeros_like(scores).scatter_add_(1, hist.clamp_min(0), (hist >= 0).float()) > 0
                scores = scores.masked_fill(own, float("-inf"))
            top = scores.topk(min(k, scores.shape[1]), dim=1).indices
            hits += (top == torch.from_numpy(s.target[idx]).unsqueeze(1)).any(1).sum().item()
    return hits / len(s.target)


def choose_prior_weight(model: TwoTower, items, val: Samples, log_q: torch.Tensor, weights=(0.0, 0.5, 1.0)) -> float:
    """How much of log Q serving adds back for products new to a shopper (Ranker.rank(popularity=True)),
    chosen on the validation sessions' new-to-the-shopper targets: on Instacart popularity helps
    there, in the demo shop it would crowd out taste."""
    recall = {w: evaluate_recall(model, items, val, prior=w * model.temperature * log_q, new_only=True) for w in weights}
    return max(weights, key=lambda w: (recall[w], -w))  # ties: the smaller weight


def train(
    products: list[Product],
    vectors: np.ndarray,
    sequences: dict[str, list[Event]],
    embedding_model: str,
    config: TrainConfig | None = None,
    progress: bool = True,
) -> tuple[TwoTower, TrainResult]:
    config = config or TrainConfig()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    schema = FeatureSchema.fit(products, text_dim=vectors.shape[1], embedding_model=embedding_model)
    items = encode_items(products, vectors, schema)
    index = {p.id: i for i, p in enumerate(products)}
    new_only = config.targets == "new"
    train_s, val_s = build_samples(sequences, index, new_only)
    if new_only and len(train_s.target) == 0:
        new_only = False
        train_s, val_s = build_samples(sequences, index)
    if len(train_s.target) == 0:
        raise ValueError("no purchases or carts to learn from: ingest behaviour first")
    counts = Counter(train_s.target.tolist())
    log_q = torch.full((len(products),), float(np.log(0.5 / len(train_s.target))))
    for i, n in counts.items():
        log_q[i] = float(np.log(n / len(train_s.target)))

    model = TwoTower(schema, config.model)
    model.log_q = {p.id: float(log_q[i]) for i, p in enumerate(products) if i in counts}
    model.log_q_unseen = float(np.log(0.5 / len(train_s.target)))
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    best, best_state, bad, history = -1.0, None, 0, []
    started = time.time()
    rng = np.random.default_rng(config.seed)
    epoch, stopped = 0, "epochs"
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = rng.permutation(len(train_s.target))
        total = 0.0
        batches = range(0, len(order), config.batch_size)
        for start in tqdm(batches, desc=f"train epoch {epoch}", unit="batch", leave=False, disable=not progress):
            idx = order[start : start + config.batch_size]
            batch, item_vecs = _batch_items(model, items, train_s, idx)
            users = model.user_vectors(item_vecs, batch.hist, batch.weights, batch.mask)
            target = torch.from_numpy(train_s.target[idx])
            logits = users @ item_vecs[batch.target].T / model.temperature - log_q[target]  # logQ correction
            same = target.unsqueeze(0) == target.unsqueeze(1)
            logits = logits.masked_fill(same & ~torch.eye(len(idx), dtype=torch.bool), float("-inf"))
            loss = F.cross_entropy(logits, torch.arange(len(idx)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        val = evaluate_recall(model, items, val_s, new_only=new_only) if len(val_s.target) else -total
        history.append({"epoch": epoch, "loss": total / len(order), "val_recall10": val})
        if progress:
            tqdm.write(f"epoch {epoch}: loss {total / len(order):.3f}  val Recall@10 {max(val, 0):.3f}")
        if val > best + 1e-4:
            best, bad = val, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
        if bad >= config.patience:
            stopped = "patience"
            break
        if (time.time() - started) / 60 > config.max_minutes:
            stopped = "time cap"
            log.warning("training stopped by the %s-minute cap at epoch %d, before validation stopped improving", config.max_minutes, epoch)
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    model.prior_weight = choose_prior_weight(model, items, val_s, log_q)
    result = TrainResult(
        epoch, max(best, 0.0), len(train_s.target), len(val_s.target), time.time() - started, history, "new" if new_only else "all", stopped
    )
    return model, result
