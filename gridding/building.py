"""Building evaluation grids from the stored unit grids, and moving a unit grid between two of them.

A rebuild keeps every evaluation grid whose members are all still there, unchanged (same
geometry, same street): its fingerprint still matches, so its code and row stay. Only the unit
grids of the others (and new unit grids) are regrouped, and new grids take the next free sequence
numbers of their street. Geometries are unions made by PostGIS (``ST_Union``); the partition and
the measures come from :mod:`gridding.evaluation` in metres.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from django.db import connection
from psycopg import sql

from layers.access import Actor
from layers.editing import acting_as
from layers.models import UnitGrid

from . import evaluation, source
from .errors import MembershipRefused
from .models import EvaluationGrid

HARD_FLAGS = frozenset({"undersize", "oversize", "ring", "not_contiguous"})


@dataclass
class BuildReport:
    area: str
    unit_grids: int = 0
    kept: int = 0
    built: int = 0
    retired: list[str] = field(default_factory=list)
    flagged: dict[str, list[str]] = field(default_factory=dict)  # code → flags
    seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {**vars(self), "seconds": round(self.seconds, 3)}


def fingerprint(members: list[str], hashes: dict[str, str]) -> str:
    """md5 over the members' codes and geometry hashes, in code order."""
    text = ";".join(f"{m}:{hashes.get(m, '-')}" for m in sorted(members))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class _Prepared:
    data: source.GridSet
    index: dict[str, int]
    graph: evaluation.Graph
    areas: np.ndarray
    centres: np.ndarray
    street_ids: np.ndarray


def _prepare(area: str, rules: evaluation.Rules) -> _Prepared:
    data = source.load(area)
    geoms = np.where(shapely.is_valid(data.grids.geoms), data.grids.geoms, shapely.make_valid(data.grids.geoms))
    streets = sorted(set(data.grid_streets.tolist()))
    street_ids = np.array([streets.index(s) for s in data.grid_streets], dtype=int)
    data = replace(data, grids=replace(data.grids, geoms=geoms))
    centres = shapely.get_coordinates(shapely.centroid(geoms)) if len(geoms) else np.zeros((0, 2))
    return _Prepared(data=data, index={str(c): i for i, c in enumerate(data.grids.codes)},
                     graph=evaluation.adjacency(geoms, street_ids, rules.contact_m), areas=shapely.area(geoms),
                     centres=centres, street_ids=street_ids)


def _write(regions: list[dict[str, object]], actor: Actor, retire: list[str]) -> None:
    """Delete the ``retire`` codes and insert ``regions`` with their geometry unioned by PostGIS."""
    table = sql.Identifier(EvaluationGrid._meta.db_table)
    with acting_as(actor.username), connection.cursor() as cur:
        if retire:
            cur.execute(sql.SQL("DELETE FROM {} WHERE code = ANY(%s)").format(table).as_string(cur.cursor), [retire])
        if not regions:
            return
        grid_of = [(str(r["code"]), m) for r in regions for m in r["members"]]  # type: ignore[attr-defined]
        cur.execute(sql.SQL(
            "INSERT INTO {table} (code, street_id, members, fingerprint, member_count, area_m2, compactness, flags,"
            " geom, created_at, updated_at)"
            " SELECT code, street, members, fp, cardinality(members), ST_Area(geom::geography), compact, flags, geom,"
            " now(), now() FROM ("
            "  SELECT r.code, r.street, array_agg(m.grid ORDER BY m.grid) AS members, r.fp, r.compact, r.flags,"
            "  ST_Multi(ST_Union(g.geom)) AS geom"
            "  FROM unnest(%s::text[], %s::text[], %s::text[], %s::float8[], %s::text[])"
            "    AS r(code, street, fp, compact, flags)"
            "  JOIN unnest(%s::text[], %s::text[]) AS m(region, grid) ON m.region = r.code"
            "  JOIN {grids} g ON g.code = m.grid"
            "  GROUP BY r.code, r.street, r.fp, r.compact, r.flags) s"
        ).format(table=table, grids=sql.Identifier(UnitGrid._meta.db_table)).as_string(cur.cursor), [
            [r["code"] for r in regions], [r["street"] for r in regions], [r["fingerprint"] for r in regions],
            [r["compactness"] for r in regions], [r["flags"] for r in regions],
            [c for c, _ in grid_of], [g for _, g in grid_of],
        ])


STEPS = 3  # what ``build`` reports to its ``progress``: grids prepared, partitioned, written


def build(area: str, actor: Actor, rules: evaluation.Rules | None = None,
          progress: Callable[[int], object] | None = None) -> BuildReport:
    """(Re)build the evaluation grids of the streets under ``area`` ('' for all), keeping unchanged ones;
    ``progress(1)`` after each of the :data:`STEPS` steps."""
    step = progress or (lambda n: None)
    started = time.perf_counter()
    rules = rules or evaluation.Rules()
    p = _prepare(area, rules)
    step(1)
    codes = p.data.grids.codes
    hashes = {str(c): str(h) for c, h in zip(codes, p.data.grid_hashes, strict=True)}
    existing = list(EvaluationGrid.objects.filter(street__code__startswith=area[:9])
                    .values_list("code", "street_id", "members", "fingerprint").order_by("code"))
    before = {code: members for code, _, members, _ in existing}
    locked = np.full(len(codes), -1, dtype=int)
    label_code: dict[int, str] = {}
    retire = []
    for code, street, members, fp in existing:
        whole = all(m in p.index and p.data.grid_streets[p.index[m]] == street for m in members)
        if whole and fingerprint(members, hashes) == fp and (locked[[p.index[m] for m in members]] < 0).all():
            label = len(label_code)
            locked[[p.index[m] for m in members]] = label
            label_code[label] = code
        else:
            retire.append(code)
    labels = evaluation.partition(p.areas, p.centres, p.graph, p.street_ids, locked, rules)
    step(1)

    next_seq: dict[str, int] = {}
    for code, street, _, _ in existing:
        next_seq[street] = max(next_seq.get(street, 0), int(code[-3:]))
    report = BuildReport(area=area, unit_grids=len(codes))
    regions = []
    for label in np.unique(labels):
        members_idx = np.flatnonzero(labels == label)
        members = sorted(str(codes[i]) for i in members_idx)
        street = str(p.data.grid_streets[members_idx[0]])
        kept = label_code.get(int(label))
        if kept is not None and sorted(before[kept]) == members:
            report.kept += 1
            continue
        if kept is None:
            next_seq[street] = next_seq.get(street, 0) + 1
            code = f"{street}{next_seq[street]:03d}"
        else:  # a kept grid that took in a small leftover: same code, new members
            code = kept
            retire.append(kept)
        whole = len(members_idx) == int((p.data.grid_streets == street).sum())
        region = evaluation.describe(members_idx, p.data.grids.geoms, p.graph, rules, whole_street=whole)
        if region.flags:
            report.flagged[code] = list(region.flags)
        regions.append({"code": code, "street": street, "members": members, "fingerprint": fingerprint(members, hashes),
                        "area_m2": region.area_m2, "compactness": region.compactness, "flags": ",".join(region.flags)})
    if any(int(str(r["code"])[-3:]) > 999 for r in regions):
        raise MembershipRefused("a street would need more than 999 evaluation grids", field="area", rule="sequence")
    report.built = len(regions)
    report.retired = sorted(set(retire) - {str(r["code"]) for r in regions})
    _write(regions, actor, sorted(set(retire)))
    step(1)
    report.flagged.update({c: f.split(",") for c, f in EvaluationGrid.objects.filter(
        street__code__startswith=area[:9]).exclude(flags="").values_list("code", "flags") if c not in report.flagged})
    report.seconds = time.perf_counter() - started
    return report


def move(unit_grid: str, to: str, actor: Actor, rules: evaluation.Rules | None = None) -> dict[str, object]:
    """Move ``unit_grid`` into the neighbouring evaluation grid ``to``; both must still keep every rule."""
    rules = rules or evaluation.Rules()
    source_grid = EvaluationGrid.objects.filter(members__contains=[unit_grid]).first()
    target = EvaluationGrid.objects.filter(code=to).first()
    if source_grid is None:
        raise MembershipRefused(f"unit grid {unit_grid} belongs to no evaluation grid; build them first",
                                field="unit_grid", rule="exists")
    if target is None:
        raise MembershipRefused(f"no evaluation grid {to}", field="to", rule="exists")
    if target.code == source_grid.code:
        raise MembershipRefused(f"unit grid {unit_grid} is already in {to}", field="to")
    if target.street_id != source_grid.street_id:
        raise MembershipRefused(f"{to} lies in street {target.street_id}, unit grid {unit_grid} in "
                                f"{source_grid.street_id}: evaluation grids never cross streets", field="to")
    p = _prepare(str(source_grid.street_id), rules)
    if unit_grid not in p.index:
        raise MembershipRefused(f"unit grid {unit_grid} no longer exists", field="unit_grid", rule="exists")
    moved = p.index[unit_grid]
    new_source = [m for m in source_grid.members if m != unit_grid]
    new_target = sorted([*target.members, unit_grid])
    if not new_source:
        raise MembershipRefused(f"{unit_grid} is the last unit grid of {source_grid.code}", field="unit_grid")
    target_idx = np.array([p.index[m] for m in target.members if m in p.index])
    if not np.isin(p.graph.neighbours(moved), target_idx).any():
        raise MembershipRefused(f"unit grid {unit_grid} does not border evaluation grid {to}", field="to",
                                rule="contiguous")
    hashes = {str(c): str(h) for c, h in zip(p.data.grids.codes, p.data.grid_hashes, strict=True)}
    regions, broken = [], []
    for code, members in ((source_grid.code, sorted(new_source)), (target.code, new_target)):
        idx = np.array([p.index[m] for m in members if m in p.index])
        region = evaluation.describe(idx, p.data.grids.geoms, p.graph, rules)
        broken += [f"{code}: {flag}" for flag in region.flags if flag in HARD_FLAGS]
        regions.append({"code": code, "street": source_grid.street_id, "members": members,
                        "fingerprint": fingerprint(members, hashes), "area_m2": region.area_m2,
                        "compactness": region.compactness, "flags": ",".join(region.flags)})
    if broken:
        raise MembershipRefused(f"moving {unit_grid} to {to} would break: {'; '.join(broken)} "
                                f"(area {rules.min_m2 / 1e6:g}–{rules.max_m2 / 1e6:g} km², contiguous, no rings)",
                                field="to")
    _write(regions, actor, [source_grid.code, target.code])
    return {"moved": unit_grid, "from": source_grid.code, "to": to,
            "grids": [{k: v for k, v in r.items() if k != "fingerprint"} for r in regions]}
