"""Real browser: `linli serve` on a free port, every page opened in headless Chromium.

Fails on an exception box, a chart that drew nothing, or Chinese drawn as boxes
(tofu). Screenshots are kept in tests/e2e/screenshots/. Skips only outside CI
when no Chromium is installed; with CI=true it always runs.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = {"overview": False, "orders": True, "parcels": True, "complaints": True, "training": True, "map": False,
         "weekly": False, "monthly": False, "street": True, "data_import": False, "glossary": False}
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

if not CHROMIUM and os.environ.get("CI") != "true":
    pytest.skip("no Chromium here (it runs in CI, where .ci/run installs it)", allow_module_level=True)

pytestmark = pytest.mark.browser

# Draws two different CJK characters in the given font; tofu boxes come out identical.
TOFU_CHECK = """
(font) => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 64;
  const x = c.getContext('2d');
  const draw = (ch) => { x.clearRect(0, 0, 64, 64); x.font = '40px ' + font; x.fillText(ch, 4, 48);
                         return Array.from(x.getImageData(0, 0, 64, 64).data).join(','); };
  const a = draw('噪'), b = draw('音'), blank = draw(' ');
  return a !== b && a !== blank;
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    db = folder / "linli.duckdb"
    env = dict(os.environ, LINLI_DB=str(db), LINLI_KEY_FILE=str(folder / "key"))
    linli = [sys.executable, "-m", "pipelines", "--db", str(db)]
    subprocess.run(linli + ["demo", "--communities", "2", "--weeks", "10"], check=True, env=env, cwd=ROOT,
                   capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(linli + ["serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("linli serve did not answer within 60 s")
    yield {"url": url, "db": db, "env": env, "linli": linli}
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield b
        b.close()


def _settle(page) -> None:
    page.wait_for_selector("h1", timeout=60_000)
    # Streamlit shows a running indicator while the script runs; wait for it to go, then for charts to draw.
    for _ in range(60):
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            break
        time.sleep(0.5)
    time.sleep(2.5)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name,has_charts", list(PAGES.items()))
def test_page_in_real_browser(server, browser, name, has_charts, lang):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # offline: nothing may be fetched from anywhere but this machine (a failed DNS lookup counts too)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server["url"], "data:", "blob:")) else None)
    page.on("console", lambda m: outside.append(m.text) if "ERR_NAME_NOT_RESOLVED" in m.text
            or "ERR_INTERNET_DISCONNECTED" in m.text else None)
    path = "" if name == "overview" else name      # the default page lives at the root
    page.goto(f"{server['url']}/{path}?lang={lang}")
    _settle(page)
    page.screenshot(path=str(SHOTS / f"{name}_{lang}.png"), full_page=True)
    try:
        assert page.locator('[data-testid="stException"]').count() == 0, "exception box on the page"
        assert page.get_by_text("Page not found").count() == 0, "Streamlit did not find the page"
        assert not errors, errors
        assert not outside, f"fetched from the network: {outside}"
        font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert page.evaluate(TOFU_CHECK, font), f"Chinese text would be drawn as boxes in {font}"
        assert page.evaluate(TOFU_CHECK, "'Noto Sans CJK SC', sans-serif"), "chart font has no Chinese glyphs"
        if has_charts:
            charts = page.locator('[data-testid="stVegaLiteChart"]')
            assert charts.count() > 0, "no chart on the page"
            for i in range(charts.count()):
                box = charts.nth(i).locator("canvas, svg").first.bounding_box()
                assert box and box["width"] > 50 and box["height"] > 50, f"chart {i} drew nothing"
        if name == "overview":
            assert page.locator('[data-testid="stMetricChart"]').count() >= 12, "trend sparklines missing"
        if name == "map":
            assert page.locator('[data-testid="stDeckGlJsonChart"] canvas').count() > 0, "map drew nothing"
    finally:
        page.close()


def _orders_tile(page) -> int:
    tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="Orders")).first
    return int(tile.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


def test_import_and_build_while_serving_show_without_restart(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    try:
        page.goto(f"{server['url']}/?lang=en&c=A&g=week&p=2025-03-10")
        _settle(page)
        before = _orders_tile(page)
        orders = tmp_path / "late.csv"
        orders.write_text("order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status\n"
                          "LATE1,A,A-S001,group_buy,2025-03-11 10:00,10,paid\n", encoding="utf-8")
        for args in (["ingest", "orders", str(orders)], ["build"]):
            done = subprocess.run(server["linli"] + args, env=server["env"], cwd=ROOT, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        page.reload()
        _settle(page)
        page.screenshot(path=str(SHOTS / "after_live_import.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert _orders_tile(page) == before + 1
    finally:
        page.close()
