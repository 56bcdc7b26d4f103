"""Offline packages over the API: a build queued and run by the job worker, its state, progress and
download; the package's data version, refresh after edits; the refusals (role, jurisdiction, size,
parameters, builds per user); builds at once (procrastinate locks); packages deleted after retention."""

from __future__ import annotations

import gzip
import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from tile_helpers import decode, tile_of

from layers.models import Component
from tiles import builds, mbtiles
from tiles.models import PackageBuild
from tiles.tasks import expire_packages

WEST = "320982001"
PACKAGES = "/api/offline-packages/"
VERSION = f"/api/offline-packages/{WEST}/version"
LAYERS = "unit_grids,components"


def queue(client, **params: str) -> dict:
    response = client.post(PACKAGES, params, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and "download" not in body
    return body


def download(client, run_jobs, tmp_path: Path, area: str = WEST, **params: str) -> tuple[Path, object]:
    """Queue a package, let the worker build it, download it."""
    body = queue(client, area=area, **params)
    run_jobs()
    done = client.get(body["url"]).json()
    assert done["status"] == "done", done
    assert done["progress"]["tiles_done"] == done["progress"]["tiles_total"] > 0
    response = client.get(done["download"])
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"] == "application/vnd.sqlite3"
    assert "attachment" in response["Content-Disposition"] and ".mbtiles" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # consuming it closes the file, as a WSGI server would
    assert body.startswith(b"SQLite format 3\x00")
    path = tmp_path / f"download-{len(list(tmp_path.iterdir()))}.mbtiles"
    path.write_bytes(body)
    return path, response


def read(path: Path) -> tuple[dict[str, str], dict[tuple[int, int, int], bytes]]:
    """(metadata, {(z, x, xyz_y): raw MVT}) of a package."""
    db = sqlite3.connect(path)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    tiles = {(z, x, (1 << z) - 1 - row): gzip.decompress(data)
             for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
    db.close()
    return meta, tiles


def component_codes(tiles: dict, z: int) -> set[str]:
    return {f["properties"]["code"] for key, raw in tiles.items() if key[0] == z
            for f in decode(raw).get("components", {}).get("features", [])}


def test_the_api_returns_an_mbtiles_package_of_the_area(city, tmp_path: Path, run_jobs) -> None:
    client = city.clients["surveyor"]
    path, response = download(client, run_jobs, tmp_path, layers=LAYERS, zooms="14-16")
    meta, tiles = read(path)
    assert meta["format"] == "pbf" and (meta["minzoom"], meta["maxzoom"]) == ("14", "16")
    assert meta["gridcity_area"] == WEST
    version = client.get(VERSION, {"layers": LAYERS}).json()
    assert version == {"area": WEST, "layers": ["unit_grids", "components"],
                       "data_version": meta["gridcity_data_version"]}
    assert response["X-Gridcity-Data-Version"] == meta["gridcity_data_version"]
    assert {z for z, _, _ in tiles} == {14, 15, 16}
    west_codes = set(Component.objects.filter(unit_grid__code__startswith=WEST).values_list("code", flat=True))
    assert component_codes(tiles, 16) == west_codes and len(west_codes) == 2
    assert tile_of(120.42, 33.15, 16) in tiles
    for raw in tiles.values():  # every stored tile is a non-empty MVT
        assert set(decode(raw)) <= {"unit_grids", "components"} and decode(raw)


def test_the_package_follows_edits(city, tmp_path: Path, package_dir: Path, run_jobs) -> None:
    client = city.clients["surveyor"]
    before = client.get(VERSION, {"layers": LAYERS}).json()["data_version"]
    first, _ = download(client, run_jobs, tmp_path, layers=LAYERS, zooms="16")
    assert len(list(package_dir.glob("*.mbtiles"))) == 1

    component = city.components["3209820101000001"]
    response = client.patch(f"/api/layers/components/features/{component.pk}",
                            {"type": "Feature", "properties": {"status": "丢失"}}, format="json")
    assert response.status_code == 200, response.content
    after = client.get(VERSION, {"layers": LAYERS}).json()["data_version"]
    assert after != before
    parts = [dict(p.split(":") for p in v.split(",")) for v in (before, after)]
    assert int(parts[1]["components"].split("@")[0]) > int(parts[0]["components"].split("@")[0])
    assert parts[1]["unit_grids"] == parts[0]["unit_grids"]
    grids_only = client.get(VERSION, {"layers": "unit_grids"}).json()["data_version"]
    assert grids_only == f"unit_grids:{parts[0]['unit_grids']}"

    second, _ = download(client, run_jobs, tmp_path, layers=LAYERS, zooms="16")
    meta, tiles = read(second)
    assert meta["gridcity_data_version"] == after
    statuses = {f["properties"]["code"]: f["properties"]["status"] for raw in tiles.values()
                for f in decode(raw).get("components", {}).get("features", [])}
    assert statuses[component.code] == "丢失"
    assert read(first)[0]["gridcity_data_version"] == before


def test_a_package_is_scoped_to_the_users_jurisdiction(city, tmp_path: Path, run_jobs) -> None:
    path, _ = download(city.clients["supervisor"], run_jobs, tmp_path, area="320982001001",
                       layers="components,roads", zooms="16")
    _, tiles = read(path)
    assert component_codes(tiles, 16) == {"3209820101000001"}  # community 320982001001 only


@pytest.mark.parametrize("role, area", [("surveyor", "320982002"), ("surveyor", "320982"),
                                        ("supervisor", "320982001002"), ("planner", WEST)])
def test_an_area_outside_the_jurisdiction_is_403(city, role: str, area: str, error_of) -> None:
    client = city.clients[role]
    for response in (client.post(PACKAGES, {"area": area, "layers": LAYERS, "zooms": "16"}, format="json"),
                     client.get(f"/api/offline-packages/{area}/version", {"layers": LAYERS})):
        error = error_of(response, 403)
        assert (error["field"], error["rule"]) == ("area", "jurisdiction")
    assert not PackageBuild.objects.exists()


@pytest.mark.parametrize("params, status, field, rule", [
    ({"zooms": "16"}, 400, "layers", "required"),
    ({"layers": "", "zooms": "16"}, 400, "layers", "required"),
    ({"layers": LAYERS, "zooms": "12-22"}, 400, "zooms", "package_size"),
    ({"layers": LAYERS, "zooms": "abc"}, 400, "zooms", "zoom_range"),
    ({"layers": LAYERS, "zooms": "16-12"}, 400, "zooms", "zoom_range"),
    ({"layers": LAYERS, "zooms": "12-23"}, 400, "zooms", "zoom_range"),
    ({"layers": "components,nope", "zooms": "16"}, 404, "layer", "known_layer"),
])
def test_bad_package_requests(city, params: dict, status: int, field: str, rule: str, error_of) -> None:
    error = error_of(city.clients["admin"].post(PACKAGES, {"area": "320982", **params}, format="json"), status)
    assert (error["field"], error["rule"]) == (field, rule)


def tile_count(bounds: tuple[float, float, float, float], zmin: int, zmax: int) -> int:
    west, south, east, north = bounds
    total = 0
    for z in range(zmin, zmax + 1):
        _, x0, y0 = tile_of(west, north, z)
        _, x1, y1 = tile_of(east, south, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def test_too_many_tiles_names_the_count(city, settings, error_of) -> None:
    settings.GRIDCITY_PACKAGE_MAX_TILES = 10
    error = error_of(city.clients["admin"].post(PACKAGES, {"area": WEST, "layers": LAYERS, "zooms": "14"},
                                                format="json"), 400)
    expected = tile_count(city.streets[WEST].geom.extent, 14, 14)
    assert expected > 10 and str(expected) in error["message"]
    assert expected == len(list(mbtiles.tiles_over(city.streets[WEST].geom.extent, 14, 14)))


def test_a_huge_package_is_refused_by_counting_not_listing(city, monkeypatch, error_of) -> None:
    """Every zoom over the district is ~7 million tiles: refused from the count alone."""
    def no_listing(*args: object) -> None:
        raise AssertionError("the tiles were listed before the size check")

    monkeypatch.setattr(mbtiles, "tiles_over", no_listing)
    error = error_of(city.clients["admin"].post(PACKAGES, {"area": "320982", "layers": LAYERS, "zooms": "0-22"},
                                                format="json"), 400)
    assert error["rule"] == "package_size"
    assert str(tile_count(city.district.geom.extent, 0, 22)) in error["message"]


@pytest.mark.parametrize("area, rule", [("320982009", "exists"), ("abc", "code_format"), ("3209820011", "code_format")])
def test_unknown_or_malformed_areas(city, area: str, rule: str, error_of) -> None:
    error = error_of(city.clients["admin"].get(f"/api/offline-packages/{area}/version", {"layers": LAYERS}), 400)
    assert (error["field"], error["rule"]) == ("area", rule)


def test_packages_need_a_login(city) -> None:
    assert city.anonymous.post(PACKAGES, {"area": WEST, "layers": LAYERS}, format="json").status_code == 401
    assert city.anonymous.get(VERSION, {"layers": LAYERS}).status_code == 401


# --- the build as a job: who, how many, how long it is kept -----------------------------------------------


def test_a_build_is_queued_not_built_in_the_request(city, package_dir: Path, run_jobs, error_of) -> None:
    client = city.clients["surveyor"]
    body = queue(client, area=WEST, layers=LAYERS, zooms="15")
    build = PackageBuild.objects.get(pk=body["id"])
    tiles = len(list(mbtiles.tiles_over(city.streets[WEST].geom.extent, 15, 15)))
    assert body["progress"] == {"tiles_done": 0, "tiles_total": tiles}
    queued = ProcrastinateJob.objects.get(pk=build.queue_job)
    assert (queued.task_name, queued.queue_name, queued.status) == ("tiles.build_package", "packages", "todo")
    assert not package_dir.exists() or not list(package_dir.iterdir())
    refused = error_of(client.get(f"{body['url']}package.mbtiles"), 409)
    assert (refused["field"], refused["rule"]) == ("id", "job_done") and "queued" in refused["message"]
    # another user does not see it; an admin does
    assert city.clients["supervisor"].get(body["url"]).status_code == 404
    assert city.clients["admin"].get(body["url"]).status_code == 200
    run_jobs()
    assert client.get(body["url"]).json()["status"] == "done"
    assert [b["id"] for b in client.get(PACKAGES).json()["builds"]] == [build.pk]


def test_a_role_that_may_not_build_is_refused(city, settings, error_of) -> None:
    error = error_of(city.clients["auditor"].post(PACKAGES, {"area": WEST, "layers": LAYERS}, format="json"), 403)
    # 三员: the auditor reads no business data at all
    assert (error["field"], error["rule"]) == ("role", "role") and "审计员" in error["message"]
    settings.GRIDCITY_PACKAGE_ROLES = ["admin"]
    error = error_of(city.clients["surveyor"].post(PACKAGES, {"area": WEST, "layers": LAYERS}, format="json"), 403)
    assert error["rule"] == "role"
    assert not PackageBuild.objects.exists()


def test_a_user_may_have_only_so_many_unfinished_builds(city, settings, run_jobs, error_of) -> None:
    settings.GRIDCITY_JOBS_PER_USER = 2
    client = city.clients["surveyor"]
    for _ in range(2):
        queue(client, area=WEST, layers=LAYERS, zooms="14")
    error = error_of(client.post(PACKAGES, {"area": WEST, "layers": LAYERS, "zooms": "14"}, format="json"), 429)
    assert error["rule"] == "jobs_per_user"
    assert queue(city.clients["supervisor"], area="320982001001", layers=LAYERS, zooms="14")  # another user's own
    run_jobs()
    queue(client, area=WEST, layers=LAYERS, zooms="14")  # finished builds do not count


def held_by_a_live_worker(build: PackageBuild) -> None:
    """The build's queue job taken by another worker that is alive (its heartbeat is fresh)."""
    with connection.cursor() as cur:
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()) RETURNING id")
        cur.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
                    [cur.fetchone()[0], build.queue_job])


@pytest.mark.parametrize("at_once", [1, 2])
def test_no_more_builds_run_at_once_than_the_setting(city, settings, run_jobs, at_once: int) -> None:
    settings.GRIDCITY_PACKAGE_BUILDS_AT_ONCE = at_once
    settings.GRIDCITY_JOBS_PER_USER = 10
    client = city.clients["admin"]
    ids = [queue(client, area=WEST, layers=LAYERS, zooms="14")["id"] for _ in range(3)]
    running, *waiting = PackageBuild.objects.filter(pk__in=ids).order_by("pk")
    locks = {b.pk: ProcrastinateJob.objects.get(pk=b.queue_job).lock for b in (running, *waiting)}
    assert len(set(locks.values())) == at_once
    held_by_a_live_worker(running)
    run_jobs()
    status = {b: PackageBuild.objects.get(pk=b).status for b in ids}
    # a build sharing the running one's lock waits; with two slots, the other slot's build ran
    expected = ["done" if locks[b.pk] != locks[running.pk] else "queued" for b in waiting]
    assert [status[b.pk] for b in waiting] == expected
    assert expected.count("done") == at_once - 1


def test_built_packages_are_deleted_after_the_retention(city, settings, package_dir: Path, run_jobs) -> None:
    settings.GRIDCITY_PACKAGE_RETENTION_HOURS = 1
    client = city.clients["surveyor"]
    old, fresh = (queue(client, area=WEST, layers=LAYERS, zooms="14")["id"] for _ in range(2))
    run_jobs()
    old_build = PackageBuild.objects.get(pk=old)
    PackageBuild.objects.filter(pk=old).update(finished_at=timezone.now() - timedelta(hours=2))
    stray = package_dir / ".320982001-9.mbtiles.123.abcd.part"  # what a killed build leaves
    stray.write_bytes(b"part")
    an_hour_ago = time.time() - 2 * 3600
    os.utime(stray, (an_hour_ago, an_hour_ago))

    expire_packages.defer(timestamp=int(time.time()))
    run_jobs(queues=["maintenance"])

    assert not PackageBuild.objects.filter(pk=old).exists() and not Path(old_build.path).exists()
    assert client.get(f"/api/offline-packages/builds/{old}/").status_code == 404
    assert not stray.exists()
    kept = PackageBuild.objects.get(pk=fresh)
    assert Path(kept.path).is_file() and client.get(f"/api/offline-packages/builds/{fresh}/package.mbtiles"
                                                    ).status_code == 200
    assert builds.expire() == 0
