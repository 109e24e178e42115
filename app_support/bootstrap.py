"""Where the app keeps its things, and the built-in demo workspace created on first start.

The workspace is, in order: `$TIERED_WORKSPACE`; the one chosen in the app's settings
(`settings.json` in the data folder); else the built-in demo in the data folder. The data folder
is `$TIERED_DATA_DIR`, else `$XDG_DATA_HOME/tiered-supervision`, else
`~/.local/share/tiered-supervision`: always somewhere the user may write. Accounts live there
too (`accounts.json`, or `$TIERED_ACCOUNTS`), not in a workspace, so switching workspaces keeps
the sign-in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from tables import clock
from tiered.errors import UsageError
from tiered.files import atomic_write_bytes

APP_NAME = "tiered-supervision"
DEMO_ENTITIES = 20_000  # Haidong scores ~25,000 enterprises: a realistic first screen
DEMO_SEED = 0
Progress = Callable[[float, str], None]


def data_dir() -> Path:
    if os.environ.get("TIERED_DATA_DIR"):
        return Path(os.environ["TIERED_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_NAME


def accounts_path() -> Path:
    env = os.environ.get("TIERED_ACCOUNTS")
    return Path(env).expanduser() if env else data_dir() / "accounts.json"


def settings_path() -> Path:
    return data_dir() / "settings.json"


def read_settings() -> dict:
    try:
        return json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_settings(**changes: object) -> None:
    data = {**read_settings(), **changes}
    atomic_write_bytes(settings_path(), json.dumps(data, ensure_ascii=False, indent=1).encode())


def demo_path() -> Path:
    return data_dir() / "demo"


def workspace_path() -> tuple[Path, str]:
    """(path, where it came from: "env", "settings" or "demo")."""
    if os.environ.get("TIERED_WORKSPACE"):
        return Path(os.environ["TIERED_WORKSPACE"]).expanduser(), "env"
    chosen = read_settings().get("workspace")
    if chosen:
        return Path(chosen).expanduser(), "settings"
    return demo_path(), "demo"


def choose_workspace(path: str | None, new: bool = False) -> bool:
    """Remember a workspace (None: back to the demo). It must hold an entities table, unless
    `new`: then the folder is created when missing and its tables are uploaded step by step
    on the data page. True when the chosen workspace has no entities table yet."""
    if not path:
        write_settings(workspace=None)
        return False
    from tiered.workspace import find_table_files

    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise UsageError("这是一个文件，不是文件夹 (not a folder)", file=str(p))
    if not p.is_dir():
        if not new:
            raise UsageError(
                "工作区目录不存在；如要新建，请勾选“新建工作区” (workspace folder not found)",
                file=str(p),
            )
        try:
            p.mkdir(parents=True)
        except OSError as exc:
            raise UsageError(
                f"无法创建该目录：{exc.strerror} (cannot create the folder)", file=str(p)
            ) from None
    empty = "entities" not in find_table_files(p)
    if empty and not new:
        raise UsageError(
            "该目录还没有检查对象名录库；如要在此新建工作区，请勾选“新建工作区”，"
            "再到“数据管理”页分步上传 (no entities table in this folder)",
            file=str(p),
        )
    write_settings(workspace=str(p.resolve()))
    return empty


def needs_demo(ws: Path, source: str) -> bool:
    """True when `ws` is the built-in demo (or an empty env folder) without tables yet."""
    if any((ws / f"entities{s}").exists() for s in (".csv", ".xlsx", ".parquet")):
        return False
    if (ws / "检查对象名录库.csv").exists() or (ws / "检查对象名录库.xlsx").exists():
        return False
    if source == "settings":
        return False
    return not ws.exists() or not any(p for p in ws.iterdir() if not p.name.startswith("."))


def is_demo(ws: Path, source: str) -> bool:
    """The built-in demo, or a workspace `tiered demo` wrote (it leaves `truth.csv`, which no
    real register has): there the demo accounts' known passwords may stay."""
    return source == "demo" or (ws / "truth.csv").exists()


_warmed = threading.Event()
WARM_MODULES = (
    "pandas",
    "tiered.workspace",
    "app_support.model",
    "app_support.modelinfo",
    "app_support.charts",
)


def warm_up(delay: float = 0.0) -> None:
    """Import the heavy modules (pandas, scikit-learn, LightGBM, the scorer, the charts) in a
    background thread, once per server process, `delay` seconds after the first screen was
    sent: the first page after signing in does not wait for them, and the sign-in form (which
    needs none of them) does not share the machine with them while the browser draws it."""
    if _warmed.is_set():
        return
    _warmed.set()

    def _run() -> None:
        import importlib
        import time

        time.sleep(delay)
        for name in WARM_MODULES:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    threading.Thread(target=_run, name="tiered-warm-up", daemon=True).start()


def template_csv(name: str) -> bytes:
    """One table's blank template: its Chinese header row, UTF-8 with BOM (so Excel shows the
    Chinese headers, which the reader accepts as they are)."""
    from tables.spec import TABLES

    header = ",".join(c.label for c in TABLES[name].columns)
    return ("\ufeff" + header + "\n").encode("utf-8")


def templates_zip() -> bytes:
    """Empty tables for a new workspace: one CSV per table (`template_csv`) and 填表说明.txt
    saying which tables and columns are required. Unzip into the workspace folder, fill in,
    upload or copy."""
    import io
    import zipfile

    from tables.spec import TABLES

    buf = io.BytesIO()
    notes = ["填表说明：每个表一个文件，表头为中文列名（也可用英文列名）。带 * 的列必填。", ""]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, spec in TABLES.items():
            z.writestr(f"{name}.csv", template_csv(name))
            need = "必需" if spec.required_table else "可选"
            cols = "、".join(f"{c.label}{'*' if c.required else ''}" for c in spec.columns)
            notes.append(f"{name}.csv {spec.label}（{need}）：{cols}")
        z.writestr("填表说明.txt", "\n".join(notes) + "\n")
    return buf.getvalue()


def first_of_month(today: dt.date | None = None) -> dt.date:
    return (today or clock.today()).replace(day=1)


def demo_size() -> int:
    """Entities in the built-in demo: `$TIERED_DEMO_ENTITIES`, else 20,000."""
    text = os.environ.get("TIERED_DEMO_ENTITIES", "")
    return int(text) if text.strip().isdigit() and int(text) > 0 else DEMO_ENTITIES


# Where each stage of the first start begins on the progress bar: the shares of the time each
# took on the 20,000-entity demo (4.1 s in all, measured on the 2-core development machine).
DEMO_PROGRESS = {
    "modules": 0.0,  # loading the demo builder (numpy, pandas)
    "entities": 0.11,
    "inspectors": 0.12,
    "records": 0.12,
    "inspections": 0.13,
    "tasks": 0.13,
    "write": 0.15,
    "scorer": 0.18,  # loading the scorer (scikit-learn, LightGBM)
    "validate": 0.47,
    "score": 0.76,
    "save": 0.94,
    "done": 1.0,
}


def create_demo(
    ws: Path,
    n_entities: int | None = None,
    seed: int = DEMO_SEED,
    progress: Progress | None = None,
) -> dict:
    """Write the demo tables and a first ledgered score run (the baseline for PSI), telling
    `progress(fraction, stage)` as each stage of `DEMO_PROGRESS` begins."""
    say = progress or (lambda _f, _m: None)

    def stage(key: str) -> None:
        say(DEMO_PROGRESS[key], key)

    stage("modules")
    from tiered.demo.build import write_demo

    summary = write_demo(ws, n_entities=n_entities or demo_size(), seed=seed, progress=stage)
    stage("scorer")
    from tiered.analysis.scorerun import run_score

    run_score(
        ws,
        first_of_month().isoformat(),
        actor="demo-setup",
        progress=lambda key: stage("save" if key == "write" else key),
    )
    stage("done")
    return summary
