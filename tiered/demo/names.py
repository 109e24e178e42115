"""Name pools and shares for the synthetic Haidong workspace (`tiered.demo`).

Kept apart from the generator so the numbers an analyst may want to argue with (district shares,
sector mixes, department names, inspection items) sit in one readable place.
"""

from __future__ import annotations

from tables.spec import DEFAULT_SECTORS

# District / county -> (division code, share of market entities). Shares follow population.
REGIONS: dict[str, tuple[str, float]] = {
    "乐都区": ("630202", 0.25),
    "平安区": ("630203", 0.15),
    "民和县": ("630222", 0.22),
    "互助县": ("630223", 0.21),
    "化隆县": ("630224", 0.10),
    "循化县": ("630225", 0.07),
}

# Short form used in enterprise names ("青海乐都…").
REGION_SHORT: dict[str, str] = {
    "乐都区": "乐都",
    "平安区": "平安",
    "民和县": "民和",
    "互助县": "互助",
    "化隆县": "化隆",
    "循化县": "循化",
}

ENTITY_TYPES: tuple[str, ...] = ("individual", "enterprise", "cooperative")
TYPE_SHARES: tuple[float, ...] = (0.67, 0.28, 0.05)
# First two USCC characters: registration authority 9 (market regulation) + type.
TYPE_PREFIX: dict[str, str] = {"individual": "92", "enterprise": "91", "cooperative": "93"}

SECTORS: tuple[str, ...] = DEFAULT_SECTORS  # the order SECTOR_SHARES rows follow

# Sector shares by entity type (same order as SECTORS); each row sums to 1.
SECTOR_SHARES: dict[str, tuple[float, ...]] = {
    "individual": (0.02, 0.005, 0.12, 0.06, 0.02, 0.12, 0.34, 0.04, 0.02, 0.03, 0.002, 0.223),
    "enterprise": (0.05, 0.03, 0.09, 0.22, 0.06, 0.09, 0.13, 0.05, 0.06, 0.07, 0.01, 0.14),
    "cooperative": (0.0, 0.0, 0.05, 0.0, 0.03, 0.02, 0.25, 0.0, 0.01, 0.02, 0.0, 0.62),
}

# Additive effect on the logit of the violation propensity.
SECTOR_RISK: dict[str, float] = {
    "tax": -0.2,
    "power": -0.4,
    "culture_tourism": 0.0,
    "construction": 0.35,
    "environment": 0.1,
    "transport": 0.2,
    "food_drug": 0.3,
    "health": 0.0,
    "labour": 0.1,
    "work_safety": 0.2,
    "civil_defence": -0.2,
    "other": -0.1,
}
TYPE_RISK: dict[str, float] = {"individual": 0.0, "enterprise": -0.1, "cooperative": 0.2}

# Surnames common in Haidong (Han, Hui, Tu, Salar, Tibetan families), with rough weights.
SURNAMES: tuple[str, ...] = tuple(
    "王李张马刘韩赵陈杨祁朱冶白何孙胡郭吕苏汪谢鲁安余星罗吴徐周冯魏蔡"
)
SURNAME_WEIGHTS: tuple[float, ...] = (
    9,
    8,
    8,
    9,
    6,
    4,
    5,
    5,
    5,
    2,
    3,
    1,
    2,
    3,
    3,
    3,
    3,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
    1,
    2,
    2,
    2,
    2,
    2,
    2,
    2,
)
# Regions where a surname is much more frequent (Hui in 民和/化隆, Salar in 循化, Tu in 互助).
SURNAME_BOOST: dict[str, dict[str, float]] = {
    "民和县": {"马": 3.0},
    "化隆县": {"马": 3.0, "韩": 1.5},
    "循化县": {"韩": 5.0, "马": 2.0},
    "互助县": {"祁": 3.0, "星": 3.0},
}
GIVEN_CHARS: tuple[str, ...] = tuple(
    "建国明海华平军英秀兰玉梅文福成忠林德鹏辉强伟芳丽霞红志勇刚贵发有录财清青生延永庆"
    "元春花莲燕晓东宏斌学守正全义仁"
)

# Trade-name characters (字号).
BRAND_CHARS: tuple[str, ...] = tuple(
    "鑫瑞祥泰华盛隆源丰达通宏金昌汇康福兴安恒德诚信宇嘉河湟高原青润"
)

# Individual businesses: shop words per sector.
SHOP_WORDS: dict[str, tuple[str, ...]] = {
    "tax": ("财税咨询部", "代账服务部"),
    "power": ("电器维修部", "水电安装部"),
    "culture_tourism": ("农家乐", "宾馆", "网吧", "茶园", "旅社", "民宿"),
    "construction": ("建材经营部", "装饰部", "五金建材店"),
    "environment": ("废品收购站", "洗车店"),
    "transport": ("货运部", "汽修部", "运输队", "汽车修理厂"),
    "food_drug": (
        "面馆",
        "牛肉面馆",
        "小吃店",
        "超市",
        "便利店",
        "药店",
        "清真餐厅",
        "烧烤店",
        "批发部",
        "粮油店",
    ),
    "health": ("诊所", "推拿按摩店", "眼镜店"),
    "labour": ("家政服务部", "劳务服务部"),
    "work_safety": ("加油站", "烟花爆竹店", "液化气站"),
    "civil_defence": ("防护设备维修部",),
    "other": ("理发店", "服装店", "百货店", "手机店", "日杂店", "门市部", "洗衣店", "文具店"),
}

# Enterprises: industry words per sector.
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "tax": ("财务咨询", "税务师事务所"),
    "power": ("电力工程", "新能源", "光伏发电"),
    "culture_tourism": ("文化旅游开发", "旅行社", "酒店管理", "文化传媒"),
    "construction": ("建筑工程", "建设工程", "路桥工程", "建筑劳务", "装饰工程"),
    "environment": ("环保科技", "环境工程", "再生资源回收"),
    "transport": ("物流", "运输", "汽车运输", "客运"),
    "food_drug": ("食品", "餐饮管理", "医药", "清真食品", "牛羊肉食品", "商贸"),
    "health": ("医疗器械", "健康管理", "医院管理"),
    "labour": ("劳务派遣", "人力资源服务"),
    "work_safety": ("矿业", "化工", "石油化工", "燃气"),
    "civil_defence": ("人防工程", "防护设备"),
    "other": ("商贸", "农牧业开发", "科技", "实业", "贸易", "农业科技"),
}
COMPANY_SUFFIXES: tuple[str, ...] = ("有限公司", "有限公司", "有限公司", "有限责任公司")

# Cooperatives: products.
COOP_WORDS: tuple[str, ...] = (
    "种植",
    "养殖",
    "马铃薯种植",
    "蔬菜种植",
    "中药材种植",
    "牛羊养殖",
    "农机",
    "油菜种植",
    "枸杞种植",
    "青稞种植",
    "畜牧养殖",
    "果蔬种植",
)

# Department suffix by sector: the source of records and the inspector's unit.
SECTOR_DEPARTMENTS: dict[str, str] = {
    "tax": "税务局",
    "power": "发展和改革局",
    "culture_tourism": "文体旅游广电局",
    "construction": "住房和城乡建设局",
    "environment": "生态环境局",
    "transport": "交通运输局",
    "food_drug": "市场监督管理局",
    "health": "卫生健康局",
    "labour": "人力资源和社会保障局",
    "work_safety": "应急管理局",
    "civil_defence": "人民防空办公室",
    "other": "市场监督管理局",
}

# Inspection items (抽查事项) per sector.
INSPECTION_ITEMS: dict[str, tuple[str, ...]] = {
    "tax": ("发票使用情况检查", "纳税申报情况检查"),
    "power": ("电力业务许可情况检查", "供用电安全检查"),
    "culture_tourism": ("旅游经营服务质量检查", "文化市场经营活动检查"),
    "construction": ("建筑市场主体资质资格检查", "施工现场质量安全检查"),
    "environment": ("排污许可执行情况检查", "污染防治设施运行情况检查"),
    "transport": ("道路运输经营资质检查", "机动车维修经营检查"),
    "food_drug": (
        "食品经营许可情况检查",
        "食品安全管理制度落实情况检查",
        "药品经营质量管理规范执行情况检查",
    ),
    "health": ("医疗机构执业活动检查", "公共场所卫生检查"),
    "labour": ("劳动用工情况检查", "工资支付情况检查"),
    "work_safety": ("安全生产责任制落实情况检查", "危险化学品经营许可检查"),
    "civil_defence": ("人防工程维护管理情况检查",),
    "other": ("企业公示信息情况检查", "营业执照使用情况检查", "登记事项情况检查"),
}
RESULT_OK = "未发现问题"
# Results when a problem was found, with weights; the one with a fine also creates a penalty.
RESULTS_FOUND: tuple[str, ...] = (
    "发现问题已责令整改",
    "责令改正并处罚款",
    "发现问题移送相关部门处理",
    "通过登记的住所无法联系",
)
RESULTS_FOUND_WEIGHTS: tuple[float, ...] = (0.55, 0.30, 0.10, 0.05)
RESULT_FINED = 1  # index into RESULTS_FOUND

CONFLICT_REASONS: tuple[str, ...] = ("亲属关系", "曾任职", "经济往来")
