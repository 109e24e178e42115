"""`tiered optimise`: the rates that find the most problems for the month's budget, as a table
beside today's rates, and (with `--apply --reason`) as a ledgered config version.

The strata are sector x tier over the active entities as of the month's first day (those cooling
down included: annual rates apply to them, see `sampling.plan`). A stratum's problem rate is the
weighted rate of its past random draws' results when it has at least `MIN_RESULTS` of them, else
the mean of its entities' model risk (`risk` of the scores); the `source` column says which.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sampling.optimise import PRESETS, Allocation, Precision, evaluate, optimise_rates, with_bands
from sampling.plan import month_start
from tables import clock
from tiered.analysis.randomdraws import recorded_results, stratum_rates
from tiered.errors import UsageError
from tiered.workspace import Workspace, load_workspace

# Results of past random draws a stratum needs before its own weighted rate replaces the model.
MIN_RESULTS = 30
KEYS = ["sector", "tier"]


@dataclass
class Proposal:
    month: str
    table: pd.DataFrame  # one row per stratum (see `stratum_frame` and `propose`)
    allocation: Allocation
    budget_per_year: float
    budget_basis: str  # "--budget", "--budget-share" or "today's rates"
    floor: float
    preset: str | None
    precision: Precision | None
    risk_source: str
    seconds: float

    def totals(self) -> dict:
        """Today's rates as configured, today's rates scaled to the same budget (the fair
        comparison), and the proposal; `gain` = proposal's problems over the scaled ones."""
        t = self.table
        out = {}
        scaled = scale_to_budget(
            t["eligible"].to_numpy(float), t["current_rate"].to_numpy(float),
            self.allocation.inspections, self.floor,
        )  # fmt: skip
        for name, rate in (
            ("current", t["current_rate"].to_numpy(float)),
            ("current_at_budget", scaled),
            ("proposed", t["proposed_rate"].to_numpy(float)),
        ):
            n = float((t["eligible"] * rate).sum())
            p = float((t["eligible"] * rate * t["problem_rate"]).sum())
            out[name] = {
                "inspections_per_year": round(n, 1),
                "inspections_per_month": round(n / 12, 1),
                "expected_problems_per_year": round(p, 1),
                "hit_rate": round(p / n, 4) if n else None,
            }
        base = out["current_at_budget"]["expected_problems_per_year"]
        new = out["proposed"]["expected_problems_per_year"]
        out["gain"] = round(new / base, 4) if base else None
        out["extra_problems_per_year"] = round(new - base, 1)
        return out

    def to_dict(self) -> dict:
        cols = ["sector", "tier", "eligible", "problem_rate", "source", "results",
                "current_rate", "proposed_rate", "expected_inspections", "expected_problems",
                "half_width", "current_half_width"]  # fmt: skip
        table = self.table.assign(monthly_inspections=self.table["expected_inspections"] / 12)
        strata = table[[*cols, "monthly_inspections"]].replace({np.nan: None})
        strata = strata.to_dict(orient="records")
        for row in strata:
            for k, v in row.items():
                if isinstance(v, float):
                    row[k] = round(v, 6)
        groups = None
        if self.allocation.groups is not None:
            groups = self.allocation.groups.round(6).to_dict(orient="records")
        return {
            "month": self.month,
            "budget": {
                "per_year": round(self.budget_per_year, 1),
                "per_month": round(self.budget_per_year / 12, 1),
                "basis": self.budget_basis,
            },
            "floor": self.floor,
            "preset": self.preset,
            "precision": None
            if self.precision is None
            else {"half_width": self.precision.half_width, "by": list(self.precision.by)},
            "risk_source": self.risk_source,
            "strata": strata,
            "groups": groups,
            "totals": self.totals(),
            "seconds": round(self.seconds, 3),
        }


def scale_to_budget(n_pop, rates, budget: float, floor: float) -> np.ndarray:
    """Rates min(1, max(floor, s x rate)) with the one factor s that spends `budget`: today's
    rate table, grown or shrunk as a whole to the proposal's budget."""
    total = lambda s: float(n_pop @ np.clip(s * rates, floor, 1.0))  # noqa: E731
    lo, hi = 0.0, 1.0
    while total(hi) < budget and hi < 1e6:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total(mid) < budget else (lo, mid)
    return np.clip(hi * rates, floor, 1.0)


def default_month(today: dt.date | None = None) -> str:
    today = today or clock.today()
    return f"{today.year:04d}-{today.month:02d}"


def stratum_frame(
    ws: Workspace, month: str, scores: pd.DataFrame | None = None, risk_source: str = ""
) -> tuple[pd.DataFrame, str]:
    """(strata with eligible, current_rate, model risk, draws' rate and the one used; source of
    the model risk) for the active entities as of the month's first day. `scores` (uscc, tier,
    risk) may be given by a caller that has them (the app's baseline), else they are computed."""
    from tiered.draws.draw import build_frame

    if scores is None:
        from tiered.analysis.scorerun import score_workspace

        scored = score_workspace(ws, month_start(month))
        scores, risk_source = scored.frame, scored.risk_source
    frame, _ = build_frame(ws, month, scores)
    frame = frame.merge(scores[["uscc", "risk"]], on="uscc", how="left")
    g = frame.groupby(KEYS, sort=True)
    st = g.agg(eligible=("uscc", "size"), model_risk=("risk", "mean")).reset_index()
    sc = ws.config.sampling
    st["current_rate"] = [
        min(1.0, max(sc.rate(s, t), sc.floor_rate))
        for s, t in zip(st["sector"], st["tier"], strict=True)
    ]
    drawn = stratum_rates(recorded_results(ws.path))
    st = st.merge(drawn.rename(columns={"rate": "draws_rate"}), on=KEYS, how="left")
    st["results"] = pd.to_numeric(st["results"], errors="coerce").fillna(0).astype(int)
    st["draws_rate"] = pd.to_numeric(st["draws_rate"], errors="coerce")
    use = st["results"] >= MIN_RESULTS
    model = st["model_risk"].fillna(
        float(frame["risk"].mean()) if frame["risk"].notna().any() else 0
    )
    st["problem_rate"] = np.where(use, st["draws_rate"], model).clip(0, 1)
    st["source"] = np.where(use, "draws", "model")
    return st.drop(columns=["problems"]), risk_source


def propose(
    ws: str | Path | Workspace,
    month: str | None = None,
    budget: int | None = None,
    budget_share: float | None = None,
    preset: str | None = None,
    precision: float | None = None,
    precision_by: str = "tier",
    scores: pd.DataFrame | None = None,
    risk_source: str = "",
) -> Proposal:
    """The optimiser's proposal for the workspace (see the module docstring)."""
    t0 = time.perf_counter()
    if not isinstance(ws, Workspace):
        ws = load_workspace(ws)
    month = month or default_month()
    month_start(month)
    if budget is not None and budget_share is not None:
        raise UsageError("--budget 与 --budget-share 只能给一个 (give --budget or --budget-share)")
    if budget_share is not None and not 0 < budget_share <= 1:
        raise UsageError(f"--budget-share 应在 0 与 1 之间：{budget_share} (must be in (0, 1])")
    if preset is not None and preset not in PRESETS:
        raise UsageError(f"未知预设 {preset} (unknown preset; one of {', '.join(PRESETS)})")
    if precision_by not in KEYS:
        raise UsageError(f"--precision-by 应为 sector 或 tier：{precision_by}")
    st, risk_source = stratum_frame(ws, month, scores, risk_source)
    if preset:
        st = with_bands(st, PRESETS[preset])
    if budget is not None:
        per_year, basis = 12.0 * budget, "--budget"
    elif budget_share is not None:
        per_year, basis = budget_share * float(st["eligible"].sum()), "--budget-share"
    else:
        per_year = float((st["eligible"] * st["current_rate"]).sum())
        basis = "today's rates"
    prec = None if precision is None else Precision(precision, by=(precision_by,))
    floor = ws.config.sampling.floor_rate
    alloc = optimise_rates(st, per_year, floor, prec)
    table = alloc.strata
    now, _ = evaluate(st, st["current_rate"].to_numpy(), prec)
    table["current_half_width"] = now["half_width"].to_numpy()
    return Proposal(
        month=month,
        table=table,
        allocation=alloc,
        budget_per_year=per_year,
        budget_basis=basis,
        floor=floor,
        preset=preset,
        precision=prec,
        risk_source=risk_source,
        seconds=time.perf_counter() - t0,
    )


def config_changes(proposal: Proposal) -> dict:
    """The config fragment that puts the proposal in force: one rate per stratum."""
    rates = {
        f"{r.sector}/{r.tier}": round(float(r.proposed_rate), 6)
        for r in proposal.table.itertuples()
    }
    return {"sampling": {"stratum_rates": rates}}


def format_report(p: Proposal) -> str:
    """The human-readable table: per stratum, then the totals against today's rates."""
    pct = lambda v: "   -  " if v is None or pd.isna(v) else f"{100 * v:5.1f}%"  # noqa: E731
    tot = p.totals()
    lines = [
        f"{p.month} 抽查比例优化 (rate proposal): 预算 (budget) "
        f"{p.budget_per_year / 12:,.1f} 次/月 ({p.budget_basis}), 保底 (floor) {p.floor:.1%}/年"
        + (f", 预设 (preset) {p.preset}" if p.preset else "")
        + (
            f", 精度目标 (precision) ±{p.precision.half_width:.1%} 按 {p.precision.by[0]}"
            if p.precision
            else ""
        ),
        f"问题概率来源 (problem rates): 各层以往随机抽查结果 ≥ {MIN_RESULTS} 条用抽查加权估计 "
        f"(draws)，否则用模型风险均值 (model: {p.risk_source})",
        "",
        "行业 sector        等级  在营 eligible  问题率  来源    现行比例  建议比例  "
        "年检查  年发现问题  区间半宽",
    ]
    for r in p.table.itertuples():
        lines.append(
            f"{r.sector:<18} {r.tier:^4} {int(r.eligible):>12,} {pct(r.problem_rate)} "
            f"{r.source:<6} {pct(r.current_rate):>8} {pct(r.proposed_rate):>8} "
            f"{r.expected_inspections:>8,.1f} {r.expected_problems:>10,.1f}  ±{pct(r.half_width)}"
        )
    lines.append("")
    for name, label in (
        ("current", "现行比例 (today's rates)        "),
        ("current_at_budget", "现行比例按同一预算 (same budget)"),
        ("proposed", "建议比例 (proposed)             "),
    ):
        v = tot[name]
        lines.append(
            f"{label} 每年检查 {v['inspections_per_year']:>9,.1f} (每月 "
            f"{v['inspections_per_month']:,.1f})  预计发现问题 "
            f"{v['expected_problems_per_year']:>9,.1f}  发现率 {pct(v['hit_rate'])}"
        )
    if tot["gain"] is not None:
        lines.append(
            f"同等预算下预计多发现 (expected gain at the same budget) "
            f"{tot['extra_problems_per_year']:+,.1f} 个/年，为现行比例的 {tot['gain']:.2f} 倍"
        )
    if p.allocation.groups is not None:
        for g in p.allocation.groups.itertuples():
            lines.append(
                f"精度 (precision) {getattr(g, p.precision.by[0])}: ±{g.half_width:.2%} "
                f"(目标 target ±{g.target:.2%})"
            )
    return "\n".join(lines)


def apply_proposal(ws: Path, proposal: Proposal, reason: str, actor: str = "cli"):
    """Write the proposal's rates as a new config version (ledgered with the reason)."""
    from tiered.configversion import save_version

    return save_version(ws, config_changes(proposal), reason, actor)
