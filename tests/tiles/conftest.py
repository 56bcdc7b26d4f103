"""Fixtures of the tile tests: the shared city plus features of the layers it lacks, and a private
folder for offline packages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from layers.editing import acting_as

SRID = 4490


def multibox(minx: float, miny: float, maxx: float, maxy: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((minx, miny, maxx, maxy)), srid=SRID)


@pytest.fixture
def full_city(city, build) -> SimpleNamespace:
    """The shared city plus a responsibility grid, a cleaning segment and one geocoding entity of each
    layer (zone, street, door plate, POI), so every layer has a feature."""
    with acting_as("fixture"):
        city.responsibility_grids = {
            "ZR-001": build("responsibility_grids", code="ZR-001", name="西片监督网格", kind="supervisor",
                          assignee=city.users["supervisor"], geom=multibox(120.41, 33.11, 120.44, 33.19)),
            "ZR-002": build("responsibility_grids", code="ZR-002", name="东片环卫网格", kind="sanitation",
                          team="东环卫班", geom=multibox(120.51, 33.21, 120.59, 33.29)),
        }
        city.cleaning_segments = {
            "西路一段": build("cleaning_segments", name="西路一段", road=city.roads["西路"], grade=2, width_m=12.0,
                            team="西保洁队", geom=LineString((120.41, 33.11), (120.43, 33.11))),
        }
        city.place_zones = {"Z-001": build("place_zones", code="Z-001", name="幸福小区", aliases=["幸福苑"],
                                           geom=multibox(120.46, 33.21, 120.48, 33.23))}
        city.street_lines = {"S-001": build("street_lines", code="S-001", name="幸福路", old_names=["跃进路"],
                                            left_from=1, left_to=99, right_from=2, right_to=98,
                                            geom=LineString((120.45, 33.22), (120.49, 33.22), srid=SRID))}
        city.door_plates = {"D-001": build("door_plates", code="D-001", street_name="幸福路", number="12-1号",
                                           building="3幢", geom=Point(120.465, 33.221, srid=SRID))}
        city.pois = {"P-001": build("pois", code="P-001", name="幸福小学", category="学校", aliases=["幸福路小学"],
                                    geom=Point(120.47, 33.225, srid=SRID))}
    return city


@pytest.fixture(autouse=True)
def package_dir(settings, tmp_path):
    """Offline packages of a test go to a folder of its own: the package file name is keyed by the data
    version, which restarts with every test database, so a shared folder would serve another test's file."""
    settings.GRIDCITY_PACKAGE_DIR = str(tmp_path / "packages")
    return tmp_path / "packages"
