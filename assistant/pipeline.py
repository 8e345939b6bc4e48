"""The long steps, each resumable and with progress: load the demo, index, train, summarise.

`bootstrap` is what `make run` does before serving: only the missing steps run. The demo loads
only into a store that was never initialised: `DATA_DIR/initialised.json` records that a store
held data, so a missing or replaced database stops the start with an explanation instead of
filling a production store with the demo (and emptying its vector index).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from rich.console import Console
from tqdm import tqdm

from assistant.ingest import ingest_demo
from assistant.shop import Shop
from ranking import checkpoint
from ranking import train as trainer
from ranking.evaluate import choose_policy, item_vectors, purchases
from ranking.policy import SINGLES, Methods, Served
from ranking.repeat import Repeat
from records import Event, Product, utcnow

console = Console(stderr=True)


def training_data(shop: Shop, users: set[str] | None = None) -> tuple[list[Product], np.ndarray, dict[str, list[Event]]]:
    """All products with their indexed text vectors, and each shopper's events in time order."""
    products = list(shop.store.iter_products())
    stats = shop.store.product_stats()
    vectors: dict[str, np.ndarray] = {}
    ids = [p.id for p in products]
    for start in tqdm(range(0, len(ids), 2000), desc="load vectors", unit="batch", leave=False):
        vectors.update(shop.vectors.vectors(ids[start : start + 2000]))
    products = [p for p in products if p.id in vectors]
    for p in products:
        p.rating, p.review_count, p.popularity = stats.get(p.id, (None, 0, 0.0))
    matrix = np.stack([vectors[p.id] for p in products]) if products else np.zeros((0, shop.embedder.dim), np.float32)
    return products, matrix, shop.store.sequences(users)


def train_ranker(shop: Shop, config: trainer.TrainConfig | None = None) -> trainer.TrainResult:
    products, matrix, sequences = training_data(shop)
    console.print(
        f"[bold]train[/] two-tower on {len(products)} products, {sum(map(len, sequences.values()))} events of {len(sequences)} shoppers"
    )
    model, result = trainer.train(products, matrix, sequences, shop.embedder.name, config)
    again = Repeat.fit(sequences)
    served = choose_served(products, matrix, sequences, model)
    result.policy = served.choice.to_dict()
    checkpoint.save(model, shop.settings.ranker_path, result, again, served)
    shop.load_ranker()
    console.print(
        f"[green]saved[/] {shop.settings.ranker_path} (best val Recall@10 {result.best_val_recall10:.3f}, {result.epochs} epochs, {result.seconds:.0f} s)"
    )
    console.print(f"      served policy: [bold]{served.choice.policy}[/] ({served.choice.why})")
    for name, score in served.choice.scores.items():
        console.print(f"        {name:<11} validation NDCG@10 {score['ndcg10']:.4f} ± {score['se']:.4f}")
    console.print(
        "      repeat model: "
        + ("fitted; a shopper's due re-buys come back" if again else "no re-purchases in the store; bought items are demoted")
    )
    return result


def choose_served(products: list[Product], matrix: np.ndarray, sequences: dict[str, list[Event]], model) -> Served:
    """The served policy, chosen on each shopper's last session (ranking/policy.py), with what a
    chosen single method needs to serve, fitted on everything."""
    console.print("      choosing the served policy on each shopper's last session …")
    choice = choose_policy(products, item_vectors(model, products, matrix), sequences, model)
    index = {p.id: i for i, p in enumerate(products)}
    methods = Methods.fit(purchases(sequences, index), len(products)) if choice.policy in SINGLES and choice.policy != "two_tower" else None
    return Served(choice, [p.id for p in products], methods)


def summarize_all(shop: Shop, refresh: bool = False, limit: int | None = None) -> int:
    """Writes review summaries for every reviewed product; up-to-date ones are skipped (resumable)."""
    counts = shop.store.review_counts()
    todo = [pid for pid, n in counts.items() if refresh or (shop.store.get_summary(pid) or ({}, -1))[1] != n]
    todo = todo[:limit] if limit else todo
    for pid in tqdm(todo, desc="summarize reviews", unit="product"):
        shop.review_summary(pid, refresh=refresh)
    return len(todo)


class StoreLost(RuntimeError):
    """The store is empty but this data directory says it held data."""


def marker(shop: Shop) -> Path:
    return shop.settings.data_dir / "initialised.json"


def mark_initialised(shop: Shop) -> None:
    """Records that this data directory's store holds data (once; the first date is kept)."""
    path = marker(shop)
    if not path.exists():
        from sqlalchemy.engine import make_url

        path.parent.mkdir(parents=True, exist_ok=True)
        database = make_url(shop.settings.db_url).render_as_string(hide_password=True)
        path.write_text(json.dumps({"at": utcnow().isoformat(timespec="seconds"), "database": database}))


def check_not_lost(shop: Shop) -> None:
    """Raises `StoreLost` when the store is empty although it was initialised before (the marker,
    or a vector index holding products, says so)."""
    if shop.store.count_products():
        return
    path, indexed = marker(shop), shop.vectors.count()
    if not path.exists() and not indexed:
        return
    since = json.loads(path.read_text()).get("at", "?") if path.exists() else "?"
    raise StoreLost(
        f"the store ({shop.settings.db_url.split('://')[0]}) holds no products, but this data directory was initialised "
        f"on {since} and its vector index holds {indexed}: the database is missing or was replaced. Nothing was changed. "
        f"Restore the database (or point DATABASE_URL at it); to start afresh on purpose, delete {path} and the vector index."
    )


def bootstrap(shop: Shop) -> None:
    """Loads the demo into a never-initialised store, indexes what changed (rebuilding a broken
    index from the store), trains if no model exists."""
    check_not_lost(shop)
    if shop.store.count_products() == 0:
        console.print("[bold]1/3[/] store was never initialised: loading the demo catalog …")
        report = ingest_demo(shop.store)
        console.print(
            f"      {report.products_changed} products, {report.users_added} shoppers, {report.events_added} events, {report.reviews_added} reviews"
        )
    else:
        console.print(f"[bold]1/3[/] store holds {shop.store.count_products()} products")
    mark_initialised(shop)
    if shop.vectors.broken:
        console.print(f"[bold yellow]2/3[/] vector index unreadable ({shop.vectors.broken}): rebuilding it from the store …")
    else:
        console.print("[bold]2/3[/] vector index: embedding new or changed products …")
    report = shop.index(rebuild=bool(shop.vectors.broken))
    console.print(f"      {report.embedded} embedded, {report.unchanged} unchanged, {report.deleted} removed")
    if shop.ranker is None:
        console.print("[bold]3/3[/] no ranker yet: training the two-tower model …")
        train_ranker(shop)
    else:
        console.print(f"[bold]3/3[/] ranker loaded from {shop.settings.ranker_path}")
