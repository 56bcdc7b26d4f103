"""The region prefix of a description: province, city, district, street 街道/镇, community 社区/村.

Our own admin units are the gazetteer from the district down (read from the database). The
province and city above a district follow from its GB/T 2260 code through ``data/gb2260.csv``,
a small table shipped with the package (the provinces, Jiangsu's cities and Yancheng's districts
and counties; the demo's Dafeng keeps the code 320982 the project uses). Each level may be
written in full (江苏省, 盐城市, 大丰区) or, above the street, without its suffix (江苏, 盐城, 大丰),
and any level may be left out. A prefix naming a division that is not ours (南京市…) is
reported, never silently dropped: the place it describes is not on this platform.

>>> table = Gazetteer.from_units([("320982", "大丰区"), ("320982001", "大中街道"), ("320982001003", "幸福社区")])
>>> found = table.strip("江苏盐城市大丰区大中街道幸福社区永安路18号")
>>> found.code, found.rest, found.names
('320982001003', '永安路18号', ['江苏省', '盐城市', '大丰区', '大中街道', '幸福社区'])
>>> table.strip("南京市玄武区中山路1号").foreign
'南京市'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "gb2260.csv"
# What may follow a short division name for it to count as the division (大丰区 → 大丰 before a street,
# but not 大丰路, the road).
_NOT_AFTER_SHORT = ("路", "街", "巷", "大道", "道", "桥", "河", "港", "村", "社区", "小区", "公园", "小学", "中学")
# A street or community followed by one of these is the name of its office, a POI (大龙社区居民委员会).
OFFICES = ("居民委员会", "村民委员会", "居委会", "村委会", "办事处", "人民政府", "党群服务中心", "卫生服务中心",
           "社区卫生服务中心", "派出所", "综合执法", "便民服务中心")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    short: str


@cache
def national() -> dict[str, Division]:
    """GB/T 2260 divisions by code (provinces, cities, the counties of our city)."""
    with TABLE.open(encoding="utf-8") as f:
        return {row["code"]: Division(row["code"], row["name"], row["short"]) for row in csv.DictReader(f)}


@dataclass(frozen=True)
class Region:
    """The stripped prefix: the most specific unit named (code), every name read, and what is left."""

    code: str
    names: list[str]
    rest: str
    foreign: str | None = None  # a division named that is not one of ours


@dataclass
class Gazetteer:
    """Names of our districts, streets and communities, and the national levels above our districts."""

    units: dict[str, str]  # code → name (6, 9 and 12 digits)
    above: dict[str, Division] = field(default_factory=dict)  # province and city codes → division

    @classmethod
    def from_units(cls, units: list[tuple[str, str]]) -> Gazetteer:
        table = national()
        own = dict(units)
        above: dict[str, Division] = {}
        for code in own:
            for prefix in (code[:2] + "0000", code[:4] + "00"):
                if prefix in table and prefix != code:
                    above[prefix] = table[prefix]
        return cls(own, above)

    def full_name(self, code: str) -> str:
        """江苏省盐城市大丰区大中街道 for 320982001: the names of every level down to ``code``."""
        parts = [self.above[p].name for p in (code[:2] + "0000", code[:4] + "00") if p in self.above]
        parts += [self.units[code[:n]] for n in (6, 9, 12) if n <= len(code) and code[:n] in self.units]
        return "".join(dict.fromkeys(parts))

    def strip(self, text: str) -> Region:
        code, rest = "", text
        names: list[str] = []
        for level in ("province", "city"):
            hit = self._national(rest, level)
            if hit is None:
                continue
            division, used = hit
            if division.code not in self.above:
                return Region(code, names, rest, foreign=division.name)
            code, rest = division.code, rest[len(used):]
            names.append(division.name)
        for length in (6, 9, 12):
            hit2 = self._own(rest, length, code)
            if hit2 is None:
                if length == 6:
                    foreign = self._national(rest, "county")
                    if foreign is not None and foreign[0].code not in self.units:
                        return Region(code, names, rest, foreign=foreign[0].name)
                continue
            unit_code, used = hit2
            code, rest = unit_code, rest[len(used):]
            names.append(self.units[unit_code])
        return Region(code if code in self.units else "", names, rest)

    def _national(self, text: str, level: str) -> tuple[Division, str] | None:
        """The national division ``text`` starts with at ``level`` (province, city or county)."""
        for division in national().values():
            kind = ("province" if division.code.endswith("0000") else "city" if division.code.endswith("00")
                    else "county")
            if kind != level:
                continue
            used = _prefix(text, division.name, division.short)
            if used:
                return division, used
        return None

    def _own(self, text: str, length: int, within: str) -> tuple[str, str] | None:
        """Our unit of code ``length`` that ``text`` starts with (inside the unit ``within`` if one was named)."""
        best: tuple[str, str] | None = None
        for code, name in self.units.items():
            if len(code) != length or not code.startswith(_significant(within)):
                continue
            short = national()[code].short if code in national() else ""
            used = _prefix(text, name, short if length == 6 else "")
            if used and text[len(used):].startswith(OFFICES):
                continue
            if used and (best is None or len(used) > len(best[1])):
                best = (code, used)
        return best


def address_prefix(district: tuple[str, str] | None, street: tuple[str, str] | None) -> str:
    """江苏省盐城市大丰区大中街道: the province and city of a district (GB/T 2260 table), then its name and the
    street's, for an address read from a located point (no query of the admin units needed)."""
    if district is None:
        return street[1] if street else ""
    table = national()
    code = district[0]
    above = [table[p].name for p in (code[:2] + "0000", code[:4] + "00") if p in table and p != code]
    return "".join(above) + district[1] + (street[1] if street else "")


def _significant(code: str) -> str:
    """The digits of a code that its children share: 32 for 320000, 3209 for 320900, all of ours."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


def _prefix(text: str, name: str, short: str) -> str:
    """The form of a division (full name, or the short one not followed by a road word) ``text`` starts with."""
    if text.startswith(name):
        return name
    if short and text.startswith(short) and len(text) > len(short) and not text[len(short):].startswith(
            _NOT_AFTER_SHORT):
        return short
    return ""
