"""The local model in its own process: `shopassist serve` starts llama-cpp-python's
OpenAI-compatible server (`llama_cpp.server`) with the bundled GGUF on a free local port and
talks to it like any endpoint, so a generation never competes with requests for the server's
threads, memory or lock. The settings it hands back mark the endpoint as the shop's own
(`llm_own_server`): what is on by default stays as for the in-process model (the bundled 135M
model's prose, understanding and rewording stay off until measured), and the model keeps its
name, so `shopassist eval explain`'s measured rate still applies.

`LLM_PROCESS=inprocess` keeps the model inside the server; an LLM_BASE_URL is used as it is.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.llm import bundled_gguf
from assistant.settings import Settings

log = logging.getLogger(__name__)
START_S = 60.0  # how long the model server may take to answer /v1/models


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: the kernel stops it when `serve` dies, even by kill -9 (no orphaned model)."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalLLMServer:
    """`with LocalLLMServer(settings) as settings:` — the settings to serve with (unchanged when
    no own process is wanted or it could not start: then the model runs in-process)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.proc: subprocess.Popen | None = None

    def wanted(self) -> bool:
        s = self.settings
        return s.llm_enabled and not s.llm_base_url and s.llm_process == "server"

    def __enter__(self) -> Settings:
        if not self.wanted():
            return self.settings
        try:
            gguf = Path(self.settings.llm_gguf or bundled_gguf())
            port = free_port()
            self.log = self.settings.data_dir / "llm-server.log"
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port)]
                + ["--n_ctx", str(self.settings.llm_ctx), "--n_threads", str(self.settings.llm_threads), "--model_alias", gguf.name],
                stdout=subprocess.DEVNULL,
                stderr=self.log.open("wb"),  # a file, not a pipe: nobody reads a pipe, and a full one blocks the server
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            base = f"http://127.0.0.1:{port}/v1"
            self._wait(base)
        except Exception as exc:  # no server extra, a bad file, a crash: the model runs in-process
            log.warning("the LLM's own process did not start (%s); running it in-process", exc)
            self.__exit__()
            return self.settings
        log.info("LLM %s serving in its own process (pid %d) at %s", gguf.name, self.proc.pid, base)
        return self.settings.model_copy(update={"llm_base_url": base, "llm_model": gguf.name, "llm_own_server": True})

    def _wait(self, base: str) -> None:
        end = time.monotonic() + START_S
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                err = self.log.read_text(errors="replace").strip().splitlines()
                raise RuntimeError(f"llama_cpp.server exited ({err[-1] if err else self.proc.returncode}; see {self.log})")
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"llama_cpp.server did not answer within {START_S:g} s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
