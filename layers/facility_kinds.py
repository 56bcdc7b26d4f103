"""The facility kinds of SPEC §4 and the typed attributes each carries, in one table.

A facility stores its kind-specific attributes in ``attrs``; :func:`check_attrs` refuses unknown
names and wrong types or values, so a typo never enters silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Attr:
    label: str
    type: type = str
    choices: tuple[object, ...] = ()
    minimum: float | None = None


@dataclass(frozen=True)
class Kind:
    title: str
    attrs: dict[str, Attr] = field(default_factory=dict)


_TONNAGE = Attr("日处理量(吨)", float, minimum=0)
_WASTE = {
    "floor_area_m2": Attr("占地面积(m²)", float, minimum=0),
    "source": Attr("来源", str, ("居民", "单位", "其他")),
    "sorted": Attr("是否分类", bool),
    "daily_tonnage": _TONNAGE,
    "pickups_per_day": Attr("日清运次数", int, minimum=0),
    "coverage": Attr("覆盖范围", str),
}
_PLANT = {"design_tonnage": Attr("设计处理量(吨/日)", float, minimum=0), "actual_tonnage": _TONNAGE}

KINDS: dict[str, Kind] = {
    "collection_point": Kind("垃圾收集点", {"type": Attr("类型", int, (1, 2)), **_WASTE}),
    "collection_station": Kind("垃圾收集站", {"type": Attr("类型", int, (1, 2)), **_WASTE}),
    "dropoff_point": Kind("垃圾投放点", {"sorted": Attr("是否分类", bool), "bins": Attr("桶数", int, minimum=0),
                                       "opening_hours": Attr("投放时段", str)}),
    "transfer_station": Kind("垃圾转运站", {
        "size": Attr("规模", str, ("大", "中", "小")),
        "grade": Attr("类别", str, ("I", "II", "III", "IV", "V")),
        **_PLANT,
    }),
    "incineration_plant": Kind("垃圾焚烧厂", dict(_PLANT)),
    "landfill": Kind("垃圾填埋场", dict(_PLANT)),
    "kitchen_waste_plant": Kind("厨余垃圾处理厂", dict(_PLANT)),
    "public_toilet": Kind("公共厕所", {
        "category": Attr("类别", str, ("固定式", "活动式")),
        "grade": Attr("等级", str, ("一类", "二类", "三类")),
        "stalls": Attr("厕位数", int, minimum=0),
        "opening_hours": Attr("开放时间", str),
        "accessible": Attr("无障碍", bool),
    }),
    "recycling_point": Kind("再生资源回收点", {"materials": Attr("回收品类", str)}),
    "sorting_centre": Kind("再生资源分拣中心", {"floor_area_m2": Attr("占地面积(m²)", float, minimum=0),
                                          "daily_tonnage": _TONNAGE}),
    "construction_site": Kind("建筑工地", {"permit": Attr("处置核准证号", str), "contractor": Attr("施工单位", str)}),
    "disposal_site": Kind("建筑垃圾消纳场", {"capacity_m3": Attr("库容(m³)", float, minimum=0)}),
    "hazwaste_generator": Kind("危险废物产生单位", {"licence": Attr("许可证号", str),
                                                "categories": Attr("危废类别", str)}),
    "hazwaste_handler": Kind("危险废物经营单位", {"licence": Attr("许可证号", str),
                                              "capacity_t": Attr("经营规模(吨/年)", float, minimum=0)}),
}


def check_attrs(kind: str, attrs: object) -> None:
    """Refuse an unknown kind, or attributes the kind does not define or of the wrong type/value."""
    if kind not in KINDS:
        raise ValidationError({"kind": ValidationError(
            f"unknown facility kind {kind!r}; one of {', '.join(KINDS)}", code="facility_kind")})
    if not isinstance(attrs, dict):
        raise ValidationError({"attrs": ValidationError("attrs must be an object", code="attrs_object")})
    schema = KINDS[kind].attrs
    for name, value in attrs.items():
        spec = schema.get(name)
        where = f"attrs.{name}"
        if spec is None:
            raise ValidationError({where: ValidationError(
                f"{KINDS[kind].title} has no attribute {name!r}; known: {', '.join(schema) or 'none'}",
                code="known_attribute")})
        ok_type = isinstance(value, spec.type) and not (spec.type is not bool and isinstance(value, bool))
        if spec.type is float and isinstance(value, int) and not isinstance(value, bool):
            ok_type = True
        if not ok_type:
            raise ValidationError({where: ValidationError(
                f"{spec.label} must be {spec.type.__name__}, got {value!r}", code="attribute_type")})
        if spec.choices and value not in spec.choices:
            raise ValidationError({where: ValidationError(
                f"{spec.label} must be one of {list(spec.choices)}, got {value!r}", code="attribute_choice")})
        if spec.minimum is not None and value < spec.minimum:
            raise ValidationError({where: ValidationError(
                f"{spec.label} must be ≥ {spec.minimum}, got {value!r}", code="attribute_range")})
