"""`tiered backtest`: replay history month by month and compare three draw policies.

For each month the frame is the entities with a recorded inspection outcome that month (several
inspections of one entity in a month count once: a problem in any of them). Everything the
policies see is computed as of the month's first day: the learned model is trained on the
inspections before that day (each with its features as of its own date) and scores the frame as
of that day; when there are too few past inspections or positives, the composite score's risk is
used instead. Every policy inspects `ceil(budget x frame)` entities:

- `uniform`: simple random sampling; its expected hit rate is the frame's base rate;
- `tiered`: random with inclusion probabilities proportional to the tier's sampling rate
  (`sampling.tier_rates`, e.g. A 1% / B 2% / C 10% / D 30%), capped at 1 with the excess
  spread over the rest, so they sum to the budget; expected hit rate sum(pi*y) / sum(pi);
- `ranked`: the highest risks; entities tied at the cut share the remaining places equally;
- `optimised`: random with the inclusion probabilities `tiered optimise` would give the frame's
  sector x tier strata for the same number of places (`sampling.optimise`: each stratum's
  problem rate is its entities' mean risk, every entity keeps at least `sampling.floor_rate`),
  so it shows what the optimiser recovers of `ranked`'s gain without giving up randomness.

Hit rates are exact expected values, not one random draw, so the figures do not wobble. Pooled
rates are expected hits over places across all months; lift is a policy's rate over uniform's.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sampling.optimise import optimise_rates
from scoring import composite, indicators
from scoring.calibration import calibration_summary
from scoring.config import TIERS, ScoringConfig
from scoring.model import compare_on_holdout, model_from_config, tier_basis_codes
from scoring.model_config import ModelConfig, ModelConfigError, check_model_config
from scoring.model_features import features_at
from tiered.analysis.randomdraws import random_draw_report, recorded_results
from tiered.errors import UsageError
from tiered.workspace import Workspace, load_workspace

log = logging.getLogger(__name__)
POLICIES = ("uniform", "tiered", "ranked", "optimised")


@dataclass
class BacktestResult:
    summary: dict  # exactly CONTRACT.md's backtest JSON
    months: pd.DataFrame  # one row per month: frame, problems, places, hit rates, risk source
    frame: pd.DataFrame  # every backtest entity-month: month, uscc, found, score, tier, risk
    seconds: float


def parse_month(text: str, what: str = "--from") -> pd.Period:
    """'2025-03' -> Period; anything else is a UsageError naming the option."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(text).strip()):
        raise UsageError(
            f"{what} 应为 YYYY-MM 格式，例如 2025-03：{text!r} (month must be YYYY-MM)"
        )
    return pd.Period(str(text).strip(), "M")


def inclusion_probabilities(weights: np.ndarray, n: float) -> np.ndarray:
    """Probabilities proportional to `weights`, capped at 1, summing to `n` (0 <= n <= size)."""
    w = np.maximum(np.asarray(weights, np.float64), 1e-12)
    size = len(w)
    if n >= size:
        return np.ones(size)
    if n <= 0:
        return np.zeros(size)
    order = np.argsort(-w, kind="stable")
    ws = w[order]
    rest = np.cumsum(ws[::-1])[::-1]  # rest[k] = sum of ws[k:]
    k = np.arange(size)
    c = (n - k) / rest
    ok = ws * c <= 1.0 + 1e-12  # the largest uncapped weight fits under 1
    kk = int(np.argmax(ok))
    pi = np.empty(size)
    pi[order] = np.where(k < kk, 1.0, np.minimum(1.0, ws * c[kk]))
    return pi


def ranked_hits(y: np.ndarray, key: np.ndarray, n: int) -> float:
    """Expected problems found by taking the `n` highest keys; ties at the cut split evenly."""
    if n <= 0:
        return 0.0
    order = np.argsort(-key, kind="stable")
    ks, ys = key[order], y[order].astype(np.float64)
    if n >= len(ks):
        return float(ys.sum())
    cut = ks[n - 1]
    above = ks > cut
    tied = ks == cut
    return float(ys[above].sum() + (n - above.sum()) * ys[tied].mean())


def _rank_key(risk: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """One float key ordering by risk, then by `tie` (dense ranks, so no precision loss)."""
    r = pd.Series(risk).rank(method="dense").to_numpy()
    t = pd.Series(tie).rank(method="dense").to_numpy()
    return r * (len(risk) + 1) + t


def backtest(
    entities: pd.DataFrame,
    records: pd.DataFrame | None,
    inspections: pd.DataFrame | None,
    month_from: str,
    month_to: str,
    budget: float,
    scoring_config: ScoringConfig | None = None,
    model_config: ModelConfig | None = None,
    tier_rates: dict[str, float] | None = None,
    floor: float = 0.005,
) -> BacktestResult:
    """The backtest on validated tables (see the module docstring)."""
    t0 = time.perf_counter()
    scfg = scoring_config or ScoringConfig()
    mcfg = model_config or ModelConfig()
    try:
        check_model_config(mcfg)
    except ModelConfigError as exc:
        raise UsageError(f"config.yaml model 配置有误 (invalid model config): {exc}") from None
    rates = tier_rates or {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.30}
    if not (isinstance(budget, int | float) and 0 < budget <= 1):
        raise UsageError(
            f"--budget 应在 0 与 1 之间，例如 0.1：{budget!r} (budget must be in (0, 1])"
        )
    first, last = parse_month(month_from, "--from"), parse_month(month_to, "--to")
    if last < first:
        raise UsageError("--to 早于 --from (the end month is before the start month)")
    if inspections is None or not len(inspections):
        raise UsageError("工作区没有抽查结果（inspections），无法回测 (no inspections to replay)")
    insp = inspections[inspections["uscc"].astype(str).isin(set(entities["uscc"].astype(str)))]
    insp = insp[insp["date"].notna()].reset_index(drop=True)
    y_all = insp["found_problem"].fillna(False).to_numpy(bool)
    sector_of = dict(zip(entities["uscc"].astype(str), entities["sector"], strict=True))
    lowest = 1.0  # the smallest inclusion probability the optimised policy gave anyone
    prep = indicators.prepare(entities, records, insp)
    cats = tuple(mcfg.categorical)
    feats_all = features_at(prep, insp[["uscc", "date"]], scfg, cats)
    rows, frames = [], []
    for month in pd.period_range(first, last, freq="M"):
        start = month.start_time
        in_month = (insp["date"] >= start) & (insp["date"] < (month + 1).start_time)
        if not in_month.any():
            rows.append(
                {"month": str(month), "inspections": 0, "problems": 0, "places": 0,
                 **{f"{p}_hits": 0.0 for p in POLICIES}, "auc": None, "risk_source": "",
                 "train_inspections": int((insp["date"] < start).sum())}
            )  # fmt: skip
            continue
        fr = (
            pd.DataFrame({"uscc": insp.loc[in_month, "uscc"].astype(str), "found": y_all[in_month]})
            .groupby("uscc", sort=True)["found"]
            .any()
            .reset_index()
        )
        fr["date"] = start
        fx = features_at(prep, fr[["uscc", "date"]], scfg, cats)
        past = (insp["date"] < start).to_numpy()
        if mcfg.train_days is not None:
            past &= (insp["date"] >= start - pd.Timedelta(days=mcfg.train_days)).to_numpy()
        risk, tie, source = _month_risk(feats_all, fx, insp, y_all, past, start, scfg, mcfg)
        pts = composite.points(fx, scfg)
        codes = tier_basis_codes(pts.score, risk, pts.at_best, scfg, mcfg)
        fr["score"] = pts.score
        fr["tier"] = np.array(TIERS)[codes]
        fr["risk"] = risk
        fr["month"] = str(month)
        y = fr["found"].to_numpy(bool)
        n = math.ceil(budget * len(fr) - 1e-9)
        weights = fr["tier"].map(rates).fillna(0.0).to_numpy(float)
        pi = inclusion_probabilities(weights, n)
        hits = {
            "uniform": n * y.mean(),
            "tiered": float((pi * y).sum()),
            "ranked": ranked_hits(y, _rank_key(risk, tie), n),
        }
        sectors = fr["uscc"].map(sector_of).fillna("other").to_numpy()
        pi_opt = optimised_probabilities(sectors, fr["tier"].to_numpy(), risk, n, floor)
        hits["optimised"] = float((pi_opt * y).sum())
        lowest = min(lowest, float(pi_opt.min()))
        rows.append(
            {
                "month": str(month),
                "inspections": len(fr),
                "problems": int(y.sum()),
                "places": n,
                **{f"{p}_hits": hits[p] for p in POLICIES},
                "auc": _auc(y, risk),
                "risk_source": source,
                "train_inspections": int(past.sum()),
            }
        )
        frames.append(fr[["month", "uscc", "found", "score", "tier", "risk"]])
    months = pd.DataFrame(rows)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if frame.empty:
        raise UsageError(
            f"{first}–{last} 没有抽查结果，无法回测 (no inspection outcomes in these months)"
        )
    summary = _summary(months, frame, budget)
    summary["policies"]["optimised"].update(
        {"floor": floor, "min_inclusion_probability": _r(lowest)}
    )
    return BacktestResult(summary, months, frame, time.perf_counter() - t0)


def optimised_probabilities(
    sectors: np.ndarray, tiers: np.ndarray, risk: np.ndarray, n: int, floor: float
) -> np.ndarray:
    """Each entity's inclusion probability under the optimiser's rates for the frame's sector x
    tier strata, `n` places in all, every probability at least `floor` (lowered to n / frame
    when places are too few for the floor)."""
    df = pd.DataFrame({"sector": sectors, "tier": tiers, "risk": risk})
    st = df.groupby(["sector", "tier"], sort=True).agg(
        eligible=("risk", "size"), problem_rate=("risk", "mean")
    )
    st["problem_rate"] = st["problem_rate"].clip(0, 1).fillna(0)
    size = len(df)
    if n >= size:
        return np.ones(size)
    alloc = optimise_rates(st.reset_index(), float(n), min(floor, n / size))
    rate = pd.Series(alloc.strata["proposed_rate"].to_numpy(), index=st.index)
    return rate.reindex(pd.MultiIndex.from_frame(df[["sector", "tier"]])).to_numpy()


def _month_risk(feats_all, fx, insp, y_all, past, start, scfg, mcfg):
    """(risk, tie-breaker, source) for the month's frame, from data before `start` only."""
    y = y_all[past]
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    source = "composite"
    if mcfg.enabled and len(y) >= mcfg.min_inspections and min(n_pos, n_neg) >= mcfg.min_positives:
        model = model_from_config(mcfg, scfg)
        model.fit(feats_all[past], y, insp.loc[past, "date"].to_numpy())
        base = -composite.points(feats_all[past], scfg).score
        if not mcfg.require_better or compare_on_holdout(model, y, base)["better"]:
            return model.predict_proba(fx)[:, 1], model.predict_raw(fx), "model"
        source = "composite(model not better)"
    # fallback: the composite score's risk, calibrated on past inspections as `tiered score` does
    window = past & (insp["date"] >= start - pd.Timedelta(days=scfg.risk.history_days)).to_numpy()
    mapping = composite.fit_risk(
        composite.points(feats_all[window], scfg).score, y_all[window], scfg
    )
    score = composite.points(fx, scfg).score
    return mapping(score), -score, f"{source}:{mapping.method}"


def _auc(y: np.ndarray, risk: np.ndarray) -> float | None:
    if y.all() or not y.any():
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, risk))


def _r(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4)


def _summary(months: pd.DataFrame, frame: pd.DataFrame, budget: float) -> dict:
    used = months[months["inspections"] > 0]
    places = float(used["places"].sum())
    rate = {p: float(used[f"{p}_hits"].sum()) / places for p in POLICIES}
    y = frame["found"].to_numpy(bool)
    by_tier = frame.groupby("tier")["found"].mean()
    return {
        "budget": budget,
        "months": int(len(used)),
        "inspections": int(len(frame)),
        "base_rate": _r(y.mean()),
        "auc": _r(_auc(y, frame["risk"].to_numpy())),
        "policies": {
            p: {
                "hit_rate": _r(rate[p]),
                "lift": _r(rate[p] / rate["uniform"]) if rate["uniform"] > 0 else None,
            }  # fmt: skip
            for p in POLICIES
        },
        "tier_hit_rates": {t: _r(by_tier.get(t)) for t in TIERS},
        # beside the contract's keys: predicted risk against what was found (ECE, quintiles)
        "calibration": calibration_summary(y, frame["risk"].to_numpy()),
    }


def backtest_workspace(
    ws: str | Path | Workspace,
    month_from: str,
    month_to: str,
    budget: float,
    model_config: ModelConfig | None = None,
) -> BacktestResult:
    """The backtest of a workspace with its config (scoring, sampling tier rates, model), and
    what the workspace's own random draws say (`random_draws`)."""
    if not isinstance(ws, Workspace):
        ws = load_workspace(ws)
    mcfg = model_config or getattr(ws.config, "model", None) or ModelConfig()
    result = backtest(
        ws.table("entities"),
        ws.tables.get("records"),
        ws.tables.get("inspections"),
        month_from,
        month_to,
        budget,
        ws.config.scoring,
        mcfg,
        dict(ws.config.sampling.tier_rates),
        ws.config.sampling.floor_rate,
    )
    drawn = recorded_results(ws.path)
    if drawn["found_problem"].notna().any():  # the key appears once there is something to say
        result.summary["random_draws"] = random_draw_report(drawn, result.frame, budget)
    return result


def format_report(result: BacktestResult) -> str:
    """The human-readable output: the summary and the per-month table."""
    s = result.summary
    pct = lambda v: "  -  " if v is None else f"{100 * v:5.1f}%"  # noqa: E731
    lines = [
        f"回测 (backtest): {s['months']} 个月, {s['inspections']} 次检查, 预算 {s['budget']:.0%}, "
        f"基础发现率 {pct(s['base_rate'])}, AUC {s['auc'] if s['auc'] is not None else '-'}",
        "",
        "策略 (policy)   发现率 (hit rate)   提升 (lift)",
    ]
    for p in POLICIES:
        v = s["policies"][p]
        lift = "-" if v["lift"] is None else f"{v['lift']:.2f}"
        lines.append(f"{p:<14} {pct(v['hit_rate']):>10}          {lift:>6}")
    lines.append("")
    lines.append("各等级发现率 (tier hit rates): " + "  ".join(
        f"{t} {pct(v)}" for t, v in s["tier_hit_rates"].items()))  # fmt: skip
    lines.append("")
    opt = s["policies"]["optimised"]
    lines.append(
        f"optimised: 每个主体入选概率不低于 (every inclusion probability >=) "
        f"{pct(opt.get('min_inclusion_probability'))}，保底 (floor) {pct(opt.get('floor'))}"
    )
    rd = s.get("random_draws")
    if rd and rd.get("results"):
        lines.append(
            f"仅随机抽查结果、按 1/π 加权 (random draws only, weighted by 1/π; "
            f"{rd['results']} results): 发现率 {pct(rd['base_rate'])}; 各等级 "
            + "  ".join(f"{t} {pct(v)}" for t, v in rd["tier_hit_rates"].items())
            + f"; 风险最高 {rd['share']:.0%} 的精确率 (precision at top) "
            + pct(rd["precision_at_k"])
        )
    else:
        lines.append("尚无已录入结果的随机抽查 (no recorded results of random draws yet)")
    lines.append("")
    lines.append("月份      检查  问题  抽取  均匀    分级    排序    优化    AUC   风险来源")
    for _, r in result.months.iterrows():
        if not r["inspections"]:
            lines.append(f"{r['month']}  {0:>5}")
            continue
        n = r["places"]
        hr = [r[f"{p}_hits"] / n for p in POLICIES]
        auc = "  -  " if r["auc"] is None or pd.isna(r["auc"]) else f"{r['auc']:.3f}"
        lines.append(
            f"{r['month']}  {int(r['inspections']):>5} {int(r['problems']):>5} {int(n):>5} "
            + " ".join(pct(h) for h in hr)
            + f"  {auc}  {_source_label(r['risk_source'])}"
        )
    return "\n".join(lines)


def _source_label(source: str) -> str:
    """`model`, or `composite(model not better):logistic` -> words a reader understands."""
    if source == "model":
        return "学习模型 (model)"
    if source.startswith("composite(model not better)"):
        return "信用分（模型未更优） (score: model not better)"
    if source.startswith("composite"):
        return "信用分 (score)"
    return source
