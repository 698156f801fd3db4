"""A small built store for page tests: the hand-worked kpi fixture, with map coordinates."""
from __future__ import annotations

import pytest

from tests.conftest import build_store
from tests.pipelines import test_kpi as fx

BUILDINGS = """
building_id,community_id,name,households,lat,lon
B1,A,1栋,100,26.5770,106.7100
B2,A,2栋,100,26.5775,106.7108
"""
POINTS = """
point_id,community_id,name,kind,capacity,lat,lon
PA,A,东门驿站,station,4,26.5768,106.7112
PB,A,临时点,station,,26.5772,106.7095
PC,A,快递柜,locker,2,26.5778,106.7102
"""


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dash")
    return build_store(folder, {"communities": fx.COMMUNITIES, "buildings": BUILDINGS, "points": POINTS,
                                "orders": fx.ORDERS, "parcels": fx.PARCELS, "complaints": fx.COMPLAINTS,
                                "training": fx.TRAINING, "jobs": fx.JOBS})
