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


def choose_workspace(path: str | None) -> None:
    """Remember a workspace (None: back to the demo); it must exist and hold an entities table."""
    if path:
        from tiered.workspace import find_table_files

        p = Path(path).expanduser()
        if not p.is_dir():
            raise UsageError("工作区目录不存在 (workspace folder not found)", file=str(p))
        if "entities" not in find_table_files(p):
            raise UsageError(
                "该目录没有 entities 表（检查对象名录库）(no entities table in this folder)",
                file=str(p),
            )
        write_settings(workspace=str(p.resolve()))
    else:
        write_settings(workspace=None)


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


def warm_up() -> None:
    """Import the heavy modules (pandas' readers, scikit-learn, LightGBM, the scorer) in a
    background thread, once per server process, while the user reads the sign-in form: the
    first page after signing in then does not wait for them."""
    if _warmed.is_set():
        return
    _warmed.set()

    def _run() -> None:
        import importlib

        for name in ("app_support.model", "app_support.modelinfo", "app_support.charts"):
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    threading.Thread(target=_run, name="tiered-warm-up", daemon=True).start()


def templates_zip() -> bytes:
    """Empty tables for a new workspace: one CSV per table (UTF-8 with BOM, so Excel shows the
    Chinese headers, which the reader accepts as they are) and 填表说明.txt saying which tables and
    columns are required. Unzip into the workspace folder, fill in, upload or copy."""
    import io
    import zipfile

    from tables.spec import TABLES

    buf = io.BytesIO()
    notes = ["填表说明：每个表一个文件，表头为中文列名（也可用英文列名）。带 * 的列必填。", ""]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, spec in TABLES.items():
            header = ",".join(c.label for c in spec.columns)
            z.writestr(f"{name}.csv", ("\ufeff" + header + "\n").encode("utf-8"))
            need = "必需" if spec.required_table else "可选"
            cols = "、".join(f"{c.label}{'*' if c.required else ''}" for c in spec.columns)
            notes.append(f"{name}.csv {spec.label}（{need}）：{cols}")
        z.writestr("填表说明.txt", "\n".join(notes) + "\n")
    return buf.getvalue()


def first_of_month(today: dt.date | None = None) -> dt.date:
    return (today or dt.date.today()).replace(day=1)


def demo_size() -> int:
    """Entities in the built-in demo: `$TIERED_DEMO_ENTITIES`, else 20,000."""
    text = os.environ.get("TIERED_DEMO_ENTITIES", "")
    return int(text) if text.strip().isdigit() and int(text) > 0 else DEMO_ENTITIES


def create_demo(
    ws: Path,
    n_entities: int | None = None,
    seed: int = DEMO_SEED,
    progress: Progress | None = None,
) -> dict:
    """Write the demo tables and a first ledgered score run (the baseline for PSI)."""
    from tiered.analysis.scorerun import run_score
    from tiered.demo.build import write_demo

    say = progress or (lambda _f, _m: None)
    say(0.05, "demo")
    summary = write_demo(ws, n_entities=n_entities or demo_size(), seed=seed)
    say(0.6, "score")
    run_score(ws, first_of_month().isoformat(), actor="demo-setup")
    say(1.0, "done")
    return summary
