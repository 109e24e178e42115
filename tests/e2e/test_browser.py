"""End to end in a real browser: Debian's chromium (driven by Playwright) signs in as staff,
runs a draw, downloads the Excel list and opens it with openpyxl."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support")]

import app_server as serve  # noqa: E402

pytestmark = [
    pytest.mark.timeout(180),
    # CI installs chromium (.ci/run): there a missing browser fails instead of skipping.
    pytest.mark.skipif(
        not Path(serve.CHROMIUM).exists() and not os.environ.get("CI"),
        reason="needs /usr/bin/chromium (bash .ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    from app_support import bootstrap

    root = tmp_path_factory.mktemp("e2e")
    ws = root / "ws"
    old = os.environ.get("TIERED_DATA_DIR")
    os.environ["TIERED_DATA_DIR"] = str(root / "data")  # accounts for create_demo's caller
    try:
        bootstrap.create_demo(ws, n_entities=3000, seed=5)
    finally:
        if old is None:
            os.environ.pop("TIERED_DATA_DIR")
        else:
            os.environ["TIERED_DATA_DIR"] = old
    port = serve.free_port()
    env = {"TIERED_WORKSPACE": str(ws), "TIERED_DATA_DIR": str(root / "data")}
    proc = serve.start_app(env, port, root / "streamlit.log")
    try:
        serve.wait_ready(port, timeout=60)
        yield f"http://127.0.0.1:{port}", ws
    finally:
        serve.stop_app(proc)


def test_staff_draws_and_downloads_excel(app_url, tmp_path):
    from openpyxl import load_workbook
    from playwright.sync_api import expect, sync_playwright

    url, ws = app_url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=serve.CHROMIUM, args=serve.CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_role("textbox", name="用户名").fill("staff")
            page.get_by_role("textbox", name="密码").fill("staff123")
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", name="月度抽查")).to_be_visible(timeout=60_000)
            seed = page.get_by_role("textbox", name="随机种子")
            seed.fill("3141592653")
            seed.press("Enter")
            draw = page.get_by_role("button", name="抽签", exact=True)
            expect(draw).to_be_enabled(timeout=30_000)
            draw.click()
            expect(page.get_by_text("抽查名单", exact=False).first).to_be_visible(timeout=60_000)
            button = page.get_by_role("button", name="下载 Excel 名单")
            expect(button).to_be_visible(timeout=30_000)
            with page.expect_download(timeout=30_000) as dl:
                button.click()
            target = tmp_path / "list.xlsx"
            dl.value.save_as(target)
        finally:
            browser.close()
    wb = load_workbook(target, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) > 1
    header = [str(h) for h in rows[0]]
    assert any("统一社会信用代码" in h or h == "uscc" for h in header)
    drawn = list((ws / "out" / "draws").glob("*/inspection_list.xlsx"))
    assert (
        len(drawn) == 1
        and len(rows) - 1
        == sum(1 for _ in open(drawn[0].with_suffix(".csv"), encoding="utf-8-sig")) - 1
    )
