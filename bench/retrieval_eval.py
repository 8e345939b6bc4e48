"""Retrieval quality on the Home Depot judgments (the whole 54,667-product catalog).

    .venv/bin/python bench/retrieval_eval.py [--limit N]   (same as `shopassist eval retrieval`)
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluation import retrieval_eval  # noqa: E402
from assistant.settings import get_settings  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    report = retrieval_eval(get_settings(), "homedepot", Path(__file__).parent / "results", args.limit)
    print(json.dumps(report, indent=2))
