"""Sampling rounds: the overlay of evaluation grids with zone types, the draw, and the stored record.

A round belongs to an area (district or street code, '' for the whole platform); the
non-repetition history is that area's earlier rounds. The draw itself is :mod:`gridding.sampling`;
this module gathers its inputs from PostGIS (each grid's zone type is the one it overlaps most)
and writes the round, its grids and its points in one audited transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone
from psycopg import sql

from layers.access import Actor, visible
from layers.editing import acting_as
from layers.registry import registry

from . import sampling
from .errors import NothingToSample, RoundAlreadyVoid, RoundNotFound
from .models import EvaluationGrid, EvaluationPoint, RoundGrid, RoundPoint, SamplingRound, ZoneArea

DEFAULT_POINTS_PER_GRID = 10


def _rows(query: sql.Composable, params: list[object]) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(query.as_string(cur.cursor), params)
        return cur.fetchall()


def strata(area: str) -> tuple[dict[str, list[str]], list[str]]:
    """Evaluation grid codes per zone type under ``area``, and the grids no zone area touches."""
    rows = _rows(sql.SQL(
        "SELECT e.code, z.zone_type FROM {grids} e LEFT JOIN LATERAL ("
        "  SELECT z.zone_type FROM {zones} z WHERE ST_Intersects(e.geom, z.geom)"
        "  ORDER BY CASE WHEN ST_CoveredBy(e.geom, z.geom) THEN ST_Area(e.geom)"
        "           ELSE ST_Area(ST_Intersection(e.geom, z.geom)) END DESC, z.zone_type LIMIT 1) z ON true"
        " WHERE e.code LIKE %s ORDER BY e.code"
    ).format(grids=sql.Identifier(EvaluationGrid._meta.db_table), zones=sql.Identifier(ZoneArea._meta.db_table)),
        [area + "%"])
    out: dict[str, list[str]] = {zone: [] for zone in sampling.ZONE_TYPES}
    for code, zone in rows:
        if zone is not None:
            out[zone].append(code)
    return out, [code for code, zone in rows if zone is None]


def points_in(codes: list[str]) -> dict[str, dict[str, list[int]]]:
    """Evaluation points per drawn grid and type; a point (or a line's or area's point on surface) counts once."""
    rows = _rows(sql.SQL(
        "SELECT e.code, p.point_type, p.id FROM {grids} e JOIN {points} p"
        " ON p.geom && e.geom AND ST_Intersects(e.geom, ST_PointOnSurface(p.geom))"
        " WHERE e.code = ANY(%s) ORDER BY e.code, p.point_type, p.id"
    ).format(grids=sql.Identifier(EvaluationGrid._meta.db_table),
             points=sql.Identifier(EvaluationPoint._meta.db_table)), [codes])
    out: dict[str, dict[str, list[int]]] = {code: {} for code in codes}
    for code, kind, pk in rows:
        out[code].setdefault(kind, []).append(pk)
    return out


def history(area: str, before: int | None = None,
            as_of: datetime | None = None) -> dict[str, tuple[int, frozenset[str]]]:
    """Per zone type: the current cycle of ``area``'s earlier rounds and the grids drawn in it.

    Rounds voided by now (or, for a replay, by ``as_of``, when the replayed round was drawn) do not count."""
    rows = RoundGrid.objects.filter(round__area_code=area)
    if before is not None:
        rows = rows.filter(round__number__lt=before)
    rows = rows.exclude(Q(round__voided_at__isnull=False) if as_of is None else Q(round__voided_at__lte=as_of))
    out: dict[str, tuple[int, frozenset[str]]] = {}
    for zone in sampling.ZONE_TYPES:
        mine = rows.filter(zone_type=zone)
        cycle = mine.aggregate(c=Max("cycle"))["c"]
        if cycle is not None:
            out[zone] = (cycle, frozenset(mine.filter(cycle=cycle).values_list("evaluation_grid", flat=True)))
    return out


@dataclass(frozen=True)
class Draw:
    """A draw before it is stored: grids per zone type, points per grid, and what it was drawn from."""

    grids: dict[str, sampling.StratumDraw]
    points: dict[str, list[int]]
    fingerprint: str
    warnings: list[str]


def draw(area: str, city_class: int, seed: int, points_per_grid: int, before: int | None = None,
         as_of: datetime | None = None) -> Draw:
    rule = sampling.rule_for(city_class)
    by_zone, unzoned = strata(area)
    if not any(by_zone.values()):
        raise NothingToSample(f"no evaluation grid under {area or 'the platform'} overlaps a zone area: build "
                              "evaluation grids and draw or import zone areas (A/B/C) first", field="area")
    past = history(area, before, as_of)
    grids = sampling.draw_grids(by_zone, past, rule, seed)
    drawn = sorted(code for d in grids.values() for code, _ in d.drawn)
    candidates = points_in(drawn)
    points = {code: sampling.draw_points(candidates[code], points_per_grid,
                                         np.random.default_rng([seed, int(code)])) for code in drawn}
    warnings = [f"zone type {zone}: {d.available} evaluation grids, {d.wanted} wanted; drew {len(d.drawn)}"
                for zone, d in grids.items() if d.shortfall]
    if unzoned:
        warnings.append(f"{len(unzoned)} evaluation grids overlap no zone area and were not sampled")
    warnings += [f"evaluation grid {code} holds no evaluation point" for code in drawn if not candidates[code]]
    seen = json.dumps([by_zone, {z: [c, sorted(d)] for z, (c, d) in sorted(past.items())}, candidates,
                       points_per_grid], sort_keys=True)
    return Draw(grids=grids, points=points, warnings=warnings,
                fingerprint=hashlib.md5(seen.encode(), usedforsecurity=False).hexdigest())


def _outline(round_id: int) -> None:
    """The round's geometry: the union of its drawn grids, made by PostGIS."""
    rg, sr = (sql.Identifier(m._meta.db_table) for m in (RoundGrid, SamplingRound))
    with connection.cursor() as cur:
        cur.execute(sql.SQL(
            "UPDATE {sr} SET geom = (SELECT ST_Multi(ST_Union(geom)) FROM {rg} WHERE round_id = %s) WHERE id = %s"
        ).format(sr=sr, rg=rg).as_string(cur.cursor), [round_id, round_id])


def create(area: str, city_class: int, actor: Actor, seed: int | None = None,
           points_per_grid: int = DEFAULT_POINTS_PER_GRID) -> SamplingRound:
    """Draw and store a round (the next number of ``area``), attributed to ``actor``."""
    seed = secrets.randbelow(2**31) if seed is None else seed
    with acting_as(actor.username):
        with connection.cursor() as cur:  # one round at a time per area: numbers and history stay consistent
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"gridding.round:{area}"])
        result = draw(area, city_class, seed, points_per_grid)
        number = (SamplingRound.objects.filter(area_code=area).aggregate(n=Max("number"))["n"] or 0) + 1
        done = SamplingRound.objects.create(
            area_code=area, number=number, city_class=int(city_class), rule=sampling.rule_for(city_class), seed=seed,
            points_per_grid=points_per_grid, created_by=actor.username, fingerprint=result.fingerprint,
            warnings=result.warnings)
        geoms = dict(EvaluationGrid.objects.filter(
            code__in=[c for d in result.grids.values() for c, _ in d.drawn]).values_list("code", "geom"))
        RoundGrid.objects.bulk_create([
            RoundGrid(round=done, evaluation_grid=code, zone_type=zone, cycle=cycle, geom=geoms[code])
            for zone, d in sorted(result.grids.items()) for code, cycle in d.drawn])
        chosen = EvaluationPoint.objects.in_bulk([pk for ids in result.points.values() for pk in ids])
        RoundPoint.objects.bulk_create([
            RoundPoint(round=done, evaluation_grid=code, point=chosen[pk], point_code=chosen[pk].code,
                       point_type=chosen[pk].point_type, name=chosen[pk].name, geom=chosen[pk].geom)
            for code, ids in sorted(result.points.items()) for pk in ids])
        _outline(done.pk)
    return done


def get(actor: Actor, pk: int) -> SamplingRound:
    """Round ``pk`` if ``actor`` may see it (its area lies in their jurisdiction, ``layers.access``)."""
    found = visible(registry.get("sampling_rounds"), actor).filter(pk=pk).first()
    if found is None:
        raise RoundNotFound(f"no sampling round {pk} you can see", field="id")
    return found


def describe(r: SamplingRound) -> dict[str, object]:
    grids = list(r.grids.order_by("zone_type", "evaluation_grid").values("evaluation_grid", "zone_type", "cycle"))
    points = list(r.points.order_by("evaluation_grid", "point_type", "point_code")
                  .values("evaluation_grid", "point_code", "point_type", "name"))
    return {"id": r.pk, "area": r.area_code, "number": r.number, "city_class": r.city_class, "rule": r.rule,
            "seed": r.seed, "points_per_grid": r.points_per_grid, "created_by": r.created_by,
            "created_at": r.created_at.isoformat(), "fingerprint": r.fingerprint, "warnings": r.warnings,
            **voiding(r), "grids": grids, "points": points}


def voiding(r: SamplingRound) -> dict[str, object]:
    """Whether ``r`` is void, since when, by whom and why (null when it is not)."""
    return {"voided": r.voided_at is not None, "voided_at": r.voided_at.isoformat() if r.voided_at else None,
            "voided_by": r.voided_by or None, "void_reason": r.void_reason or None}


def void(r: SamplingRound, actor: Actor, reason: str) -> SamplingRound:
    """Mark ``r`` void, attributed to ``actor`` in the audit log; later draws no longer count its grids.
    A round is voided once (409 after)."""
    with acting_as(actor.username):
        locked = SamplingRound.objects.select_for_update().get(pk=r.pk)
        if locked.voided_at is not None:
            raise RoundAlreadyVoid(f"round {r.pk} was voided at {locked.voided_at.isoformat()} by "
                                   f"{locked.voided_by}", field="id")
        locked.voided_at, locked.voided_by, locked.void_reason = timezone.now(), actor.username, reason
        locked.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    return locked


def replay(r: SamplingRound) -> dict[str, object]:
    """Draw ``r`` again from its seed, rule and the rounds before it; say whether it comes out the same."""
    again = draw(r.area_code, r.city_class, r.seed, r.points_per_grid, before=r.number, as_of=r.created_at)
    stored = sorted(r.grids.values_list("zone_type", "evaluation_grid", "cycle"))
    redrawn = sorted((zone, code, cycle) for zone, d in again.grids.items() for code, cycle in d.drawn)
    stored_points = sorted(r.points.values_list("evaluation_grid", "point_id"))
    redrawn_points = sorted((code, pk) for code, ids in again.points.items() for pk in ids)
    return {"id": r.pk, "same_inputs": again.fingerprint == r.fingerprint, "same_grids": stored == redrawn,
            "same_points": stored_points == redrawn_points,
            "grids": [{"zone_type": z, "evaluation_grid": c, "cycle": k} for z, c, k in redrawn]}
