"""Time from `streamlit run app.py` to the first screen, on the default demo, in headless chromium.

First start (empty data folder: the app creates the 20,000-entity demo and its first score run,
showing progress) and second start (demo present), each timed to:
  1. the sign-in form being visible,
  2. the leader's overview fully drawn after signing in (last section visible, nothing stale).

    .venv/bin/python benchmarks/app_first_screen.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests" / "support")]

import app_server as serve  # noqa: E402


def one_start(data_dir: Path, label: str) -> None:
    from playwright.sync_api import sync_playwright

    env = {"TIERED_DATA_DIR": str(data_dir)}
    os.environ.pop("TIERED_WORKSPACE", None)
    port = serve.free_port()
    t0 = time.perf_counter()
    proc = serve.start_app(env, port, data_dir.parent / f"{label}.log")
    try:
        serve.wait_ready(port, timeout=120)
        t_server = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=serve.CHROMIUM, args=serve.CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 2400})
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_role("textbox", name="用户名").wait_for(timeout=300_000)
            t_form = time.perf_counter() - t0
            page.get_by_role("textbox", name="用户名").fill("leader")
            page.get_by_role("textbox", name="密码").fill("leader123")
            t1 = time.perf_counter()
            page.get_by_role("button", name="登录").click()
            page.get_by_text("抽查完成情况与计划").wait_for(timeout=300_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-stale=\"true\"]')"
                " && !document.querySelector('[data-testid=\"stSpinner\"]')",
                timeout=300_000,
            )
            t_leader = time.perf_counter() - t1
            browser.close()
    finally:
        serve.stop_app(proc)
    print(
        f"{label}: server up {t_server:.1f} s; sign-in form {t_form:.1f} s after `streamlit run`; "
        f"leader overview drawn {t_leader:.1f} s after signing in"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        one_start(data, "first start (creates the demo)")
        one_start(data, "second start (demo present)")
        print("demo entities:", sum(1 for _ in open(data / "demo" / "entities.csv")) - 1)


if __name__ == "__main__":
    main()
