"""`shopassist`: the command line for the shop (typer)."""

from __future__ import annotations

import gc
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from assistant.settings import Settings, get_settings

app = typer.Typer(help="LLM-powered shopping assistant: ingest, index, train, serve, chat, evaluate.", no_args_is_help=True)
eval_app = typer.Typer(help="Offline evaluation that writes a report under bench/results/.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
agent_app = typer.Typer(help="Agent accounts for the console.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")
key_app = typer.Typer(help="API keys for other services (server-to-server).", no_args_is_help=True)
app.add_typer(key_app, name="apikey")
user_app = typer.Typer(help="A shopper's data: export it, forget it, mint a token for testing.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console()


def _store():
    """The store alone: account and privacy commands need no models."""
    from assistant.store import Store

    return Store(get_settings().db_url)


def _shop(settings: Settings | None = None):
    """The whole shop; when a running server holds the embedded vector index, one line says so
    and what to do instead of the engine's raw lock error."""
    from assistant.shop import Shop
    from retrieval.vectorstore import IndexLocked

    try:
        return Shop.open(settings or get_settings())
    except IndexLocked as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    """One line (not wrapped, no traceback) saying what is wrong and what to do; exit status 2."""
    console.print(f"[bold red]{message}[/]", soft_wrap=True)
    raise typer.Exit(2)


ServerOpt = Annotated[
    str | None,
    typer.Option(
        help="Run this inside a running server at this URL (it holds the embedded index); needs SHOPASSIST_API_KEY with the admin scope."
    ),
]


def _through(server: str, action: str, body: dict | None = None) -> dict:
    """Asks the running server to do maintenance (api/ops.py) and returns its answer."""
    import os

    import httpx

    key = os.environ.get("SHOPASSIST_API_KEY")
    if not key:
        raise typer.BadParameter(
            "set SHOPASSIST_API_KEY to a key with the admin scope (`shopassist apikey create --name ops --scopes admin`)"
        )
    try:
        r = httpx.post(f"{server.rstrip('/')}/v1/admin/{action}", json=body or {}, headers={"Authorization": f"Bearer {key}"}, timeout=None)
    except httpx.HTTPError as exc:
        raise typer.BadParameter(f"cannot reach {server}: {exc}") from exc
    if r.status_code >= 400:
        console.print(f"[bold red]{r.status_code}[/] {r.json().get('error', {}).get('message', r.text)}")
        raise typer.Exit(1)
    return r.json()


@app.command()
def ingest(
    demo: Annotated[bool, typer.Option(help="Load the shop's own demo catalog, shoppers and reviews.")] = False,
    products: Annotated[Path | None, typer.Option(help="Products .jsonl/.csv")] = None,
    users: Annotated[Path | None, typer.Option(help="Users .jsonl/.csv")] = None,
    events: Annotated[Path | None, typer.Option(help="Events .jsonl/.csv")] = None,
    reviews: Annotated[Path | None, typer.Option(help="Reviews .jsonl/.csv")] = None,
    faq: Annotated[Path | None, typer.Option(help="The store's policies and answers .jsonl/.csv: id, question, answer, topic")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="A public dataset: instacart, online_retail, amazon2018, homedepot, amazon_uk, device_reviews")
    ] = None,
    datasets_dir: Annotated[
        Path | None, typer.Option(help="Where the datasets live (default: the DATASETS_DIR setting, ../shared/datasets)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-read sources already ingested completely.")] = False,
) -> None:
    """Load records (idempotent and resumable: re-running adds nothing twice)."""
    from assistant.ingest import IngestReport, ingest_dataset, ingest_demo, ingest_faq, ingest_file
    from assistant.store import Store

    store = Store(get_settings().db_url)
    total = IngestReport()
    if demo:
        total.add(ingest_demo(store))
    for kind, path in (("products", products), ("users", users), ("events", events), ("reviews", reviews)):
        if path:
            try:
                total.add(ingest_file(store, kind, path, force=force))
            except (FileNotFoundError, ValueError) as exc:  # a bad row: its number and the reason; rows before it are kept
                raise typer.BadParameter(str(exc)) from exc
    if faq:
        console.print(f"{ingest_faq(store, faq)} FAQ entries written")
    if dataset:
        try:
            total.add(ingest_dataset(store, dataset, datasets_dir or get_settings().datasets_dir, force=force))
        except (FileNotFoundError, ValueError) as exc:
            raise typer.BadParameter(str(exc)) from exc
    if not (demo or products or users or events or reviews or dataset or faq):
        raise typer.BadParameter("say what to ingest: --demo, --products FILE, … or --dataset NAME")
    console.print(
        f"products changed {total.products_changed}, users added {total.users_added}, events added {total.events_added}, reviews added {total.reviews_added}"
    )
    console.print("next: [bold]shopassist index[/] to embed new products")


@app.command()
def index(
    rebuild: Annotated[
        bool, typer.Option(help="Drop the index and embed everything again (a new EMBEDDING_MODEL; a corrupt or deleted index).")
    ] = False,
    server: ServerOpt = None,
) -> None:
    """Embed new or changed products into the vector index."""
    from retrieval.vectorstore import IndexUnavailable

    if server:
        out = _through(server, "index", {"rebuild": rebuild})
        console.print(f"embedded {out['embedded']}, unchanged {out['unchanged']}, removed {out['removed']}; {out['indexed']} in the index")
        return
    shop = _shop()
    try:
        report = shop.index(rebuild=rebuild)
    except IndexUnavailable as exc:
        shop.close()
        _fail(str(exc))
    console.print(
        f"embedded {report.embedded}, unchanged {report.unchanged}, removed {report.deleted}; {shop.vectors.count()} in the index"
    )
    shop.close()


@app.command()
def snapshot(
    target: Annotated[Path | None, typer.Argument(help="Archive file to write (with --server: the server picks one).")] = None,
    server: ServerOpt = None,
) -> None:
    """Save the whole vector index (vectors, payloads, which model built it) to one file."""
    if server:
        out = _through(server, "snapshot")
        console.print(f"{out['indexed']} products saved to {out['path']} (on the server)")
        return
    if target is None:
        raise typer.BadParameter("say which file to write")
    shop = _shop()
    shop.vectors.snapshot(target)
    console.print(f"{shop.vectors.count()} products saved to {target}")
    shop.close()


@app.command()
def restore(archive: Annotated[Path, typer.Argument(help="An archive written by `shopassist snapshot`.", exists=True)]) -> None:
    """Replace the vector index with a snapshot (the store's products are not touched)."""
    from retrieval.vectorstore import IndexUnavailable

    shop = _shop()
    try:
        shop.vectors.restore(archive)
    except (IndexUnavailable, OSError, ValueError) as exc:  # a bad archive: say so; `index --rebuild` always works
        shop.close()
        _fail(f"cannot restore: {exc} (`shopassist index --rebuild` rebuilds it from the store)")
    console.print(f"{shop.vectors.count()} products restored from {archive}")
    shop.close()


@app.command()
def train(
    epochs: Annotated[int, typer.Option(help="Most epochs (early stopping usually ends sooner).")] = 30,
    batch_size: Annotated[int, typer.Option()] = 256,
    server: ServerOpt = None,
) -> None:
    """Train the two-tower ranker on the store's behaviour."""
    from assistant.pipeline import train_ranker
    from ranking.train import TrainConfig

    if server:
        out = _through(server, "train", {"epochs": epochs, "batch_size": batch_size})
        console.print(
            f"trained in the server: best val Recall@10 {out['best_val_recall10']:.3f}, {out['epochs']} epochs, {out['seconds']} s"
        )
        return
    shop = _shop()
    train_ranker(shop, TrainConfig(epochs=epochs, batch_size=batch_size))
    shop.close()


@app.command("train-sentiment")
def train_sentiment() -> None:
    """Train the review-sentence sentiment adapter on the public review datasets (ships in the package)."""
    from assistant.sentiment_train import train as train_adapter

    settings = get_settings()
    if not (settings.datasets_dir / "device_reviews").exists():
        console.print(f"[red]The review datasets are not in {settings.datasets_dir}[/red]: nothing to learn from.")
        raise typer.Exit(2)
    console.print(f"adapter written to {train_adapter(settings.datasets_dir)}")


@app.command()
def summarize(
    refresh: Annotated[bool, typer.Option(help="Rewrite summaries that are up to date too.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many products.")] = None,
) -> None:
    """Write review summaries for reviewed products (skips those already up to date)."""
    from assistant.pipeline import summarize_all

    shop = _shop()
    n = summarize_all(shop, refresh=refresh, limit=limit)
    console.print(f"{n} summaries written")
    shop.close()


def ready_to_serve() -> None:
    """What the process does between startup and its first request (benchmarks call it too, so
    they measure what `serve` serves).

    What startup built (the models, the catalog's vocabulary) lives as long as the process: frozen,
    full collections skip it instead of pausing every request for ~0.4 s. Requests run side by
    side in the server's threads; a tensor or BLAS op that also spreads over every core makes them
    queue behind each other (p50 of a shop's requests fell 4x; a query's embedding took 13 ms on
    one thread and 42-50 ms on two while the other core was busy), and one that holds the GIL for
    Python's default 5 ms switch interval holds up the short ones."""
    import torch
    from threadpoolctl import threadpool_limits

    gc.collect()
    gc.freeze()
    # A full collection walks every object made since: the lists, products and matches a busy
    # server keeps, with every request on hold (at 100k products 86-360 ms each, one every ~60
    # turns: they were the p99). Young collections still free what a request leaves behind;
    # full ones now come after 1000 young ones instead of 10, and the 25% rule stays.
    gc.set_threshold(700, 10, 1000)
    torch.set_num_threads(1)
    threadpool_limits(1)
    sys.setswitchinterval(0.001)  # a short request waits 1 ms, not 5, for a long one to yield the GIL


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    bootstrap: Annotated[bool, typer.Option(help="Load the demo if empty, index, train if needed, before serving.")] = True,
) -> None:
    """Serve the API, the chat widget and the agent console."""
    import uvicorn

    from api.app import create_app, unsafe_to_serve
    from assistant.llm_server import LocalLLMServer
    from assistant.pipeline import StoreLost
    from assistant.pipeline import bootstrap as run_bootstrap

    with LocalLLMServer(get_settings()) as settings:  # the local model in its own process (LLM_PROCESS)
        shop = _shop(settings)
        if bootstrap:
            try:
                run_bootstrap(shop)
            except StoreLost as exc:
                shop.close()
                _fail(f"not serving: {exc}")
        if shop.vectors.count():
            shop.warm_up()
        host, port = host or settings.host, port or settings.port
        refusal = unsafe_to_serve(settings, host, shop)
        if refusal:
            console.print(f"[bold red]{refusal}[/] (SECURITY.md says how to deploy)")
            raise typer.Exit(2)
        if not shop.store.count_agents():
            console.print("[yellow]no agent accounts yet: the console takes the try-out password AGENT_PASSWORD on this machine only[/]")
        if settings.llm_own_server:
            console.print(f"LLM: {settings.llm_model} in its own process at {settings.llm_base_url}")
        console.print(f"[bold green]serving[/] on http://{host}:{port}  (widget at /, agent console at /agent, API docs at /docs)")
        # X-Forwarded-For is believed only from TRUSTED_PROXIES (uvicorn's default trusts 127.0.0.1)
        proxies = (
            {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}
            if settings.trusted_proxies
            else {"proxy_headers": False}
        )
        ready_to_serve()
        uvicorn.run(create_app(settings, shop), host=host, port=port, log_level="info", **proxies)


@agent_app.command("add")
def agent_add(
    name: Annotated[str, typer.Argument(help="The agent's sign-in name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters.")],
) -> None:
    """Adds an agent account (or sets a new password); the password is stored hashed (argon2)."""
    from assistant import identity

    try:
        identity.add_agent(_store(), name, password)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(f"agent [bold]{name}[/] can sign in at /agent")


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Option(help="Who uses the key, e.g. the store's backend.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: recommend, events, chat, admin.")] = "recommend",
) -> None:
    """Creates a key and prints it once: only its hash is kept."""
    from assistant import identity

    try:
        key = identity.create_api_key(_store(), name, [s.strip() for s in scopes.split(",") if s.strip()])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print("[bold]Keep this key now, it is not shown again:[/]")
    print(key)


@key_app.command("list")
def key_list() -> None:
    """Keys by id, name and scopes (never the secret)."""
    for k in _store().api_keys():
        console.print(
            f"{k['id']}  {k['name']}  {','.join(k['scopes'])}  created {k['created'][:10]}{'  [red]revoked[/]' if k['revoked'] else ''}"
        )


@key_app.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="The id `apikey list` shows (the part after sa_).")]) -> None:
    """The key stops working at once."""
    if not _store().revoke_api_key(key_id):
        raise typer.BadParameter(f"no key with id {key_id!r}")
    console.print(f"key {key_id} revoked")


@user_app.command("export")
def user_export(
    user_id: Annotated[str, typer.Argument(help="The shopper's id.")],
    out: Annotated[Path | None, typer.Option(help="Write the JSON here instead of printing it.")] = None,
) -> None:
    """Everything held about a shopper, as JSON (their right of access)."""
    data = json.dumps(_store().export_user(user_id), indent=2, default=str)
    if out:
        out.write_text(data)
        console.print(f"wrote {out}")
    else:
        print(data)


@user_app.command("forget")
def user_forget(
    user_id: Annotated[str, typer.Argument(help="The shopper's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Deletes the shopper's account, behaviour, conversations and reviews (their right to erasure).
    The vector index holds no shopper data (a shopper's vector is computed per request)."""
    if not yes:
        typer.confirm(f"Delete everything held about {user_id}?", abort=True)
    removed = _store().forget_user(user_id)
    console.print(", ".join(f"{n} {what}" for what, n in removed.items()) + " deleted")


@user_app.command("token")
def user_token(
    user_id: Annotated[str, typer.Argument(help="The shopper's id.")],
    ttl: Annotated[int, typer.Option(help="Seconds it stays valid.")] = 3600,
) -> None:
    """Mints a shopper token, as the store's backend would (for trying the API by hand)."""
    from assistant import identity

    print(identity.sign_shopper(user_id, get_settings().shopper_secret(), ttl_s=ttl))


@app.command()
def chat(user: Annotated[str | None, typer.Option(help="Chat as this shopper id (e.g. u01).")] = None) -> None:
    """A terminal chat with the assistant. Empty line or Ctrl-D quits."""
    from assistant.events import Cards, Done, Token
    from assistant.text import money

    logging.getLogger().setLevel(logging.WARNING)
    shop = _shop()
    session = uuid.uuid4().hex
    console.print(f"Chatting as [bold]{user or 'a new visitor'}[/]. Try: a quiet keyboard for the office under $100")
    while True:
        try:
            message = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not message:
            break
        for ev in shop.chat(message, session, user):
            if isinstance(ev, Cards):
                console.print(f"[bold]assistant>[/] {ev.message}")
                for card in ev.items:
                    p = card.product
                    console.print(f"  #{card.position} [bold]{p.title}[/] {money(p.price, p.currency) if p.price is not None else ''}")
                    for r in card.reasons:
                        console.print(f"     - {r.text} [dim]({', '.join(r.evidence[:3])})[/]")
            elif isinstance(ev, Token):
                console.print(ev.text, end="", style="italic")
            elif isinstance(ev, Done):
                console.print()
    shop.close()


@eval_app.command("ranking")
def eval_ranking(
    dataset: Annotated[str | None, typer.Option(help="instacart or online_retail; default: the store's own data")] = None,
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    retrain: Annotated[bool, typer.Option(help="Retrain the held-out model even if one is saved.")] = False,
) -> None:
    """Hold out each shopper's last session, train on the rest, compare with baselines."""
    from assistant.evaluation.ranking import ranking_eval

    try:
        report = ranking_eval(get_settings(), dataset, out, retrain)
    except (ValueError, FileNotFoundError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print_json(json.dumps(report["metrics"]))


@eval_app.command("dialogue")
def eval_dialogue(
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    catalog: Annotated[list[str] | None, typer.Option(help="Only these catalogs: demo, amazon_uk, instacart")] = None,
    folder: Annotated[Path | None, typer.Option(help="Dialogue files (default bench/dialogues)")] = None,
    openai_url: Annotated[
        str | None, typer.Option(help="Also read messages with this OpenAI-compatible endpoint's LLM behind the parser")
    ] = None,
    openai_model: Annotated[str, typer.Option()] = "local",
) -> None:
    """Scripted dialogues through POST /v1/chat: turns and dialogues passed per catalog, time to the final text."""
    from assistant.evaluation.dialogue import DIALOGUES, dialogue_eval

    readers = {}
    if openai_url:  # understanding only: the prose is not what this measures
        readers[f"parser + LLM {openai_model}"] = {
            "llm_base_url": openai_url,
            "llm_model": openai_model,
            "llm_understanding": True,
            "llm_prose": False,
        }
    report = dialogue_eval(get_settings(), out, catalog, folder or DIALOGUES, readers)
    console.print_json(json.dumps(report["catalogs"]))


@eval_app.command("qa")
def eval_qa(out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results")) -> None:
    """Questions about a product through POST /v1/chat: accuracy, citation precision, abstention."""
    from assistant.evaluation.qa import qa_eval

    report = qa_eval(get_settings(), out)
    console.print_json(json.dumps(report["sets"]))


@eval_app.command("polarity")
def eval_polarity(
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    dev: Annotated[bool, typer.Option(help="The development sentences (for design work) instead of the held-out ones")] = False,
) -> None:
    """Review-sentence polarity against hand-labelled sentences: accuracy, confusion, flips, filler."""
    from assistant.evaluation.polarity import DEV_SENTENCES, SENTENCES, polarity_eval

    report = polarity_eval(get_settings(), out, DEV_SENTENCES if dev else SENTENCES)
    console.print_json(json.dumps({k: {m: v for m, v in r.items() if m != "confusion"} for k, r in report.items()}))


@eval_app.command("offpolicy")
def eval_offpolicy(
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    runs: Annotated[int, typer.Option(help="Repeated logging runs")] = 200,
) -> None:
    """A candidate policy's purchase rate estimated from another policy's logs (IPS, SNIPS) on an Instacart replay: error and interval coverage."""
    from assistant.evaluation.offpolicy import offpolicy_eval

    report = offpolicy_eval(get_settings(), out, runs=runs)
    console.print_json(json.dumps(report["candidates"]))


@eval_app.command("range")
def eval_range(out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results")) -> None:
    """Whether the shop tells what it carries from what it does not: precision and recall on labelled requests."""
    from assistant.evaluation.range import range_eval

    report = range_eval(get_settings(), out)
    console.print_json(json.dumps({"fitted": report["fitted"], "catalogs": report["catalogs"]}))


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[str, typer.Option(help="homedepot")] = "homedepot",
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    limit: Annotated[int | None, typer.Option(help="Evaluate only this many queries (quick runs).")] = None,
) -> None:
    """Query → product retrieval quality on human relevance judgments."""
    from assistant.evaluation.retrieval import retrieval_eval

    report = retrieval_eval(get_settings(), dataset, out, limit)
    console.print_json(json.dumps(report["metrics"]))


def _backends(settings: Settings, openai_url: str | None, openai_model: str, local: bool = True) -> dict[str, Settings]:
    """The LLM backends an evaluation compares: the in-process model, and a server if given."""
    backends = {"llama.cpp (in-process)": settings.model_copy(update={"llm_base_url": None})} if local else {}
    if openai_url:
        backends[f"openai-compatible ({openai_model})"] = settings.model_copy(
            update={"llm_base_url": openai_url, "llm_model": openai_model}
        )
    return backends


@eval_app.command("explain")
def eval_explain(
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    openai_url: Annotated[str | None, typer.Option(help="Also evaluate this OpenAI-compatible endpoint")] = None,
    openai_model: Annotated[str, typer.Option()] = "local",
) -> None:
    """Share of LLM sentences that pass the verifier, per LLM backend."""
    from assistant.evaluation.explain import explain_eval

    settings = get_settings()
    console.print_json(json.dumps(explain_eval(settings, out, _backends(settings, openai_url, openai_model))))


@eval_app.command("understanding")
def eval_understanding(
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    openai_url: Annotated[str | None, typer.Option(help="Also evaluate this OpenAI-compatible endpoint")] = None,
    openai_model: Annotated[str, typer.Option()] = "local",
) -> None:
    """Filters read from hand-labelled messages: the parser alone and with each LLM behind it."""
    from assistant.evaluation.understanding import understanding_eval

    settings = get_settings()
    console.print_json(json.dumps(understanding_eval(settings, out, _backends(settings, openai_url, openai_model))))


@eval_app.command("summaries")
def eval_summaries(
    out: Annotated[Path, typer.Option(help="Report folder")] = Path("bench/results"),
    products: Annotated[int, typer.Option(help="How many of the most-reviewed products")] = 30,
    dataset: Annotated[
        str | None, typer.Option(help="device_reviews or amazon2018 (loaded into its own store); default: the shop's store")
    ] = None,
    reword: Annotated[
        bool, typer.Option(help="Also reword the points, and write them abstractively, with the local model and check both")
    ] = False,
    openai_url: Annotated[str | None, typer.Option(help="Also reword and write abstractively with this OpenAI-compatible endpoint")] = None,
    openai_model: Annotated[str, typer.Option()] = "local",
) -> None:
    """Share of review-summary points that their cited reviews support: extractive, reworded, abstractive."""
    from assistant.evaluation.summaries import summaries_eval

    settings = get_settings()
    report = summaries_eval(settings, out, products, dataset, _backends(settings, openai_url, openai_model, local=reword))
    console.print_json(json.dumps(report["variants"]))


if __name__ == "__main__":
    app()
