"""Layers this package adds to the one registry (imported by ``ImportersConfig.ready``)."""

from __future__ import annotations

from layers.registry import Layer, Style, registry
from layers.roles import EVERYONE

from .models import QACell

# Failing cells red, passing ones green (``passed`` reaches the second stop).
PASS_FAIL = {"field": "passed", "stops": [[0, "#e74c3c"], [1, "#27ae60"]]}

QA_CELLS = registry.register(Layer(
    name="qa_cells", title="普查质检", model=QACell, geometry_type="Polygon",
    fields=("run", "kind", "cell", "rows", "attribute_share", "position_share", "omission_share", "passed"),
    zoom=(8, 22),
    style=Style(light={"color": "#7d3c98", "weight": 1, "fillOpacity": 0.3, "ramp": PASS_FAIL},
                dark={"color": "#d2b4de", "weight": 1, "fillOpacity": 0.35, "ramp": PASS_FAIL}),
    read_roles=EVERYONE, label_field="cell",
))
