"""Fixed parts of the demo: the named providers and brands, so codes never depend on --seed."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NamedProvider:
    name: str
    legal_name: str
    region: str
    types: tuple[str, ...]
    division: str  # 行政区划码 of the city where the company is registered
    monthly_net_gmv_yuan: int  # the level the demo aims at for the latest month
    status: str = "active"


# The first providers are the ones of the program's scenario (shared/SCENARIO.md).
NAMED_PROVIDERS = (
    NamedProvider(
        "杭州星火代运营",
        "杭州星火电子商务有限公司",
        "east",
        ("store_operation",),
        "330100",
        85_000_000,
    ),
    NamedProvider(
        "成都山海直播基地",
        "成都山海文化传媒有限公司",
        "southwest",
        ("live_base",),
        "510100",
        12_500_000,
    ),
    NamedProvider(
        "广州青禾MCN",
        "广州青禾网络科技有限公司",
        "south",
        ("streamer_agency",),
        "440100",
        92_000_000,
    ),
    NamedProvider(
        "义乌万象供应链",
        "义乌万象供应链管理有限公司",
        "east",
        ("supply_chain",),
        "330782",
        7_900_000,
    ),
    NamedProvider(
        "温州晨光服饰",
        "温州晨光服饰有限公司",
        "east",
        ("supply_chain", "store_operation"),
        "330300",
        5_000_000,
    ),
    NamedProvider(
        "北京云帆营销", "北京云帆营销策划有限公司", "north", ("marketing",), "110000", 30_000_000
    ),
    NamedProvider(
        "武汉楚才培训", "武汉楚才教育科技有限公司", "central", ("training",), "420100", 2_000_000
    ),
)

# Brands named in the seed report, with the monthly GMV the report gives them (yuan).
NAMED_BRANDS = (
    ("口水娃", "食品", 62_000_000),  # 月GMV突破6000万
    ("韩熙贞", "美妆", 21_000_000),  # 自播月GMV已破2000万
    ("海澜之家", "服饰", 11_000_000),  # 月GMV破千万
    ("雨森卫品", "日用", 9_000_000),
    ("合味芳", "食品", 6_000_000),
)

CATEGORIES = ("食品", "服饰", "美妆", "日用", "母婴", "家居", "数码", "生鲜", "珠宝", "酒水")
CITY_BY_REGION = {
    "east": (
        ("杭州", "330100"),
        ("上海", "310000"),
        ("南京", "320100"),
        ("苏州", "320500"),
        ("临沂", "371300"),
    ),
    "south": (("广州", "440100"), ("深圳", "440300"), ("厦门", "350200")),
    "north": (("北京", "110000"), ("天津", "120000"), ("石家庄", "130100")),
    "central": (("武汉", "420100"), ("长沙", "430100"), ("郑州", "410100")),
    "southwest": (("成都", "510100"), ("重庆", "500000"), ("昆明", "530100")),
    "northwest": (("西安", "610100"), ("兰州", "620100")),
    "northeast": (("沈阳", "210100"), ("哈尔滨", "230100"), ("长春", "220100")),
}
# Weights follow where live commerce concentrates: East and South China first.
REGION_WEIGHTS = {
    "east": 34,
    "south": 22,
    "north": 12,
    "central": 11,
    "southwest": 10,
    "northwest": 5,
    "northeast": 6,
}
NAME_HEADS = (
    "星",
    "云",
    "青",
    "山",
    "海",
    "鸿",
    "锦",
    "瑞",
    "嘉",
    "优",
    "汇",
    "启",
    "乐",
    "森",
    "禾",
    "晨",
    "盛",
    "华",
    "新",
    "创",
)
NAME_TAILS = (
    "代运营",
    "直播基地",
    "MCN",
    "供应链",
    "营销",
    "电商",
    "传媒",
    "网络科技",
    "文化",
    "品牌管理",
)
TYPE_BY_TAIL = {
    "代运营": "store_operation",
    "直播基地": "live_base",
    "MCN": "streamer_agency",
    "供应链": "supply_chain",
    "营销": "marketing",
    "电商": "store_operation",
    "传媒": "streamer_agency",
    "网络科技": "marketing",
    "文化": "live_base",
    "品牌管理": "training",
}
BRAND_SYLLABLES = (
    "悦",
    "美",
    "安",
    "佳",
    "茂",
    "康",
    "良",
    "品",
    "味",
    "尚",
    "雅",
    "果",
    "麦",
    "田",
    "源",
    "沐",
    "欣",
    "朗",
)
PERSON_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙")
PERSON_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "涛", "婷")
