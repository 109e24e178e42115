"""Data: upload tables, see the validation report, download the rejected rows."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import i18n
from tables.spec import TABLES
from tiered import upload
from tiered.files import csv_bom_bytes
from tiered.workspace import SUFFIXES

common.guard(__file__)
lang = common.lang()
path = common.ws_path()

st.subheader(T("上传数据表", "Upload a table"))
table = st.selectbox(
    T("表", "Table"), list(TABLES), format_func=lambda n: i18n.table_label(n, lang), key="tbl"
)
up = st.file_uploader(
    T(
        "CSV（UTF-8 或 GBK）、XLSX 或 Parquet；表头可用中文或英文",
        "CSV (UTF-8 or GBK), XLSX or Parquet; Chinese or English headers",
    ),
    type=[s.lstrip(".") for s in SUFFIXES],
    key="upload",
)
if up is not None:  # kept in the session: the check, the confirmation and the write see one file
    data = up.getvalue()
    if hashlib.sha256(data).hexdigest() != st.session_state.get("upload_done"):
        st.session_state["upload_pending"] = {"name": up.name, "data": data}
pending = st.session_state.get("upload_pending")
modes = {
    "replace": T("替换整表", "Replace the table"),
    "update": T("按代码更新/追加", "Update by key"),
}
mode = st.radio(
    T("方式", "Mode"), list(modes), format_func=modes.get, horizontal=True, key="upload_mode"
)
if pending is not None:
    # Checked first, written only after confirmation (tiered.upload): an unusable file is
    # refused here and the current table stays as it is.
    memo_key = (table, mode, hashlib.sha256(pending["data"]).hexdigest(), common.signature(path))
    memo = st.session_state.get("upload_plan")
    if memo is None or memo[0] != memo_key:  # checking reads every table: once per file
        with common.errors():
            memo = (
                memo_key,
                upload.plan_bytes(path, table, pending["name"], pending["data"], mode),
            )
        st.session_state["upload_plan"] = memo
    plan = memo[1]
    zh, en = plan.headline()
    st.info(T(f"{pending['name']}：{zh}", f"{pending['name']}: {en}"))
    for line in plan.lines()[1:]:
        st.caption(line)
    force = False
    if plan.needs_force:
        st.error(
            T(
                "此次上传将删除或孤立大部分数据：" + "；".join(plan.needs_force),
                "This upload would remove or orphan most of the data: "
                + "; ".join(plan.needs_force),
            )
        )
        force = st.checkbox(
            T("我确认仍要这样做（旧版本会保存，可恢复）", "Do it anyway (the old version is kept)"),
            key="upload_force",
        )
    reason = st.text_input(T("上传原因", "Reason"), key="upload_reason")
    sure = st.checkbox(T("我已核对上述变化", "I have checked the change above"), key="upload_sure")
    blocked = not sure or not reason.strip() or (bool(plan.needs_force) and not force)
    if st.button(
        T("确认上传", "Confirm the upload"), type="primary", disabled=blocked, key="upload_go"
    ):
        with common.errors():
            e = upload.apply_bytes(
                path, pending["name"], pending["data"], plan, reason, common.actor(), force
            )
        st.session_state.pop("upload_pending", None)
        st.session_state["upload_done"] = plan.sha256
        common.clear_caches()
        common.flash(
            T(
                f"已保存为 {e.payload['file']}（账本 #{e.seq}），旧版本可在下方恢复",
                f"Saved as {e.payload['file']} (ledger #{e.seq}); the old version can be "
                "restored below",
            )
        )
        st.rerun()

kept = upload.versions(path, table)
if kept:
    with st.expander(
        T(f"恢复旧版本（{len(kept)} 个）", f"Restore an earlier version ({len(kept)})")
    ):
        pick = st.selectbox(
            T("版本", "Version"),
            [v["version"] for v in reversed(kept)],
            format_func=lambda n: (
                f"{n} · {kept[n - 1]['file']} · {kept[n - 1]['replaced_at'][:19]}"
                f" UTC · {kept[n - 1]['reason']}"
            ),
            key="restore_version",
        )
        why = st.text_input(T("恢复原因", "Reason"), key="restore_reason")
        if st.button(T("恢复此版本", "Restore this version"), key="restore_go", disabled=not why):
            with common.errors():
                _, e = upload.restore(path, table, why, pick, common.actor())
            common.clear_caches()
            common.flash(T(f"已恢复（账本 #{e.seq}）", f"Restored (ledger #{e.seq})"))
            st.rerun()

ws = common.workspace()
st.subheader(T("校验报告", "Validation report"))
counts = pd.DataFrame(
    [
        {
            i18n.column_label("table", lang): i18n.table_label(n, lang),
            T("文件", "file"): ", ".join(p.name for p in ws.files.get(n, [])),
            i18n.column_label("rows", lang): i18n.fmt_int(c["rows"]),
            i18n.column_label("accepted", lang): i18n.fmt_int(c["accepted"]),
            i18n.column_label("rejected", lang): i18n.fmt_int(c["rejected"]),
        }
        for n, c in ws.report.counts.items()
    ]
)
st.dataframe(counts, hide_index=True)
n_rej = ws.report.n_rejected
if n_rej == 0:
    st.success(T("所有行均通过校验。", "Every row passed validation."))
else:
    st.warning(
        T(
            f"共 {n_rej:,} 行被拒收，原因见下表；可下载后修改再上传。",
            f"{n_rej:,} rows were rejected; see below, download, fix and upload again.",
        )
    )
if ws.report.errors:
    errs = pd.DataFrame(ws.report.errors)
    st.dataframe(errs.head(1000), hide_index=True)
for w in ws.report.warnings[:20]:
    st.info(w.get("message", str(w)))

for name, rej in ws.rejected.items():
    if len(rej):
        st.download_button(
            T(
                f"下载 {TABLES[name].label} 拒收行（{len(rej):,} 行）",
                f"Download rejected rows of {name} ({len(rej):,})",
            ),
            csv_bom_bytes(rej),
            file_name=f"rejected-{name}.csv",
            mime="text/csv",
            key=f"rej_{name}",
        )
