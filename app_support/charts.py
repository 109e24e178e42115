"""Altair charts with Chinese (or English) labels in a CJK font that the browser has.

Debian's fonts-noto-cjk provides "Noto Sans CJK SC"; the fallback list keeps charts legible on
machines that have another CJK font.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from app_support.i18n import column_label, pick, sector_label, tier_label
from app_support.model import MIN_ESTIMATE_N
from scoring.config import TIERS

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
TIER_COLORS = ["#2e7d32", "#9ccc65", "#ffa726", "#c62828"]


def styled(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, numberFormat=",.0f")
        .configure_axis(labelFont=FONT, titleFont=FONT)
        .configure_legend(labelFont=FONT, titleFont=FONT)
        .configure_title(font=FONT)
        .configure_view(strokeWidth=0)
    )


def _tier_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[tier_label(t, lang) for t in TIERS], range=TIER_COLORS)


def tier_mix_bar(counts: np.ndarray, lang: str, title: str = "") -> alt.Chart:
    total = max(int(np.sum(counts)), 1)
    df = pd.DataFrame(
        {
            "tier": [tier_label(t, lang) for t in TIERS],
            "count": np.asarray(counts, int),
            "share": np.asarray(counts, float) / total,
        }
    )
    n, s, t = column_label("count", lang), column_label("share", lang), column_label("tier", lang)
    df.columns = [t, n, s]
    chart = (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{t}:N",
                sort=None,
                title=t,
                # "A 信用风险低" on two lines: at 1024 px four labels side by side are cut
                axis=alt.Axis(
                    labelAngle=0,
                    labelExpr="split(datum.label, ' ')[0]",  # the letter: fits at 1024 px
                    labelOverlap=False,
                ),
            ),
            y=alt.Y(f"{n}:Q", title=n, scale=alt.Scale(domainMax=float(max(counts)) * 1.15)),
            color=alt.Color(f"{t}:N", scale=_tier_scale(lang), legend=None),
            tooltip=[t, alt.Tooltip(f"{n}:Q", format=","), alt.Tooltip(f"{s}:Q", format=".1%")],
        )
    )
    text = chart.mark_text(dy=-6).encode(
        text=alt.Text(f"{s}:Q", format=".1%"), color=alt.value("#333")
    )
    return styled((chart + text).properties(height=260))


MIN_HEAT_N = 20  # below this many entities a cell's share is noise: grey, count only


def heat_map(heat: pd.DataFrame, lang: str, extra_labels: dict | None = None) -> alt.Chart:
    """Share of tiers C+D per sector x region; each cell says its share and its count, and a
    cell of fewer than MIN_HEAT_N entities is grey with its count only (no share to misread)."""
    sec, reg = column_label("sector", lang), column_label("region", lang)
    share = pick(("C+D 占比", "share C+D"), lang)
    cnt = column_label("count", lang)
    df = pd.DataFrame(
        {
            sec: [sector_label(s, lang, extra_labels) for s in heat["sector"]],
            reg: heat["region"],
            share: heat["high_share"],
            cnt: heat["count"],
        }
    )
    small = df[cnt] < MIN_HEAT_N
    df["label"] = [
        f"n={n:,}" if tiny else f"{v:.0%} · {n:,}"
        for v, n, tiny in zip(df[share], df[cnt], small, strict=True)
    ]
    big, tiny = df[~small], df[small]
    x = alt.X(f"{reg}:N", title=reg, axis=alt.Axis(labelAngle=0))
    y = alt.Y(f"{sec}:N", title=sec)
    tips = [sec, reg, alt.Tooltip(f"{cnt}:Q", format=","), alt.Tooltip(f"{share}:Q", format=".1%")]
    cells = (
        alt.Chart(big)
        .mark_rect()
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                f"{share}:Q",
                scale=alt.Scale(scheme="orangered"),
                legend=alt.Legend(format=".0%", title=share),
            ),
            tooltip=tips,
        )
    )
    grey = alt.Chart(tiny).mark_rect(color="#e0e0e0").encode(x=x, y=y, tooltip=tips)
    dark = 0.65 * float(big[share].max()) if len(big) else 1.0  # dark enough for white text
    pairs = zip(df[share], small, strict=True)
    df["white"] = [bool(v >= dark and not t) for v, t in pairs]  # never on a grey cell
    ink = alt.condition(alt.datum.white, alt.value("white"), alt.value("#222"))
    text = alt.Chart(df).mark_text(fontSize=10).encode(x=x, y=y, text="label:N", color=ink)
    return styled(alt.layer(cells, grey, text).properties(height=380))


def score_histogram(scores: np.ndarray, lang: str, thresholds=None, bins: int = 60) -> alt.Chart:
    score = column_label("score", lang)
    cnt = column_label("count", lang)
    lo, hi = 0.0, 1000.0
    edges = np.linspace(lo, hi, bins + 1)
    hist, _ = np.histogram(np.clip(scores, lo, hi), bins=edges)
    df = pd.DataFrame({"start": edges[:-1], "end": edges[1:], cnt: hist})
    bars = (
        alt.Chart(df)
        .mark_bar(color="#5b8def")
        .encode(
            x=alt.X("start:Q", bin="binned", title=score, scale=alt.Scale(domain=[lo, hi])),
            x2="end:Q",
            y=alt.Y(f"{cnt}:Q", title=cnt),
            tooltip=[alt.Tooltip("start:Q", title=score), alt.Tooltip(f"{cnt}:Q", format=",")],
        )
    )
    layers = [bars]
    if thresholds is not None:
        name = pick(("阈值", "threshold"), lang)
        marks = pd.DataFrame(
            {
                "x": [thresholds.a, thresholds.b, thresholds.c],
                name: [pick((f"{t} 级下限", f"{t} from"), lang) for t in "ABC"],
                "tier": list("ABC"),
            }
        )
        rule = alt.Chart(marks).mark_rule(color="#c62828", strokeWidth=2, strokeDash=[6, 3])
        layers.append(rule.encode(x="x:Q", tooltip=[name, alt.Tooltip("x:Q", title=score)]))
        # Thresholds 100 points apart are ~17 px apart at 1024 px: each line carries its tier's
        # letter only (staggered, so two close lines never share a row), the axis says the rest.
        marks["row"] = [8, 24, 40]  # pixels from the top
        layers.append(
            alt.Chart(marks)
            .mark_text(align="left", dx=3, color="#c62828", fontWeight="bold")
            .encode(x="x:Q", y=alt.Y("row:Q", scale=None), text="tier:N")
        )
        score = pick(
            (f"{score}（红色虚线：各级下限）", f"{score} (red dashes: tier minimums)"), lang
        )
        bars.encoding.x.title = score
    return styled(alt.layer(*layers).properties(height=280))


def trend_chart(trend: pd.DataFrame, lang: str) -> alt.Chart:
    m, s, t = column_label("month", lang), column_label("share", lang), column_label("tier", lang)
    df = pd.DataFrame(
        {
            m: trend["month"],
            t: [tier_label(x, lang) for x in trend["tier"]],
            s: trend["share"],
            "n": trend["count"],
        }
    )
    return styled(
        alt.Chart(df)
        .mark_area()
        .encode(
            x=alt.X(f"{m}:O", title=m, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(f"{s}:Q", stack="normalize", title=s, axis=alt.Axis(format="%")),
            color=alt.Color(f"{t}:N", scale=_tier_scale(lang)),
            order=alt.Order(f"{t}:N"),
            tooltip=[
                m,
                t,
                alt.Tooltip(f"{s}:Q", format=".1%"),
                alt.Tooltip("n:Q", format=",", title=column_label("count", lang)),
            ],
        )
        .properties(height=260)
    )


def rates_chart(est: pd.DataFrame, lang: str) -> alt.Chart:
    g = column_label("tier", lang)
    e = column_label("estimate", lang)
    lo, hi = column_label("ci_low", lang), column_label("ci_high", lang)
    overall = pick(("全部", "overall"), lang)
    df = pd.DataFrame(
        {
            g: [
                overall if lv == "overall" else tier_label(x, lang)
                for lv, x in zip(est["level"], est["group"], strict=True)
            ],
            e: est["estimate"],
            lo: est["ci_low"],
            hi: est["ci_high"],
            "n": est["inspected"],
        }
    )
    df["few"] = df["n"] < MIN_ESTIMATE_N
    df["note"] = [pick(("样本过少", "too few"), lang) if f else "" for f in df["few"]]
    base = alt.Chart(df).encode(y=alt.Y(f"{g}:N", title=g, sort=None))
    x = alt.X(f"{e}:Q", title=e, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    # no bar and no interval where too few inspections make them meaningless: a note instead
    bars = (
        base.transform_filter(~alt.datum.few)
        .mark_bar(color="#5b8def", opacity=0.7)
        .encode(
            x=x,
            tooltip=[
                g,
                alt.Tooltip(f"{e}:Q", format=".1%"),
                alt.Tooltip(f"{lo}:Q", format=".1%"),
                alt.Tooltip(f"{hi}:Q", format=".1%"),
                alt.Tooltip("n:Q", format=",", title=column_label("inspected", lang)),
            ],
        )
    )
    ci = (
        base.transform_filter(~alt.datum.few)
        .mark_rule(color="#222", strokeWidth=2)
        .encode(x=f"{lo}:Q", x2=f"{hi}:Q")
    )
    note = (
        base.transform_filter(alt.datum.few)
        .mark_text(align="left", dx=4, color="#777")
        .encode(x=alt.value(0), text="note:N")
    )
    return styled(alt.layer(bars, ci, note).properties(height=200))


def draws_chart(dvp: pd.DataFrame, lang: str) -> alt.Chart:
    """Entities drawn per month (this workspace's draws, and earlier months' recorded planned
    inspections) against the plan line, with a legend naming all three."""
    m, d, p = column_label("month", lang), column_label("drawn", lang), column_label("plan", lang)
    kind = pick(("图例", "legend"), lang)
    names = {
        "draw": pick(("本系统抽签", "drawn here"), lang),
        "history": pick(("历史检查记录", "recorded inspections"), lang),
    }
    plan_name = pick(("计划", "plan"), lang)
    df = pd.DataFrame(
        {
            m: dvp["month"],
            d: dvp["drawn"],
            p: dvp["plan"],
            kind: [names.get(x, "") for x in dvp["source"]],
        }
    )
    scale = alt.Scale(
        domain=[names["draw"], names["history"], plan_name], range=["#5b8def", "#b0bec5", "#c62828"]
    )
    top = float(pd.concat([df[d].astype(float), df[p].astype(float)]).max(skipna=True) or 1.0)
    y_scale = alt.Scale(domain=[0, top * 1.15], nice=False)
    inspections = pick(("检查数", "inspections"), lang)
    bars = (
        alt.Chart(df[df[d].notna()])
        .mark_bar()
        .encode(
            x=alt.X(f"{m}:O", title=m, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(f"{d}:Q", title=inspections, scale=y_scale),
            color=alt.Color(f"{kind}:N", scale=scale, legend=alt.Legend(orient="top", title=None)),
            tooltip=[
                m,
                kind,
                alt.Tooltip(f"{d}:Q", format=","),
                alt.Tooltip(f"{p}:Q", format=",.0f"),
            ],
        )
    )
    line = (
        alt.Chart(df.assign(**{kind: plan_name}))
        .mark_line(strokeDash=[6, 3], point=True, clip=False)
        .encode(
            x=alt.X(f"{m}:O", scale=alt.Scale(paddingOuter=0.5)),
            y=alt.Y(f"{p}:Q", scale=y_scale),
            color=alt.Color(f"{kind}:N", scale=scale, title=None),
        )
    )
    return styled(alt.layer(bars, line).properties(height=240))


def policies_chart(summary: dict, lang: str) -> alt.Chart:
    names = {
        "uniform": pick(("纯随机", "uniform"), lang),
        "tiered": pick(("分级随机", "tiered"), lang),
        "ranked": pick(("按风险排序", "ranked"), lang),
        "optimised": pick(("优化比例随机", "optimised"), lang),
    }
    rate = pick(("问题发现率", "hit rate"), lang)
    pol = pick(("抽查方式", "policy"), lang)
    df = pd.DataFrame(
        {
            pol: [names[p] for p in names if p in summary["policies"]],
            rate: [summary["policies"][p]["hit_rate"] for p in names if p in summary["policies"]],
            "lift": [summary["policies"][p]["lift"] for p in names if p in summary["policies"]],
        }
    )
    bars = (
        alt.Chart(df)
        .mark_bar(color="#5b8def")
        .encode(
            x=alt.X(f"{pol}:N", sort=None, title=pol, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{rate}:Q", title=rate, axis=alt.Axis(format="%")),
            tooltip=[
                pol,
                alt.Tooltip(f"{rate}:Q", format=".1%"),
                alt.Tooltip("lift:Q", format=".2f"),
            ],
        )
    )
    text = bars.mark_text(dy=-6, color="#333").encode(text=alt.Text(f"{rate}:Q", format=".1%"))
    return styled((bars + text).properties(height=260))


def monthly_policies_chart(months: pd.DataFrame, lang: str) -> alt.Chart:
    m = column_label("month", lang)
    rate = pick(("问题发现率", "hit rate"), lang)
    pol = pick(("抽查方式", "policy"), lang)
    names = {
        "uniform": pick(("纯随机", "uniform"), lang),
        "tiered": pick(("分级随机", "tiered"), lang),
        "ranked": pick(("按风险排序", "ranked"), lang),
        "optimised": pick(("优化比例随机", "optimised"), lang),
    }
    used = months[months["places"] > 0]
    wide = pd.DataFrame({"month": used["month"].astype(str)})
    for p in names:
        if f"{p}_hits" in used:
            wide[p] = used[f"{p}_hits"] / used["places"]
    df = wide.melt("month", var_name="p", value_name=rate)
    df[pol] = df["p"].map(names)
    df = df.rename(columns={"month": m})
    return styled(
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{m}:O", title=m, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(f"{rate}:Q", title=rate, axis=alt.Axis(format="%")),
            color=alt.Color(f"{pol}:N", sort=list(names.values())),
            tooltip=[m, pol, alt.Tooltip(f"{rate}:Q", format=".1%")],
        )
        .properties(height=260)
    )
