"""Streamlit entry: first-start demo, sign-in, role-based navigation. Nothing else lives here."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import signin
from app_pages.common import PAGES, T, chinese_widgets, errors, lang, pages_for, user
from app_support import bootstrap
from app_support.i18n import DEMO_STEPS as STEPS

st.set_page_config(page_title="分级分类双随机抽查 Tiered supervision", layout="wide")

choice = st.sidebar.radio(
    "语言 / Language", ["中文", "English"], index=1 if lang() == "en" else 0, horizontal=True
)
st.session_state["lang"] = "en" if choice == "English" else "zh"
chinese_widgets()

ws, source = bootstrap.workspace_path()
if bootstrap.needs_demo(ws, source):
    with (
        errors(),
        st.status(
            T("首次启动：正在创建演示工作区…", "First start: creating the demo workspace…"),
            expanded=True,
        ) as status,
    ):
        bar = st.progress(0.0, text=T("准备中", "starting"))
        bootstrap.create_demo(ws, progress=lambda f, key: bar.progress(f, text=T(*STEPS[key])))
        status.update(label=T("演示工作区已创建", "Demo workspace created"), state="complete")

with errors():
    signin.store().ensure()
signin.restore()
signin.write_cookie()

u = user()
if u is None:
    # Every page's address leads to the sign-in (a reload or a bookmark of /draw while signed
    # out shows the form, not "Page not found"); after signing in the same address is the page.
    login = st.Page(signin.sign_in_page, title=T("登录", "Sign in"), icon=":material/login:")
    hidden = [
        st.Page(signin.sign_in_page, title=T("登录", "Sign in"), url_path=Path(p.path).stem)
        for p in PAGES
    ]
    nav = st.navigation([login, *hidden], position="hidden")
elif signin.must_change_password(bootstrap.is_demo(ws, source)):
    signin.sidebar(u)
    nav = st.navigation(
        [st.Page(signin.change_password_page, title=T("修改密码", "New password"))],
        position="hidden",
    )
else:
    signin.sidebar(u)
    nav = st.navigation(
        [st.Page(p.path, title=T(p.zh, p.en), icon=p.icon) for p in pages_for(u["roles"])]
    )
# pandas, scikit-learn and LightGBM load in the background once the first screen is on its way
# (never before it: on two busy cores they would slow the sign-in form by seconds)
bootstrap.warm_up(delay=1.0)
nav.run()
