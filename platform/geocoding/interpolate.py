"""A house number without a plate, placed between the nearest plates of the same side (parity).

Plates are not evenly spaced, so a number is placed between its two neighbours on its own side of
the road (左单右双: odd numbers on one side, even on the other), as Pelias keeps one parity per
side and Nominatim interpolates between surveyed house numbers: 17号 halfway between 15号 and 19号
lies halfway between those two plates, wherever the rest of the road's plates stand. Only a road
without any plate falls back to the street line's number range of that side, placed along the line
and set off to that side. A number outside its side's plates (or range) is not placed at all.

>>> between(15, (120.0, 33.0), 19, (120.001, 33.0), 17)
(120.0005, 33.0)
"""

from __future__ import annotations

from .offset import move

RANGE_SETBACK_M = 10.0  # a range-placed number stands this far off the centre line


def between(low: int, low_point: tuple[float, float], high: int, high_point: tuple[float, float],
            number: int) -> tuple[float, float]:
    """The point for ``number`` on the straight line between its neighbours' plates (they are close:
    the road's curvature between two neighbouring plates is far below a metre)."""
    f = (number - low) / (high - low)
    return (low_point[0] + f * (high_point[0] - low_point[0]), low_point[1] + f * (high_point[1] - low_point[1]))


def range_fraction(number: int, first: int, last: int) -> float | None:
    """Where ``number`` falls along a side's range (0 at the line's start), None outside it or of the
    other parity."""
    if (number - first) % 2 or not min(first, last) <= number <= max(first, last):
        return None
    return 0.5 if first == last else (number - first) / (last - first)


def off_line(lon: float, lat: float, azimuth: float, left: bool) -> tuple[float, float]:
    """A point on the line moved to its left (or right) side, across the line's direction."""
    return move(lon, lat, azimuth + (-90.0 if left else 90.0), RANGE_SETBACK_M)
