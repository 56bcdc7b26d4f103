"""Forward geocoding: a description → ranked candidates, each a point with its level, score and place.

The order of reading (SPEC §5.3): normalise (``parse``), strip the region prefix (``regions``),
split off a direction phrase and a note, read the anchor as an intersection, a door plate or a
name (a name may be two: a street or estate and a POI or gate in it), place the anchor (exact
plate, plate interpolated on its side, street range, crossing of two street lines, POI, zone),
apply the direction (``offset``), then locate every point to its unit grid, community and street
and keep only those inside the region named, the ``area`` asked for and the user's jurisdiction.

Precision before recall: a name is taken only when ``rank.score`` accepts it, a number with no
plate and no neighbours on its side is not guessed, and a description naming nothing known gives
no candidate and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from psycopg import Cursor

from layers.access import Actor, code_prefix

from . import interpolate, lookup, offset, parse, rank
from .errors import BadQuery
from .regions import Gazetteer, Region, address_prefix

ACCEPT = 0.6  # the least name score taken as naming that place
LEVEL_WEIGHT = {"door_plate": 1.0, "poi": 1.0, "intersection": 0.98, "zone": 0.96, "interpolated": 0.95,
                "street": 0.75, "region": 0.6}
OFFSET_WEIGHT = 0.98  # a distance told by a caller is approximate
CROSSING_TOLERANCE_M = 30.0
NEAR_FIRST_M = 1500.0  # the POI of "永安路南阳小学" lies this close to 永安路
GATE_RADIUS_M = 400.0
GATES = ("北门", "南门", "东门", "西门", "正门", "大门", "侧门", "后门", "出入口")
DEFAULT_LIMIT = 5
MAX_LIMIT = 20


@dataclass
class Candidate:
    lon: float  # EPSG:4490
    lat: float
    level: str
    score: float
    name: str  # what was found: 永安路18号, 永安路与南阳路交叉口, 丽华苑北门
    matched: dict[str, object]  # the entity: layer, code, name, and the name written that matched it
    detail: dict[str, object] = field(default_factory=dict)  # interpolation, offset
    place: lookup.Place | None = None
    address: str = ""
    entity_id: int | None = None  # the street line, zone or POI row the name matched


@dataclass
class Result:
    query: str
    normalised: str
    region: Region | None
    tail: parse.Tail | None
    candidates: list[Candidate]
    reason: str | None = None


@dataclass
class _Search:
    """One query's state: the cursor, the user, and the name lookups already made."""

    cur: Cursor
    actor: Actor
    cache: dict[tuple[str, tuple[str, ...]], list[tuple[float, str, str, lookup.NameHit]]] = field(
        default_factory=dict)

    def accepted(self, text: str, kinds: tuple[str, ...] = ("street", "zone", "poi"),
                 near: tuple[str, int, float] | None = None) -> list[tuple[float, str, str, lookup.NameHit]]:
        """(score, stored name, its kind, hit) of every entity ``rank`` accepts as named by ``text``, best first."""
        key = (text, kinds) if near is None else (f"{text}@{near}", kinds)
        if key not in self.cache:
            scored = []
            for hit in lookup.names(self.cur, text, self.actor, kinds, near):
                s, stored, kind = rank.best_name(text, hit.name, hit.aliases, hit.old_names)
                if s >= ACCEPT:
                    scored.append((s, stored, kind, hit))
            self.cache[key] = sorted(scored, key=lambda t: (-t[0], t[3].code))
        return self.cache[key]


def check_query(q: str | None) -> str:
    """The normalised description; refuses a missing, empty or over-long ``q`` (400 naming ``q``)."""
    if q is None or not q.strip():
        raise BadQuery("q is required: the location description to geocode, e.g. 永安路18号", field="q")
    if len(q) > parse.MAX_LENGTH:
        raise BadQuery(f"q has {len(q)} characters; at most {parse.MAX_LENGTH}", field="q")
    text = parse.normalise(q)
    if not text:
        raise BadQuery("q holds no characters to read (only spaces or punctuation)", field="q")
    return text


def geocode(cur: Cursor, q: str, actor: Actor, limit: int = DEFAULT_LIMIT, area: str = "",
            gazetteer: Gazetteer | None = None) -> Result:
    """Ranked candidates for the description ``q`` as ``actor`` may see them, inside ``area`` if given."""
    text = check_query(q)
    jurisdiction = code_prefix(actor)  # "" for the whole platform; an account without a jurisdiction is refused
    gaz = gazetteer or Gazetteer.from_units(lookup.admin_units(cur))
    region = gaz.strip(text)
    if region.foreign:
        return Result(q, text, region, None, [], f"{region.foreign} is not a division this platform covers")
    search = _Search(cur, actor)
    tail = parse.split_tail(region.rest) if region.rest else None
    if tail is None or not tail.anchor:
        if not region.code:
            return Result(q, text, region, tail, [], "the description names no place before its direction")
        found = _region(cur, region, gaz)
    else:
        found = _anchor(search, tail.anchor)
        if tail.direction is not None:
            found = [_directed(cur, c, tail.direction) for c in found]
        if tail.note:
            for c in found:
                c.detail["note"] = tail.note
    kept = _placed(cur, found, gaz, [region.code, area, jurisdiction])
    kept.sort(key=lambda c: (-c.score, c.name))
    unique: list[Candidate] = []
    for c in kept:
        if not any(u.level == c.level and u.matched.get("code") == c.matched.get("code")
                   and abs(u.lon - c.lon) < 1e-7 and abs(u.lat - c.lat) < 1e-7 for u in unique):
            unique.append(c)
    reason = None
    if not unique:
        reason = (f"nothing known is named {tail.anchor!r}" if tail and tail.anchor and not found
                  else "the places found lie outside the region named, the area asked for or your jurisdiction")
    return Result(q, text, region, tail, unique[:limit], reason)


def _region(cur: Cursor, region: Region, gaz: Gazetteer) -> list[Candidate]:
    point = lookup.unit_point(cur, region.code)
    if point is None:
        return []
    return [Candidate(point[0], point[1], "region", LEVEL_WEIGHT["region"], gaz.full_name(region.code),
                      {"layer": {6: "districts", 9: "streets", 12: "communities"}[len(region.code)],
                       "code": region.code, "name": gaz.units[region.code]})]


def _anchor(search: _Search, anchor: str) -> list[Candidate]:
    junction = parse.intersection(anchor)
    if junction is not None:
        found = _intersections(search, junction)
        if found is not None:
            return found
        anchor = anchor if isinstance(junction, tuple) else junction
    ref = parse.plate(anchor)
    if ref is not None:
        return _plates(search, ref)
    return _names(search, anchor)


def _entity(hit: lookup.NameHit, stored: str, kind: str, written: str) -> dict[str, object]:
    layer = lookup.KINDS[hit.kind][0]
    return {"layer": layer, "code": hit.code, "name": hit.name, "written": written, "matched_name": stored,
            "name_kind": kind}


def _named(hit: lookup.NameHit, s: float, stored: str, kind: str, written: str) -> Candidate:
    level = {"street": "street", "zone": "zone", "poi": "poi"}[hit.kind]
    return Candidate(hit.lon, hit.lat, level, s * LEVEL_WEIGHT[level], hit.name, _entity(hit, stored, kind, written),
                     entity_id=hit.id)


def _names(search: _Search, anchor: str) -> list[Candidate]:
    accepted = search.accepted(anchor)
    if accepted:
        return [_named(hit, s, stored, kind, anchor) for s, stored, kind, hit in accepted]
    return _compound(search, anchor)


def _compound(search: _Search, anchor: str) -> list[Candidate]:
    """永安路南阳小学, 丽华小区北门: a street or estate (as ``rank`` accepts it), then a POI or gate near it."""
    hits = lookup.names(search.cur, anchor, search.actor, ("street", "zone"))
    for cut in range(len(anchor) - 1, 1, -1):
        first, rest = anchor[:cut], anchor[cut:]
        for hit in hits:
            s, stored, kind = rank.best_name(first, hit.name, hit.aliases, hit.old_names)
            if s < ACCEPT:
                continue
            if rest in GATES or (len(rest) == 2 and rest.endswith("门")):
                near = (hit.kind, hit.id, GATE_RADIUS_M)
                gates = [h for h in lookup.names(search.cur, hit.name + rest, search.actor, ("poi",), near)
                         if h.name.endswith(rest)]
                if gates:
                    g = gates[0]
                    return [Candidate(g.lon, g.lat, "poi", s * LEVEL_WEIGHT["poi"], g.name,
                                      _entity(g, stored + rest, kind, anchor), entity_id=g.id)]
                continue
            inner = search.accepted(rest, ("poi", "zone"), (hit.kind, hit.id, NEAR_FIRST_M))
            if inner:
                return [_named(h, si * 0.98, st, k, anchor) for si, st, k, h in inner]
    return []


def _street_hits(search: _Search, text: str) -> list[tuple[float, str, str, lookup.NameHit]]:
    return search.accepted(text, ("street",))


def _intersections(search: _Search, junction: tuple[str, str] | str) -> list[Candidate] | None:
    """Where two named streets meet; None when the text does not name two streets (read it another way)."""
    pairs: list[tuple[str, str]] = []
    if isinstance(junction, tuple):
        pairs.append(junction)
    else:  # AB交叉口: the first street's name (or alias) written whole, the second after it
        for hit in lookup.names(search.cur, junction, search.actor, ("street",)):
            for stored in (hit.name, *hit.aliases, *hit.old_names):
                core, suffix, _ = rank.split(stored)
                for written in {stored, core + suffix}:
                    if junction.startswith(written) and len(junction) > len(written) + 1:
                        pairs.append((written, junction[len(written):]))
    for a, b in pairs:
        first, second = _street_hits(search, a), _street_hits(search, b)
        if not first or not second:
            continue
        scores = {h.id: (s, h) for s, _, _, h in first} | {h.id: (s, h) for s, _, _, h in second}
        found = []
        for ia, ib, x, y in lookup.crossings(search.cur, [h.id for _, _, _, h in first],
                                             [h.id for _, _, _, h in second], CROSSING_TOLERANCE_M):
            (sa, ha), (sb, hb) = scores[ia], scores[ib]
            found.append(Candidate(
                x, y, "intersection", min(sa, sb) * LEVEL_WEIGHT["intersection"], f"{ha.name}与{hb.name}交叉口",
                {"layer": "street_lines", "code": ha.code, "name": ha.name, "other_code": hb.code,
                 "other_name": hb.name, "written": f"{a}|{b}"}))
        return found  # the two streets are known: where they meet, or (if they never do) nowhere
    return None


def _plates(search: _Search, ref: parse.PlateRef) -> list[Candidate]:
    streets = _street_hits(search, ref.street)
    if not streets:  # 丽华苑3号楼: a zone or POI with a building number
        found = _names(search, ref.street)
        for c in found:
            c.detail["building"] = f"{ref.number}号{ref.rest}"
        return found
    found = []
    for s, stored, kind, hit in streets:
        found += _on_street(search, ref, hit, s, _entity(hit, stored, kind, ref.street))
    return found


def _on_street(search: _Search, ref: parse.PlateRef, hit: lookup.NameHit, s: float,
               entity: dict[str, object]) -> list[Candidate]:
    names = [hit.name, *hit.aliases, *hit.old_names]
    near = lookup.plates(search.cur, names, ref.number, search.actor)
    written = f"{ref.number}-{ref.sub}号" if ref.sub else f"{ref.number}号"
    if near.exact:
        exact = [p for p in near.exact if p.number == written] or near.exact
        return [Candidate(p.lon, p.lat, "door_plate", s * LEVEL_WEIGHT["door_plate"] * (1.0 if p.number == written
                                                                                        else 0.97),
                          f"{hit.name}{p.number}", {**entity, "layer": "door_plates", "code": p.code,
                                                   "plate": f"{p.street_name}{p.number}", "street_code": hit.code},
                          {"building": ref.rest} if ref.rest else {}) for p in exact]
    name = f"{hit.name}{written}"
    if near.count:
        if near.below is None or near.above is None:
            return [_street_only(hit, s, entity, f"no plate of {hit.name} on the side of {written} lies beyond it")]
        lon, lat = interpolate.between(near.below.value, (near.below.lon, near.below.lat), near.above.value,
                                       (near.above.lon, near.above.lat), ref.number)
        return [Candidate(lon, lat, "interpolated", s * LEVEL_WEIGHT["interpolated"], name, entity,
                          {"method": "plates", "between": [near.below.number, near.above.number]})]
    ranges = lookup.street_ranges(search.cur, hit.id)
    for left, side in ((True, ranges.left), (False, ranges.right)):
        fraction = interpolate.range_fraction(ref.number, *side) if side else None
        if side is not None and fraction is not None:
            lon, lat, azimuth = lookup.street_point(search.cur, hit.id, fraction)
            lon, lat = interpolate.off_line(lon, lat, azimuth, left)
            return [Candidate(lon, lat, "interpolated", s * LEVEL_WEIGHT["interpolated"] * 0.95, name, entity,
                              {"method": "range", "side": "left" if left else "right", "range": list(side)})]
    return [_street_only(hit, s, entity, f"{written} is in no number range of {hit.name}")]


def _street_only(hit: lookup.NameHit, s: float, entity: dict[str, object], why: str) -> Candidate:
    return Candidate(hit.lon, hit.lat, "street", s * LEVEL_WEIGHT["street"] * 0.8, hit.name,
                     {**entity, "layer": "street_lines"}, {"number_not_placed": why})


def _directed(cur: Cursor, c: Candidate, direction: parse.Direction) -> Candidate:
    """The anchor moved as the direction phrase says (a bearing and distance, a zone's corner), or kept
    with the phrase noted when it names no distance."""
    detail = {**c.detail, "direction": direction.word, "anchor": {"lon": c.lon, "lat": c.lat, "name": c.name}}
    if direction.bearing is None:
        return replace(c, detail=detail, name=c.name + direction.word)
    if direction.distance_m is not None:
        lon, lat = offset.move(c.lon, c.lat, direction.bearing, direction.distance_m)
        detail |= {"bearing": direction.bearing, "distance_m": direction.distance_m}
        return replace(c, lon=lon, lat=lat, score=c.score * OFFSET_WEIGHT, detail=detail,
                       name=f"{c.name}{direction.word}侧{direction.distance_m:g}米")
    if direction.corner and c.level == "zone" and c.entity_id is not None:
        outline = lookup.zone_outline(cur, c.entity_id)
        if outline:
            lon, lat = offset.corner(outline, direction.bearing)
            return replace(c, lon=lon, lat=lat, detail=detail, name=f"{c.name}{direction.word}角")
    return replace(c, detail=detail, name=f"{c.name}{direction.word}侧")


def _placed(cur: Cursor, found: list[Candidate], gaz: Gazetteer, within: list[str]) -> list[Candidate]:
    """Candidates located to grid, community and street, with their standard address, kept only where
    their grid lies inside every code of ``within`` (region named, area asked, jurisdiction)."""
    places = lookup.locate(cur, [(c.lon, c.lat) for c in found])
    kept = []
    for c, place in zip(found, places, strict=True):
        grid = place.unit_grid or ""
        if any(code and not grid.startswith(code) for code in within):
            continue
        c.place = place
        prefix = address_prefix(place.district, place.street)
        c.address = prefix + c.name if c.level != "region" else c.name
        kept.append(c)
    return kept
