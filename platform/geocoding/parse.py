"""The description grammar of SPEC §5.3:
[region | zone/street/door plate/building | (direction) | POI | (direction) | (note)].

A description is first normalised — full-width forms to ASCII (NFKC), traditional characters to
simplified (OpenCC ``t2s``), spaces and punctuation dropped, Chinese numerals before 号/米/栋/幢/
单元/室/层 turned into digits (cn2an), so ``永安路一百一十號東側五十米`` reads ``永安路110号东侧50米``.
Numerals elsewhere stay: they belong to names (三圩村, 四岸路).

The region prefix is stripped by :mod:`geocoding.regions` (it needs the stored admin units). What
is left splits here into the anchor (what names a place), an optional direction phrase
(``东侧50米``, ``往北100米``, ``东北方向约80米``, ``西南角``, or a relative word such as 旁/对面) and
the note after it. The anchor is then one of: a door plate (street + number + 号), an intersection
(``A与B交叉口``, ``A和B路口``, ``AB交叉口``, ``…交汇处``, ``…十字路口``, ``…丁字路口``), or a name.

>>> normalise("永安路一百一十號　東側五十米")
'永安路110号东侧50米'
>>> split_tail(normalise("丽华苑北门东侧20米，垃圾满溢"))
Tail(anchor='丽华苑北门', direction=Direction(word='东', bearing=90.0, distance_m=20.0, corner=False), note='垃圾满溢')
>>> plate("永安路18-2号3幢")
PlateRef(street='永安路', number=18, sub=2, rest='3幢')
>>> intersection("永安路与南阳路交叉口")
('永安路', '南阳路')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import opencc

MAX_LENGTH = 200

BEARINGS = {"北": 0.0, "东北": 45.0, "东": 90.0, "东南": 135.0, "南": 180.0, "西南": 225.0, "西": 270.0,
            "西北": 315.0}
# Relative words (SPEC §5.3) that name no bearing: the anchor itself is the answer, the word is kept.
RELATIVE = ("对面", "附近", "旁边", "边上", "隔壁", "门口", "门前", "里面", "外面", "相向", "相邻", "前", "后", "左",
            "右", "上", "下", "内", "外", "旁")

_NUMERAL = "零〇一二两三四五六七八九十百千"
_CN_NUMBER = re.compile(f"[{_NUMERAL}]+(?=(?:号|米|公尺|栋|幢|单元|室|层|号楼))")
_DROP = re.compile(r"[\s,，。;；:：!！?？\"'“”‘’()（）\[\]【】<>《》、]+")
_DIRECTION = "东南|东北|西南|西北|东|南|西|北"
_DISTANCE = re.compile(
    rf"(?:往|向|朝|偏)?(?P<word>{_DIRECTION})(?:方向|方位|侧|面|边|方)?(?:约|大约|大概|近|距离)?"
    r"(?P<metres>\d+(?:\.\d+)?)(?:米|公尺|m)")
_SIDE = re.compile(rf"(?P<word>{_DIRECTION})(?P<suffix>方向|侧|面|边|角)")
_RELATIVE = re.compile("|".join(RELATIVE))
_PLATE = re.compile(r"^(?P<street>.*?\D)(?P<number>\d+)(?:[-－之](?P<sub>\d+))?号(?P<rest>.*)$")
_JUNCTION = "交叉路口|交叉口|十字路口|丁字路口|交汇处|交界处|交会处|交口|路口"
_INTERSECTION = re.compile(rf"^(?P<a>.+?)(?:与|和|同|跟|及|/|&)(?P<b>.+?)(?:{_JUNCTION})$")
_JOINED = re.compile(rf"^(?P<ab>.+?)(?:{_JUNCTION})$")


@dataclass(frozen=True)
class Direction:
    word: str  # 东, 东北 … or a relative word (旁, 对面 …)
    bearing: float | None  # degrees clockwise from north; None for a relative word
    distance_m: float | None
    corner: bool = False  # 西南角: the anchor's corner in that direction


@dataclass(frozen=True)
class Tail:
    anchor: str
    direction: Direction | None
    note: str


@dataclass(frozen=True)
class PlateRef:
    street: str
    number: int
    sub: int | None
    rest: str


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Full-width → ASCII, traditional → simplified, no spaces or punctuation, numerals before units → digits."""
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    text = _DROP.sub("", text).replace("—", "-").replace("–", "-")
    return _CN_NUMBER.sub(_arabic, text)


def _arabic(match: re.Match[str]) -> str:
    # cn2an takes a second to import: only a description with a Chinese numeral pays for it.
    import cn2an

    return str(cn2an.cn2an(match.group(0), "smart"))


def split_tail(text: str) -> Tail:
    """The anchor, the first direction phrase after it (if any) and the note after that."""
    found: list[tuple[int, int, Direction]] = []
    for m in _DISTANCE.finditer(text):
        if m.start() > 0:
            word = m.group("word")
            found.append((m.start(), m.end(), Direction(word, BEARINGS[word], float(m.group("metres")))))
            break
    for m in _SIDE.finditer(text):
        if m.start() > 0:
            word = m.group("word")
            found.append((m.start(), m.end(), Direction(word, BEARINGS[word], None, m.group("suffix") == "角")))
            break
    for m in _RELATIVE.finditer(text):
        if m.start() > 0 and _is_relative(text, m):
            found.append((m.start(), m.end(), Direction(m.group(0), None, None)))
            break
    if not found:
        return Tail(text, None, "")
    start, end, direction = min(found, key=lambda f: (f[0], -f[1]))
    return Tail(text[:start], direction, text[end:])


def _is_relative(text: str, m: re.Match[str]) -> bool:
    """A one-character relative word (前, 内 …) only counts at the end or before a note, not inside a name
    (前进路, 内环): it must be followed by nothing, or by a two-character relative word's end."""
    return len(m.group(0)) > 1 or m.end() == len(text)


def plate(anchor: str) -> PlateRef | None:
    """``永安路18号``, ``永安路18-2号``, ``永安路18号3幢``: the street text, the number, a sub-number, the rest."""
    m = _PLATE.match(anchor)
    if m is None or not m.group("street"):
        return None
    sub = m.group("sub")
    return PlateRef(m.group("street"), int(m.group("number")), int(sub) if sub else None, m.group("rest"))


def intersection(anchor: str) -> tuple[str, str] | str | None:
    """Two street texts (``A与B交叉口``), or one text holding both (``AB交叉口``), or None."""
    m = _INTERSECTION.match(anchor)
    if m is not None:
        return m.group("a"), m.group("b")
    m = _JOINED.match(anchor)
    return m.group("ab") if m is not None else None
