"""`tiered audit`: recompute the ledger's hash chain and check every file it names.

Reports in plain words where anything breaks (entry number, kind, what differs). Problems
(exit 1): an entry whose content no longer matches its hash, a broken link to the previous entry,
a gap in the sequence (deleted entries), fewer entries than `out/ledger.head` records (deleted
last entries), a named file that is missing or whose sha256 changed since the latest entry that
names it (an older entry's digest is superseded when a later entry rewrites the same path).
Warnings (exit 0): an operation interrupted by a crash that the next command will finish, a head
file lagging behind after a crash, and artefacts under `out/` that no entry names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tiered.errors import UsageError
from tiered.files import sha256_file
from tiered.ledger.chain import (
    ARTEFACT_DIRS,
    DB_NAME,
    GENESIS,
    HEAD_NAME,
    entry_hash,
    raw_rows,
)
from tiered.ledger.staged import pending_ops, unregistered_ops
from tiered.ledger.vouch import latest_digests


@dataclass(frozen=True)
class Finding:
    message: str
    seq: int | None = None
    kind: str | None = None
    path: str | None = None


@dataclass
class AuditReport:
    entries: int
    head_hash: str
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    anchors: list[dict[str, Any]] = field(default_factory=list)  # --head values found

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_hash": self.head_hash,
            "problems": [asdict(p) for p in self.problems],
            "warnings": [asdict(w) for w in self.warnings],
            "anchors": self.anchors,
        }

    def lines(self) -> list[str]:
        """Plain-language lines for the CLI and the app."""
        head = (
            f"账本完整 (ledger intact): {self.entries} 条记录, head {self.head_hash[:16]}"
            if self.ok
            else f"账本被破坏 (ledger broken): {len(self.problems)} 处问题"
        )
        anchors = [
            f"账本头 {a['head'][:16]}… 即第 {a['seq']} 条记录，历史未被改写 "
            f"(head {a['head'][:16]}… is entry #{a['seq']}: the history since is intact)"
            for a in self.anchors
        ]
        return (
            [head]
            + anchors
            + [f"问题 (problem): {p.message}" for p in self.problems]
            + [f"提示 (warning): {w.message}" for w in self.warnings]
        )


def audit(ws: str | os.PathLike, heads: Sequence[str] = ()) -> AuditReport:
    """Recompute the chain, compare the head file and every named file's current digest.

    `heads`: ledger head hashes noted outside the workspace (a published list's manifest, a
    signed minute); each must still be the hash of some entry, else the history was rewritten.
    Works on a read-only copy of out/ (the database is opened read-only)."""
    ws = Path(ws)
    heads = [_check_head_text(h) for h in heads]
    if not ws.is_dir():
        raise UsageError("工作区目录不存在 (workspace folder not found)", file=str(ws))
    head = _read_head(ws)
    if not (ws / DB_NAME).exists():
        rep = AuditReport(0, GENESIS)
        if head is not None:
            rep.problems.append(
                Finding(
                    f"账本文件 {DB_NAME} 不存在，但 {HEAD_NAME} 记录了 {head['entries']} 条记录"
                    f" (the ledger database is missing)"
                )
            )
        _check_anchors([], heads, rep)
        _check_unledgered(ws, {}, rep)
        unledgered = [w for w in rep.warnings if w.path]
        # Outputs exist, but the ledger and its head are gone (a first operation interrupted
        # before its entry leaves a pending operation instead, which is not tampering).
        if unledgered and head is None and not pending_ops(ws):
            rep.problems.append(
                Finding(
                    f"账本 {DB_NAME} 与 {HEAD_NAME} 均不存在，但 out/ 中有 {len(unledgered)} "
                    "个应有记录的输出文件：账本被删除 (the ledger is missing although out/ holds "
                    "outputs it must record: the ledger was deleted)"
                )
            )
        return rep
    rows = raw_rows(ws)
    rep = AuditReport(len(rows), rows[-1][7] if rows else GENESIS)
    _check_chain(rows, rep)
    last_seq = rows[-1][0] if rows else 0
    by_seq = {r[0]: r for r in rows}
    if head is None:
        if last_seq > 1:
            rep.problems.append(Finding(f"{HEAD_NAME} 缺失 (the ledger head file is missing)"))
        elif last_seq == 1:
            rep.warnings.append(Finding(f"{HEAD_NAME} 尚未写入 (head not written yet)"))
    elif head["entries"] > last_seq:
        gone = head["entries"] - last_seq
        rep.problems.append(
            Finding(
                f"最后 {gone} 条记录（第 {last_seq + 1}–{head['entries']} 条）被删除："
                f"{HEAD_NAME} 记录共 {head['entries']} 条，账本只有 {last_seq} 条"
                f" (the last {gone} entries were deleted)",
                seq=last_seq + 1,
            )
        )
    elif head["entries"] not in by_seq or by_seq[head["entries"]][7] != head["hash"]:
        rep.problems.append(
            Finding(
                f"第 {head['entries']} 条记录与 {HEAD_NAME} 记录的哈希不符"
                f" (entry #{head['entries']} does not match the recorded head hash)",
                seq=head["entries"],
            )
        )
    elif head["entries"] < last_seq:
        rep.warnings.append(
            Finding(
                f"{HEAD_NAME} 落后 {last_seq - head['entries']} 条（进程在追加后被中断）；"
                f"下次追加时更新"
                f" (head file lags: a process stopped right after appending)"
            )
        )
    latest = latest_digests(rows)
    _check_anchors(rows, heads, rep)
    _check_files(ws, latest, rep)
    _check_unledgered(ws, latest, rep)
    return rep


def _read_head(ws: Path) -> dict[str, Any] | None:
    try:
        d = json.loads((ws / HEAD_NAME).read_bytes())
        return {"entries": int(d["entries"]), "hash": str(d["hash"])}
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return {"entries": -1, "hash": ""}


def _check_chain(rows: list[tuple], rep: AuditReport) -> None:
    expected, prev_stored = 1, GENESIS
    for seq, t, actor, kind, payload, files, prev, h in rows:
        what = f"第 {seq} 条记录（{kind}）"
        if seq != expected:
            missing = f"第 {expected} 条" if seq == expected + 1 else f"第 {expected}–{seq - 1} 条"
            rep.problems.append(
                Finding(
                    f"{missing}记录被删除：序号从 {expected - 1} 跳到 {seq}"
                    f" (entries {expected}..{seq - 1} were deleted)",
                    seq=expected,
                )
            )
        elif prev != prev_stored:
            rep.problems.append(
                Finding(
                    f"{what}指向的上一条哈希与第 {seq - 1} 条不符：第 {seq - 1} 条被改写或替换"
                    f" (entry #{seq} links to a different entry #{seq - 1})",
                    seq=seq,
                    kind=kind,
                )
            )
        try:
            recomputed = entry_hash(
                seq, t, actor, kind, json.loads(payload), json.loads(files), prev
            )
        except ValueError:
            recomputed = ""
        if recomputed != h:
            rep.problems.append(
                Finding(
                    f"{what}被修改：内容与其哈希不符"
                    f" (entry #{seq} ({kind}) was altered: its content no longer matches its hash)",
                    seq=seq,
                    kind=kind,
                )
            )
        expected, prev_stored = seq + 1, h


def _check_files(ws: Path, latest: dict[str, tuple[str, int, str]], rep: AuditReport) -> None:
    ops = pending_ops(ws)
    pending = {(f["path"], f["sha256"]): op for op in ops for f in op["files"]}
    pending_paths = {
        f"{op['dir']['target']}/{name}"
        for op in ops
        if op.get("dir")
        for name in _names_in(op, op["dir"]["target"])
    } | {path for path, _ in pending}
    for path, (digest, seq, kind) in sorted(latest.items()):
        p = ws / path
        if not p.exists() and path in pending_paths:
            rep.warnings.append(
                Finding(
                    f"文件 {path} 正被一次被中断的操作替换，下一次 tiered 命令会完成它"
                    f" (an interrupted operation is replacing it; the next command completes it)",
                    path=path,
                )
            )
            continue
        if not p.exists():
            rep.problems.append(
                Finding(
                    f"文件 {path} 不存在，第 {seq} 条记录（{kind}）记录了它 (file named by entry "
                    f"#{seq} is missing)",
                    seq=seq,
                    kind=kind,
                    path=path,
                )
            )
            continue
        now = sha256_file(p)
        if now == digest:
            continue
        op = pending.get((path, now))
        if op is not None:
            rep.warnings.append(
                Finding(
                    f"文件 {path} 属于一次被中断的操作（{op['kind']}），"
                    f"下一次 tiered 命令会补记账本 (an interrupted {op['kind']} wrote it;"
                    f" the next command completes its entry)",
                    path=path,
                )
            )
        else:
            rep.problems.append(
                Finding(
                    f"文件 {path} 在第 {seq} 条记录（{kind}）之后被改动："
                    f"sha256 应为 {digest[:16]}…，现为 {now[:16]}…"
                    f" (file changed after entry #{seq} recorded it)",
                    seq=seq,
                    kind=kind,
                    path=path,
                )
            )


def _check_head_text(text: str) -> str:
    h = str(text).strip().lower()
    if len(h) < 16 or any(c not in "0123456789abcdef" for c in h):
        raise UsageError(
            f"--head 应为账本哈希（至少 16 位十六进制） (--head must be a ledger hash, at least "
            f"16 hex digits): {text!r}"
        )
    return h


def _check_anchors(rows: list[tuple], heads: Sequence[str], rep: AuditReport) -> None:
    """Each head noted elsewhere must be (a prefix of) some entry's hash, or the genesis."""
    for h in heads:
        hit = next((r for r in rows if r[7].startswith(h)), None)
        if hit is not None:
            rep.anchors.append({"head": h, "seq": hit[0], "kind": hit[3]})
        elif GENESIS.startswith(h):
            rep.anchors.append({"head": h, "seq": 0, "kind": "genesis"})
        else:
            rep.problems.append(
                Finding(
                    f"在别处记下的账本头 {h[:16]}… 不在本账本中：之后的历史被改写（或哈希抄错） "
                    f"(the ledger head {h[:16]}… noted elsewhere is not in this ledger: the "
                    "history was rewritten after it was published, or the hash is mistyped)"
                )
            )


def _check_unledgered(ws: Path, latest: Mapping[str, Any], rep: AuditReport) -> None:
    for rel in unregistered_ops(ws):
        rep.problems.append(
            Finding(
                f"{rel} 是一个未在账本登记的待完成操作（伪造或被改动），已拒绝执行；"
                "查明后删除它 (a pending operation that no command registered in the ledger: "
                "forged or edited, so it was refused; investigate, then delete it)",
                path=rel,
            )
        )
    for op in pending_ops(ws):
        rep.warnings.append(
            Finding(
                f"有一次被中断的操作（{op['kind']}）待完成；下一次 tiered 命令会完成它"
                f" (an interrupted {op['kind']} is pending;"
                f" the next command completes it)"
            )
        )
    for d in ARTEFACT_DIRS:
        root = ws / d
        if not root.exists():
            continue
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(ws)
            if not p.is_file() or any(part.startswith(".") for part in rel.parts):
                continue
            if rel.as_posix() not in latest:
                rep.warnings.append(
                    Finding(
                        f"文件 {rel.as_posix()} 未记入账本（写入后命令被中断，或手工放入）"
                        f" (not recorded in the ledger)",
                        path=rel.as_posix(),
                    )
                )


def _names_in(op: dict[str, Any], folder: str) -> list[str]:
    """File names an operation previously recorded under `folder` (old entries may name more)."""
    return [f["path"][len(folder) + 1 :] for f in op["files"] if f["path"].startswith(folder + "/")]
