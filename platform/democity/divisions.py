"""Cutting the lattice into streets 街道/镇 and communities 社区/村, and numbering everything (SPEC §3).

Each cell gets one street (nearest of six seeds: the core, then five towns around it) and one
community (k-means of the street's cell centres, so communities are compact and contiguous).
Because every unit is a set of whole cells, communities tile their street and streets tile the
district by construction. Codes nest by prefix: street 320982 001, community +3 digits numbered
north to south, unit grid +3 digits numbered row by row from the north-west.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lattice import CENTRE, Lattice
from .names import DISTRICT_CODE, PLACE_WORDS, STREETS

COMMUNITIES_PER_STREET = (12, 10, 10, 9, 10, 9)  # 60 in all; the urban core has the most
KMEANS_ROUNDS = 12


@dataclass(frozen=True)
class Divisions:
    """Streets and communities, and each cell's place in them (indices into the lists)."""

    street_codes: list[str]
    street_names: list[str]
    community_codes: list[str]
    community_names: list[str]
    community_street: np.ndarray  # (60,) street index of each community
    cell_community: np.ndarray  # (n,) community index of each cell
    grid_codes: np.ndarray  # (n,) 15-digit unit grid code of each cell

    @property
    def cell_street(self) -> np.ndarray:
        return self.community_street[self.cell_community]


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)


def kmeans(rng: np.random.Generator, points: np.ndarray, k: int) -> np.ndarray:
    """Labels 0…k-1 of ``points`` (n, 2) in k compact clusters, none empty (Lloyd's algorithm)."""
    centres = points[rng.choice(len(points), k, replace=False)]
    for _ in range(KMEANS_ROUNDS):
        labels = _nearest(points, centres)
        counts = np.bincount(labels, minlength=k)[:, None]
        sums = np.zeros((k, 2))
        np.add.at(sums, labels, points)
        centres = np.where(counts > 0, sums / np.maximum(counts, 1), centres)
    labels = _nearest(points, centres)
    for empty in np.setdiff1d(np.arange(k), labels):  # rare: re-seed at the point worst served
        worst = np.argmax(((points - centres[labels]) ** 2).sum(axis=1))
        centres[empty] = points[worst]
        labels = _nearest(points, centres)
    return labels


def _street_seeds(rng: np.random.Generator) -> np.ndarray:
    """Six seeds in index space: the core near the centre, five towns on a ring around it."""
    angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(5) / 5 + rng.uniform(-0.3, 0.3, 5)
    ring = rng.uniform(24, 30, 5)[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
    core = rng.uniform(-2, 2, (1, 2))
    return np.vstack([core, ring]) + CENTRE


def divide(rng: np.random.Generator, lattice: Lattice) -> Divisions:
    """Streets, communities and unit-grid codes of every district cell."""
    cells = lattice.cells
    centres = cells[:, ::-1] + 0.5  # (x = column, y = row) of each cell centre, in cells
    seeds = _street_seeds(rng)
    street_of_cell = _nearest(centres, seeds)
    words = iter(rng.permutation(PLACE_WORDS))

    community_of_cell = np.empty(len(cells), dtype=int)
    community_street: list[int] = []
    community_names: list[str] = []
    for street, k in enumerate(COMMUNITIES_PER_STREET):
        mine = np.flatnonzero(street_of_cell == street)
        labels = kmeans(rng, centres[mine], k)
        middle = np.array([centres[mine][labels == c].mean(axis=0) for c in range(k)])
        north_first = np.argsort(-middle[:, 1], kind="stable")
        rank = np.argsort(north_first)  # label → position in north-to-south order
        community_of_cell[mine] = len(community_street) + rank[labels]
        town_centre = int(rank[_nearest(seeds[street : street + 1], middle)[0]])
        for position in range(k):
            urban = STREETS[street].endswith("街道") or position == town_centre
            community_names.append(next(words) + ("社区" if urban else "村"))
        community_street += [street] * k

    street_codes = [f"{DISTRICT_CODE}{s + 1:03d}" for s in range(len(STREETS))]
    community_street_arr = np.asarray(community_street)
    community_codes = [
        f"{street_codes[s]}{n + 1:03d}"
        for s in range(len(STREETS)) for n in range(int((community_street_arr == s).sum()))
    ]
    # Unit grids: within each community, rows from the north, then columns from the west.
    order = np.lexsort((cells[:, 1], -cells[:, 0], community_of_cell))
    first = np.searchsorted(community_of_cell[order], np.arange(len(community_codes)))
    sequence = np.empty(len(cells), dtype=int)
    sequence[order] = np.arange(len(cells)) - first[community_of_cell[order]] + 1
    prefix = np.asarray(community_codes)[community_of_cell]
    grid_codes = np.char.add(prefix, np.char.zfill(sequence.astype(str), 3))
    return Divisions(
        street_codes=street_codes, street_names=list(STREETS), community_codes=community_codes,
        community_names=community_names, community_street=community_street_arr,
        cell_community=community_of_cell, grid_codes=grid_codes,
    )
