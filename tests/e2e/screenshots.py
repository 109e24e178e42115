"""Take the README's screenshots from the running app in headless chromium (not a test).

    .venv/bin/python tests/e2e/screenshots.py [--entities 20000] [--out docs/screenshots]

Creates a demo workspace in a temporary folder, starts `streamlit run app.py`, signs in as each
role and saves one PNG per page. With `--draw` it also runs a draw (needs tiered.draws.draw).
Then a second server on a new, empty workspace: the guided first upload's step 1 with a file
that has two bad rows (at 1400 and 1024 px).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support")]

import app_server as serve  # noqa: E402

from app_support import bootstrap  # noqa: E402

SHOTS = [  # (role, sidebar page or None for the landing page, file, lang, text shown last, width)
    # the staff draw first, so that the leader's "draws against the plan" shows it
    ("staff", None, "staff-draw.png", "zh", "抽签前预览", 1440),
    ("leader", None, "leader-overview.png", "zh", "抽查完成情况与计划", 1440),
    ("leader", None, "leader-overview-1024.png", "zh", "抽查完成情况与计划", 1024),
    ("analyst", None, "analyst-thresholds.png", "zh", "保存为新配置版本", 1440),
    ("staff", "数据管理", "data-validation.png", "zh", "校验报告", 1440),
    ("analyst", "回测", "analyst-backtest.png", "zh", "各等级实际问题发现率", 1440),
    ("admin", "设置与审计", "admin-ledger.png", "zh", "账本共", 1440),
    ("leader", None, "leader-overview-en.png", "en", "against the plan", 1440),
    # the task page: a joint task drawn (with --draw), then next year's plan report
    ("staff", "抽查任务", "staff-tasks.png", "zh", "抽签与名单", 1440),
    ("staff", "抽查任务", "staff-task-results.png", "zh", "生成公示名单", 1440),
    ("staff", "抽查任务", "staff-task-plan.png", "zh", "超过频次上限", 1440),
]


GUIDE_SHOTS = [("data-guide.png", 1440), ("data-guide-1024.png", 1024)]


def sign_in(page, url: str, role: str, password: str | None = None) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_role("textbox", name="用户名").fill(role)
    page.get_by_role("textbox", name="密码").fill(password or role + "123")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=60_000)


def settle(page, text: str, timeout: int = 300_000) -> None:
    """Wait until `text` is on the page and nothing is stale or spinning any more."""
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')"
        " && !document.querySelector('[data-testid=\"stSpinner\"]')",
        timeout=120_000,
    )
    page.wait_for_timeout(2500)  # charts finish drawing


def _task_page(page, name: str, draw: bool, last: str) -> str:
    """The task page: draw the first task (with --draw), or make next year's plan report."""
    settle(page, "抽签与名单")
    if name == "staff-tasks.png" and draw:
        seed = page.get_by_role("textbox", name="随机种子")
        seed.fill("2718 2818")
        seed.press("Enter")
        settle(page, last)
        page.get_by_role("button", name="抽签", exact=True).click()
        return "各部门的执法检查人员"
    if name == "staff-task-results.png":
        page.get_by_role("tab", name="结果录入与公示").click()
        page.get_by_role("tab", name="在表格中录入").click()
    if name == "staff-task-plan.png":
        year = page.get_by_role("combobox", name="年度")
        nxt = str(int(year.input_value()) + 1)
        year.click()
        page.get_by_role("option", name=nxt).click()
        settle(page, "抽签与名单")
        page.get_by_role("tab", name="年度计划报告").click()
        page.get_by_role("button", name=f"生成 {nxt} 年度计划报告").click()
        settle(page, last, timeout=600_000)  # the whole year's tasks on the 20k demo
    return last


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=20_000)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--draw", action="store_true")
    ap.add_argument("--only", nargs="*", help="file names to take (default: all)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        os.environ["TIERED_DATA_DIR"] = str(Path(tmp) / "data")
        bootstrap.create_demo(ws, n_entities=args.entities)
        env = {"TIERED_WORKSPACE": str(ws), "TIERED_DATA_DIR": str(Path(tmp) / "data")}
        port = serve.free_port()
        proc = serve.start_app(env, port, Path(tmp) / "streamlit.log")
        try:
            serve.wait_ready(port)
            url = f"http://127.0.0.1:{port}"
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=serve.CHROMIUM, args=serve.CHROMIUM_ARGS
                )
                for role, nav, name, lang, last, width in SHOTS:
                    if args.only and name not in args.only:
                        continue
                    page = browser.new_page(viewport={"width": width, "height": 2400})
                    page.set_default_timeout(120_000)  # a shared machine may be slow
                    sign_in(page, url, role)
                    if lang == "en":
                        page.get_by_text("English", exact=True).click()
                    if nav:
                        page.get_by_role("link", name=nav).click()
                    if role == "analyst" and nav is None:  # the indicator table, by name
                        settle(page, last)
                        page.get_by_text("指标权重（分值）").click()
                    if nav == "回测":
                        page.get_by_role("button", name="运行回测").click()
                    if role == "staff" and nav is None:
                        seed = page.get_by_role("textbox", name="随机种子")
                        seed.fill("3141592653")
                        seed.press("Enter")
                        if args.draw:
                            settle(page, last)
                            page.get_by_role("button", name="抽签", exact=True).click()
                            last = "下载检查名单（Excel，含按人员分页）"
                    if name.startswith("staff-task"):
                        last = _task_page(page, name, args.draw, last)
                    settle(page, last)
                    page.screenshot(path=str(out / name))
                    print("saved", out / name)
                    page.close()
                browser.close()
        finally:
            serve.stop_app(proc)
        guide_shots(Path(tmp), ws, out)


def guide_shots(tmp: Path, demo: Path, out: Path) -> None:
    """A new bureau's admin on an empty workspace: step 1 of the guided upload, checked."""
    import json

    import pandas as pd
    from playwright.sync_api import sync_playwright

    from app_support.accounts import AccountStore

    data, new = tmp / "data-new", tmp / "new-ws"
    data.mkdir()
    new.mkdir()
    (data / "settings.json").write_text(json.dumps({"workspace": str(new)}), encoding="utf-8")
    AccountStore(data / "accounts.json").add("owner", "owner-pass-1", ("admin",), "新局管理员")
    ent = pd.read_csv(demo / "entities.csv", dtype=str).head(200)
    ent.loc[3, "registered_on"] = "2024-13-45"
    ent.loc[5, "sector"] = "不存在的行业"
    upload = tmp / "检查对象名录.csv"
    ent.to_csv(upload, index=False, encoding="utf-8-sig")
    port = serve.free_port()
    env = {"TIERED_DATA_DIR": str(data), "TIERED_WORKSPACE": "", "TIERED_ACCOUNTS": ""}
    proc = serve.start_app(env, port, tmp / "streamlit-new.log")  # the settings choose it
    try:
        serve.wait_ready(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=serve.CHROMIUM, args=serve.CHROMIUM_ARGS)
            for name, width in GUIDE_SHOTS:
                page = browser.new_page(viewport={"width": width, "height": 1700})
                sign_in(page, f"http://127.0.0.1:{port}", "owner", "owner-pass-1")
                settle(page, "这是一个新工作区")
                page.locator("input[type='file']").set_input_files(str(upload))
                settle(page, "拒收 2 行，原因如下")
                page.screenshot(path=str(out / name))
                print("saved", out / name)
                page.close()
            browser.close()
    finally:
        serve.stop_app(proc)


if __name__ == "__main__":
    main()
