"""The real-browser tests' store, servers and Chromium, made once for all the files of tests/e2e.

`make test` keeps these files together on one worker (tests/conftest.py, unit_of), so the demo store is
built once and each server serves a private copy of it, instead of a demo per file."""
from __future__ import annotations

import pytest

from tests.e2e.serving import CHROME_ARGS, CHROMIUM, build_demo, copy_demo, serving


@pytest.fixture(scope="package")
def demo_store(tmp_path_factory):
    """The pinned demo, built once and never served itself: servers and tests take copies."""
    return build_demo(tmp_path_factory.mktemp("e2e-demo"))


@pytest.fixture(scope="package")
def server(demo_store, tmp_path_factory):
    """The demo served for the tests that only look at pages; every file shares it, so a test that imports
    or builds takes `own_server` instead."""
    with serving(copy_demo(demo_store, tmp_path_factory.mktemp("e2e"))) as served:
        yield served


@pytest.fixture
def own_server(demo_store, tmp_path):
    """The demo served from a copy of this test's own, for a test that changes the store."""
    with serving(copy_demo(demo_store, tmp_path / "own")) as served:
        yield served


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield b
        b.close()
