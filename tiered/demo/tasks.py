"""The demo's plan side: item list, annual plan of tasks, imported tiers, and what past
inspections carry (task id, type, result category).

Everything here draws from its own random stream (`np.random.default_rng([seed, STREAM])`),
so adding it changed none of the demo's other tables.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tiered.demo import names as nm
from tiered.demo.history import department

STREAM = 12
# RESULTS_FOUND in names.py, in order: 责令整改, 责令改正并处罚款, 移送处理, 无法联系
RESULT_CATEGORY = np.array(["normal", "corrected", "corrected", "pending", "unreachable"], object)
COMPLAINT_SHARE = 6 / 7  # the hazard after a complaint is 7x: 6 of 7 such checks answer it


def side_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM])


def inspection_columns(ins, sector: np.ndarray, year: np.ndarray, seed: int):
    """(type, category, task_id) arrays for the demo's past inspections.

    Most checks in the two months after a complaint answer it (type complaint); a few others
    are referrals (3%) or data-monitoring hits (2%); the rest are planned and carry the task
    id of that year's sector task (e.g. HDSJ-2025-07).
    """
    rng = side_rng(seed)
    n = ins.ent.size
    u = rng.random(n)
    kind = np.full(n, "planned", dtype=object)
    kind[(u < 0.03)] = "referral"
    kind[(u >= 0.03) & (u < 0.05)] = "monitoring"
    kind[ins.after_complaint & (rng.random(n) < COMPLAINT_SHARE)] = "complaint"
    category = RESULT_CATEGORY[ins.result]
    task = np.array(
        [f"HDSJ-{y}-{s + 1:02d}" for y, s in zip(year.tolist(), sector.tolist(), strict=True)],
        dtype=object,
    )
    task[kind != "planned"] = None
    return kind, category, task


# ------------------------------------------------------------------------- the item list

# One item a line: item_id|name|department|kind|sectors|entity_types|basis|method|frequency
ITEMS_TEXT = """
SC01|企业公示信息情况检查|市场监督管理局|general||enterprise;cooperative|《企业信息公示暂行条例》第十四条|书面检查、实地核查|
SC02|登记事项与营业执照使用情况检查|市场监督管理局|general|||《市场主体登记管理条例》第三十八条|实地核查|
SC03|食品经营许可情况检查|市场监督管理局|key|food_drug||《食品安全法》第三十五条|现场检查|A:1;B:2;C:3;D:4
SC04|食品安全管理制度落实情况检查|市场监督管理局|key|food_drug||《食品安全法》第四十四条|现场检查|A:1;B:2;C:3;D:4
SC05|药品经营质量管理规范执行情况检查|市场监督管理局|key|food_drug||《药品管理法》第五十三条|现场检查|
SC06|特种设备使用安全检查|市场监督管理局|key|work_safety;construction||《特种设备安全法》第五十七条|现场检查|
SC07|产品质量监督抽查|市场监督管理局|key|other||《产品质量法》第十五条|抽样检验|
SC08|广告发布情况检查|市场监督管理局|general|culture_tourism;other||《广告法》第四十九条|书面检查|
SC09|计量器具使用情况检查|市场监督管理局|general|other;food_drug||《计量法》第九条|现场检查|
SC10|明码标价与价格行为检查|市场监督管理局|general|||《价格法》第十三条|现场检查|
WJ01|公共场所卫生检查|卫生健康局|general|health;culture_tourism;food_drug||《公共场所卫生管理条例》第三条|现场检查|
WJ02|医疗机构执业活动检查|卫生健康局|key|health||《医疗机构管理条例》第四十条|现场检查|
WJ03|生活饮用水卫生检查|卫生健康局|key|health;other||《生活饮用水卫生监督管理办法》第十六条|现场检查、抽样检验|
WJ04|职业卫生检查|卫生健康局|general|work_safety;construction||《职业病防治法》第六十二条|现场检查|
ZJ01|建筑市场主体资质资格检查|住房和城乡建设局|general|construction||《建筑法》第十三条|书面检查|
ZJ02|施工现场质量安全检查|住房和城乡建设局|key|construction||《建设工程质量管理条例》第四十七条|现场检查|
ZJ03|房地产开发经营行为检查|住房和城乡建设局|general|construction||《城市房地产开发经营管理条例》第三十三条|书面检查|
HB01|排污许可执行情况检查|生态环境局|key|environment||《排污许可管理条例》第二十八条|现场检查|
HB02|污染防治设施运行情况检查|生态环境局|key|environment||《环境保护法》第二十四条|现场检查|
HB03|危险废物规范化管理检查|生态环境局|key|environment;work_safety||《固体废物污染环境防治法》第七十七条|现场检查|
JT01|道路运输经营资质检查|交通运输局|general|transport||《道路运输条例》第六十条|书面检查|
JT02|机动车维修经营检查|交通运输局|general|transport||《机动车维修管理规定》第四十八条|现场检查|
JT03|道路运输安全生产检查|交通运输局|key|transport||《安全生产法》第六十五条|现场检查|
RS01|劳动用工情况检查|人力资源和社会保障局|general|||《劳动保障监察条例》第十一条|书面检查|
RS02|工资支付情况检查|人力资源和社会保障局|key|construction;labour||《保障农民工工资支付条例》第四十八条|书面检查、实地核查|
YJ01|安全生产责任制落实情况检查|应急管理局|key|work_safety||《安全生产法》第二十二条|现场检查|
YJ02|危险化学品经营许可检查|应急管理局|key|work_safety||《危险化学品安全管理条例》第三十三条|现场检查|
YJ03|安全生产与应急预案检查|应急管理局|general|||《生产安全事故应急条例》第五条|现场检查|
WL01|旅游经营服务质量检查|文体旅游广电局|general|culture_tourism||《旅游法》第八十五条|现场检查|
WL02|文化市场经营活动检查|文体旅游广电局|general|culture_tourism||《娱乐场所管理条例》第三十五条|现场检查|
SW01|发票使用情况检查|税务局|general|tax||《发票管理办法》第三十条|书面检查|
SW02|纳税申报情况检查|税务局|general|tax||《税收征收管理法》第五十四条|书面检查|
RF01|人防工程维护管理情况检查|人民防空办公室|general|civil_defence||《人民防空法》第二十五条|现场检查|
FG01|电力业务许可情况检查|发展和改革局|general|power||《电力监管条例》第十三条|书面检查|
FG02|供用电安全检查|发展和改革局|key|power||《电力法》第十九条|现场检查|
"""
ITEMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(line.split("|")) for line in ITEMS_TEXT.strip().splitlines()
)
ITEM_COLUMNS = (
    "item_id",
    "name",
    "department",
    "kind",
    "sectors",
    "entity_types",
    "basis",
    "method",
    "frequency",
)


def items() -> pd.DataFrame:
    return pd.DataFrame(list(ITEMS), columns=list(ITEM_COLUMNS)).replace("", None)


# --------------------------------------------------------------------- the annual plan

# One task a line: suffix|name|first month (of the plan year; task 00: the month after the
# history)|months|items|lead|other departments|sectors|entity_types|ratio|count|jurisdiction|
# tier_rates
PLAN_TEXT = """
00|岁末食品安全与公共场所卫生联合检查|0|1|SC03;SC04;WJ01|市场监督管理局|卫生健康局|food_drug||0.03|||
01|企业公示信息抽查|3|3|SC01|市场监督管理局|||enterprise;cooperative|0.03|||
02|食品经营主体分级抽查|4|3|SC03;SC04|市场监督管理局||food_drug||0.05|||
03|药品经营质量专项检查|5|3|SC05|市场监督管理局||food_drug|||80||
04|建筑施工现场联合检查|3|4|ZJ02;YJ03;RS02|住房和城乡建设局|应急管理局;人力资源和社会保障局|construction||0.05|||
05|排污许可执行情况检查|6|3|HB01;HB02|生态环境局||environment||0.1|||
06|道路运输企业联合检查|7|3|JT01;JT03;YJ03|交通运输局|应急管理局|transport||0.05|||
07|医疗机构执业活动检查|4|2|WJ02|卫生健康局||health||0.08|||
08|旅游市场联合检查|5|4|WL01;SC08|文体旅游广电局|市场监督管理局|culture_tourism||0.05|||
09|民和县食品经营抽查（县抽县查）|9|2|SC03|市场监督管理局||food_drug||0.05||民和县|
10|化隆县企业公示信息抽查|10|2|SC01|市场监督管理局|||enterprise|0.05||化隆县|
11|循化县危险化学品经营检查|8|2|YJ02|应急管理局||work_safety||0.2||循化县|A:0.05;B:0.1;C:0.3;D:0.6
12|问题主体定向复查|9|3|SC01;SC02|市场监督管理局|||||||
13|劳动用工与工资支付检查|10|2|RS01;RS02|人力资源和社会保障局||labour;construction||0.04|||
14|发票使用情况检查|6|2|SW01|税务局||tax||0.03|||
15|互助县公共场所卫生与食品安全联合检查|11|2|SC04;WJ01|市场监督管理局|卫生健康局|food_drug;health||0.05||互助县|
"""


def _plan_rows() -> list[list[str]]:
    return [line.split("|") for line in PLAN_TEXT.strip().splitlines()]


DIRECTED = "12"  # the directed task: entities whose inspection in the last year found a problem


def plan_tasks(end: str, problem_usccs: list[str]) -> pd.DataFrame:
    """The annual plan for the year after `end`'s (task 00: the month right after `end`)."""
    first = pd.Period(end, "M") + 1
    year = int(end[:4]) + 1
    rows = []
    for row in _plan_rows():
        suffix, name, offset, months, its, lead, others, sectors, types = row[:9]
        ratio, count, where, rates = row[9:]
        offset, months = int(offset), int(months)
        start = first if suffix == "00" else pd.Period(f"{year}-01", "M") + (offset - 1)
        stop = start + (months - 1)
        directed = suffix == DIRECTED
        rows.append(
            {
                "task_id": f"HD{start.year}-{suffix}",
                "name": name,
                "start": start.start_time.normalize(),
                "end": stop.end_time.normalize(),
                "items": its,
                "lead_department": lead,
                "departments": others or None,
                "sectors": sectors or None,
                "regions": None,
                "entity_types": types or None,
                "directed": directed,
                "targets": ";".join(problem_usccs) if directed else None,
                "ratio": float(ratio) if ratio else None,
                "count": int(count) if count else None,
                "jurisdiction": where or None,
                "tier_rates": rates or None,
                "allow_repeat": False,
            }
        )
    return pd.DataFrame(rows)


def problem_targets(inspections: pd.DataFrame, active: pd.Series, end: str, n: int = 40):
    """The directed task's list: up to `n` active entities whose inspection 13 to 24 months
    before the plan year found a problem (a follow-up; more recent ones are still in their
    cooldown). Sorted, so the list is stable."""
    since = (pd.Period(end, "M") - 23).start_time
    until = (pd.Period(end, "M") - 11).start_time
    when = inspections["date"]
    recent = inspections[(when >= since) & (when < until) & inspections["found_problem"]]
    later = set(inspections.loc[when >= until, "uscc"])
    hits = sorted((set(recent["uscc"]) & set(active)) - later)
    return hits[:n]


# -------------------------------------------------------------- staff and imported tiers

TASK_DEPARTMENTS = tuple(dict.fromkeys(row[2] for row in ITEMS))
MIN_PER_COUNTY = 4  # two per inspection, plus room for recusal and rotation


def staff_departments(inspectors: pd.DataFrame, seed: int, person_names: Callable) -> pd.DataFrame:
    """Inspectors added so that every item department has MIN_PER_COUNTY active inspectors in
    every county (the demo's inspectors were made per sector, departments follow from that)."""
    rng = side_rng(seed + 1)
    active = inspectors[inspectors["active"]]
    width = len(str(inspectors["inspector_id"].iloc[-1])) - 2
    n = len(inspectors)
    rows = []
    sector_of = {d: s for s, d in nm.SECTOR_DEPARTMENTS.items()}
    for region in nm.REGIONS:
        mine = active[active["region"] == region]["department"]
        for dept in TASK_DEPARTMENTS:
            have = int(mine.map(lambda v, d=dept: str(v).endswith(d)).sum())
            for _ in range(max(0, MIN_PER_COUNTY - have)):
                n += 1
                sector = sector_of.get(dept, "other")
                rows.append(
                    {
                        "inspector_id": f"HD{n:0{width}d}",
                        "name": "",
                        "sectors": sector,
                        "department": department(region, sector),
                        "region": region,
                        "active": True,
                    }
                )
    extra = pd.DataFrame(rows, columns=inspectors.columns)
    if len(extra):
        region_idx = np.array([list(nm.REGIONS).index(r) for r in extra["region"]])
        extra["name"] = person_names(rng, region_idx)
    return pd.concat([inspectors, extra], ignore_index=True)


TIER_SOURCE = "市场监管总局企业信用风险分类"
TIER_MIX = (0.486, 0.415, 0.064, 0.035)  # Xinjiang 2022 (DOMAIN.md)


def imported_tiers(entities: pd.DataFrame, propensity: np.ndarray, end: str, seed: int):
    """SAMR's classification of the active enterprises as of the end of `end`: the hidden
    propensity seen through noise, cut to the Xinjiang mix; one in ten enterprises (new ones,
    say) has none, and individual businesses have none (the province classifies those)."""
    rng = side_rng(seed + 2)
    enterprise = (entities["entity_type"] == "enterprise") & (entities["status"] == "active")
    idx = np.flatnonzero(enterprise.to_numpy() & (rng.random(len(entities)) < 0.9))
    logit = np.log(propensity[idx] / (1 - propensity[idx])) + rng.normal(0, 0.8, idx.size)
    cuts = np.quantile(logit, np.cumsum(TIER_MIX)[:-1])
    tier = np.array(["A", "B", "C", "D"], dtype=object)[np.searchsorted(cuts, logit)]
    return pd.DataFrame(
        {
            "uscc": entities["uscc"].to_numpy()[idx],
            "tier": tier,
            "source": TIER_SOURCE,
            "date": pd.Period(end, "M").end_time.normalize(),
        }
    )
