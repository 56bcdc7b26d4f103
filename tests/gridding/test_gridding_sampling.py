"""Sampling draws: the class rules, reproducible from a seed, no repeats until a stratum is used up."""

from __future__ import annotations

import numpy as np
import pytest

from gridding.errors import UnknownCityClass, UnknownZoneType
from gridding.sampling import allocate, check_zone_type, draw_grids, draw_points, rule_for

STRATA = {"A": [f"A{i:02d}" for i in range(7)], "B": [f"B{i:02d}" for i in range(5)],
          "C": [f"C{i:02d}" for i in range(12)]}


def test_rules_per_city_class() -> None:
    assert [sum(rule_for(c).values()) for c in (1, 2, 3)] == [8, 6, 5]
    assert rule_for("3") == {"A": 2, "B": 1, "C": 2}
    for bad in (0, 4, "x", None, "1.5"):
        with pytest.raises(UnknownCityClass):
            rule_for(bad)
    with pytest.raises(UnknownZoneType):
        check_zone_type("D")


def test_same_seed_same_draw_other_seed_other_draw() -> None:
    rule = rule_for(1)
    first = draw_grids(STRATA, {}, rule, seed=20240501)
    assert first == draw_grids(STRATA, {}, rule, seed=20240501)
    assert any(first[z].drawn != draw_grids(STRATA, {}, rule, seed=7)[z].drawn for z in rule)
    assert {z: len(d.drawn) for z, d in first.items()} == rule


def test_one_stratum_does_not_shift_another() -> None:
    rule = rule_for(2)
    more_c = {**STRATA, "C": STRATA["C"] + ["C99"]}
    assert draw_grids(STRATA, {}, rule, 5)["A"] == draw_grids(more_c, {}, rule, 5)["A"]


def test_consecutive_rounds_do_not_repeat_until_the_stratum_is_exhausted() -> None:
    rule = rule_for(1)  # A3 B2 C3
    history: dict[str, tuple[int, frozenset[str]]] = {}
    seen: dict[str, list[list[tuple[str, int]]]] = {z: [] for z in rule}
    for seed in range(12):
        draw = draw_grids(STRATA, history, rule, seed)
        for zone, d in draw.items():
            seen[zone].append(list(d.drawn))
            cycle, drawn = history.get(zone, (1, frozenset()))
            for code, c in d.drawn:
                if c > cycle:
                    cycle, drawn = c, frozenset()
                drawn = drawn | {code}
            history[zone] = (cycle, drawn)
    for zone, rounds in seen.items():
        codes = [c for r in rounds for c, _ in r]
        size = len(STRATA[zone])
        by_cycle: dict[int, list[str]] = {}
        for r in rounds:
            for code, cycle in r:
                by_cycle.setdefault(cycle, []).append(code)
        for cycle, drawn in by_cycle.items():
            assert len(drawn) == len(set(drawn)), (zone, cycle)  # never twice within a cycle
            if cycle < max(by_cycle):
                assert sorted(drawn) == sorted(STRATA[zone]), (zone, cycle)  # a cycle ends only when all were drawn
        assert len(codes) == 12 * rule[zone] and size < len(codes)
        for r in rounds:
            assert len({c for c, _ in r}) == len(r)  # never twice within one round, even across a cycle change


def test_too_few_grids_draws_what_there_is_and_says_so() -> None:
    draw = draw_grids({"A": ["A1"], "B": [], "C": STRATA["C"]}, {}, rule_for(1), seed=1)
    assert [c for c, _ in draw["A"].drawn] == ["A1"] and draw["A"].shortfall == 2
    assert draw["B"].drawn == () and draw["B"].shortfall == 2 and draw["B"].available == 0
    assert draw["C"].shortfall == 0


def test_points_by_type_in_proportion() -> None:
    assert allocate({"01": 60, "07": 30, "11": 10}, 10) == {"01": 6, "07": 3, "11": 1}
    assert allocate({"01": 2, "07": 1}, 10) == {"01": 2, "07": 1}
    points = {"01": list(range(100, 160)), "07": list(range(200, 230)), "11": list(range(300, 310))}
    drawn = draw_points(points, 10, np.random.default_rng([3, 1]))
    assert len(drawn) == len(set(drawn)) == 10
    assert sum(100 <= p < 160 for p in drawn) == 6 and sum(300 <= p < 310 for p in drawn) == 1
    assert drawn == draw_points(points, 10, np.random.default_rng([3, 1]))
