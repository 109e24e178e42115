"""Staff: the monthly draw. Month, seed and rate table; per-stratum preview; draw; the list with
its inspectors; Excel/CSV/manifest downloads; verification."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import configedit, drawprep, i18n
from sampling.plan import month_start
from tiered.draws import bundle, readable
from tiered.draws.draw import build_frame, run_draw, unusual_month
from tiered.draws.verify import verify_draw

common.guard(__file__)
lang = common.lang()
ws = common.workspace()
cfg = ws.config
path = ws.path

c1, c2 = st.columns(2)
month = c1.text_input(
    T("抽查月份（YYYY-MM）", "Month (YYYY-MM)"),
    value=dt.date.today().strftime("%Y-%m"),
    key="draw_month",
).strip()
seed = c2.text_input(
    T("随机种子", "Seed"),
    key="draw_seed",
    help=T(
        "抽签会上公开产生的数字（如掷骰子读出的数字或当期彩票号码）；填 auto 由系统生成。",
        "Digits produced in public at the lottery session (dice, a lottery result); "
        "'auto' lets the system pick.",
    ),
)
with common.errors():
    start = month_start(month)
far = unusual_month(month)
if far:  # the same rule and words as `tiered draw`
    st.warning(i18n.message(far, lang) if lang == "zh" else far.split(" (", 1)[-1].rstrip(")"))

# ------------------------------------------------------------------------------ rate table
# Codes live in drawprep.CODE, labels in drawprep.LABEL: display names come from column_config,
# so a label equal to a code's column name (English "tier", "sector") can never replace it.
tr, sm = drawprep.rate_tables(cfg, lang)


def _rate_editor(table, key: str, label: str, value: str):
    """An editable value per labelled code; the code column never shows or changes."""
    return st.data_editor(
        table,
        hide_index=True,
        key=key,
        column_order=[drawprep.LABEL, drawprep.VALUE],
        disabled=[drawprep.LABEL],
        column_config={
            drawprep.LABEL: i18n.column_label(label, lang),
            drawprep.VALUE: i18n.column_label(value, lang),
        },
    )


with st.expander(T("抽查比例表（年比例 × 行业系数）", "Rate table (annual rate × sector factor)")):
    tr_ed = _rate_editor(tr, "rates_tier", "tier", "annual_rate")
    sm_ed = _rate_editor(sm, "rates_sector", "sector", "multiplier")
changes = configedit.fragment(
    cfg,
    tier_rates=drawprep.edited_values(tr_ed),
    sector_multipliers=drawprep.edited_values(sm_ed),
)
common.leave_guard(bool(changes))
if changes:  # outside the expander: it blocks the draw, so it must be seen
    st.warning(
        T(
            "比例表已修改：保存为新配置版本后才能抽签（抽签按已保存的配置进行，便于复核）。",
            "The rate table was changed: save it as a config version before drawing "
            "(draws use the saved config, so they can be verified).",
        )
    )
    reason = st.text_input(T("修改原因", "Reason"), key="rates_reason")
    if st.button(T("保存比例表", "Save the rate table"), key="rates_save"):
        with common.errors():
            e = configedit.save_version(path, changes, reason, common.actor())
        common.clear_caches()
        common.flash(T(f"比例表已保存（账本 #{e.seq}）", f"Rate table saved (ledger #{e.seq})"))
        st.rerun()
with common.errors():
    sampling_cfg = configedit.preview(path, changes).sampling if changes else cfg.sampling

# -------------------------------------------------------------------------------- preview
st.subheader(T("抽签前预览：各层可抽数与配额", "Preview: eligible entities and quota per stratum"))
base = common.baseline(as_of=start)
with common.errors():
    frame, _ = build_frame(ws, month, base.frame)
    pv = drawprep.preview(frame, month, sampling_cfg, seed)
m = st.columns(4)
m[0].metric(T("可抽主体", "Eligible"), i18n.fmt_int(pv["eligible"].sum()))
m[1].metric(T("必查", "Must inspect"), i18n.fmt_int(pv["must_inspect"].sum()))
m[2].metric(T("随机配额", "Random quota"), i18n.fmt_int(pv["quota"].sum()))
m[3].metric(T("本月检查合计", "Inspections this month"), i18n.fmt_int(pv["drawn"].sum()))
if not seed:
    st.caption(
        T(
            "尚未输入种子：配额的小数部分按种子取整，输入后显示最终配额。",
            "No seed yet: fractional quotas are rounded using the seed; enter it to see "
            "the final quotas.",
        )
    )
show = pv.copy()
show["sector"] = [i18n.sector_label(s, lang, cfg.sector_labels) for s in show["sector"]]
show["annual_rate"] = show["annual_rate"].map(lambda v: f"{v:.1%}")
show["target"] = show["target"].map(lambda v: f"{v:,.2f}")
show["inclusion_probability"] = show["inclusion_probability"].map(i18n.fmt_prob)
show = show.rename(
    columns={**i18n.column_labels(show.columns, lang), "target": T("期望数", "target")}
)
st.dataframe(show, hide_index=True, height=300)

# ----------------------------------------------------------------------------------- draw
folder = drawprep.draw_dir(path, month)
if not (folder / "manifest.json").exists():
    why_not = (
        T("请先输入随机种子。", "Enter the seed first.")
        if not seed
        else T("请先保存修改过的比例表。", "Save the changed rate table first.")
        if changes
        else None
    )
    go = st.button(
        T("抽签", "Draw"), type="primary", disabled=why_not is not None, key="draw_go", help=why_not
    )
    if go:
        with common.errors(), st.status(T("正在抽签…", "Drawing…")) as status:
            run_draw(path, month, seed, scores=base.frame, actor=common.actor())
            status.update(label=T("抽签完成", "Draw complete"), state="complete")
        common.flash(T(f"{month} 抽签完成", f"Draw for {month} complete"))
        st.rerun()
    st.stop()

manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
st.subheader(T(f"{month} 抽查名单", f"Inspection list for {month}"))
st.caption(
    T(
        f"种子 {manifest.get('seed')} · 抽取 {manifest.get('drawn', 0):,} 户 · "
        f"生成于 {i18n.beijing(manifest.get('created_at'))}（北京时间）",
        f"seed {manifest.get('seed')} · {manifest.get('drawn', 0):,} drawn · "
        f"created {i18n.beijing(manifest.get('created_at'))} (Beijing time)",
    )
)
lst = pd.read_csv(
    folder / "inspection_list.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
)
people = readable.readable_list(
    lst, ws.tables.get("inspectors"), ws.tables.get("items"), cfg.sector_labels
)
per_inspector = readable.by_inspector(people, ws.tables.get("inspectors"))
if lang == "zh":
    shown = people.drop(columns=["sector", "tier", "inspectors", "inclusion_probability"])
    st.dataframe(shown.rename(columns=readable.LIST_HEADERS), hide_index=True)
else:
    view = lst.copy()
    view["sector"] = [i18n.sector_label(s, lang, cfg.sector_labels) for s in view["sector"]]
    p_incl = pd.to_numeric(view["inclusion_probability"], errors="coerce")
    view["inclusion_probability"] = [i18n.fmt_prob(v) for v in p_incl]
    view["inspectors"] = people["inspector_names"].to_numpy()
    st.dataframe(view.rename(columns=i18n.column_labels(view.columns, lang)), hide_index=True)

st.caption(
    T(
        "《检查名单》供人阅读：中文表头、行业与区域名称、检查人员姓名及单位、入选概率百分比；"
        "第二页“按检查人员”每人一页，可直接打印。机器文件 inspection_list 保持约定的英文列，"
        "供复核与其他系统读取。",
        "The 检查名单 workbook is for people: Chinese headers and names, inspectors with their "
        "unit, probabilities as percentages, and a second sheet with one printed page per "
        "inspector. The machine files (inspection_list) keep the contract's columns.",
    )
)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
d = st.columns(3)
d[0].download_button(
    T("下载检查名单（Excel，含按人员分页）", "Download the list (Excel, per-inspector pages)"),
    readable.workbook_bytes(people, per_inspector, f"{month} 双随机抽查名单"),
    file_name=f"{month}-检查名单.xlsx",
    key="dl_people_xlsx",
    type="primary",
    mime=XLSX_MIME,
)
d[1].download_button(
    T("下载检查名单（CSV，中文表头）", "Download the list (CSV, Chinese headers)"),
    readable.csv_bytes(people),
    file_name=f"{month}-检查名单.csv",
    mime="text/csv",
    key="dl_people_csv",
)
with d[2].popover(T("机器可读文件", "Machine-readable files")):
    xlsx = folder / "inspection_list.xlsx"
    if xlsx.exists():
        st.download_button(
            "inspection_list.xlsx",
            xlsx.read_bytes(),
            file_name=f"{month}-inspection_list.xlsx",
            key="dl_xlsx",
            mime=XLSX_MIME,
        )
    st.download_button(
        "inspection_list.csv",
        (folder / "inspection_list.csv").read_bytes(),
        file_name=f"{month}-inspection_list.csv",
        mime="text/csv",
        key="dl_csv",
    )
    st.download_button(
        "manifest.json",
        (folder / "manifest.json").read_bytes(),
        file_name=f"{month}-manifest.json",
        mime="application/json",
        key="dl_man",
    )
    if (folder / "public").is_dir():
        st.download_button(
            T("公开核验包 public.zip（供公众核验）", "Public bundle public.zip (for observers)"),
            bundle.zip_bytes(folder / "public", f"{month}-public"),
            file_name=f"{month}-public.zip",
            mime="application/zip",
            key="dl_public",
            help=T(
                "名录（不含名称）、承诺、清单、抽签号、替补顺序和独立核验脚本 verify_draw.py；"
                "请在抽签后公布。",
                "Frame (no names), commitment, manifest, tickets, replacement order and the "
                "standalone verify_draw.py: publish it after the draw.",
            ),
        )

with st.expander(T("按检查人员查看（谁去哪里、查什么）", "By inspector (who goes where)")):
    names = per_inspector.drop_duplicates("inspector_id")
    pick_one = st.selectbox(
        T("检查人员", "Inspector"),
        names["inspector_id"].tolist(),
        format_func=lambda i: " · ".join(
            names.loc[names["inspector_id"] == i, ["inspector", "department"]].iloc[0]
        ),
        key="by_inspector",
    )
    mine = per_inspector[per_inspector["inspector_id"] == pick_one]
    st.dataframe(
        mine.drop(columns=["inspector", "inspector_id", "department"]).rename(
            columns=readable.BY_INSPECTOR_HEADERS
        ),
        hide_index=True,
    )

st.subheader(T("复核", "Verify"))
st.caption(
    T(
        "按清单中的种子和配置从工作区重新计算抽签，逐项比对。",
        "Recomputes the draw from the workspace with the manifest's seed and config.",
    )
)
if st.button(T("复核抽签", "Verify the draw"), key="verify"):
    with common.errors(), st.spinner(T("正在复核…", "Verifying…")):
        rep = verify_draw(folder, path)
    if rep.ok:
        st.success(
            T(
                "复核通过：重新计算的名单与已保存的名单逐字节相同。",
                "Verified: the recomputed list is byte-identical to the saved one.",
            )
        )
    else:
        st.error("\n\n".join(rep.differences))

with st.expander(
    T(
        "重抽（须写明原因，旧名单存档并记入账本）",
        "Redraw (needs a reason; the old list is archived and ledgered)",
    )
):
    why = st.text_input(T("重抽原因", "Reason for the redraw"), key="redraw_reason")
    if st.button(
        T("按上方种子重抽", "Redraw with the seed above"),
        key="redraw",
        disabled=not seed or bool(changes),
    ):
        with common.errors(), st.spinner(T("正在重抽…", "Redrawing…")):
            run_draw(
                path,
                month,
                seed,
                replace=True,
                reason=why,
                scores=base.frame,
                actor=common.actor(),
            )
        common.flash(T(f"{month} 已重抽", f"{month} redrawn"))
        st.rerun()
