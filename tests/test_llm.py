"""The LLM layer on real runtimes: llama.cpp in-process, and an OpenAI-compatible server
(llama-cpp-python's own `llama_cpp.server` with the bundled model) through langchain-openai."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from assistant.llm import get_llm
from tests.helpers import events_of, free_port, make_settings


def test_local_model_streams_text(tmp_path):
    llm = get_llm(make_settings(tmp_path))
    assert llm is not None and llm.name.startswith("llama.cpp")
    chunks = [c.content for c in llm.model.stream([HumanMessage("Say hello to a shopper in one short sentence.")])]
    assert len(chunks) > 1 and "".join(chunks).strip()


def test_llm_down_degrades_the_answer_not_the_service(demo_shop, tmp_path):
    port = free_port()  # nothing listens there
    demo_shop.settings = make_settings(demo_shop.settings.data_dir, llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout_s=2.0)
    try:
        events = events_of(demo_shop, "a french press", "down")
    finally:
        demo_shop.settings = make_settings(demo_shop.settings.data_dir)
    done = events[-1]["data"]
    assert events[0]["data"]["items"] and done["fallback"] is True and "error" in done
    assert done["text"].startswith(events[0]["data"]["items"][0]["product"]["title"])


def test_disabled_llm_answers_with_the_facts_wording(demo_shop):
    demo_shop.settings = make_settings(demo_shop.settings.data_dir, llm_enabled=False)
    try:
        events = events_of(demo_shop, "trail running shoes", "nollm")
    finally:
        demo_shop.settings = make_settings(demo_shop.settings.data_dir)
    assert events[-1]["data"]["fallback"] and events[-1]["data"]["llm"] is None


def test_a_slow_first_sentence_gives_way_to_the_facts_wording(demo_shop):
    demo_shop.settings = make_settings(demo_shop.settings.data_dir, llm_first_prose_s=0.0, llm_prose=True)  # no time for the model
    try:
        events = events_of(demo_shop, "trail running shoes", "slow")
    finally:
        demo_shop.settings = make_settings(demo_shop.settings.data_dir)
    done = events[-1]["data"]
    tokens = [e["data"]["text"] for e in events if e["event"] == "token"]
    assert done["llm"] and done["slow_start"] and done["fallback"] and done["verified"] == 0
    assert len(tokens) == 1 and "$" in tokens[0]  # the facts' wording, with the price it cites


def test_openai_compatible_endpoint_streams(openai_server, tmp_path):
    llm = get_llm(make_settings(tmp_path, llm_base_url=openai_server, llm_model="smollm2"))
    assert llm.name == "openai-compatible:smollm2"
    chunks = [c.content for c in llm.model.stream([HumanMessage("Name one colour.")])]
    assert "".join(chunks).strip()


def test_chat_through_an_openai_compatible_server(demo_shop, openai_server):
    demo_shop.settings = make_settings(demo_shop.settings.data_dir, llm_base_url=openai_server, llm_model="smollm2")
    try:
        events = events_of(demo_shop, "a quiet mouse", "openai")
    finally:
        demo_shop.settings = make_settings(demo_shop.settings.data_dir)
    done = events[-1]["data"]
    assert done["llm"] == "openai-compatible:smollm2" and "error" not in done and done["text"]


def test_query_understanding_through_an_openai_compatible_server(openai_server, tmp_path):
    from assistant.understand import understand
    from assistant.understand_llm import extract, understand_with_llm
    from tests.test_understand import VOCAB

    llm = get_llm(make_settings(tmp_path, llm_base_url=openai_server, llm_model="smollm2"))
    message = "a rain jacket but not from patagonia, white please"
    assert extract(llm, message, VOCAB) is not None, "the server's JSON mode must give parseable JSON"
    merged, grounded = understand_with_llm(understand(message, VOCAB), message, VOCAB, llm)
    assert grounded is not None and all(b in VOCAB.brands for b in merged.constraints.brands)


def test_an_llm_that_accepts_and_never_answers_holds_back_nothing(demo_shop):
    """A server that takes the connection and stays silent: the cards come within the
    understanding budget and the facts' wording within the first-prose budget, not after the
    20 s call timeout (the budgets hold even when no chunk ever arrives)."""
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: [held.append(listener.accept()[0]) for _ in range(16)], daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    demo_shop.settings = make_settings(
        demo_shop.settings.data_dir, llm_base_url=url, llm_understand_s=1.0, llm_first_prose_s=1.0, llm_timeout_s=20.0
    )
    try:
        started = time.monotonic()
        turn = demo_shop.chat("a quiet keyboard", "silent")
        cards = next(turn)
        to_cards = time.monotonic() - started
        done = list(turn)[-1]
        to_done = time.monotonic() - started
    finally:
        demo_shop.settings = make_settings(demo_shop.settings.data_dir)
        listener.close()
        for s in held:
            s.close()
    assert cards.items and held, "the LLM server was asked (and never answered)"
    assert to_cards < 5 and to_done < 8, f"cards after {to_cards:.1f} s, done after {to_done:.1f} s"
    assert done.report.fallback and (done.report.slow_start or done.report.timeout)


def test_serve_runs_the_local_model_in_its_own_process(tmp_path):
    from assistant.llm_server import LocalLLMServer

    settings = make_settings(tmp_path)
    server = LocalLLMServer(settings)
    with server as own:
        assert own.llm_own_server and own.llm_base_url.startswith("http://127.0.0.1:")
        proc = server.proc
        llm = get_llm(own)
        # the same model by name (its measured verifier rate applies), no in-process lock, and
        # nothing switched on that the bundled model has not earned
        assert llm.name == get_llm(settings).name and llm.lock is None
        assert not own.understanding_by_llm and not own.summaries_by_llm and not own.llm_external
        assert llm.invoke([HumanMessage("Name one colour.")]).strip()
    assert proc.poll() is not None, "the model's process ends with the server"


def test_a_model_process_that_cannot_start_leaves_the_model_in_process(tmp_path):
    from assistant.llm_server import LocalLLMServer

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    settings = make_settings(tmp_path, llm_gguf=broken)
    with LocalLLMServer(settings) as same:
        assert same is settings and not same.llm_own_server
    assert (tmp_path / "llm-server.log").read_text().strip(), "why it failed is kept in DATA_DIR/llm-server.log"
