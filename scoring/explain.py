"""Reason codes: the indicators that pull an entity's score furthest from a typical entity's.

Following toad's `get_reason`: each entity's signed points per indicator are compared with a
reference profile (by default the population median of each indicator's points; the reasons may
depend on the population, the score never does). The reasons are the indicators whose points
differ most from the typical entity's, in either direction (a cost or a gain).

Everything is vectorised: top-k by `argpartition` over the deviation matrix, then each distinct
(indicator, direction, count) code is formatted once and each distinct triple joined once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scoring.config import ScoringConfig

if TYPE_CHECKING:
    from scoring.composite import Points

NONE_TEXT = {"zh": "无明显加分或扣分项", "en": "no notable credit records"}
_CN = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}

# indicator -> (zh when higher than typical, zh when lower, en higher, en lower).
# {n}: count or years; {p}: the indicator's window ("近一年" / "in the last year").
TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "age_years": (
        "成立{n}年",
        "成立时间较短（不足{n1}年）",
        "registered {n} years ago",
        "recently registered (under {n1} years)",
    ),
    "capital_level": (
        "注册资本规模较大",
        "注册资本规模较小",
        "large registered capital",
        "small registered capital",
    ),
    "enterprise": ("企业法人主体", "非企业法人主体", "an enterprise", "not an enterprise"),
    "cooperative": ("农民专业合作社", "非农民专业合作社", "a cooperative", "not a cooperative"),
    "annual_report_late": (
        "{p}年报逾期{n}次",
        "{p}无年报逾期",
        "{n} late annual report(s) {p}",
        "no late annual report {p}",
    ),
    "abnormal_operation": (
        "列入经营异常名录",
        "未列入经营异常名录",
        "on the abnormal-operation list",
        "not on the abnormal-operation list",
    ),
    "commitment_broken": (
        "{p}信用承诺未履行{n}次",
        "{p}无信用承诺未履行",
        "{n} broken credit commitment(s) {p}",
        "no broken commitment {p}",
    ),
    "commitment_kept": (
        "{p}履行信用承诺{n}次",
        "{p}无信用承诺履行记录",
        "{n} credit commitment(s) kept {p}",
        "no kept commitment {p}",
    ),
    "penalty_minor": (
        "{p}行政处罚{n}次（轻微）",
        "{p}无轻微行政处罚",
        "{n} administrative penalty(ies) {p} (minor)",
        "no minor penalty {p}",
    ),
    "penalty_general": (
        "{p}行政处罚{n}次（一般）",
        "{p}无一般行政处罚",
        "{n} administrative penalty(ies) {p} (general)",
        "no general penalty {p}",
    ),
    "penalty_serious": (
        "{p}行政处罚{n}次（严重）",
        "{p}无严重行政处罚",
        "{n} administrative penalty(ies) {p} (serious)",
        "no serious penalty {p}",
    ),
    "serious_dishonesty": (
        "列入严重违法失信名单",
        "未列入严重违法失信名单",
        "on the serious illegal and dishonest list",
        "not on the serious list",
    ),
    "court_dishonest_debtor": (
        "被列为失信被执行人",
        "未被列为失信被执行人",
        "a court-listed dishonest debtor",
        "not a dishonest debtor",
    ),
    "inspection_problem": (
        "{p}抽查发现问题{n}次",
        "{p}抽查未发现问题",
        "problems found in {n} inspection(s) {p}",
        "no problem found {p}",
    ),
    "inspection_clean": (
        "{p}抽查{n}次未发现问题",
        "{p}无合格抽查记录",
        "{n} clean inspection(s) {p}",
        "no clean inspection {p}",
    ),
    "related_dishonest": (
        "同一法定代表人的{n}家关联主体列入严重违法失信名单",
        "关联主体无严重失信",
        "{n} related entity(ies) (same legal representative) seriously dishonest",
        "no seriously dishonest related entity",
    ),
    "commendation": (
        "{p}获表彰奖励{n}次",
        "{p}无表彰奖励",
        "{n} commendation(s) {p}",
        "no commendation {p}",
    ),
    "complaint": (
        "{p}被投诉举报{n}次",
        "{p}无投诉举报",
        "{n} complaint(s) {p}",
        "no complaint {p}",
    ),
}
for _g, _zh, _en in (
    ("tax_grade", "纳税信用", "tax credit grade"),
    ("sector_rating", "行业信用评价", "sector credit rating"),
):
    for _x in "ABCD":
        TEMPLATES[f"{_g}_{_x}"] = (
            f"{_zh}{_x}级",
            f"{_zh}非{_x}级",
            f"{_en} {_x}",
            f"{_en} not {_x}",
        )
# indicator -> count column used for {n} (default: the indicator's own value)
_COUNT_OF = {
    k: f"{k}_n"
    for k in (
        "penalty_minor",
        "penalty_general",
        "penalty_serious",
        "commitment_broken",
        "annual_report_late",
        "inspection_problem",
    )
}


def period(days: int, lang: str = "zh") -> str:
    """A window in words: 365 -> 近一年 / in the last year."""
    months = max(1, round(days / 30.44))
    if months % 12 == 0:
        y = months // 12
        return (
            f"近{_CN.get(y, y)}年"
            if lang == "zh"
            else ("in the last year" if y == 1 else f"in the last {y} years")
        )
    return f"近{_CN.get(months, months)}个月" if lang == "zh" else f"in the last {months} months"


def _window(name: str, config: ScoringConfig) -> int:
    w = config.windows
    sev = {
        "penalty_minor": w.minor_days,
        "penalty_general": w.general_days,
        "penalty_serious": w.serious_days,
    }
    if name in sev:
        return sev[name]
    if name in ("commitment_broken", "annual_report_late"):
        s = w.default_severity.get(name, "general")
        return {"minor": w.minor_days, "general": w.general_days}.get(s, w.serious_days)
    if name.startswith("inspection"):
        return w.inspection_days
    if name == "complaint":
        return w.complaint_days
    return w.positive_days


def reference(
    matrix: np.ndarray,
    how: str = "median",
    keys: np.ndarray | None = None,
    sample: int = 100_000,
) -> np.ndarray:
    """The typical entity's points per indicator: the column medians.

    Above `sample` rows the median is taken on a subset chosen by a hash of `keys` (the uscc),
    so a million-entity run stays fast and the result does not depend on row order.
    """
    if how == "zero" or len(matrix) == 0:
        return np.zeros(matrix.shape[1])
    if len(matrix) > sample:
        if keys is not None:
            step = np.uint64(-(-len(matrix) // sample))
            pick = _key_hashes(np.asarray(keys, dtype=object)) % step == 0
        else:
            pick = np.linspace(0, len(matrix) - 1, sample).astype(np.int64)
        matrix = matrix[pick]
    return np.median(np.ascontiguousarray(matrix.T), axis=1)


def _key_hashes(keys: np.ndarray) -> np.ndarray:
    """`pd.util.hash_array(keys)`: the same hashes, without first factorising keys that are
    all present (usccs: unique, so factorising only costs, ~0.6 s CPU at 1M); a missing key
    hashes differently uncategorised, so then pandas' default is kept."""
    return pd.util.hash_array(keys, categorize=bool(pd.isna(keys).any()))


def reasons(
    pts: Points,
    ind: pd.DataFrame,
    config: ScoringConfig,
    typical: np.ndarray,
    lang: str = "zh",
) -> np.ndarray:
    """Top `config.reasons` reasons per entity, joined by ';' (object array of str)."""
    names = pts.names
    n, k = pts.matrix.shape
    top = min(config.reasons, k)
    if n == 0 or top == 0:
        return np.array([NONE_TEXT[lang]] * n, dtype=object)
    plus = np.array([config.indicators[nm].direction == "+" for nm in names])
    count_cols = [ind[_COUNT_OF.get(nm, nm)].to_numpy(np.float64) for nm in names]
    base = int(k * 2 * 100 + 1)
    triple = np.empty(n, np.int64)
    for lo in range(0, n, _CHUNK):  # rows apart: (chunk, k) blocks the allocator reuses
        hi = min(lo + _CHUNK, n)
        triple[lo:hi] = _codes(pts.matrix[lo:hi], typical, top, plus, names,
                               [c[lo:hi] for c in count_cols], base)  # fmt: skip
    uniq, inv = np.unique(triple, return_inverse=True)
    texts: dict[int, str] = {}
    out_u = np.empty(len(uniq), dtype=object)
    for u, t in enumerate(uniq.tolist()):
        parts = []
        for _ in range(top):
            t, c = divmod(t, base)
            if c:
                if c not in texts:
                    texts[c] = _text(c - 1, names, config, lang)
                parts.append(texts[c])
        out_u[u] = ";".join(reversed(parts)) or NONE_TEXT[lang]
    return out_u[inv.reshape(-1)]


_CHUNK = 1 << 16  # rows per block of reason codes (a 30-indicator float32 block: 7.5 MiB)


def _codes(
    matrix: np.ndarray,
    typical: np.ndarray,
    top: int,
    plus: np.ndarray,
    names: tuple[str, ...],
    count_cols: list[np.ndarray],
    base: int,
) -> np.ndarray:
    """Each row's top reasons as one number: its `top` (indicator, direction, count) codes."""
    n, k = matrix.shape
    dev = np.empty((n, k), np.float32)
    np.subtract(matrix, typical, out=dev, casting="same_kind")
    key = np.abs(dev)
    key[key < 1.0] = 0.0  # at least one point from typical to be a reason
    # top `top` per row by repeated argmax: largest first, ties in the indicator table's order
    rows = np.arange(n)
    idx = np.empty((n, top), np.int64)
    val = np.empty((n, top), np.float32)
    for s in range(top):
        j = key.argmax(axis=1)
        idx[:, s] = j
        val[:, s] = key[rows, j]
        key[rows, j] = -1.0
    higher = (np.take_along_axis(dev, idx, axis=1) > 0) == plus[idx]
    counts = np.empty((n, k), np.uint8)
    for j, nm in enumerate(names):
        col = count_cols[j]
        counts[:, j] = np.clip(np.floor(col) if nm == "age_years" else np.round(col), 0, 99)
    cnt = np.take_along_axis(counts, idx, axis=1).astype(np.int64)
    code = (idx.astype(np.int64) * 2 + higher) * 100 + cnt
    code = np.where(val > 0, code, -1)
    triple = np.zeros(n, np.int64)
    for s in range(top):
        triple = triple * base + (code[:, s] + 1)
    return triple


def _text(code: int, names: tuple[str, ...], config: ScoringConfig, lang: str) -> str:
    rest, cnt = divmod(code, 100)
    j, higher = divmod(rest, 2)
    name = names[j]
    tpl = TEMPLATES.get(name)
    if tpl is None:
        label = config.indicators[name].label or name
        return label if higher else f"无{label}"
    t = tpl[(0 if higher else 1) + (2 if lang == "en" else 0)]
    return t.format(n=cnt, n1=cnt + 1, p=period(_window(name, config), lang))
