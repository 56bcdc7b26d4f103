"""GCJ-02 / BD-09 against published reference points, and the inverses round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from importers import chinacoords as cc
from importers.crs import parse

# eviltransform's published WGS84 → GCJ-02 pairs (lon, lat)
WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),    # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),    # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),    # Beijing
]
# Baidu's Beijing railway station: GCJ-02 (116.42703, 39.90245) is BD-09 (116.43351, 39.90851), 5 decimals
GCJ_BD = ((116.42703, 39.90245), (116.43351, 39.90851))


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ)
def test_wgs84_to_gcj02_reference(wgs, gcj):
    assert np.allclose(cc.wgs84_to_gcj02(*wgs), gcj, atol=1e-9)
    assert np.allclose(cc.gcj02_to_wgs84(*gcj), wgs, atol=1e-9)


def test_bd09_reference():
    gcj, bd = GCJ_BD
    assert np.allclose(cc.gcj02_to_bd09(*gcj), bd, atol=1e-5)
    assert np.allclose(cc.bd09_to_gcj02(*bd), gcj, atol=1e-5)


def test_inverses_round_trip_over_china():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(74, 134, 5000), rng.uniform(4, 53, 5000)
    for forward, inverse in ((cc.wgs84_to_gcj02, cc.gcj02_to_wgs84), (cc.wgs84_to_bd09, cc.bd09_to_wgs84)):
        back = np.column_stack(inverse(*forward(lon, lat)))
        assert np.abs(back - np.column_stack([lon, lat])).max() < 1e-9


def test_no_offset_outside_china():
    assert cc.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.parametrize(("name", "expected"), [("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("bd09", "bd09"),
                                                ("EPSG:4549", "EPSG:4549"), ("4490", "EPSG:4490")])
def test_parse_names(name, expected):
    assert parse(name).name == expected


def test_gauss_kruger_zones():
    assert parse("EPSG:4528").zone == (40, 120.0, True)
    assert parse("EPSG:4549").zone[:2] == (40, 120.0)
    assert parse("EPSG:4509").zone[:2] == (20, 117.0)  # 6-degree, CM 117°E
