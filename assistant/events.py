"""A chat turn as typed events: `Cards` at once, `Token`s of verified prose, then `Done`.

Only `api/` turns these into Server-Sent Events; the CLI and tests read them as they are.
`name` is the SSE event name and `data()` its JSON-ready body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from assistant.explain import ProseReport
from assistant.recommend import Card


@dataclass
class Cards:
    name: ClassVar[str] = "cards"
    session_id: str
    message: str  # the deterministic lead: what was understood, or why nothing matched
    intent: str
    constraints: dict[str, Any]
    items: list[Card]
    table: dict[str, Any] | None = None  # a comparison: rows of attributes side by side
    citations: list[str] = field(default_factory=list)  # evidence ids the message rests on
    actions: list[dict[str, Any]] = field(default_factory=list)  # for the host page (cart changes)
    answer_id: str = ""  # names this answer for feedback (POST /v1/feedback)

    def data(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "answer_id": self.answer_id,
            "message": self.message,
            "intent": self.intent,
            "constraints": self.constraints,
            "items": [c.to_dict() for c in self.items],
            "table": self.table,
            "citations": self.citations,
            "actions": self.actions,
        }


@dataclass
class Token:
    name: ClassVar[str] = "token"
    text: str

    def data(self) -> dict[str, Any]:
        return {"text": self.text}


@dataclass
class Done:
    name: ClassVar[str] = "done"
    session_id: str
    text: str  # all the prose shown
    elapsed_ms: int
    report: ProseReport = field(default_factory=ProseReport)

    def data(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "text": self.text, "elapsed_ms": self.elapsed_ms, **self.report.to_dict()}


ChatEvent = Cards | Token | Done
