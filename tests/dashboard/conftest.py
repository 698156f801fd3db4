"""A small built store for page tests: the hand-worked kpi fixture, with map coordinates."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import build_store, private_copy
from tests.pipelines import test_kpi as fx

BUILDINGS = """
building_id,community_id,name,households,lat,lon
B1,A,1栋,100,26.5770,106.7100
B2,A,2栋,100,26.5775,106.7108
"""
APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def open_import_page(account=None, **params: str) -> AppTest:
    """数据导入 on the store LINLI_DB names, in Chinese: signed in as `account` (users.Account), or as the
    open demo without one; `params`, more of the URL's query."""
    from dashboard import auth
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "zh", **params})
    for key, value in (auth.session_for(account).items() if account is not None else ()):
        at.session_state[key] = value
    return at.switch_page("screens/data_import.py").run()   # straight to the page, as a link opens it


POINTS = """
point_id,community_id,name,kind,capacity,lat,lon
PA,A,东门驿站,station,4,26.5768,106.7112
PB,A,临时点,station,,26.5772,106.7095
PC,A,快递柜,locker,2,26.5778,106.7102
"""


@pytest.fixture(autouse=True, scope="session")
def _components_scanned_once():
    """Each new AppTest scans every installed package's metadata for Streamlit components (0.1–0.2 s: some 260
    packages), where a server does it once at its start. Linli ships none and the packages do not change during a
    run: the scan's answer, taken once, is handed to every AppTest of this process."""
    from streamlit.components.v2 import manifest_scanner
    real = manifest_scanner.scan_component_manifests
    found = real()
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(found)
    yield
    manifest_scanner.scan_component_manifests = real


def hand_worked_feeds(**more: str) -> dict[str, str]:
    """The hand-worked kpi fixture's feeds (tests/pipelines/test_kpi.py) with map coordinates; `more` replaces one
    or adds another (imported last)."""
    return {"communities": fx.COMMUNITIES, "buildings": BUILDINGS, "points": POINTS, "orders": fx.ORDERS,
            "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS, "training": fx.TRAINING, "jobs": fx.JOBS, **more}


def store_copy(built: Path, tmp_path: Path, monkeypatch) -> Path:
    """A private copy of a module's built store and its snapshots as LINLI_DB, for a test that writes to it."""
    copy = private_copy(built, tmp_path / "t.duckdb", snapshots=True)
    monkeypatch.setenv("LINLI_DB", str(copy))
    return copy


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("dash"), hand_worked_feeds())


# Names an attacker (or a careless copy from a web page) could put in a register: Markdown that would
# fetch an image, a link, and HTML. A parcel point the fixture fills to 150 % so an alert names it.
IMAGE_NAME = "![x](http://127.0.0.1:9/x.png)"
LINK_NAME = "[官方通知](http://127.0.0.1:9/)"
HTML_NAME = "<img src=http://127.0.0.1:9/b.png>B社区"
HOSTILE_COMMUNITIES = f"""
community_id,name,street,households,lat,lon
A,{IMAGE_NAME},金桥街道,2000,26.57,106.71
B,{HTML_NAME},金桥街道,,26.58,106.72
"""
HOSTILE_POINTS = POINTS.replace("PA,A,东门驿站,station,4", f"PA,A,{LINK_NAME},station,2")
FORMULA_FILE = "=HYPERLINK(1)订单.csv"
FORMULA_ORDERS = """
order_id,community_id,seller_id,channel,ordered_at,amount_yuan,item_count,status
O9,A,@SUM(A1),group_buy,2025-06-03 10:00,10,1,paid
O10,A,=cmd|' /C calc'!A0,group_buy,2025-06-03 11:00,-5,1,paid
"""


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory):
    """The fixture store with hostile names, a formula as a seller id and as an import's file name."""
    from pipelines.ingest.store import import_file
    from tests.conftest import write

    folder = tmp_path_factory.mktemp("hostile")
    db = build_store(folder, {"communities": HOSTILE_COMMUNITIES, "buildings": BUILDINGS, "points": HOSTILE_POINTS,
                              "orders": fx.ORDERS, "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS,
                              "training": fx.TRAINING, "jobs": fx.JOBS})
    import_file(db, "orders", write(folder / FORMULA_FILE, FORMULA_ORDERS))
    from pipelines.build.runner import build
    build(db)
    return db
