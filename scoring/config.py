"""Scoring parameters: the indicator system, windows, fading, overrides, thresholds, risk.

Everything a bureau may want to tune is here as frozen dataclasses with defaults, so that
`tiered/config.py` can build them from `config.yaml`. No national weights are published (DOMAIN.md):
the indicator table is configuration, not code. Score = baseline + positive points - negative
points, clipped to 0-1000; each indicator contributes `points * min(value, cap)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring.errors import ScoringConfigError  # noqa: F401 - re-exported for callers

# Dimension code -> Chinese label (SAMR's five first-level dimensions).
DIMENSIONS: dict[str, str] = {
    "basic": "基础属性",
    "dynamic": "动态信息",
    "supervision": "监管信息",
    "related": "关联关系",
    "social": "社会评价",
}
DIMENSION_LABELS_EN: dict[str, str] = {
    "basic": "basic attributes",
    "dynamic": "dynamic information",
    "supervision": "supervision information",
    "related": "related-party relations",
    "social": "social evaluation",
}
TIERS: tuple[str, ...] = ("A", "B", "C", "D")


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator: what it adds or deducts per unit of its as-of value."""

    dimension: str  # one of basic, dynamic, supervision, related, social
    points: float  # points per unit of the indicator's value (>= 0)
    direction: str  # "+" adds the points, "-" deducts them
    cap: float | None = None  # the value counts up to this many units; None = no cap
    label: str = ""  # Chinese name, shown in the README and the app


def _ind(dim: str, points: float, direction: str, cap: float | None, label: str) -> IndicatorSpec:
    return IndicatorSpec(dim, points, direction, cap, label)


# name -> spec. The names are the indicator columns computed by `scoring.indicators`.
DEFAULT_INDICATORS: dict[str, IndicatorSpec] = {
    # 基础属性 basic attributes
    "age_years": _ind("basic", 4, "+", 10, "成立年限（年）"),
    "capital_level": _ind("basic", 8, "+", 5, "注册资本规模（log10 万元）"),
    "enterprise": _ind("basic", 20, "+", 1, "企业法人"),
    "cooperative": _ind("basic", 10, "+", 1, "农民专业合作社"),
    # 动态信息 dynamic information
    "annual_report_late": _ind("dynamic", 30, "-", 3, "年报逾期"),
    "abnormal_operation": _ind("dynamic", 150, "-", 1, "列入经营异常名录"),
    "commitment_broken": _ind("dynamic", 60, "-", 3, "信用承诺未履行"),
    "commitment_kept": _ind("dynamic", 10, "+", 5, "信用承诺履行"),
    # 监管信息 supervision information
    "penalty_minor": _ind("supervision", 15, "-", 5, "行政处罚（轻微）"),
    "penalty_general": _ind("supervision", 60, "-", 5, "行政处罚（一般）"),
    "penalty_serious": _ind("supervision", 150, "-", 3, "行政处罚（严重）"),
    "serious_dishonesty": _ind("supervision", 300, "-", 1, "列入严重违法失信名单"),
    "court_dishonest_debtor": _ind("supervision", 150, "-", 1, "失信被执行人"),
    "inspection_problem": _ind("supervision", 50, "-", 3, "抽查发现问题"),
    "inspection_clean": _ind("supervision", 10, "+", 3, "抽查未发现问题"),
    # 关联关系 related-party relations
    "related_dishonest": _ind("related", 80, "-", 2, "同一法定代表人关联主体严重失信"),
    # 社会评价 social evaluation
    "commendation": _ind("social", 20, "+", 3, "表彰奖励"),
    "complaint": _ind("social", 20, "-", 5, "投诉举报"),
    "tax_grade_A": _ind("social", 40, "+", 1, "纳税信用A级"),
    "tax_grade_B": _ind("social", 15, "+", 1, "纳税信用B级"),
    "tax_grade_C": _ind("social", 40, "-", 1, "纳税信用C级"),
    "tax_grade_D": _ind("social", 120, "-", 1, "纳税信用D级"),
    "sector_rating_A": _ind("social", 30, "+", 1, "行业信用评价A级"),
    "sector_rating_B": _ind("social", 10, "+", 1, "行业信用评价B级"),
    "sector_rating_C": _ind("social", 30, "-", 1, "行业信用评价C级"),
    "sector_rating_D": _ind("social", 80, "-", 1, "行业信用评价D级"),
}


@dataclass(frozen=True)
class WindowConfig:
    """How long records count (days). Negative records by severity follow the 2025 repair rules."""

    minor_days: int = 92  # a minor negative record counts at most ~3 months
    general_days: int = 365  # a general negative record counts at most 1 year
    serious_days: int = 1095  # a serious negative record counts at most 3 years
    list_days: int = 1095  # a list membership counts from listing until removal, at most this long
    positive_days: int = 1095  # commitments kept and commendations count this long
    complaint_days: int = 365  # complaints count this long ("last 12 months")
    grade_days: int = 730  # the latest tax grade / sector rating is used if at most this old
    inspection_days: int = 730  # past inspection outcomes count this long
    # severity assumed when a negative record has none, per record kind
    default_severity: dict[str, str] = field(
        default_factory=lambda: {
            "penalty": "general",
            "commitment_broken": "general",
            "annual_report_late": "minor",
        }
    )


@dataclass(frozen=True)
class RepairConfig:
    """Minimum periods before a repair (`ended_on`) can end a negative record, counted in
    calendar months from the record's date (2025 credit-repair measures, in force 2026-04-01):
    a repair dated earlier takes effect only at the minimum; the maximum (the severity windows)
    still ends the record at the latest."""

    minor_months: int = 0  # a minor record may be repaired at once (in principle not published)
    general_months: int = 3  # a general record counts at least 3 months
    serious_months: int = 12  # a serious record counts at least 1 year
    # list kind -> months a listing counts before a removal can end it (serious dishonesty: 1 year)
    list_months: dict[str, int] = field(default_factory=lambda: {"serious_dishonesty": 12})


@dataclass(frozen=True)
class FadingConfig:
    """How a negative record's weight fades with age inside its window."""

    method: str = "linear"  # none | linear | exponential
    floor: float = 0.5  # linear: weight at the very end of the window (1.0 when new)
    half_life_days: float = 180.0  # exponential: age at which the weight halves


@dataclass(frozen=True)
class ThresholdConfig:
    """Minimum scores for tiers A, B and C; below `c` is D."""

    a: float = 739.0  # score >= a -> A (low risk)
    b: float = 630.0  # score >= b -> B (ordinary)
    c: float = 505.0  # score >= c -> C (higher); below -> D (high)


@dataclass(frozen=True)
class RiskConfig:
    """Score -> risk (probability that an inspection finds a problem), monotone decreasing."""

    method: str = "logistic"  # logistic | isotonic | prior (prior = the fixed logistic below)
    prior_midpoint: float = 550.0  # prior: score at which risk is 50%
    prior_scale: float = 145.0  # prior: points over which the odds change by a factor e
    min_inspections: int = 200  # fewer past inspections than this -> use the prior
    history_days: int = 1095  # only inspections this close before the as-of date calibrate


@dataclass(frozen=True)
class ScoringConfig:
    """The whole composite score. Scores never depend on the rest of the population."""

    baseline: float = 700.0  # points before any indicator is applied
    indicators: dict[str, IndicatorSpec] = field(default_factory=lambda: dict(DEFAULT_INDICATORS))
    windows: WindowConfig = field(default_factory=WindowConfig)
    # minimum periods before a repair (ended_on) ends a record (2025 credit-repair measures)
    repair: RepairConfig = field(default_factory=RepairConfig)
    fading: FadingConfig = field(default_factory=FadingConfig)
    # indicator -> best tier allowed while that indicator is non-zero (an override)
    overrides: dict[str, str] = field(
        default_factory=lambda: {
            "serious_dishonesty": "D",
            "abnormal_operation": "C",
            "court_dishonest_debtor": "C",
            "tax_grade_D": "C",
        }
    )
    # record kinds whose active listing of one entity marks its related parties
    related_kinds: tuple[str, ...] = ("serious_dishonesty",)
    thresholds: ThresholdConfig = field(default_factory=ThresholdConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    reason_reference: str = "median"  # median (population median contributions) | zero
    reasons: int = 3  # how many reasons per entity


def check_config(config: ScoringConfig) -> None:
    """Raise ScoringConfigError naming the first unusable key."""
    from scoring.indicators import INDICATOR_NAMES  # local: indicators imports this module

    for name, spec in config.indicators.items():
        key = f"scoring.indicators.{name}"
        if name not in INDICATOR_NAMES:
            raise ScoringConfigError(f"{key}: 未知指标 (unknown indicator {name!r})")
        if spec.dimension not in DIMENSIONS:
            raise ScoringConfigError(f"{key}.dimension: 未知维度 {spec.dimension!r} (unknown)")
        if spec.direction not in ("+", "-"):
            raise ScoringConfigError(f"{key}.direction: 应为 + 或 - (must be '+' or '-')")
        if spec.points < 0 or (spec.cap is not None and spec.cap < 0):
            raise ScoringConfigError(f"{key}: 分值和上限不能为负 (points and cap must be >= 0)")
    for name, tier in config.overrides.items():
        if name not in INDICATOR_NAMES or tier not in TIERS:
            raise ScoringConfigError(f"scoring.overrides.{name}: 无效覆盖规则 (bad override)")
    r = config.repair
    months = {
        "minor_months": r.minor_months,
        "general_months": r.general_months,
        "serious_months": r.serious_months,
    }
    for name, m in {**months, **{f"list_months.{k}": v for k, v in r.list_months.items()}}.items():
        if m < 0:
            raise ScoringConfigError(f"scoring.repair.{name}: 不能为负 (must be >= 0)")
    t = config.thresholds
    if not (t.a >= t.b >= t.c):
        raise ScoringConfigError("scoring.thresholds: 需满足 a >= b >= c (must be a >= b >= c)")
    if config.fading.method not in ("none", "linear", "exponential"):
        raise ScoringConfigError("scoring.fading.method: none | linear | exponential")
    if config.risk.method not in ("isotonic", "logistic", "prior"):
        raise ScoringConfigError("scoring.risk.method: isotonic | logistic | prior")
    if config.reason_reference not in ("median", "zero"):
        raise ScoringConfigError("scoring.reason_reference: median | zero")


def indicator_table_markdown(config: ScoringConfig | None = None) -> str:
    """The README's indicator table (indicator, dimension, Chinese name, points, direction, cap)."""
    config = config or ScoringConfig()
    lines = [
        "| indicator | dimension | 中文名称 | points | direction | cap |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in config.indicators.items():
        cap = "—" if s.cap is None else f"{s.cap:g}"
        dim = f"{s.dimension} ({DIMENSIONS.get(s.dimension, '')})"
        lines.append(f"| `{name}` | {dim} | {s.label} | {s.points:g} | {s.direction} | {cap} |")
    return "\n".join(lines)
