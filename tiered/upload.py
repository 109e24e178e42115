"""Uploading an input table (`tiered upload`, the app's data page) and restoring an earlier one.

One upload once replaced a 20,006-entity register with the 6 corrected rows a clerk had been
invited to upload, without a question, a copy or an undo, and orphaned 90,874 rows of the other
tables. So an upload is a plan first and a change second:

1. `plan_upload` reads and validates the file *with the rest of the workspace as it would be*
   (nothing is written): an unreadable file, a missing required column or a file with no usable
   row is refused outright and the current table stays. The plan says what would change: rows
   now and after ("将以 6 行替换现有 20,006 行"), rows accepted and rejected, in `update` mode the
   rows added, updated and unchanged (keyed by the table's key: uscc for entities), and for every
   other table the rows that would lose their entity or inspector (orphans).
2. A plan that shrinks the table to less than half, or orphans more than half of any other
   table, needs an explicit `force`; without it `apply_upload` refuses (exit 2) saying how many.
3. `apply_upload` keeps the current file under `out/tables/TABLE/` (from `tiered.layout`),
   ledgers a `table_replace` entry (the copy is a ledgered file; the input file itself is not,
   because people edit inputs), then writes the new file. A crash after the entry leaves the
   old table in place with its copy kept: run the upload again.
4. `restore` puts a kept version back, as an upload of that copy (same checks, same ledger), so
   a restore is itself undoable.

`replace` writes the uploaded bytes as `TABLE.<suffix>`; `update` writes the merged table as
`TABLE.csv` (UTF-8 with BOM). For tables without a key (records, inspections, conflicts)
`update` appends the uploaded rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tables.check import ROW, Report
from tables.errors import SchemaError
from tables.spec import TABLES
from tables.summary import problem_summary, summary_lines
from tiered.config import load_config
from tiered.errors import UsageError
from tiered.files import atomic_write_bytes, sha256_file
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.ledger import staged
from tiered.ledger.lock import writes
from tiered.workspace import SUFFIXES, find_table_files, load_workspace, read_table, validate_with

MODES = ("replace", "update")
SHRINK_LIMIT = 0.5  # the table would keep less than this share of its accepted rows
ORPHAN_LIMIT = 0.5  # another table would lose more than this share of its accepted rows


@dataclass
class UploadPlan:
    """What an upload would do; nothing has been written when you hold one."""

    table: str
    mode: str
    source: str  # the uploaded file's name
    suffix: str
    sha256: str
    current_file: str | None
    current_sha256: str | None  # the table file the plan was made against
    rows_before: int  # rows in the current file (0 when there is none)
    accepted_before: int
    rows_uploaded: int
    rows_after: int  # rows of the table the change would write
    accepted_after: int
    rejected_after: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    orphans: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> rows, of
    errors: list[dict] = field(default_factory=list)  # the first problems of the new table
    summary: dict[str, list[dict]] = field(default_factory=dict)
    needs_force: list[str] = field(default_factory=list)  # why a force is needed, if it is

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def headline(self) -> tuple[str, str]:
        """(zh, en): "将以 6 行替换现有 20,006 行" / "replaces the current 20,006 rows by 6"."""
        if self.mode == "replace":
            if self.current_file is None:
                return (
                    f"将新建表 {self.table}（{self.rows_after:,} 行）",
                    f"creates table {self.table} ({self.rows_after:,} rows)",
                )
            return (
                f"将以 {self.rows_after:,} 行替换现有 {self.rows_before:,} 行",
                f"replaces the current {self.rows_before:,} rows by {self.rows_after:,}",
            )
        return (
            f"按键更新：新增 {self.added:,} 行，更新 {self.updated:,} 行，未变 {self.unchanged:,}"
            f" 行；共 {self.rows_before:,} → {self.rows_after:,} 行",
            f"update by key: {self.added:,} added, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged; {self.rows_before:,} → {self.rows_after:,} rows",
        )

    def lines(self) -> list[str]:
        zh, en = self.headline()
        out = [f"{zh} ({en})"]
        out.append(
            f"校验后可用 {self.accepted_after:,} 行，拒收 {self.rejected_after:,} 行（现为可用 "
            f"{self.accepted_before:,} 行） ({self.accepted_after:,} accepted, "
            f"{self.rejected_after:,} rejected; now {self.accepted_before:,} accepted)"
        )
        for t, o in self.orphans.items():
            out.append(
                f"{t}：{o['rows']:,} / {o['of']:,} 行将失去其{_what(self.table)}而被拒收"
                f" ({o['rows']:,} of {o['of']:,} {t} rows would be orphaned)"
            )
        out += summary_lines(self.summary)
        out += [f"需要确认 (needs --force): {w}" for w in self.needs_force]
        return out


def _what(table: str) -> str:
    return {"entities": "主体", "inspectors": "检查人员"}.get(table, "引用")


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise UsageError(
            f"未知的表 '{table}'，可选：{', '.join(TABLES)} (unknown table)", column="--table"
        )


def _headers(lay: Layout, table: str) -> dict[str, str] | None:
    """The config's own header names for `table` (real exports' spellings)."""
    return load_config(lay.root).headers.get(table)


def _read_upload(path: Path, table: str, source: str, headers: dict | None) -> pd.DataFrame:
    try:
        df = read_table(path, table, headers)
    except UsageError as exc:
        raise UsageError(f"{exc.message}；现有表未改动 (nothing changed)", file=source) from None
    if df.empty:
        raise UsageError(
            "上传的文件没有数据行；现有表未改动 (no rows: nothing changed)", file=source
        )
    return df


def _norm_key(s: pd.Series, uscc: bool) -> pd.Series:
    s = s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v).strip())
    return s.str.upper() if uscc else s


def _merge(current: pd.DataFrame, new: pd.DataFrame, table: str) -> tuple[pd.DataFrame, dict]:
    """`update`: rows of `new` replace the current rows with the same key, others are added."""
    spec = TABLES[table]
    cur = current.drop(columns=ROW)
    upd = new.drop(columns=ROW)
    cols = list(dict.fromkeys([*cur.columns, *upd.columns]))
    cur, upd = cur.reindex(columns=cols), upd.reindex(columns=cols)
    if not spec.key:  # no key to match on: append
        merged = pd.concat([cur, upd], ignore_index=True)
        return merged, {"added": len(upd), "updated": 0, "unchanged": 0}
    key = spec.key[0]
    is_uscc = spec.column(key).kind == "uscc"
    ck, nk = _norm_key(cur[key], is_uscc), _norm_key(upd[key], is_uscc)
    old_by_key = dict(zip(ck, cur.astype(str).agg("\x1f".join, axis=1), strict=True))
    new_text = upd.astype(str).agg("\x1f".join, axis=1)
    known = nk.isin(set(ck.dropna()))
    pairs = zip(nk[known], new_text[known], strict=True)
    unchanged = int(sum(old_by_key.get(k) == t for k, t in pairs))
    keep = cur[~ck.isin(set(nk.dropna()))]
    merged = pd.concat([keep, upd], ignore_index=True)
    stats = {
        "added": int((~known).sum()),
        "updated": int(known.sum()) - unchanged,
        "unchanged": unchanged,
    }
    return merged, stats


def plan_upload(
    ws: str | os.PathLike, table: str, file: str | os.PathLike, mode: str = "replace"
) -> UploadPlan:
    """Validate `file` as the new `table` with the rest of the workspace; write nothing."""
    lay = Layout.of(ws)
    _check_table(table)
    if mode not in MODES:
        raise UsageError(f"--mode 应为 replace 或 update，收到 '{mode}' (unknown mode)")
    file = Path(file)
    if not file.is_file():
        raise UsageError("上传的文件不存在 (file not found)", file=str(file))
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            "不支持的文件类型，请使用 CSV、XLSX 或 Parquet (unsupported file type)", file=file.name
        )
    data = file.read_bytes()
    headers = _headers(lay, table)
    new = _read_upload(file, table, file.name, headers)
    current_path = find_table_files(lay.root).get(table)
    current = read_table(current_path, table, headers) if current_path is not None else None
    has_entities = "entities" in find_table_files(lay.root)
    now = load_workspace(lay.root, write_rejected=False) if has_entities else None
    stats = {"added": 0, "updated": 0, "unchanged": 0}
    after = new
    if mode == "update" and current is not None:
        merged, stats = _merge(current, new, table)
        after = merged.assign(**{ROW: range(2, len(merged) + 2)})[[ROW, *merged.columns]]
    try:
        report = validate_with(lay.root, {table: after}, {table: file.name})
    except UsageError as exc:  # a required column missing: refuse, nothing changed
        raise UsageError(
            f"{exc.message}；现有表未改动 (nothing changed)", file=file.name, column=exc.column
        ) from None
    except SchemaError as exc:
        raise UsageError(f"{exc.message}；现有表未改动 (nothing changed)", file=file.name) from None
    counts = report.counts.get(table, {"rows": len(after), "accepted": 0, "rejected": len(after)})
    before = now.report.counts if now is not None else {}
    plan = UploadPlan(
        table=table,
        mode=mode,
        source=file.name,
        suffix=".csv" if mode == "update" and current is not None else suffix,
        sha256=hashlib.sha256(data).hexdigest(),
        current_file=current_path.name if current_path is not None else None,
        current_sha256=sha256_file(current_path) if current_path is not None else None,
        rows_before=len(current) if current is not None else 0,
        accepted_before=before.get(table, {}).get("accepted", 0),
        rows_uploaded=len(new),
        rows_after=len(after),
        accepted_after=counts["accepted"],
        rejected_after=counts["rejected"],
        **stats,
        errors=[e for e in report.errors if e["table"] == table][:50],
        summary=problem_summary(report.errors),
    )
    _judge(plan, before, report)
    return plan


def _judge(plan: UploadPlan, before: dict[str, dict[str, int]], report: Report) -> None:
    if plan.accepted_after == 0:
        raise UsageError(
            f"上传的 {plan.table} 没有一行通过校验（{plan.rejected_after:,} 行均被拒收），"
            f"现有表未改动 (no row of the upload passes validation: nothing changed); "
            + (plan.errors[0]["message"] if plan.errors else ""),
            file=plan.source,
        )
    for t, c in before.items():
        if t == plan.table or not c.get("accepted"):
            continue
        lost = c["accepted"] - report.counts.get(t, {}).get("accepted", 0)
        if lost > 0:
            plan.orphans[t] = {"rows": int(lost), "of": int(c["accepted"])}
            if lost > ORPHAN_LIMIT * c["accepted"]:
                plan.needs_force.append(
                    f"{t} 的 {lost:,} / {c['accepted']:,} 行将成为孤立行"
                    f" ({lost:,} of {c['accepted']:,} {t} rows would be orphaned)"
                )
    if plan.accepted_before and plan.accepted_after < SHRINK_LIMIT * plan.accepted_before:
        plan.needs_force.append(
            f"{plan.table} 将由 {plan.accepted_before:,} 行减为 {plan.accepted_after:,} 行"
            f" ({plan.table} would shrink from {plan.accepted_before:,} to "
            f"{plan.accepted_after:,} accepted rows)"
        )


@writes("upload")
def apply_upload(
    ws: str | os.PathLike,
    file: str | os.PathLike,
    plan: UploadPlan,
    reason: str,
    actor: str | None = None,
    force: bool = False,
    kind: str = "table_replace",
    extra: dict[str, Any] | None = None,
) -> ledger.Entry:
    """Carry out a plan: keep the current file, ledger the change, write the new file."""
    lay = Layout.of(ws)
    reason = (reason or "").strip()
    if not reason:
        raise UsageError("请填写上传原因 --reason (a reason is required)")
    if plan.needs_force and not force:
        raise UsageError(
            plan.headline()[0]
            + "："
            + "；".join(plan.needs_force)
            + "。如确需如此，请加 --force（应用中勾选确认） (refused: add --force to do it anyway)"
        )
    data = Path(file).read_bytes()
    if hashlib.sha256(data).hexdigest() != plan.sha256:
        raise UsageError("文件在检查后被改动，请重新检查 (the file changed since it was checked)")
    current = find_table_files(lay.root).get(plan.table)
    now = (current.name, sha256_file(current)) if current else (None, None)
    if now != (plan.current_file, plan.current_sha256):
        raise UsageError("表在检查后被改动，请重新检查 (the table changed since it was checked)")
    target = lay.root / f"{plan.table}{plan.suffix}"
    if plan.mode == "update" and current is not None:
        merged, _ = _merge(
            read_table(current, plan.table, _headers(lay, plan.table)),
            read_table(file, plan.table, _headers(lay, plan.table)),
            plan.table,
        )
        data = b"\xef\xbb\xbf" + merged.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    outputs: dict[str, bytes] = {}
    kept = None
    if current is not None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept = lay.rel(lay.table_versions(plan.table) / f"{stamp}-{current.name}")
        outputs[kept] = current.read_bytes()
    payload = {
        **(extra or {}),
        "table": plan.table,
        "mode": plan.mode,
        "reason": reason,
        "source": plan.source,
        "source_sha256": plan.sha256,
        "file": target.name,
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "previous_file": plan.current_file,
        "previous_copy": kept,
        "rows_before": plan.rows_before,
        "rows_after": plan.rows_after,
        "accepted_after": plan.accepted_after,
        "orphans": plan.orphans,
        "forced": bool(plan.needs_force),
    }
    entry = staged.commit_files(lay.root, kind, payload, outputs, actor=actor)
    atomic_write_bytes(target, data)
    if current is not None and current != target:
        current.unlink(missing_ok=True)  # after the new file is in place (kept above)
    return entry


def upload(
    ws: str | os.PathLike,
    table: str,
    file: str | os.PathLike,
    mode: str,
    reason: str,
    actor: str | None = None,
    force: bool = False,
) -> tuple[UploadPlan, ledger.Entry]:
    """Plan and apply in one step (the CLI); the app shows the plan and asks first."""
    plan = plan_upload(ws, table, file, mode)
    return plan, apply_upload(ws, file, plan, reason, actor, force)


def versions(ws: str | os.PathLike, table: str) -> list[dict[str, Any]]:
    """The kept earlier versions of `table`, oldest first: number, file, time, reason."""
    lay = Layout.of(ws)
    _check_table(table)
    out = []
    for e in ledger.entries(lay.root):
        copy = e.payload.get("previous_copy")
        if (
            e.kind in ("table_replace", "table_restore")
            and e.payload.get("table") == table
            and copy
        ):
            if (lay.root / copy).is_file():
                out.append(
                    {
                        "version": len(out) + 1,
                        "copy": copy,
                        "file": e.payload.get("previous_file"),
                        "replaced_at": e.time,
                        "replaced_by": e.actor,
                        "reason": e.payload.get("reason", ""),
                    }
                )
    return out


@writes("restore")
def restore(
    ws: str | os.PathLike,
    table: str,
    reason: str,
    version: int | None = None,
    actor: str | None = None,
    force: bool = False,
) -> tuple[UploadPlan, ledger.Entry]:
    """Put back a kept version (default: the latest), as an upload of that copy."""
    lay = Layout.of(ws)
    kept = versions(lay.root, table)
    if not kept:
        raise UsageError(f"表 {table} 没有保存的旧版本 (no earlier version of {table} is kept)")
    if version is None:
        chosen = kept[-1]
    elif not 1 <= version <= len(kept):
        raise UsageError(f"版本应为 1–{len(kept)} (version must be 1..{len(kept)})")
    else:
        chosen = kept[version - 1]
    src = lay.root / chosen["copy"]
    name = chosen["file"] or src.name
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / f"{Path(name).stem}{src.suffix}"
        f.write_bytes(src.read_bytes())
        plan = plan_upload(lay.root, table, f, "replace")
        plan.source = chosen["copy"]
        entry = apply_upload(
            lay.root, f, plan, reason, actor, force, kind="table_restore",
            extra={"restored_version": chosen["version"], "restored_copy": chosen["copy"]},
        )  # fmt: skip
    return plan, entry


def plan_bytes(ws: str | os.PathLike, table: str, name: str, data: bytes, mode: str) -> UploadPlan:
    """`plan_upload` for bytes held in memory (the app's uploader); `name` gives the format."""
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / Path(name).name
        f.write_bytes(data)
        return plan_upload(ws, table, f, mode)


def apply_bytes(
    ws: str | os.PathLike,
    name: str,
    data: bytes,
    plan: UploadPlan,
    reason: str,
    actor: str | None = None,
    force: bool = False,
) -> ledger.Entry:
    """`apply_upload` for bytes held in memory; refuses if they are not the planned bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / Path(name).name
        f.write_bytes(data)
        return apply_upload(ws, f, plan, reason, actor, force)
