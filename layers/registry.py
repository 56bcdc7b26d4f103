"""The layer registry: every feature type registers once, and the API, tiles and map read it.

A :class:`Layer` names its model, the fields it exposes (the only identifiers that ever enter
SQL or filters), its zoom range, light and dark styles, which roles may read and edit it,
whether the map shows it when it opens, and how the user's jurisdiction scopes it:

- ``scope_field`` names a column holding a hierarchical code (a unit grid's, a community's …):
  a user with jurisdiction ``320982001`` sees the rows whose code starts with it;
- without one, the layer is scoped spatially: rows whose point on surface the jurisdiction's
  polygon covers (the one rule, in ``layers.access``).

Configuration is checked when a layer is registered, so a typo fails at start-up, not on a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.gis.db.models import GeometryField
from django.db.models import Model

from .errors import UnknownLayer

GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "Geometry")


@dataclass(frozen=True)
class Style:
    """Leaflet path options for the light and dark base maps (colour, weight, fill, radius …).

    A theme may carry ``ramp: {"field": name, "stops": [[value, colour], …]}``: the map then fills
    each feature with the colour of the highest stop its ``field`` reaches (heat maps of counts).
    """

    light: dict[str, object]
    dark: dict[str, object]


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One feature type as the API, the tiles and the map serve it; built with keyword arguments only."""

    name: str
    title: str
    model: type[Model]
    geometry_type: str
    fields: tuple[str, ...]
    zoom: tuple[int, int]
    style: Style
    read_roles: frozenset[str]
    edit_roles: frozenset[str] = frozenset()
    read_only_fields: tuple[str, ...] = ()
    scope_field: str | None = None
    label_field: str = "name"
    geometry_field: str = "geom"
    # Below this zoom, vector tiles cluster the layer's points into counted cells (see tiles/sql.py).
    cluster_below: int | None = None
    # At most this many features per layer in one vector tile.
    tile_cap: int = 20000
    # Checked in the map's layer list when the map opens (the API's ``default_on``).
    default_on: bool = False

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def editable(self) -> bool:
        return bool(self.edit_roles)

    def may_read(self, role: str) -> bool:
        return role in self.read_roles

    def may_edit(self, role: str) -> bool:
        return role in self.edit_roles

    @property
    def writable_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f not in self.read_only_fields)

    def column(self, field_name: str) -> str:
        """The database column of an exposed field (its ``_id`` column for a foreign key)."""
        return self.model._meta.get_field(field_name).column

    def check(self) -> None:
        """Refuse a registration whose names do not exist on the model or whose values are out of range."""
        meta = self.model._meta
        names = {f.name for f in meta.get_fields()}
        problems = [f"unknown field {f!r}" for f in (*self.fields, *self.read_only_fields) if f not in names]
        if self.scope_field and self.scope_field not in names:
            problems.append(f"unknown scope_field {self.scope_field!r}")
        if self.geometry_field not in names or not isinstance(meta.get_field(self.geometry_field), GeometryField):
            problems.append(f"{self.geometry_field!r} is not a geometry field")
        if self.geometry_type not in GEOMETRY_TYPES:
            problems.append(f"geometry_type must be one of {GEOMETRY_TYPES}")
        if not (0 <= self.zoom[0] <= self.zoom[1] <= 22):
            problems.append(f"zoom range {self.zoom} must lie within 0–22")
        if not self.name.replace("_", "").isalnum() or not self.name.islower():
            problems.append("name must be lower-case letters, digits and underscores")
        if problems:
            raise ValueError(f"layer {self.name!r}: " + "; ".join(problems))


class Registry:
    """Layers by name, in registration order."""

    def __init__(self) -> None:
        self._layers: dict[str, Layer] = {}

    def register(self, layer: Layer) -> Layer:
        layer.check()
        if layer.name in self._layers:
            raise ValueError(f"layer {layer.name!r} is registered twice")
        self._layers[layer.name] = layer
        return layer

    def get(self, name: str) -> Layer:
        try:
            return self._layers[name]
        except KeyError:
            raise UnknownLayer(
                f"no layer named {name!r}; known layers: {', '.join(self._layers)}", field="layer"
            ) from None

    def all(self) -> Iterator[Layer]:
        return iter(self._layers.values())

    @contextmanager
    def override(self, *layers: Layer) -> Iterator[tuple[Layer, ...]]:
        """Within the block, ``layers`` are registered — added, or in place of the layer of the same name —
        and afterwards the registry is as it was (a test's own layers). Each layer is checked as
        :meth:`register` checks it."""
        for layer in layers:
            layer.check()
        before = dict(self._layers)
        self._layers.update((layer.name, layer) for layer in layers)
        try:
            yield layers
        finally:
            self._layers = before

registry = Registry()
