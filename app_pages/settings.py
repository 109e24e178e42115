"""Settings: which workspace the app works on; the ledger's audit and its latest entries."""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.common import T
from app_support import bootstrap, ledgerview
from app_support.accounts import AccountStore
from tiered.ledger import chain as ledger

u = common.guard(__file__)
path, source = bootstrap.workspace_path()
where = {
    "env": T("环境变量 TIERED_WORKSPACE", "the TIERED_WORKSPACE environment variable"),
    "settings": T("设置", "settings"),
    "demo": T("内置演示", "the built-in demo"),
}[source]
if "admin" in u["roles"]:  # the path is for the admin; the leader does not need it
    st.write(
        T(f"当前工作区：`{path}`（来自{where}）", f"Current workspace: `{path}` (from {where})")
    )
    st.subheader(T("选择工作区", "Choose a workspace"))
    if os.environ.get("TIERED_WORKSPACE"):
        st.info(
            T(
                "已由环境变量 TIERED_WORKSPACE 指定，此处的选择在取消该变量后生效。",
                "Set by TIERED_WORKSPACE; a choice here applies once that variable is unset.",
            )
        )
    new = st.text_input(T("工作区目录", "Workspace folder"), value=str(path), key="ws_input")
    with st.expander(T("新建工作区：下载空白模板（中文表头）", "New workspace: blank templates")):
        st.markdown(
            T(
                "1. 下载模板，按《填表说明》填写检查对象名录库（必需）和执法检查人员名录库"
                "（抽签需要），其余可选；2. 在上方填写新的工作区目录，勾选“新建工作区”并点击"
                "“使用此工作区”；3. 在“数据管理”页按向导逐表上传：每个文件先校验，列出被拒收的行"
                "及原因，确认后才写入。（也可把填好的文件直接解压到该目录。）",
                "1. Download the templates and fill in the entity register (required) and the "
                "inspectors (needed for draws), the rest is optional; 2. enter the new folder "
                "above, tick 'New workspace' and choose it; 3. on the Data page the guide takes "
                "the tables one by one: each file is checked, its rejected rows listed with "
                "their reasons, and written once you confirm. (Or unzip filled-in files into "
                "the folder.)",
            )
        )
        st.download_button(
            T("下载全部空白模板（zip）", "Download all blank templates (zip)"),
            bootstrap.templates_zip(),
            file_name="tiered-templates.zip",
            mime="application/zip",
            key="templates",
        )
    fresh = st.checkbox(
        T(
            "新建工作区（目录不存在时创建；之后在“数据管理”页分步上传数据）",
            "New workspace (the folder is created if missing; then upload its tables step by "
            "step on the Data page)",
        ),
        key="ws_new",
    )
    c1, c2 = st.columns(2)
    if c1.button(T("使用此工作区", "Use this workspace"), type="primary"):
        with common.errors():
            empty = bootstrap.choose_workspace(new, new=fresh)
        common.clear_caches()
        st.success(T("已切换工作区", "Workspace switched"))
        if empty:
            st.info(
                T(
                    "该工作区还没有数据：请到“数据管理”页，按向导先上传检查对象名录库。",
                    "This workspace holds no data yet: on the Data page, the guide starts "
                    "with the entity register.",
                )
            )
            st.page_link("app_pages/data.py", label=T("前往数据管理", "Go to the Data page"))
    if c2.button(T("恢复内置演示", "Back to the demo")):
        bootstrap.choose_workspace(None)
        common.clear_caches()
        st.rerun()

st.subheader(T("账本审计", "Ledger audit"))
if st.button(T("检查账本", "Check the ledger"), key="audit"):
    with common.errors(), st.spinner(T("正在核对…", "Checking…")):
        rep = ledger.audit(path)
    (st.success if rep.ok else st.error)("\n\n".join(ledgerview.audit_lines(rep, common.lang())))

entries = ledger.entries(path)
st.caption(
    T(
        f"账本共 {len(entries):,} 条记录（最近 50 条）",
        f"{len(entries):,} ledger entries (latest 50)",
    )
)
if entries:
    names = {a.username: a.display_name for a in AccountStore(bootstrap.accounts_path()).all()}
    st.dataframe(
        pd.DataFrame(ledgerview.ledger_rows(reversed(entries[-50:]), common.lang(), names)),
        hide_index=True,
        column_config={
            k: st.column_config.Column(k, width=w)
            for k, w in ledgerview.widths(common.lang()).items()
        },
        placeholder="",
    )
