"""How well a written name matches a stored one, and whether it matches at all (precision before recall).

A name is split into its core and its generic suffix (永安|路, 丽华|苑, 幸福|小学, 永安路|西段 → 永安|路西段).
Cores are compared by edit distance twice — on characters and on their pinyin (pypinyin, tones
dropped) — with rapidfuzz: a homophone (丽花苑 for 丽华苑, the usual input-method slip) costs
almost nothing, any other wrong, missing or extra character one edit. A core of two characters
allows no edit (永宁路 is another road, not a typo of 永安路), three to five allow one, longer
ones two. Suffixes must agree, except that estate suffixes stand in for each other (丽华小区 for
丽华苑) at a small cost and a redundant one is ignored (丽华苑小区); a road of the same core but
another kind (永安街 for 永安路) is another road unless it is that road's alias. A gate or stop
(丽华苑北门, 丽华苑站) is compared by the name before its suffix, with that name's own rules.

>>> round(score("丽华苑", "丽华苑"), 2), round(score("丽花苑", "丽华苑"), 2), round(score("丽华苑小区", "丽华苑"), 2)
(1.0, 0.97, 0.95)
>>> score("永宁路", "永安路"), score("幸福中学", "幸福小学"), score("长安街", "永安街")
(0.0, 0.0, 0.0)
>>> round(score("南阳镇人民政付", "南阳镇人民政府"), 2), score("华城花园南门", "悦城花园南门")
(0.97, 0.0)
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import Levenshtein

ESTATE = ("花园", "小区", "新村", "家园", "名邸", "公寓", "华府", "苑", "园", "城", "府", "居", "庭", "湾")
ROAD = ("大道", "大街", "路", "街", "巷", "弄", "道")
SEGMENT = ("东段", "西段", "南段", "北段", "中段")
OTHER = ("社区居民委员会", "村民委员会", "居民委员会", "居委会", "村委会", "办事处", "人民政府", "社区卫生服务中心",
         "实验学校", "幼儿园", "小学", "中学", "医院", "诊所", "农贸市场", "菜场", "公园", "游园", "广场", "超市",
         "便利店", "大药房", "五金店", "家电城", "农商银行", "邮政储蓄所", "大酒店", "宾馆", "街道", "社区", "村",
         "镇", "北门", "南门", "东门", "西门", "站")
SUFFIXES = tuple(sorted(ESTATE + ROAD + OTHER, key=len, reverse=True))
# Suffixes after a whole name (丽华苑|北门, 丽华苑|站): the name before them is compared as a name.
NESTED = ("北门", "南门", "东门", "西门", "站")
ESTATE_SWAP = 0.05
HOMOPHONE = 0.03
PER_EDIT = 0.12
ALIAS, OLD_NAME = 0.01, 0.02


def split(name: str) -> tuple[str, str, str]:
    """(core, generic suffix, segment word): 永安路西段 → (永安, 路, 西段)."""
    segment = next((s for s in SEGMENT if name.endswith(s) and len(name) > len(s) + 1), "")
    body = name[: len(name) - len(segment)]
    suffix = next((s for s in SUFFIXES if body.endswith(s) and len(body) > len(s)), "")
    return body[: len(body) - len(suffix)], suffix, segment


def _strip_redundant(name: str) -> str:
    """丽华苑小区 → 丽华苑: a second estate suffix after one already there."""
    for extra in ("小区", "社区"):
        inner = name[: -len(extra)]
        if name.endswith(extra) and split(inner)[1] in ESTATE:
            return inner
    return name


@lru_cache(maxsize=65536)
def _pinyin(text: str) -> tuple[str, ...]:
    # pypinyin's character table takes seconds to load: the first search of a process pays it, not every
    # process that sets up Django.
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


def allowed_edits(core: str) -> int:
    return 0 if len(core) <= 2 else 1 if len(core) <= 5 else 2


def score(written: str, stored: str) -> float:
    """1.0 for the same name, a little less for a homophone, an edit, an estate suffix swapped; 0.0 for no match."""
    if written == stored:
        return 1.0
    redundant = _strip_redundant(written)
    penalty = 0.05 if redundant != written else 0.0
    (core_w, suffix_w, segment_w), (core_s, suffix_s, segment_s) = split(redundant), split(stored)
    if suffix_s in NESTED and suffix_w == suffix_s and not segment_s:
        return max(0.0, score(core_w, core_s) - penalty)  # 悦城花园南门 is not 华城花园南门
    if segment_w != segment_s:
        if segment_w:
            return 0.0  # 西段 is not 东段
        penalty += 0.02  # 永安路 names each of 永安路西段 and 永安路东段
    if suffix_w != suffix_s:
        tail = redundant[len(core_s):] if redundant.startswith(core_s) else ""
        slip = Levenshtein.distance(_pinyin(tail), _pinyin(suffix_s)) if tail and not suffix_w else 99
        if slip == 0 or (slip == 1 and len(suffix_s) >= 3):
            # 润园名堤 (a homophone), 人民政付 (one slip in a long suffix): the suffix mistyped
            penalty += PER_EDIT * slip + HOMOPHONE
            core_w = core_s
        elif suffix_s in ESTATE and (suffix_w in ESTATE or not suffix_w):
            penalty += ESTATE_SWAP  # 丽华小区 or 丽华 for 丽华苑
        elif not (suffix_s in ("社区", "村") and not suffix_w):
            return 0.0
    if not core_w:
        return 0.0
    chars = Levenshtein.distance(core_w, core_s)
    sounds = Levenshtein.distance(_pinyin(core_w), _pinyin(core_s))
    if sounds > allowed_edits(core_s):
        return 0.0
    return max(0.0, 1.0 - PER_EDIT * sounds - HOMOPHONE * (chars - sounds) - penalty)


def best_name(written: str, name: str, aliases: list[str], old_names: list[str]) -> tuple[float, str, str]:
    """(score, the stored name that matched best, its kind: name, alias or old_name)."""
    best = (score(written, name), name, "name")
    for kind, names, cost in (("alias", aliases, ALIAS), ("old_name", old_names, OLD_NAME)):
        for other in names:
            s = score(written, other) - cost
            if s > best[0]:
                best = (s, other, kind)
    return best
