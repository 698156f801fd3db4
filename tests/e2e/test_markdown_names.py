"""Names from an uploaded file stay text in a real browser (SPEC §6): on 数据导入 a header that is
Markdown for an image fetches nothing, a file name full of Markdown shows as typed (no bold, no
strike-through, no colour, no LaTeX), and bare URLs link nowhere.

A tiny HTTP server on this machine counts every request it gets; the header's image points at it.
The page is checked after the preview and again after the import (its success box, its captions).
"""
from __future__ import annotations

import http.server
import threading

import pytest

from tests.e2e.test_browser import SCRIPT_DONE, WAIT_MS, _settle

pytestmark = pytest.mark.browser

FILE_NAME = "**粗体**~~删~~:red[红色]$x^2$.csv"
BARE = ["http://evil.example/x", "www.evil.example"]

# Text that would show up inside <strong>, <del>, <a>, a coloured span or KaTeX if any of it were read as Markdown.
MARKUP_HOLDING = """
(words) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const found = [];
  for (const sel of ['strong', 'b', 'del', 's', 'a', 'img', '.katex', '[class*="colored"]', 'span[style*="color"]']) {
    for (const e of main.querySelectorAll(sel)) {
      const text = (e.textContent || '') + ' ' + (e.getAttribute('src') || '') + ' ' + (e.getAttribute('href') || '');
      if (words.some(w => text.includes(w))) found.push(sel + ': ' + e.outerHTML.slice(0, 200));
    }
  }
  return found;
}
"""
# The mapping editor's boxes labelled with the given headers are drawn.
LABELLED = """
(names) => {
  const labels = [...document.querySelectorAll('[data-testid="stSelectbox"] [data-testid="stWidgetLabel"]')]
                 .map(l => l.innerText.replaceAll('\\u2060', ''));
  return names.every(n => labels.includes(n));
}
"""
# What a reader sees: the page's text without the invisible word joiners plain() puts in links.
SHOWN = "() => document.querySelector('[data-testid=\"stMain\"]').innerText.replaceAll('\\u2060', '')"


@pytest.fixture()
def spy():
    """An HTTP server that records each request's path and answers 404."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _hostile_csv(port: int) -> tuple[bytes, str]:
    header = f"备注![b](http://127.0.0.1:{port}/header.png)"
    text = (f"order_id,community_id,seller_id,channel,ordered_at,amount_yuan,status,{header},{BARE[0]},{BARE[1]}\n"
            "MD1,A,A-S001,group_buy,2025-03-11 10:00,10,paid,x,y,z\n")
    return text.encode("utf-8"), header


def _assert_text_only(page, hits, header) -> None:
    page.wait_for_selector(SCRIPT_DONE, state="attached", timeout=WAIT_MS)
    words = ["粗体", "删", "红色", "x^2", "header.png", "evil.example"]
    assert page.evaluate(MARKUP_HOLDING, words) == []
    shown = page.evaluate(SHOWN)
    for literal in [FILE_NAME, header, *BARE]:
        assert literal in shown, literal
    assert hits == [], f"the browser fetched {hits}"


def test_markdown_in_an_uploaded_file_is_shown_as_typed_and_fetches_nothing(own_server, browser, spy):
    server = own_server      # the import below changes the store: a copy of its own
    port, hits = spy
    data, header = _hostile_csv(port)
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    try:
        page.goto(f"{server['url']}/data_import?lang=zh", timeout=WAIT_MS)
        _settle(page)
        page.set_input_files('[data-testid="stFileUploader"] input[type="file"]',
                             files=[{"name": FILE_NAME, "mimeType": "text/csv", "buffer": data}])
        # the file's own section: its heading, what each column becomes, and the import button
        page.wait_for_selector('[data-testid="stBaseButton-primary"]', timeout=WAIT_MS)
        page.get_by_text("调整列的对应").first.click()      # the mapping editor: one box per header, labelled with it
        page.wait_for_function(LABELLED, arg=BARE, timeout=WAIT_MS)
        _assert_text_only(page, hits, header)

        page.locator('[data-testid="stBaseButton-primary"]').first.click()
        page.wait_for_selector('[data-testid="stAlert"] >> text=/导入完成/', timeout=WAIT_MS)
        _assert_text_only(page, hits, header)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
