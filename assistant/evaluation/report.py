"""The one report writer: every evaluation and benchmark writes `<name>.json` (the figures) and
`<name>.md` (what a person reads) side by side."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

# The repository's bench/ folder: its data/ holds the hand-labelled cases, results/ the reports.
BENCH = Path(__file__).resolve().parents[2] / "bench"


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A markdown table's lines: the header, its rule, one line per row."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def generated() -> str:
    return f"generated {datetime.now():%Y-%m-%d %H:%M}"


def write(out: Path, name: str, data: dict[str, Any], lines: list[str]) -> Path:
    """Writes the report; returns the markdown's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))
    path = out / f"{name}.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path
