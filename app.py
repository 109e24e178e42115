"""Streamlit entry: first-start demo, sign-in, role-based navigation. Nothing else lives here."""

from __future__ import annotations

import streamlit as st

from app_pages.common import T, errors, lang, pages_for, user
from app_support import bootstrap, i18n
from app_support.accounts import AccountStore

st.set_page_config(page_title="分级分类双随机抽查 Tiered supervision", layout="wide")

choice = st.sidebar.radio(
    "语言 / Language", ["中文", "English"], index=1 if lang() == "en" else 0, horizontal=True
)
st.session_state["lang"] = "en" if choice == "English" else "zh"

ws, source = bootstrap.workspace_path()
if bootstrap.needs_demo(ws, source):
    with (
        errors(),
        st.status(
            T("首次启动：正在创建演示工作区…", "First start: creating the demo workspace…"),
            expanded=True,
        ) as status,
    ):
        bar = st.progress(0.0)
        steps = {
            "demo": T("生成演示数据", "generating demo data"),
            "score": T("计算信用分并记入账本", "scoring and ledgering"),
            "done": T("完成", "done"),
        }
        bootstrap.create_demo(ws, progress=lambda f, key: bar.progress(f, text=steps[key]))
        status.update(label=T("演示工作区已创建", "Demo workspace created"), state="complete")


def sign_in() -> None:
    st.title(T("分级分类“双随机、一公开”监管", "Credit-tiered random inspections"))
    st.caption(T(f"工作区：{ws}", f"Workspace: {ws}"))
    with st.form("sign_in"):
        name = st.text_input(T("用户名", "Username"))
        password = st.text_input(T("密码", "Password"), type="password")
        ok = st.form_submit_button(T("登录", "Sign in"), type="primary")
    if ok:
        with errors():
            acc = AccountStore(bootstrap.accounts_path()).verify(name, password)
        if acc is None:
            st.error(T("用户名或密码错误。", "Wrong username or password."))
        else:
            st.session_state["user"] = {
                "username": acc.username,
                "display": acc.display_name,
                "roles": list(acc.roles),
            }
            st.rerun()


with errors():
    AccountStore(bootstrap.accounts_path()).ensure()

u = user()
if u is None:
    nav = st.navigation([st.Page(sign_in, title=T("登录", "Sign in"), icon=":material/login:")])
else:
    roles = ", ".join(i18n.role_label(r, lang()) for r in u["roles"])
    st.sidebar.markdown(f"**{u['display']}** ({u['username']}) · {roles}")
    if st.sidebar.button(T("退出登录", "Sign out")):
        del st.session_state["user"]
        st.rerun()
    nav = st.navigation(
        [st.Page(p.path, title=T(p.zh, p.en), icon=p.icon) for p in pages_for(u["roles"])]
    )
nav.run()
