"""How much of a ranking figure is the seed: train the held-out two-tower model with several
seeds (and both target choices) and report NDCG@10 per seed, mean and spread.

One run of `shopassist eval ranking` is one draw: on Instacart the new-items NDCG@10 of the
same code moved by 0.004-0.006 between seeds, as much as the differences being tuned.

    .venv/bin/python bench/ranking_seeds.py --dataset instacart --seeds 7 8 9 --targets new all

The trained models are kept in the dataset's model folder (`holdout_<targets>_<seed>.pt`), so a
re-run after a change to what follows training (the blend, the repeat model, the rules) takes
minutes instead of a training per seed; `--retrain` trains them again.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluation import report as reports
from assistant.evaluation.ranking import ranking_data
from assistant.settings import get_settings
from ranking.evaluate import evaluate
from ranking.train import TrainConfig

ROWS = ("two_tower", "learned_blend", "served")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="instacart")
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument("--targets", nargs="+", default=["new", "all"], choices=["new", "all"])
    ap.add_argument("--retrain", action="store_true", help="train the kept models again")
    args = ap.parse_args()
    settings, products, matrix, sequences, embedding_model = ranking_data(get_settings(), args.dataset)
    runs = []
    for targets in args.targets:
        for seed in args.seeds:
            model_path = settings.model_dir / f"holdout_{targets}_{seed}.pt"
            if args.retrain:
                model_path.unlink(missing_ok=True)
            report = evaluate(products, matrix, sequences, embedding_model, TrainConfig(seed=seed, targets=targets), model_path=model_path)
            runs.append(
                {
                    "targets": targets,
                    "seed": seed,
                    "ndcg10": {s: {m: report["metrics"][s][m]["NDCG@10"] for m in ROWS} for s in ("all", "new")},
                }
            )
            print(runs[-1], flush=True)
    lines = [
        f"# ranking_seeds_{args.dataset}",
        "",
        "NDCG@10 of the held-out baskets, the two-tower model trained on every item (`all`, the default) or on the items new to each shopper (`new`), per seed.",
        "",
    ]
    for setting in ("all", "new"):
        rows = []
        for targets in args.targets:
            mine = [r for r in runs if r["targets"] == targets]
            for m in ROWS:
                x = np.array([r["ndcg10"][setting][m] for r in mine])
                rows.append([targets, m, " ".join(f"{v:.4f}" for v in x), f"{x.mean():.4f}", f"{x.std(ddof=1) if len(x) > 1 else 0:.4f}"])
        lines += (
            [f"## {setting} items", ""]
            + reports.table(["targets", "method", "per seed " + " ".join(map(str, args.seeds)), "mean", "sd"], rows)
            + [""]
        )
    reports.write(Path(__file__).parent / "results", f"ranking_seeds_{args.dataset}", {"runs": runs}, lines)


if __name__ == "__main__":
    main()
