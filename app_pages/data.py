"""Data: upload tables, see the validation report, download the rejected rows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common, upload_section
from app_pages.common import T
from app_support import i18n
from tables.spec import TABLES
from tiered import upload
from tiered.files import csv_bom_bytes
from tiered.workspace import find_table_files

common.guard(__file__)
lang = common.lang()
path = common.ws_path()

if "entities" not in find_table_files(path):  # a new workspace: the guided first upload only
    st.info(
        T(
            "这是一个新工作区，还没有数据。请按以下步骤逐表上传：每一步先校验，"
            "列出被拒收的行及原因（文件、行号、列），确认后才写入。",
            "This workspace is new and holds no data yet. Upload its tables step by step: "
            "each file is checked first, its rejected rows are listed with their reasons "
            "(file, row, column), and it is written only after you confirm.",
        )
    )
    upload_section.guide(path)
    st.stop()
if upload_section.guide_pending(path):  # open until the tables a draw needs are in
    with st.expander(
        T("分步上传向导（尚有表未上传）", "Step-by-step upload (tables still missing)"),
        expanded=upload_section.guide_open(path),
    ):
        upload_section.guide(path)

st.subheader(T("上传数据表", "Upload a table"))
table = st.selectbox(
    T("表", "Table"), list(TABLES), format_func=lambda n: i18n.table_label(n, lang), key="tbl"
)
upload_section.render(path, table)

kept = upload.versions(path, table)
if kept:
    with st.expander(
        T(f"恢复旧版本（{len(kept)} 个）", f"Restore an earlier version ({len(kept)})")
    ):
        pick = st.selectbox(
            T("版本", "Version"),
            [v["version"] for v in reversed(kept)],
            format_func=lambda n: (
                f"{n} · {kept[n - 1]['file']} · {i18n.beijing(kept[n - 1]['replaced_at'])}"
                f" · {kept[n - 1]['reason']}"
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
    files = {n: ", ".join(p.name for p in fs) for n, fs in ws.files.items()}
    upload_section.rejections(ws.report.errors[:1000], files)
for w in ws.report.warnings[:20]:
    st.info(i18n.localise_codes(w.get("message", str(w)), lang, w.get("table")))

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
