"""The demo's evaluation layers, built from the loaded city by the operations ``gridcity grids`` runs.

A first start shows every gridding layer with data: evaluation grids (``grids build-evaluation``),
zone areas A/B/C and evaluation points (``grids demo-zones``), one sampling round with its grids
and points (``grids sample``) and a hexagonal density fishnet of the components (``grids fishnet``).
Each step calls the same function as its command, with the command's defaults, acting as the demo
loader (an admin, platform-wide); the round is drawn from the demo's seed, so it is reproducible.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings

from gridding import building, demo, fishnet, rounds
from layers.access import WHOLE_PLATFORM
from layers.roles import ADMIN

from .names import DISTRICT_CODE

# `gridcity grids fishnet`'s defaults
FISHNET_SHAPE, FISHNET_SIZE_M, FISHNET_LAYER = "hex", 500.0, "components"


def build_evaluation(actor_name: str, seed: int) -> dict[str, int]:
    """Evaluation grids, zones, evaluation points, a sampling round and a fishnet over the demo district;
    the rows made, per kind."""
    actor = SimpleNamespace(username=actor_name, role=ADMIN, jurisdiction_code=WHOLE_PLATFORM)
    built = building.build(DISTRICT_CODE, actor)
    zones = demo.load(DISTRICT_CODE, actor, seed=seed)
    drawn = rounds.create(DISTRICT_CODE, settings.GRIDCITY_CITY_CLASS, actor, seed=seed)
    net = fishnet.build(FISHNET_SHAPE, FISHNET_SIZE_M, FISHNET_LAYER, DISTRICT_CODE, actor)
    return {
        "evaluation grids": built.built,
        **zones,
        "sampled grids": drawn.grids.count(),
        "sampled points": drawn.points.count(),
        "fishnet cells": net.cells.count(),
    }
