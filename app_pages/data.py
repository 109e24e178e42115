"""Data: upload tables, see the validation report, download the rejected rows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import i18n
from tables.spec import TABLES
from tiered.files import atomic_write_bytes, csv_bom_bytes
from tiered.ledger import chain as ledger
from tiered.workspace import SUFFIXES, find_table_files

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
if up is not None and st.button(
    T("保存到工作区并校验", "Save to the workspace and validate"), type="primary"
):
    data = up.getvalue()
    suffix = Path(up.name).suffix.lower()
    with common.errors():
        old = find_table_files(path).get(table)
        target = path / f"{table}{suffix}"
        atomic_write_bytes(target, data)
        if old is not None and old != target:
            old.unlink()
        ledger.append(
            path,
            "data_upload",
            {
                "table": table,
                "file": target.name,
                "original_name": up.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            },
            actor=common.actor(),
        )
    common.clear_caches()
    st.success(T(f"已保存为 {target.name}", f"Saved as {target.name}"))

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
