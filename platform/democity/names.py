"""Chinese names for the demo city: its streets and towns, community and road words, companies.

Kept as data in one place so the generator modules stay about geometry and counts. Street and
town names are real ones of 大丰区; communities and roads are drawn from words common in Dafeng
and Jiangsu place names, so the map reads like a real district without claiming to be one.
"""

from __future__ import annotations

DISTRICT_CODE = "320982"
DISTRICT_NAME = "大丰区"

# Street 001 is the urban core; the others are arranged around it.
STREETS = ("大中街道", "丰华街道", "新丰镇", "南阳镇", "万盈镇", "草庙镇")

# Two-character words for communities 社区/村 and roads (drawn without replacement, so names are unique).
PLACE_WORDS = (
    "幸福 人民 健康 城东 城西 城南 城北 裕华 金墩 卯酉 银杏 丰收 和平 南翔 大龙 新团 三圩 四岸 北闸 南闸 "
    "东坝 西坝 戴家 孙桥 陈灶 朱湾 五岳 龙堤 恒北 东新 沙港 万丰 兴盛 振兴 新华 光明 建设 向阳 红旗 民主 "
    "永安 东方 星火 曙光 前进 友谊 团结 胜利 先锋 丰乐 丰产 新民 新建 新港 海丰 海滨 盐西 斗龙 川东 梁垛 "
    "沈灶 施家 潘家 周刘 花园 阳光 锦绣 瑞丰 青年 港城 丰泰 丰盛 东进 常新 大华 黄海 华丰 西康 通榆 工农 "
    "育英 文峰 学府 迎宾 康平 永丰 富民 丰东 白驹 草堰 刘庄 西团 小海 大桥 三龙 双喜 新河 南环 北环 跃进"
).split()

ROAD_SUFFIX = {1: "大道", 2: "路", 3: "路", 4: "巷"}
# Where a lattice line carries several runs of one road: west→east or south→north.
RUN_SUFFIX = {"h": ("西段", "中段", "东段"), "v": ("南段", "中段", "北段")}
# The open end of a road, for cleaning-segment names 健康路（西端—人民路）.
ROAD_ENDS = {"h": ("西端", "东端"), "v": ("南端", "北端")}

COMPANY_WORDS = ("恒丰", "瑞达", "华誉", "东升", "新宇", "海晟", "鼎盛", "嘉禾", "宏图", "金源", "润泽", "远航")
CONTRACTORS = tuple(f"江苏{w}建设集团有限公司" for w in COMPANY_WORDS)
PROJECT_KINDS = ("花园", "家园", "名邸", "商业广场", "安置小区", "学校", "医院门诊楼", "道路改造工程")
INDUSTRIES = ("化工", "机械制造", "汽车维修", "电子科技", "纺织印染", "金属表面处理", "医药", "船舶配件")
HOSPITALS = ("大丰区人民医院", "大丰区中医院", "大丰区妇幼保健院", "大丰区第二人民医院")
HAZWASTE_CATEGORIES = (
    "HW01 医疗废物", "HW06 废有机溶剂", "HW08 废矿物油", "HW12 染料涂料废物", "HW17 表面处理废物", "HW49 其他废物",
)
RECYCLABLES = ("废纸", "塑料", "金属", "玻璃", "织物", "废旧家电")
