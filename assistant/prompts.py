"""Prompt templates live as jinja2 files in `prompts/`; this renders them (autoescaped)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(PROMPTS_DIR), undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def render(name: str, part: str, **values) -> str:
    """`part` is "system" or "user"; untrusted values are escaped with `| e` inside the template."""
    return _env().get_template(f"{name}.jinja2").render(part=part, **values).strip()
