"""Gathers the latest benchmark results into one report with the machine's description:
bench/results/report.{md,json}. `make bench` runs the benchmarks, then this.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from common import OUT, machine

PARTS = [  # (file stem, what it measures)
    ("load", "concurrent shoppers against one server"),
    ("vectors", "the vector store at 100k and 1M products"),
    ("scale", "a whole shop at 100k and 1M products: chat time to cards"),
    ("throughput", "ingest + embedding and events through the API; peak RSS of serve"),
    ("latency", "the serving path alone (demo shop)"),
]


def main() -> None:
    found = {stem: json.loads((OUT / f"{stem}.json").read_text()) for stem, _ in PARTS if (OUT / f"{stem}.json").exists()}
    report = {"generated": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "parts": found}
    (OUT / "report.json").write_text(json.dumps(report, indent=2))
    lines = ["# Benchmarks", "", f"Generated {report['generated']} on {report['machine']}.", ""]
    for stem, what in PARTS:
        md = OUT / f"{stem}.md"
        if stem in found and md.exists():
            body = md.read_text().split("\n", 1)[1].strip()  # without its own title
            lines += [f"## {what} (`bench/results/{stem}.md`)", "", body, ""]
        else:
            lines += [f"## {what}", "", f"not run yet (`bench/{stem}.py`)", ""]
    (OUT / "report.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
