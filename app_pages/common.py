"""Shared page helpers: language, the signed-in user and role checks, the cached workspace,
and turning typed errors into `st.error` (never a traceback)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from app_support import bootstrap, i18n
from app_support.accounts import AccountStore
from tiered.errors import TieredError

if TYPE_CHECKING:  # pandas and the heavy modules (scikit-learn, LightGBM) load when a page needs
    # them, so the sign-in form waits for none of them (bootstrap.warm_up loads them meanwhile)
    import pandas as pd

    from app_support import model, modelinfo
    from tiered.workspace import Workspace


def user_errors() -> tuple[type[BaseException], ...]:
    """The typed errors a user can act on: shown as one line, never as a traceback."""
    from sampling.errors import SamplingError
    from scoring.config import ScoringConfigError
    from tables.check import SchemaError

    return (TieredError, SamplingError, ScoringConfigError, SchemaError)


@dataclass(frozen=True)
class PageSpec:
    path: str
    zh: str
    en: str
    icon: str
    roles: tuple[str, ...]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/leader.py", "全局概览", "Overview", ":material/dashboard:", ("leader",)),
    PageSpec(
        "app_pages/analyst.py",
        "阈值与权重",
        "Thresholds & weights",
        ":material/tune:",
        ("analyst",),
    ),
    PageSpec("app_pages/backtest.py", "回测", "Backtest", ":material/history:", ("analyst",)),
    PageSpec("app_pages/draw.py", "月度抽查", "Monthly draw", ":material/casino:", ("staff",)),
    PageSpec(
        "app_pages/results.py",
        "结果录入与公示",
        "Results & publication",
        ":material/fact_check:",
        ("staff",),
    ),
    PageSpec(
        "app_pages/data.py",
        "数据管理",
        "Data",
        ":material/upload_file:",
        ("staff", "analyst", "admin"),
    ),
    PageSpec(
        "app_pages/tasks.py",
        "抽查任务",
        "Inspection tasks",
        ":material/assignment:",
        ("staff", "admin"),
    ),
    PageSpec("app_pages/accounts.py", "账户管理", "Accounts", ":material/group:", ("admin",)),
    PageSpec(
        "app_pages/settings.py",
        "设置与审计",
        "Settings & audit",
        ":material/settings:",
        ("admin", "leader"),
    ),
)


def lang() -> str:
    return st.session_state.get("lang", "zh")


def T(zh: str, en: str) -> str:  # noqa: N802 - reads like a translation marker
    """The Chinese or the English text, by the session's language."""
    return en if lang() == "en" else zh


def user() -> dict | None:
    """The signed-in user, re-read from the accounts file on every page run: an account removed
    while signed in is signed out at once, and a role change takes effect at once."""
    u = st.session_state.get("user")
    if u is None:
        return None
    acc = AccountStore(bootstrap.accounts_path()).get(u["username"])
    if acc is None:
        del st.session_state["user"]
        return None
    fresh = {**u, "display": acc.display_name, "roles": list(acc.roles)}
    if fresh != u:
        st.session_state["user"] = fresh
    return fresh


def pages_for(roles: tuple[str, ...] | list[str]) -> list[PageSpec]:
    return [p for p in PAGES if set(p.roles) & set(roles)]


def guard(page_file: str) -> dict:
    """Stop the page unless the signed-in user has one of its roles (also when opened by URL)."""
    name = Path(page_file).name
    spec = next(p for p in PAGES if Path(p.path).name == name)
    u = user()
    if not u:
        st.error(T("请先登录。", "Please sign in first."))
        st.stop()
    if not set(spec.roles) & set(u["roles"]):
        st.error(
            T(
                f"无权访问“{spec.zh}”：此页面仅限 {', '.join(spec.roles)} 角色。",
                f"Access refused: '{spec.en}' is for the {', '.join(spec.roles)} role only.",
            )
        )
        st.stop()
    st.title(T(spec.zh, spec.en))
    for kind, text in st.session_state.pop("flash", []):
        getattr(st, kind)(text)
    return u


def flash(text: str, kind: str = "success") -> None:
    """A message shown at the top of the page after the next rerun."""
    st.session_state.setdefault("flash", []).append((kind, text))


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def people_downloads(where, people, per_inspector, title: str, stem: str, key: str) -> None:
    """The list for people as Excel (with a page per inspector) and as CSV with Chinese headers:
    the same two buttons on the month's and a task's page, in `where[0]` and `where[1]`."""
    from tiered.draws import readable

    where[0].download_button(
        T("下载检查名单（Excel，含按人员分页）", "Download the list (Excel, per-inspector pages)"),
        readable.workbook_bytes(people, per_inspector, title),
        file_name=f"{stem}-检查名单.xlsx",
        key=f"{key}_xlsx",
        type="primary",
        mime=XLSX_MIME,
    )
    where[1].download_button(
        T("下载检查名单（CSV，中文表头）", "Download the list (CSV, Chinese headers)"),
        readable.csv_bytes(people),
        file_name=f"{stem}-检查名单.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )


def flash_import(s) -> None:
    """Say what a results import did (rows read, added, already there, rejected)."""
    flash(
        T(
            f"读取 {s.rows:,} 行：新增 {s.added:,}，已存在 {s.unchanged:,}，拒收 {s.rejected:,}",
            f"{s.rows:,} rows read: {s.added:,} added, {s.unchanged:,} already recorded, "
            f"{s.rejected:,} rejected",
        ),
        "warning" if s.rejected else "success",
    )


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """Show a user error as one `st.error` line and stop the page."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, user_errors()):
            raise
        st.error(i18n.message(str(exc), lang()))
        st.stop()


def ws_path() -> Path:
    return bootstrap.workspace_path()[0]


def signature(path: Path) -> tuple:
    """(name, mtime_ns, size) of every input the workspace read depends on: the cache key."""
    from tiered.layout import Layout

    items = []
    candidates = [p for p in path.glob("*") if p.suffix in (".csv", ".xlsx", ".parquet", ".yaml")]
    candidates += list(Layout.of(path).results_dir.glob("*.csv"))
    for p in sorted(candidates):
        with contextlib.suppress(OSError):
            s = p.stat()
            items.append((str(p.relative_to(path)), s.st_mtime_ns, s.st_size))
    return tuple(items)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(path: str, sig: tuple) -> Workspace:
    from tiered.workspace import load_workspace

    return load_workspace(path)


@st.cache_resource(show_spinner=False, max_entries=4)
def _baseline(path: str, sig: tuple, as_of: str) -> model.Baseline:
    import pandas as pd

    from app_support import model

    return model.build_baseline(_load(path, sig), pd.Timestamp(as_of))


@st.cache_resource(show_spinner=False, max_entries=4)
def _model_info(path: str, sig: tuple, as_of: str, source: str) -> modelinfo.ModelInfo:
    import pandas as pd

    from app_support import modelinfo

    return modelinfo.model_info(_load(path, sig), pd.Timestamp(as_of), source)


def workspace() -> Workspace:
    p = ws_path()
    if p.is_dir():
        from tiered.workspace import find_table_files

        if "entities" not in find_table_files(p):  # a new workspace: nothing to show yet
            st.info(
                T(
                    "当前工作区还没有数据。请由管理员、业务人员或分析员在“数据管理”页"
                    "按步骤上传（先上传检查对象名录库）。",
                    "The workspace holds no data yet. An admin, staff member or analyst "
                    "uploads it step by step on the Data page (the entity register first).",
                )
            )
            st.stop()
    with errors(), st.spinner(T("正在读取工作区…", "Reading the workspace…")):
        return _load(str(p), signature(p))


def baseline(as_of: pd.Timestamp | None = None) -> model.Baseline:
    p = ws_path()
    day = (as_of or bootstrap.first_of_month()).strftime("%Y-%m-%d")
    with errors(), st.spinner(T("正在计算信用分…", "Scoring…")):
        return _baseline(str(p), signature(p), day)


def model_info(base: model.Baseline) -> modelinfo.ModelInfo:
    """The learned model's figures as of the baseline's date (cached per workspace signature)."""
    p = ws_path()
    with errors(), st.spinner(T("正在读取模型指标…", "Model figures…")):
        return _model_info(str(p), signature(p), f"{base.as_of:%Y-%m-%d}", base.risk_source)


def clear_caches() -> None:
    _load.clear()
    _baseline.clear()
    _model_info.clear()
    st.cache_data.clear()


def actor() -> str:
    u = user()
    return u["username"] if u else os.environ.get("USER", "app")


def metric(where, label: str, value: str, note: str | None = None) -> None:
    """A figure with a neutral note under it (Streamlit would colour it as a gain or a loss)."""
    where.metric(label, value, note, delta_color="off", delta_arrow="off")


_GUARD = """<script>
const w = window.parent;
w.__tieredUnsaved = %s;
if (!w.__tieredGuard) {
  w.__tieredGuard = true;
  w.addEventListener("beforeunload", (e) => {
    if (w.__tieredUnsaved) { e.preventDefault(); e.returnValue = ""; }
  });
}
window.addEventListener("pagehide", () => { w.__tieredUnsaved = false; });
</script>"""


def leave_guard(unsaved: bool) -> None:
    """While a page holds unsaved edits, reloading or closing the tab asks the browser's "leave
    this page?" question (the edits live only in this browser session)."""
    import streamlit.components.v1 as components

    components.html(_GUARD % ("true" if unsaved else "false"), height=0)
    if unsaved:
        st.caption(
            T(
                "有尚未保存的修改：刷新或关闭页面前请先保存。",
                "There are unsaved changes: save them before reloading or closing the page.",
            )
        )


_ZH_WIDGETS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "拖放文件到此处，单个文件不超过 200MB"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzone"] > span > [data-testid="stBaseButton-secondary"]
  [data-testid="stMarkdownContainer"] { display: none; }
[data-testid="stFileUploaderDropzone"] > span > [data-testid="stBaseButton-secondary"]
  > div::after { content: "选择文件"; font-size: 0.875rem; margin-left: 0.25rem; }
</style>"""


def chinese_widgets() -> None:
    """Streamlit's own widget text that no parameter sets (the file uploader's "200MB per
    file" and its browse button; not the buttons of an uploaded file's chip) in Chinese on the
    Chinese screen."""
    if lang() == "zh":
        st.html(_ZH_WIDGETS)
