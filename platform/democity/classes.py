"""The component class mix of the reference district (SPEC §1), and how each class is placed and owned.

Counts per major class are Dafeng's census: the standard classes of each major (minor 01–79) share
its count by the relative weights below (manhole covers and street trees dominate, as in any
census); the local extension classes (minor 80–99) share the extension count. Classes without a
weight get ``DEFAULT_WEIGHT``. Placement says where a class stands: along a road (covers,
lamps, trees, signs), as a short line beside a road (railings), as a small polygon (green plots,
car parks), or anywhere in its unit grid.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import IntEnum
from importlib import resources

import numpy as np

MAJOR_COUNTS = {"01": 90_498, "02": 6_787, "03": 5_716, "04": 26_485, "05": 279}
EXTENSION_COUNT = 8_897
DEFAULT_WEIGHT = 0.3

# Local extension classes (minor 80–99) the demo adds to the class table, with their weights.
EXTENSION_CLASSES = {
    "0180": ("充电桩", 20.0),
    "0181": ("智慧灯杆", 8.0),
    "0280": ("共享单车停放区", 25.0),
    "0281": ("电子警察", 6.0),
    "0380": ("智能分类投放箱", 22.0),
    "0381": ("垃圾分类宣传牌", 10.0),
    "0480": ("智能灌溉设施", 3.0),
    "0481": ("口袋公园设施", 5.0),
    "0580": ("河道水位监测站", 1.0),
}

WEIGHTS = {
    "0101": 14, "0102": 14, "0103": 12, "0104": 16, "0105": 7, "0106": 5, "0107": 8, "0108": 2, "0109": 2,
    "0111": 3, "0112": 1, "0113": 1.5, "0115": 1, "0116": 1.5, "0117": 5, "0118": 10, "0119": 0.8,
    "0120": 2, "0126": 0.6, "0134": 0.8, "0136": 1.5,
    "0201": 0.5, "0203": 3, "0208": 1, "0209": 30, "0210": 6, "0211": 10, "0212": 3, "0213": 8, "0214": 3,
    "0205": 0.05, "0206": 0.02, "0207": 0.02,
    "0301": 1.5, "0302": 5, "0303": 2, "0304": 1.5, "0305": 40, "0306": 8, "0307": 20,
    "0308": 0.1, "0309": 0.05, "0310": 0.1, "0311": 0.1,
    "0401": 0.1, "0402": 70, "0403": 10, "0404": 3, "0405": 5, "0406": 0.3, "0407": 4, "0408": 4, "0409": 2,
    "0410": 0.05,
    "0501": 50, "0502": 8, "0503": 5, "0504": 2, "0505": 10, "0506": 15, "0507": 8, "0508": 1, "0509": 3,
}

class Placement(IntEnum):
    ROADSIDE = 0
    LINE = 1
    AREA = 2
    FREE = 3


ROADSIDE_CLASSES = frozenset({
    "0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108", "0109", "0111", "0112", "0113", "0115",
    "0117", "0118", "0136", "0181", "0203", "0209", "0210", "0213", "0214", "0281", "0305", "0402", "0403",
})
LINE_CLASSES = frozenset({"0211", "0408", "0507"})
AREA_CLASSES = frozenset({"0201", "0405", "0481"})

# (主管部门, 权属单位, 养护单位) by class; classes not listed fall back to their major's entry.
_DEPARTMENTS = {
    "water": ("大丰区水务局", "盐城市大丰区自来水有限公司", "盐城市大丰区自来水有限公司"),
    "drain": ("大丰区住房和城乡建设局", "大丰区排水管理处", "大丰区排水管理处"),
    "power": ("国网盐城市大丰区供电分公司", "国网盐城市大丰区供电分公司", "国网盐城市大丰区供电分公司"),
    "light": ("大丰区城市管理局", "大丰区路灯管理所", "大丰区路灯管理所"),
    "telecom": ("大丰区工业和信息化局", "中国电信大丰分公司", "中国电信大丰分公司"),
    "gas": ("大丰区住房和城乡建设局", "大丰港华燃气有限公司", "大丰港华燃气有限公司"),
    "police": ("盐城市公安局大丰分局", "盐城市公安局大丰分局", "大丰区交警大队"),
    "fire": ("大丰区消防救援大队", "大丰区消防救援大队", "大丰区消防救援大队"),
    "bus": ("大丰区交通运输局", "大丰区公共交通有限公司", "大丰区公共交通有限公司"),
    "charging": ("大丰区发展和改革委员会", "国网盐城市大丰区供电分公司", "国网盐城市大丰区供电分公司"),
    "ecology": ("盐城市大丰生态环境局", "盐城市大丰生态环境局", "盐城市大丰生态环境局"),
    "civil_defence": ("大丰区人民防空办公室", "大丰区人民防空办公室", "大丰区人民防空办公室"),
    "01": ("大丰区住房和城乡建设局", "大丰区住房和城乡建设局", "大丰区市政设施管理处"),
    "02": ("大丰区交通运输局", "大丰区公路事业发展中心", "大丰区公路事业发展中心"),
    "03": ("大丰区城市管理局", "大丰区环境卫生管理处", "大丰区环境卫生管理处"),
    "04": ("大丰区城市管理局", "大丰区园林绿化管理处", "大丰区园林绿化养护有限公司"),
    "05": ("大丰区住房和城乡建设局", "大丰区住房和城乡建设局", "大丰区住房和城乡建设局"),
}
_DEPARTMENT_OF = {
    **dict.fromkeys(("0101", "0131", "0132"), "water"),
    **dict.fromkeys(("0102", "0103", "0104", "0127"), "drain"),
    **dict.fromkeys(("0105", "0116", "0133", "0134"), "power"),
    **dict.fromkeys(("0106", "0117", "0118", "0119", "0120", "0181"), "light"),
    **dict.fromkeys(("0107", "0108", "0109", "0115", "0122"), "telecom"),
    **dict.fromkeys(("0111", "0129", "0135"), "gas"),
    **dict.fromkeys(("0112", "0136", "0138", "0209", "0210", "0214", "0217", "0281"), "police"),
    "0113": "fire",
    **dict.fromkeys(("0128", "0203"), "bus"),
    "0180": "charging",
    **dict.fromkeys(("0308", "0310", "0311"), "ecology"),
    "0502": "civil_defence",
    **dict.fromkeys(("0506", "0507", "0509", "0580"), "water"),
}


@dataclass(frozen=True)
class ClassMix:
    """Every class the demo uses: code, name, relative weight, placement, departments."""

    codes: list[str]
    names: list[str]
    weights: np.ndarray

    def placement(self) -> np.ndarray:
        """The :class:`Placement` of each class."""
        return np.array([
            Placement.ROADSIDE if c in ROADSIDE_CLASSES else Placement.LINE if c in LINE_CLASSES
            else Placement.AREA if c in AREA_CLASSES else Placement.FREE
            for c in self.codes
        ])

    def departments(self) -> list[tuple[str, str, str]]:
        return [_DEPARTMENTS[_DEPARTMENT_OF.get(c, c[:2])] for c in self.codes]


def standard_classes() -> list[tuple[str, str]]:
    """(4-digit code, name) of the standard class table shipped with ``layers`` (minor 01–79)."""
    table = resources.files("layers").joinpath("data/component_classes.csv")
    with table.open(encoding="utf-8") as f:
        return [(r["major_code"] + r["minor_code"], r["name"]) for r in csv.DictReader(f)]


def class_mix() -> ClassMix:
    standard = standard_classes()
    codes = [c for c, _ in standard] + list(EXTENSION_CLASSES)
    names = [n for _, n in standard] + [n for n, _ in EXTENSION_CLASSES.values()]
    weights = [WEIGHTS.get(c, DEFAULT_WEIGHT) for c, _ in standard] + [w for _, w in EXTENSION_CLASSES.values()]
    return ClassMix(codes=codes, names=names, weights=np.asarray(weights, dtype=float))


def class_counts(rng: np.random.Generator, mix: ClassMix, scale: float) -> np.ndarray:
    """How many components of each class: each major's count (and the extension count) × ``scale``,
    shared by the classes' weights (a multinomial draw, so the totals are exact)."""
    counts = np.zeros(len(mix.codes), dtype=int)
    extension = np.array([int(c[2:]) >= 80 for c in mix.codes])
    groups = [(np.array([c[:2] == m for c in mix.codes]) & ~extension, n) for m, n in MAJOR_COUNTS.items()]
    for members, total in [*groups, (extension, EXTENSION_COUNT)]:
        p = mix.weights[members] / mix.weights[members].sum()
        counts[members] = rng.multinomial(round(total * scale), p)
    return counts

