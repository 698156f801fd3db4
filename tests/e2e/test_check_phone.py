"""每周检查 on a 390 x 844 phone in Chromium (issue 16, item 3): the meeting's part comes first, so 整改事项
starts within the first three screens, and the long lists below it show ten rows with the rest one tap away.
(The overdue list once ran 116 rows above it and put 整改事项 nine screens down.)"""
from __future__ import annotations

from tests.e2e.test_browser import SHOTS, WAIT_MS, _settle, _wait_for

PHONE = {"width": 390, "height": 844}

# Where a heading starts, in page pixels from the top (the page is not scrolled), or null while it is absent.
HEADING_TOP = """
(text) => {
  const h = [...document.querySelectorAll('h1, h2, h3')].find(e => e.innerText.trim().startsWith(text));
  return h ? h.getBoundingClientRect().top : null;
}
"""


def test_on_a_phone_the_weekly_checks_action_items_start_within_three_screens(server, browser):
    page = browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page.goto(f"{server['url']}/weekly?lang=zh", timeout=WAIT_MS)
        _settle(page)
        _wait_for(page, f"() => ({HEADING_TOP})('整改事项') !== null", "the weekly check never drew 整改事项")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "weekly_phone.png"))
        tops = {h: page.evaluate(HEADING_TOP, h) for h in ("本期数字", "需要关注", "整改事项", "明细")}
        assert tops["整改事项"] < 3 * PHONE["height"], f"整改事项 starts {tops['整改事项']:.0f} px down: {tops}"
        assert tops["本期数字"] < tops["需要关注"] < tops["整改事项"] < tops["明细"], tops
    finally:
        page.close()
