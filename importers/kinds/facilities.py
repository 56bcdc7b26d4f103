"""Facilities 环卫设施 (SPEC §4): points with a kind and its typed attributes, upserted by 编号.

The kinds and their attributes are ``layers.facility_kinds.KINDS``. 类型 is the kind's key
(``dropoff_point``) or its Chinese title (垃圾投放点). Any column named after an attribute of some
kind — its key (``daily_tonnage``, ``attrs.daily_tonnage``) or its label, with or without the unit
(日处理量(吨), 日处理量) — is an attribute column; per row, a filled cell is checked with
:func:`layers.facility_kinds.check_attrs` against the row's kind. A re-import merges the file's
attributes into the stored ones (a kind change replaces them); empty cells keep what is stored.

Rules, each with its rule name in the error report: ``facility_kind``, ``required`` (编号, 类型,
名称), ``max_length``, ``known_attribute`` (the kind has no such attribute), ``attribute_type``,
``attribute_choice``, ``attribute_range``; ``inside_district`` (the position lies in no unit grid:
the unit grid is derived from the position, never read from the file); ``jurisdiction`` (the
derived grid, and the stored facility being replaced, lie in the importing user's jurisdiction);
``unique_in_file``; ``geometry_type`` (one point per row).
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError
from psycopg import Cursor

from layers.facility_kinds import KINDS, check_attrs

from ..fields import Field, RowError, text
from ..mapping import normalise
from .base import Context, Kind
from .components import check_grid_jurisdiction, locate_in_grids

FIELDS = (
    Field("code", "编号", max_length=32),
    Field("kind", "类型"),
    Field("name", "名称", max_length=100),
    Field("address", "地址", max_length=200),
    Field("operator", "运营单位", max_length=100),
)
_KIND_NAMES = {**{k: k for k in KINDS}, **{normalise(v.title): k for k, v in KINDS.items()}}
_UNIT = re.compile(r"[(（].*[)）]$")
_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", "×"}


def _attribute_headers() -> dict[str, set[tuple[str, str]]]:
    """Normalised header → the (kind, attribute) pairs it stands for: 类别 is a transfer station's
    grade but a public toilet's category."""
    index: dict[str, set[tuple[str, str]]] = {}
    for key, kind in KINDS.items():
        for name, spec in kind.attrs.items():
            for alias in (name, f"attrs.{name}", spec.label, _UNIT.sub("", spec.label)):
                index.setdefault(normalise(alias), set()).add((key, name))
    return index


ATTRIBUTE_HEADERS = _attribute_headers()


def _typed(value: object, kind_type: type) -> object:
    """A cell as the attribute's type; ``ValueError`` when it is not one."""
    if kind_type is bool:
        if isinstance(value, bool):
            return value
        word = str(text(value)).lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(value)
    if kind_type is int:
        number = float(str(text(value)))
        if not number.is_integer():
            raise ValueError(value)
        return int(number)
    if kind_type is float:
        return float(str(text(value)))
    return text(value)


class Facilities(Kind):
    name = "facilities"
    layer_name = "facilities"
    title = "facilities"
    fields = FIELDS
    geometry = "point"
    derived = {"unit_grid": "text", "attrs": "jsonb"}
    required = ("code", "kind", "name")
    class_field = "kind"

    def extra_columns(self, headers: list[str]) -> list[str]:
        return [h for h in headers if normalise(h) in ATTRIBUTE_HEADERS]

    def computed_columns(self, ctx: Context) -> dict[str, str]:
        computed = {"unit_grid": "v.unit_grid"}
        if ctx.extra:
            computed["attrs"] = ("coalesce((SELECT x.attrs FROM layers_facility x WHERE x.code = v.code "
                                 "AND x.kind = v.kind), '{}'::jsonb) || coalesce(v.attrs, '{}'::jsonb)")
        return computed

    def insert_defaults(self, ctx: Context) -> dict[str, str]:
        defaults = {f.name: "''" for f in FIELDS if f.name in ("address", "operator") and f.name not in ctx.mapped}
        if not ctx.extra:
            defaults["attrs"] = "'{}'::jsonb"
        return defaults

    def prepare(self, values: dict[str, list], rows: list[int], errors: list[RowError]) -> None:
        kinds = values["kind"]
        for i, (row, given) in enumerate(zip(rows, kinds, strict=True)):
            if given is None:
                continue
            kinds[i] = _KIND_NAMES.get(normalise(given))
            if kinds[i] is None:
                errors.append(RowError(row, "kind", given, "facility_kind",
                                       f"类型 {given!r} is not a facility kind; one of "
                                       f"{'、'.join(f'{k} ({v.title})' for k, v in KINDS.items())}"))

    def prepare_extra(self, values: dict[str, list], columns: dict[str, list], rows: list[int],
                      errors: list[RowError]) -> None:
        out: list[str | None] = []
        for i, (row, kind) in enumerate(zip(rows, values["kind"], strict=True)):
            attrs: dict[str, object] = {}
            for header, cells in columns.items():
                cell = cells[i]
                shown = text(cell)
                if shown is None or kind is None:
                    continue
                schema = KINDS[kind].attrs
                names = sorted(n for k, n in ATTRIBUTE_HEADERS[normalise(header)] if k == kind)
                if not names:
                    errors.append(RowError(row, header, shown, "known_attribute",
                                           f"{KINDS[kind].title} has no attribute {header!r}; known: "
                                           f"{', '.join(f'{n} ({s.label})' for n, s in schema.items()) or 'none'}"))
                    continue
                name, spec = names[0], schema[names[0]]
                try:
                    value = _typed(cell, spec.type)
                except ValueError:
                    errors.append(RowError(row, f"attrs.{name}", shown, "attribute_type",
                                           f"{spec.label} must be {spec.type.__name__}, got {shown!r}"))
                    continue
                try:
                    check_attrs(kind, {name: value})
                except ValidationError as exc:
                    problem = next(iter(exc.error_dict.values()))[0]
                    errors.append(RowError(row, f"attrs.{name}", shown, problem.code or "attribute",
                                           " ".join(problem.messages)))
                    continue
                attrs[name] = value
            out.append(json.dumps(attrs, ensure_ascii=False))
        values["attrs"] = out

    def validate(self, cur: Cursor, ctx: Context) -> None:
        super().validate(cur, ctx)
        locate_in_grids(cur, ctx, "layers_facility")
        check_grid_jurisdiction(cur, ctx, "layers_facility", "编号")
