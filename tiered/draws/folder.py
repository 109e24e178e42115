"""The draw folder: its files' names, its manifest's bytes, and writing it with its ledger entry.

`tiered.draws.draw` computes a draw's files; this module writes them in one crash-safe step
(`_write_and_record`): inside the workspace staged with the ledger entry, elsewhere (`--out`)
atomically with an entry that only names the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from tiered.files import _fsync_dir
from tiered.layout import Layout

LIST_COLUMNS = [
    "uscc",
    "name",
    "sector",
    "region",
    "tier",
    "ticket",
    "inclusion_probability",
    "inspectors",
]
HEADERS = {
    "uscc": "统一社会信用代码",
    "name": "名称",
    "sector": "行业领域",
    "region": "所属区域",
    "tier": "信用风险等级",
    "ticket": "抽签号",
    "inclusion_probability": "入选概率",
    "inspectors": "执法检查人员",
}
DEPARTMENTS_NAME = "departments.csv"  # a task's inspectors per department and their items
CSV_NAME = "inspection_list.csv"
XLSX_NAME = "inspection_list.xlsx"
MANIFEST_NAME = "manifest.json"


def default_out_dir(ws: Path, month: str) -> Path:
    return Layout.of(ws).draw_dir(str(month).strip())


def _manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _write_atomically(target: Path, archive: Path | None, files: dict[str, bytes]) -> None:
    """Stage every file in a temporary sibling folder, then rename it into place; an existing
    draw is first renamed to `archive` (and put back if the final rename fails)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a draw folder is for the whole office
    try:
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            with open(tmp / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if archive is not None:
            os.rename(target, archive)
        try:
            os.rename(tmp, target)
        except OSError:
            if archive is not None:
                os.rename(archive, target)
            raise
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_and_record(
    ws: Path,
    target: Path,
    archive: Path | None,
    files: dict[str, bytes],
    manifest: dict,
    actor: str | None,
    base_kind: str = "draw",
    validated: dict | None = None,
) -> None:
    """Write the draw folder and its ledger entry as one crash-safe operation.

    Inside the workspace `staged.commit_dir` stages the folder, renames it into place (archiving
    a replaced draw first) and appends the entry; a crash at any point leaves the old draw or the
    whole new one, and the next command finishes a pending entry. A folder outside the workspace
    (`--out`) cannot be audited later: it is written atomically and the entry only names it.
    """
    from tiered.ledger import chain as ledger
    from tiered.ledger import staged

    payload = {
        "month": manifest["month"],
        "seed": manifest["seed"],
        "frame_sha256": manifest["frame_sha256"],
        "config_sha256": manifest["config_sha256"],
        "drawn": manifest["drawn"],
    }
    if "task_id" in manifest:
        payload["task_id"] = manifest["task_id"]
    if "replaced" in manifest:
        payload["replaced"] = manifest["replaced"]
    if validated:  # the validated cache the draw read: verify may read it too (not re-parse)
        payload["validated"] = validated
    kind = f"{base_kind}_replaced" if archive is not None else base_kind
    try:
        target.resolve().relative_to(ws.resolve())
    except ValueError:
        _write_atomically(target, archive, files)
        ledger.append(ws, kind, {**payload, "out": str(target)}, actor=actor)
        return
    staged.commit_dir(ws, kind, payload, target, files, archive=archive, actor=actor)
