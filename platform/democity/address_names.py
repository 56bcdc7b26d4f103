"""Chinese names for the demo district's addresses: old road names, estates 小区, their former names, POIs.

Kept apart from ``names`` (streets, communities, roads) so the address generator reads as geometry
and counts. Estate words are not road or community words, so an estate name never shadows a road's.
"""

from __future__ import annotations

# Former road names 曾用名, as the renamings of the 1960s–80s left them; none is a current road word.
OLD_ROAD_WORDS = (
    "解放 东风 红卫 卫东 立新 红星 延安 井冈 韶山 五一 八一 国庆 东红 向东 红光 朝阳 前卫 反修 大寨 长征"
).split()

# Estate words 小区名 (two characters each, used once) and the suffixes estates carry.
ESTATE_WORDS = (
    "丽华 金色 御景 翠湖 滨河 怡景 紫薇 桂花 香榭 康居 安居 富康 华城 世纪 锦华 嘉和 天润 碧水 龙湾 盛世 "
    "明珠 金鼎 银河 绿洲 春江 秀水 荷塘 云山 望湖 馨苑 梧桐 枫林 玉兰 海棠 樱花 丹桂 凤凰 麒麟 雅居 书香 "
    "清华 景苑 和园 福地 百合 水岸 江南 金港 润园 悦城"
).split()
ESTATE_SUFFIXES = ("苑", "花园", "小区", "新村", "家园", "名邸", "公寓", "华府")
# Former names of estates 曾用名: the works dormitories many estates were built over.
OLD_ESTATE_NAMES = (
    "化肥厂宿舍", "粮食局宿舍", "供电局宿舍", "纺织厂宿舍", "农机厂宿舍", "棉纺厂宿舍", "食品站宿舍", "轮船公司宿舍",
    "酒厂宿舍", "药材公司宿舍", "百货公司宿舍", "邮电局宿舍",
)
GATE_WORDS = {"北": "北门", "南": "南门", "东": "东门", "西": "西门"}

# Point-of-interest kinds: category → name suffixes (a POI name is a place word + one of these).
POI_KINDS = {
    "学校": ("小学", "中学", "幼儿园", "实验学校"),
    "医院": ("社区卫生服务中心", "诊所"),
    "农贸市场": ("农贸市场", "菜场"),
    "公园": ("公园", "游园", "广场"),
    "商店": ("超市", "便利店", "大药房", "五金店", "家电城"),
    "银行": ("农商银行", "邮政储蓄所"),
    "宾馆": ("宾馆", "大酒店"),
}
POI_COUNTS = {"学校": 36, "医院": 14, "农贸市场": 12, "公园": 10, "商店": 90, "银行": 16, "宾馆": 14}
