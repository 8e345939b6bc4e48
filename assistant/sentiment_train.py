"""Train the sentence-sentiment adapter (assistant/sentiment.py) on the public review datasets.

Distant labels: a sentence or title of a 4-5 star review is praise, of a 1-2 star review a
complaint (3 stars: left out). Noisy for single sentences ("My only complaint is …" in a 4-star
review), which the review's own stars and VADER still weigh against at scoring time
(assistant/reviews.py). Reviews that the hand-labelled polarity sentences come from
(bench/data/polarity_*.jsonl) are never trained on: those measure the model.

    shopassist train-sentiment        # ~10 min on 2 CPU cores; resumes from its last checkpoint
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from assistant.sentiment import ADAPTER, Sentiment, base_encoder
from assistant.text import split_sentences
from untrusted import quotable_sentences

AMAZON = ("AMAZON_FASHION", "All_Beauty", "Appliances", "Gift_Cards")
DEVICES = "device_reviews/amazon.csv.zip"
MEASURED = [Path(__file__).parents[1] / "bench" / "data" / f"polarity_{n}.jsonl" for n in ("sentences", "dev")]


@dataclass
class Example:
    text: str
    praise: float  # 1.0 praise, 0.0 complaint


def held_out() -> set[tuple[str, int]]:
    """(file, review number) of every review a measured sentence comes from."""
    out = set()
    for path in MEASURED:
        for line in path.read_text().splitlines() if path.exists() else []:
            source = json.loads(line).get("source")
            if source:
                file, review, _ = source.rsplit(":", 2)
                out.add((file, int(review)))
    return out


def reviews(datasets: Path) -> Iterator[tuple[str, str, float]]:
    """(text, title, stars) of every review not held out, exact duplicates once."""
    skip, seen = held_out(), set()
    for name in AMAZON:
        file = f"amazon_reviews_2018/{name}_5.json.gz"
        with gzip.open(datasets / file, "rt") as f:
            for n, line in enumerate(f):
                r = json.loads(line)
                key = (r.get("reviewerID"), r.get("asin"), r.get("reviewText"))
                if (file, n) in skip or key in seen:
                    seen.add(key)
                    continue
                seen.add(key)
                yield r.get("reviewText") or "", r.get("summary") or "", float(r["overall"])
    with zipfile.ZipFile(datasets / DEVICES) as z, z.open(z.namelist()[0]) as raw:
        for n, row in enumerate(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))):
            if (DEVICES, n) not in skip and row["reviews.rating"]:
                yield row["reviews.text"] or "", row["reviews.title"] or "", float(row["reviews.rating"])


def examples(datasets: Path, seed: int = 0) -> list[Example]:
    """Complaints, and twice as many praises (they outnumber complaints 15 to 1), shuffled."""
    praise, complaint = [], []
    for text, title, stars in reviews(datasets):
        if stars == 3:
            continue
        said = [s for s in quotable_sentences(text, split_sentences(text)) if 4 <= len(s.split()) <= 40]
        said += [title] if len(title.split()) >= 2 else []
        (praise if stars >= 4 else complaint).extend(Example(s, float(stars >= 4)) for s in said)
    rng = random.Random(seed)
    rng.shuffle(praise)
    out = complaint + praise[: 2 * len(complaint)]
    rng.shuffle(out)
    return out


def train(datasets: Path, out: Path = ADAPTER, epochs: float = 1.0, batch: int = 32, lr: float = 4e-4, rank: int = 16) -> Path:
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    data = examples(datasets)
    encoder, tokenizer = base_encoder()
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=["query", "key", "value", "dense"])
    encoder = get_peft_model(encoder, config)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    model = Sentiment(encoder, tokenizer, head)
    steps = int(len(data) * epochs / batch)
    params = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    weight = torch.tensor(0.5)  # praise is twice as common in the data: each counts half
    checkpoint = out / "checkpoint.pt"
    first = 0
    if checkpoint.exists():  # resume
        state = torch.load(checkpoint, weights_only=False)
        encoder.load_state_dict(state["encoder"], strict=False)
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        first = state["step"]
    encoder.train()
    head.train()
    bar = tqdm(range(first, steps), desc="sentiment", initial=first, total=steps)
    for step in bar:
        part = [data[(step * batch + i) % len(data)] for i in range(batch)]
        y = torch.tensor([e.praise for e in part])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model.logits([e.text for e in part]), y, reduction="none")
        loss = (loss * torch.where(y > 0, weight, torch.tensor(1.0))).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
        if (step + 1) % 100 == 0:
            out.mkdir(parents=True, exist_ok=True)
            lora = {k: v for k, v in encoder.state_dict().items() if "lora_" in k}
            torch.save(
                {"encoder": lora, "head": head.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step + 1},
                checkpoint,
            )
    out.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(str(out))
    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, str(out / "head.safetensors"))
    checkpoint.unlink(missing_ok=True)
    assert load_file(str(out / "head.safetensors"))  # written whole
    return out
