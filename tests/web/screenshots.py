"""Refresh docs/screenshots/ from a real workspace (e.g. the demo) in headless Chromium.

Usage: .venv/bin/python tests/web/screenshots.py --home /path/to/demo/workspace \
           [--out docs/screenshots]
Starts ``cxloop serve`` on a free port, signs in with the demo login the command prints,
and saves a PNG of each main page.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PAGES = [
    ("overview", "/"),
    ("journey", "/journey"),
    ("themes", "/themes"),
    ("verbatims", "/verbatims?stage=Delivery"),
    ("drivers", "/analysis/drivers"),
    ("segments", "/analysis/segments"),
    ("lost-customers", "/analysis/churn"),
    ("sales-linkage", "/analysis/sales"),
    ("opportunities", "/analysis/opportunities"),
    ("alerts", "/analysis/alerts"),
    ("cases", "/cases"),
    ("plans", "/plans"),
    ("plan-gaps", "/plans/gaps"),
    ("taxonomy", "/taxonomy"),
    ("data-sources", "/data"),
    ("users", "/admin/users"),
    ("audit", "/admin/audit"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CXLOOP_HOME": str(args.home)}
    env.pop("CXLOOP_DATABASE_URL", None)
    cxloop = str(Path(sys.executable).with_name("cxloop"))
    proc = subprocess.Popen(
        [cxloop, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    login = None
    for line in proc.stdout:  # type: ignore[union-attr]
        print(line, end="")
        found = re.search(r"demo login: (\S+) / (\S+)", line)
        if found:
            login = found.groups()
        if "Ctrl+C" in line:
            break
    assert login, "the workspace is not a demo workspace (no demo login printed)"
    for _ in range(200):
        try:
            httpx.get(base + "/login", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(300_000)
            page.goto(base + "/login")
            page.get_by_label("E-mail").fill(login[0])
            page.get_by_label("Password").fill(login[1])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/")
            for name, path in PAGES:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(600)
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
                print("saved", name)
            first_case = page.goto(base + "/cases")
            link = page.locator("#cases a").first
            if first_case and link.count():
                link.click()
                page.wait_for_timeout(500)
                page.screenshot(path=str(args.out / "case.png"), full_page=True)
                print("saved case")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
