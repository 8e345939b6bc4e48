"""Ranking quality: hold out each shopper's last basket; two-tower vs baselines.

    .venv/bin/python bench/ranking_eval.py --dataset instacart   (same as `shopassist eval ranking`)
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluation import ranking_eval  # noqa: E402
from assistant.settings import get_settings  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="instacart")
    ap.add_argument("--retrain", action="store_true")
    args = ap.parse_args()
    report = ranking_eval(get_settings(), args.dataset, Path(__file__).parent / "results", args.retrain)
    print(json.dumps(report["metrics"], indent=2))
