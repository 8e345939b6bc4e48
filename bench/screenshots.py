"""Screenshots of the widget mid-conversation and of the agent console, on a desktop (1280×900)
and a phone (390×844), from a real server on the demo shop and Debian's Chromium.

    .venv/bin/python bench/screenshots.py      (or `make screenshots`)

Writes bench/results/screenshots/*.png; `--docs` also refreshes the one the README shows
(docs/screenshots/).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import demo_shop
from load import Server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def converse(page, base: str) -> None:
    page.goto(f"{base}/?user=u02")
    box = page.get_by_label("Your message")
    for message in ("a quiet keyboard for the office under $100", "in white"):
        box.fill(message)
        box.press("Enter")
        page.locator(".sa-feedback").nth(0 if message.startswith("a quiet") else 1).wait_for(timeout=60_000)


def console(page, base: str) -> None:
    page.goto(f"{base}/agent")
    page.get_by_label("Password").fill("agent")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Customer", exact=True).select_option("u03")
    page.locator("#history li .kind").first.wait_for(timeout=15_000)
    page.get_by_role("button", name="Suggest for this customer").click()
    page.locator(".suggestions li").first.wait_for(timeout=30_000)


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", action="store_true", help="Also refresh docs/screenshots/ (the README's)")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="shopassist-shots-"))
    demo_shop(data)
    OUT.mkdir(parents=True, exist_ok=True)
    with Server(data, "none") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for name, size in SIZES.items():
            page = browser.new_page(viewport=size, is_mobile=name == "phone")
            converse(page, base)
            page.screenshot(path=str(OUT / f"widget-{name}.png"))
            console(page, base)
            page.screenshot(path=str(OUT / f"console-{name}.png"), full_page=True)
            page.close()
        browser.close()
    print("\n".join(str(p) for p in sorted(OUT.glob("*.png"))))
    if args.docs:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(OUT / "widget-desktop.png", DOCS / "widget-desktop.png")
        shutil.copy(OUT / "widget-phone.png", DOCS / "widget-phone.png")


if __name__ == "__main__":
    main()
