"""The widget and the agent console in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from assistant import identity
from tests.helpers import free_port, make_settings

expect = pytest.importorskip("playwright.sync_api").expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "screenshots"


def serve(app, port: int):
    """Runs an ASGI app on 127.0.0.1:`port` in a thread; returns the server (set should_exit to stop)."""
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    return srv


@pytest.fixture(scope="module")
def server(demo_shop):
    port = free_port()
    config = uvicorn.Config(create_app(demo_shop.settings, demo_shop), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def csp_violations(page) -> list[str]:
    """What the page's Content-Security-Policy blocked: our own pages must need nothing it forbids."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def test_widget_shows_cards_then_streamed_text(server, browser):
    page = browser.new_page()
    violations = csp_violations(page)
    page.goto(f"{server}/?user=u02")
    log = page.get_by_role("log")
    box = page.get_by_label("Your message")
    box.fill("a quiet keyboard for the office under $100")
    box.press("Enter")  # keyboard only
    page.locator(".sa-card").first.wait_for(timeout=30_000)
    page.locator(".sa-prose").first.wait_for(timeout=60_000)
    cards = page.locator(".sa-card")
    assert cards.count() >= 1 and "$" in cards.first.inner_text()
    assert page.locator(".sa-prose").first.inner_text().strip()
    assert "quiet keyboard" in log.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget.png"), full_page=True)
    # a follow-up refines the same session
    box.fill("cheaper")
    box.press("Enter")
    second = page.locator(".sa-msg.sa-assistant:not(.sa-prose)").nth(1)
    expect(second).not_to_have_text("…", timeout=30_000)
    assert "under $" in second.inner_text()
    assert violations == []
    page.close()


def test_agent_logs_in_picks_a_customer_and_asks(server, browser):
    page = browser.new_page()
    violations = csp_violations(page)
    page.goto(f"{server}/agent")
    page.get_by_label("Password").fill("agent")
    # hold the console's script back, as a slow network would: the agent picks a customer
    # before it runs, and the history must load all the same
    held = []
    page.route("**/static/agent.js", lambda route: held.append(route))
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Customer", exact=True).select_option("u03")
    page.wait_for_timeout(200)  # let the router see the held request
    for route in held:
        route.continue_()
    page.unroute("**/static/agent.js")
    assert held, "the console's script was never requested"
    page.locator("#history li .kind").first.wait_for(timeout=15_000)
    assert page.locator("#history li").count() > 1
    page.get_by_role("button", name="Suggest for this customer").click()
    page.locator(".suggestions li").first.wait_for(timeout=30_000)
    box = page.get_by_label("Your message")
    box.fill("something for my coffee mornings")
    box.press("Enter")
    page.locator("#assistant .sa-card").first.wait_for(timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "agent.png"), full_page=True)
    assert violations == []
    page.close()


def test_a_shopper_asks_for_a_person_and_an_agent_answers_in_their_widget(server, browser):
    shopper = browser.new_page()
    shopper.goto(f"{server}/")
    box = shopper.get_by_label("Your message")
    box.fill("I want to talk to a human about order 4711")
    box.press("Enter")
    shopper.locator(".sa-msg.sa-assistant", has_text="person").first.wait_for(timeout=30_000)

    agent = browser.new_page()
    agent.goto(f"{server}/agent")
    agent.get_by_label("Your name").fill("Sam")
    agent.get_by_label("Password").fill("agent")
    agent.get_by_role("button", name="Log in").click()
    waiting = agent.locator("#queue li", has_text="order 4711")
    waiting.first.wait_for(timeout=15_000)
    waiting.first.locator(".take").click()
    agent.get_by_label("Your reply").fill("Hello, Sam here from the shop: your order ships today.")
    agent.get_by_label("Product ids to send").fill("coffee-08a")
    agent.get_by_role("button", name="Send to the customer").click()

    shopper.locator(".sa-agent").first.wait_for(timeout=15_000)
    assert "ships today" in shopper.locator(".sa-agent").first.inner_text()
    shopper.locator(".sa-card", has_text="Bodum").first.wait_for(timeout=10_000)  # the pick list arrives with it
    shopper.close()
    agent.close()


def test_the_widget_works_on_the_stores_own_site(demo_shop, browser, tmp_path):
    """The store's page on another origin (its own server signs the shopper token) embeds the
    widget from the assistant's server, which lets that origin in by CORS."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    api_port, store_port = free_port(), free_port()
    store_origin = f"http://localhost:{store_port}"  # another origin than 127.0.0.1:{api_port}
    settings = make_settings(demo_shop.settings.data_dir, cors_origins=[store_origin])
    token = identity.sign_shopper("u02", settings.shopper_secret())

    async def page(request):
        return HTMLResponse(
            f"<!doctype html><title>Store</title><h1>A store</h1>"
            f'<script src="http://127.0.0.1:{api_port}/static/widget.js" data-token="{token}" data-open="true" defer></script>'
        )

    api = serve(create_app(settings, demo_shop), api_port)
    store = serve(Starlette(routes=[Route("/", page)]), store_port)
    try:
        tab = browser.new_page()
        failed: list[str] = []
        tab.on("requestfailed", lambda r: failed.append(r.url))
        tab.goto(f"{store_origin}/")
        box = tab.get_by_label("Your message")
        box.fill("a quiet keyboard")
        box.press("Enter")
        tab.locator(".sa-card").first.wait_for(timeout=30_000)
        assert "$" in tab.locator(".sa-card").first.inner_text() and failed == []
        tab.close()
    finally:
        api.should_exit = store.should_exit = True
