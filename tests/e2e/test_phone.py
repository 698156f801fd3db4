"""The phone, as a group member uses it at night: Chromium at 390 x 844 (issue 16, item 4).

After tapping a page the sidebar closes (it stayed open over 330 of 390 px); the numbers are compact tiles,
two a row, in the page's order so a topic stays together (Streamlit stacked the columns, which read 订单数,
超时包裹, 参与人数 down the screen); on 噪音投诉 the alerts start within the first screen (they were 2.8
screens down); table cells keep their words whole ("代收点名/称", "167.2 小/时"), a wide table scrolling
inside itself and never the page."""
from __future__ import annotations

from tests.e2e.test_browser import SHOTS, WAIT_MS, _settle, _wait_for

PHONE = {"width": 390, "height": 844}
SIDEBAR = '[data-testid="stSidebar"]'

# The tiles as a reader meets them, top to bottom and left to right: label, top, left, height.
TILES = """
() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(t => {
  const r = t.getBoundingClientRect();
  return {label: t.querySelector('[data-testid="stMetricLabel"]').innerText.trim(), top: Math.round(r.top),
          left: Math.round(r.left), height: Math.round(r.height), width: Math.round(r.width)};
})
"""

# Every word in a table cell that the browser drew over more than one line. A word: a run without a space
# or a bracket or a Chinese comma ("代收点名称", "A-P2", "2025年3月10日", "167.2 小时" with its no-break
# space); "等待（小时）" may break before its bracket, as a reader would.
BROKEN_WORDS = """
() => {
  const broken = [];
  for (const cell of document.querySelectorAll('[data-testid="stTable"] td, [data-testid="stTable"] th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^ \\t\\n（）()、，；]+/g;
      for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}
"""

HEADING_TOP = """
(text) => {
  const h = [...document.querySelectorAll('h1, h2, h3')].find(e => e.innerText.trim().startsWith(text));
  return h ? h.getBoundingClientRect().top : null;
}
"""


def _phone(browser):
    return browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)


def test_on_a_phone_the_sidebar_closes_after_tapping_a_page(server, browser):
    page = _phone(browser)
    try:
        page.goto(f"{server['url']}/?lang=zh", timeout=WAIT_MS)
        _settle(page)
        page.wait_for_selector(f'{SIDEBAR}[data-collapsed="true"]', state="attached", timeout=WAIT_MS)
        page.tap('[data-testid="stExpandSidebarButton"]')
        page.wait_for_selector(f'{SIDEBAR}[data-collapsed="false"]', state="attached", timeout=WAIT_MS)
        page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="噪音投诉").tap()
        _wait_for(page, "() => location.pathname.endsWith('/complaints')", "the page link did not open 噪音投诉")
        _wait_for(page, f"() => !!document.querySelector('{SIDEBAR}[data-collapsed=\"true\"]') && "
                        f"document.querySelector('{SIDEBAR}').getBoundingClientRect().right <= 0",
                  "the sidebar stayed open over the page after tapping a page")
        _settle(page)
        page.screenshot(path=str(SHOTS / "phone_after_navigation.png"))
    finally:
        page.close()


def test_on_a_phone_the_tiles_are_compact_two_a_row_in_the_pages_order(server, browser):
    page = _phone(browser)
    try:
        page.goto(f"{server['url']}/?lang=zh", timeout=WAIT_MS)
        _settle(page)
        _wait_for(page, "() => document.querySelectorAll('[data-testid=\"stMetricChart\"]').length >= 12",
                  "the overview drew fewer than 12 tiles")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "phone_tiles.png"))
        tiles = page.evaluate(TILES)
        written = [t["label"] for t in tiles]   # the order the page wrote them: 订单数, 成交额, 到件数, ...
        read = [t["label"] for t in sorted(tiles, key=lambda t: (t["top"], t["left"]))]
        assert read == written, f"read down the screen: {read}"
        assert tiles[0]["top"] == tiles[1]["top"], tiles[:2]   # 订单数 beside 成交额
        assert all(t["width"] < PHONE["width"] / 2 for t in tiles), tiles
        assert max(t["height"] for t in tiles) <= 140, [t["height"] for t in tiles]   # they were 215 px
    finally:
        page.close()


def test_on_a_phone_the_complaints_alerts_start_within_the_first_screen(server, browser):
    page = _phone(browser)
    try:
        page.goto(f"{server['url']}/complaints?lang=zh", timeout=WAIT_MS)
        _settle(page)
        _wait_for(page, f"() => ({HEADING_TOP})('需要关注') !== null", "噪音投诉 drew no 需要关注")
        top = page.evaluate(HEADING_TOP, "需要关注")
        box = page.locator('[data-testid="stAlert"]').filter(has_text="投诉").first.bounding_box()
        page.screenshot(path=str(SHOTS / "phone_complaints.png"))
        assert top < PHONE["height"] and box["y"] < PHONE["height"], (top, box)
        assert page.evaluate(HEADING_TOP, "最近投诉") is not None
    finally:
        page.close()


def test_on_a_phone_table_cells_keep_their_words_whole(server, browser):
    page = _phone(browser)
    try:
        page.goto(f"{server['url']}/parcels?lang=zh", timeout=WAIT_MS)
        _settle(page)
        _wait_for(page, "() => [...document.querySelectorAll('[data-testid=\"stTable\"] th')]"
                        ".some(h => h.innerText.includes('代收点名称'))", "快递代收点 drew no table of points")
        broken = page.evaluate(BROKEN_WORDS)
        page.screenshot(path=str(SHOTS / "phone_parcels.png"))
        assert broken == [], f"words broken over two lines: {broken[:20]}"
        # a table wider than the screen scrolls inside itself: the page never scrolls sideways
        widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth, "
                               "main: document.querySelector('[data-testid=\"stMain\"]').scrollWidth})")
        assert widths["doc"] <= PHONE["width"] and widths["main"] <= PHONE["width"], widths
    finally:
        page.close()


def test_on_a_phone_data_up_to_is_one_line_with_each_feed_behind_a_tap(server, browser):
    page = _phone(browser)
    try:
        page.goto(f"{server['url']}/?lang=zh", timeout=WAIT_MS)
        _settle(page)
        line = page.locator('[data-testid="stExpander"] summary').filter(has_text="数据截至").first
        line.wait_for(timeout=WAIT_MS)
        box = line.bounding_box()
        assert box["height"] < 60, box   # one short line; the list of six feeds took a whole screen
        details = page.locator('[data-testid="stExpander"]').filter(has_text="数据截至").first
        assert not details.get_by_text("最近导入").first.is_visible()
        line.tap()
        _wait_for(page, "() => [...document.querySelectorAll('[data-testid=\"stExpander\"] p')]"
                        ".some(p => p.offsetHeight > 0 && p.innerText.includes('最近导入'))",
                  "tapping 数据截至 did not show each feed's latest record and import")
    finally:
        page.close()
