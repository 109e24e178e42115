"""Time from `streamlit run app.py` to the first screen, on the default demo, in headless chromium.

The browser is started first (a user's browser is already open), then the server; the page is
opened as soon as the server answers. First start (empty data folder: the app creates the
20,000-entity demo and its first score run) and then `--repeat` second starts (demo present),
each timed to:
  1. the first thing drawn (on a first start: the progress bar),
  2. the sign-in form being visible,
  3. the leader's overview fully drawn after clicking 登录 (last section visible, nothing stale);
     the name and password are typed at 0.15 s a key, about 2.3 s in all.
On the first start the progress bar is sampled every 0.25 s, to show that it moves.
Each line ends with the 1-minute load average (the machine may be shared).

    .venv/bin/python benchmarks/app_first_screen.py [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests" / "support")]

import app_server as serve  # noqa: E402

_BAR = """() => {
  const b = document.querySelector('[data-testid="stProgress"] [role="progressbar"]');
  return b ? Number(b.getAttribute('aria-valuenow')) : null; }"""


def one_start(page, data_dir: Path, label: str, leader: bool = True) -> None:
    env = {"TIERED_DATA_DIR": str(data_dir)}
    os.environ.pop("TIERED_WORKSPACE", None)
    port = serve.free_port()
    t0 = time.perf_counter()
    proc = serve.start_app(env, port, data_dir.parent / f"{label.split()[0]}.log")
    bar: list[tuple[float, float]] = []
    try:
        serve.wait_ready(port, timeout=120)
        t_server = time.perf_counter() - t0
        page.goto(f"http://127.0.0.1:{port}", wait_until="commit")
        form = page.get_by_role("textbox", name="用户名")
        first = page.locator('[data-testid="stProgress"]').or_(form).first
        first.wait_for(timeout=300_000)
        t_first = time.perf_counter() - t0
        while not form.is_visible():
            value = page.evaluate(_BAR)
            if value is not None and (not bar or value != bar[-1][1]):
                bar.append((time.perf_counter() - t0, value))
            time.sleep(0.25)
        t_form = time.perf_counter() - t0
        t_leader = None
        if leader:
            # typed as a person types (0.15 s a key), so the background import of the heavy
            # modules has the time it has in real use; timed from the click
            form.press_sequentially("leader", delay=150)
            page.get_by_role("textbox", name="密码").press_sequentially("leader123", delay=150)
            t1 = time.perf_counter()
            page.get_by_role("button", name="登录").click()
            page.get_by_text("抽查完成情况与计划").wait_for(timeout=300_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-stale=\"true\"]')"
                " && !document.querySelector('[data-testid=\"stSpinner\"]')",
                timeout=300_000,
            )
            t_leader = time.perf_counter() - t1
            page.get_by_role("button", name="退出登录").click()
            form.wait_for(timeout=60_000)
    finally:
        serve.stop_app(proc)
    load = os.getloadavg()[0]
    line = (
        f"{label}: server up {t_server:.1f} s; first screen {t_first:.1f} s; "
        f"sign-in form {t_form:.1f} s after `streamlit run`"
    )
    if t_leader is not None:
        line += f"; leader overview drawn {t_leader:.1f} s after signing in"
    print(f"{line}; load {load:.1f}", flush=True)
    if bar:
        print("  progress bar: " + ", ".join(f"{t:.1f} s {v:.0f}%" for t, v in bar), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="second starts to time")
    ap.add_argument("--data", help="data folder to use (kept); default a temporary one")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        data = Path(args.data) if args.data else Path(tmp) / "data"
        tb = time.perf_counter()
        browser = p.chromium.launch(executable_path=serve.CHROMIUM, args=serve.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2400})
        page.goto("about:blank")
        print(f"browser started in {time.perf_counter() - tb:.1f} s (not counted below)")
        if not (data / "demo").exists():
            one_start(page, data, "first start (creates the demo)")
        for i in range(args.repeat):
            one_start(page, data, f"second start #{i + 1} (demo present)")
        browser.close()
        print("demo entities:", sum(1 for _ in open(data / "demo" / "entities.csv")) - 1)


if __name__ == "__main__":
    main()
