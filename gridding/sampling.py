"""Evaluation sampling 考核抽样 (SPEC §5.2): stratified draws of evaluation grids and points, from a seed.

Evaluation grids are strata by zone type A/B/C; the city class fixes how many grids each stratum
gives (class 1: A3 B2 C3, class 2: A2 B2 C2, class 3: A2 B1 C2). A stratum draws from the grids
not yet drawn in its current *cycle*; when the cycle is used up the stratum starts a new one, so
no grid repeats until every grid of the stratum has been drawn (不可重复). Inside each drawn grid,
evaluation points are drawn by type in proportion to the counts of each type (largest remainder).

Every random choice comes from ``numpy.random.default_rng([seed, key])`` with a fixed key per
stratum or grid, over inputs sorted by code: the same seed and inputs give the same round, and one
stratum's data never shifts another's draw.

>>> draw = draw_stratum(["a", "b", "c"], frozenset({"a", "b"}), cycle=1, k=2, rng=np.random.default_rng(7))
>>> draw.drawn[0], draw.drawn[1][1]
(('c', 1), 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import UnknownCityClass, UnknownZoneType

ZONE_TYPES = {"A": "A类区域", "B": "B类区域", "C": "C类区域"}
RULES: dict[int, dict[str, int]] = {
    1: {"A": 3, "B": 2, "C": 3}, 2: {"A": 2, "B": 2, "C": 2}, 3: {"A": 2, "B": 1, "C": 2},
}
POINT_TYPES = {
    "01": "主次干道", "02": "背街小巷", "03": "商业步行街", "04": "公园", "05": "广场", "06": "农贸市场",
    "07": "公共厕所",
    "08": "火车站或长途汽车站", "09": "河流湖泊", "10": "便民摊点规划区", "11": "社区", "12": "主要交通路口",
    "13": "住宅小区", "14": "施工工地",
}


def rule_for(city_class: object, field: str = "city_class") -> dict[str, int]:
    """Grids per zone type for a city class 1, 2 or 3 (given as int or digit string); 400 otherwise."""
    text = str(city_class).strip()
    if not (text.isascii() and text.isdigit() and int(text) in RULES):
        raise UnknownCityClass(f"city class must be 1, 2 or 3 (got {city_class!r})", field=field)
    return RULES[int(text)]


def check_zone_type(zone_type: object, field: str = "zone_type") -> str:
    if zone_type not in ZONE_TYPES:
        raise UnknownZoneType(f"zone type must be one of A, B, C (got {zone_type!r})", field=field)
    return str(zone_type)


@dataclass(frozen=True)
class StratumDraw:
    """The grids drawn from one stratum with the cycle each was drawn in, and how many were missing."""

    drawn: tuple[tuple[str, int], ...]
    wanted: int
    available: int

    @property
    def shortfall(self) -> int:
        return self.wanted - len(self.drawn)


def draw_stratum(codes: Sequence[str], drawn_this_cycle: frozenset[str], cycle: int, k: int,
                 rng: np.random.Generator) -> StratumDraw:
    """``k`` grids of ``codes`` not drawn in the current ``cycle``; a used-up cycle starts the next one.

    A stratum with fewer than ``k`` grids gives them all (the shortfall is reported, not raised).
    """
    codes = sorted(codes)
    pool = [c for c in codes if c not in drawn_this_cycle]
    if not pool:
        cycle, pool = cycle + 1, codes
    take = min(k, len(codes))
    picked = [(pool[i], cycle) for i in rng.permutation(len(pool))[:take]]
    if len(picked) < take:  # the cycle ran out part-way: the rest from a fresh cycle, minus those just taken
        taken = {c for c, _ in picked}
        rest = [c for c in codes if c not in taken]
        picked += [(rest[i], cycle + 1) for i in rng.permutation(len(rest))[: take - len(picked)]]
    return StratumDraw(drawn=tuple(picked), wanted=k, available=len(codes))


def draw_grids(strata: Mapping[str, Sequence[str]], history: Mapping[str, tuple[int, frozenset[str]]],
               rule: Mapping[str, int], seed: int) -> dict[str, StratumDraw]:
    """Per zone type of ``rule``: the draw from its stratum given its (cycle, drawn-in-cycle) ``history``."""
    out = {}
    for key, zone in enumerate(sorted(rule)):
        cycle, drawn = history.get(zone, (1, frozenset()))
        rng = np.random.default_rng([seed, key])
        out[zone] = draw_stratum(list(strata.get(zone, ())), drawn, cycle, rule[zone], rng)
    return out


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """``n`` split over types in proportion to ``counts`` (largest remainder, ties by type code), each capped
    by its count; all of them when there are no more than ``n``.

    >>> allocate({"01": 6, "07": 3, "11": 1}, 5)
    {'01': 3, '07': 2, '11': 0}
    """
    total = sum(counts.values())
    if total <= n:
        return dict(counts)
    exact = {t: n * c / total for t, c in counts.items()}
    share = {t: int(v) for t, v in exact.items()}
    for t in sorted(exact, key=lambda t: (-(exact[t] - share[t]), t))[: n - sum(share.values())]:
        share[t] += 1
    return dict(sorted(share.items()))


def draw_points(points: Mapping[str, Sequence[int]], n: int, rng: np.random.Generator) -> list[int]:
    """Ids of ``n`` points of one grid drawn by type (``points``: type → point ids) in proportion to counts."""
    shares = allocate({t: len(ids) for t, ids in points.items()}, n)
    drawn: list[int] = []
    for t in sorted(shares):
        ids = sorted(points[t])
        drawn += [ids[i] for i in sorted(rng.permutation(len(ids))[: shares[t]])]
    return drawn
