"""The language of the store's own pages and the agent console, and their words.

Every word those pages show lives in `frontend/strings.json`, one table per language; English
fills any gap. `?lang=` picks one explicitly, else the browser's `Accept-Language` (its
q-values respected). The widget keeps its own table inside `widget.js`, because it must stay a
single file that loads on any store's page; the pages hand it the language they chose.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import Request

STRINGS_FILE = Path(__file__).resolve().parent.parent / "frontend" / "strings.json"
DEFAULT = "en"


@lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, str]]:
    return json.loads(STRINGS_FILE.read_text(encoding="utf-8"))


def words(lang: str) -> dict[str, str]:
    """The table for `lang`, with English wherever it has no entry."""
    return {**tables()[DEFAULT], **tables().get(lang, {})}


def preferred(accept_language: str) -> list[str]:
    """Language codes from an Accept-Language header, most wanted first ("de-CH;q=0.9" → "de")."""
    ranked = []
    for i, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def language(request: Request) -> str:
    asked = [request.query_params.get("lang", "").lower(), *preferred(request.headers.get("accept-language", ""))]
    return next((lang for lang in asked if lang in tables()), DEFAULT)


def page_context(request: Request) -> dict:
    """What every template gets: `lang` and `t` (its words)."""
    lang = language(request)
    return {"lang": lang, "t": words(lang)}
