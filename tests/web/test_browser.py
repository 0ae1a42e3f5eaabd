"""End to end in headless Chromium (Debian's package, driven by Playwright): sign in, upload a
CSV and map its columns, see it on the overview, drill from the journey map to the verbatims,
answer a case, and find all of it in the audit log. Screenshots of the main pages go to
``$CXLOOP_SCREENSHOT_DIR`` (docs/screenshots when refreshing the docs) or a temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from web_seed import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CXLOOP_SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_whole_loop_in_a_browser(live, browser, tmp_path):
    shots = shots_dir(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(90_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # sign in
    page.goto(live.url + "/")
    assert page.url.startswith(live.url + "/login")
    page.get_by_label("E-mail").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/")
    before = int(page.locator("#volume").inner_text().replace(",", ""))
    assert before == live.seeded.feedback_n
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    # upload a CSV and map its columns (the "Rating" column is mapped by hand)
    csv_path = tmp_path / "pulse.csv"
    csv_path.write_text(
        "ID,Comment,Rating,Date,Stage\n"
        + "".join(
            f"p{i},the courier lost my parcel {i},{i % 11},2026-04-{i % 28 + 1:02d},Delivery\n"
            for i in range(30)
        )
        + "bad,this row has a score out of range,42,2026-04-02,Delivery\n"
    )
    page.goto(live.url + "/data")
    page.get_by_label("File (CSV, TSV, JSON, JSONL, Excel, Parquet)").set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and preview the mapping").click()
    page.wait_for_url(re.compile(r".*/data/preview/.*"))
    page.get_by_label("Rating").select_option("nps")
    page.get_by_label("Stage").select_option("journey_stage")
    page.screenshot(path=str(shots / "data-mapping.png"), full_page=True)
    page.get_by_role("button", name="Ingest").click()
    # The job page refreshes until the summary (or a failure message) shows.
    # Should a meta refresh stall in a loaded CI browser, reload by hand (as a person would);
    # a job that really never ends still fails here, with the server's state printed.
    for attempt in range(12):
        try:
            page.wait_for_selector("#ingest-summary, [role=alert]", timeout=10_000)
            break
        except Exception:
            if attempt == 11:
                _report_stuck_job(page, live)
                raise
            if "/data/jobs/" in page.url:  # never re-send the upload form itself
                page.goto(page.url)
    assert page.locator("#ingest-summary").count() == 1, page.locator("main").inner_text()
    summary = page.locator("#ingest-summary").inner_text()
    assert "inserted 30" in summary and "quarantined 1" in summary, summary

    # review the refused row, correct it and retry: it is stored with the same mapping
    page.goto(live.url + "/data/quarantine")
    assert "42" in page.locator("table").inner_text()
    page.get_by_role("link", name="Review and retry").first.click()
    page.get_by_label("Rating").fill("4")
    page.get_by_role("button", name="Retry with these values").click()
    page.wait_for_url(live.url + "/data/quarantine")
    assert "Nothing here." in page.locator("table").inner_text()

    # the new feedback shows on the overview
    page.goto(live.url + "/")
    after = int(page.locator("#volume").inner_text().replace(",", ""))
    assert after == before + 31

    # drill from the journey map to the verbatims behind a cell
    page.goto(live.url + "/journey")
    page.wait_for_selector("[data-chart=heatmap] canvas")
    page.screenshot(path=str(shots / "journey.png"), full_page=True)
    page.locator("#heat-table summary").click()
    page.locator("table.heat a.cell").filter(has_text="n=").first.wait_for()
    link = page.locator("table.heat tbody tr", has_text="Courier").locator("a.cell").first
    link.click()
    page.wait_for_url(re.compile(r".*/verbatims\?.*stage=Delivery.*"))
    assert page.locator(".verbatim").count() > 0
    assert "parcel" in page.locator(".verbatims").inner_text()
    page.screenshot(path=str(shots / "verbatims.png"), full_page=True)

    page.goto(live.url + "/themes")
    page.wait_for_selector("[data-chart=impact] canvas")
    page.screenshot(path=str(shots / "themes.png"), full_page=True)

    # answer a case
    page.goto(live.url + "/cases")
    page.screenshot(path=str(shots / "cases.png"), full_page=True)
    page.get_by_role("link", name=f"CX-{live.seeded.case_a:06d}").click()
    page.get_by_label("Reply to the customer").fill(
        "Sorry about the parcel - a new one is on its way."
    )
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("text=a new one is on its way")
    assert page.locator(".thread li.out").count() == 1
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_role("button", name="Change status").click()
    page.wait_for_selector("#case-status:has-text('in_progress')")
    page.screenshot(path=str(shots / "case.png"), full_page=True)

    # everything is in the audit log
    page.goto(live.url + "/admin/audit")
    log = page.locator("#audit").inner_text()
    for action in ("auth.login", "feedback.ingest", "case.reply", "case.status"):
        assert action in log, action
    page.screenshot(path=str(shots / "audit.png"), full_page=True)
    assert not errors, errors


def test_keyboard_reaches_main_content_and_login_labels(live, browser):
    page = browser.new_page()
    page.goto(live.url + "/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "cxloop"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("viewer@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live.url + "/")
    assert page.get_by_role("navigation", name="Main").is_visible()
    # a viewer's menu has no cases, data or admin entries
    menu = page.get_by_role("navigation", name="Main").inner_text()
    assert "Cases" not in menu and "Audit log" not in menu and "Overview" in menu


def _report_stuck_job(page, live) -> None:
    """Print what the browser shows, the server's job table and every thread's stack, so a
    job that never ends in CI can be diagnosed from the log."""
    import sys
    import traceback

    print("page url:", page.url)
    print("page text:", page.locator("body").inner_text()[:2000])
    print("jobs:", getattr(live.app.state, "ingest_jobs", None))
    names = {t.ident: t.name for t in __import__("threading").enumerate()}
    for ident, frame in sys._current_frames().items():
        print(f"--- thread {names.get(ident, ident)}")
        print("".join(traceback.format_stack(frame)[-12:]))
