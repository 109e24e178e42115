"""`tiered verify`: recompute a draw from the workspace and its manifest, and say what differs.

Anyone holding the workspace can re-derive a month's list: the manifest records the month, the
seed and the effective sampling config; the list and inspector assignment are recomputed with
the same code as the draw (`tiered.draws.draw.compute`) and compared file by file, entity by entity.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sampling.config import config_from_dict, config_sha256
from tiered.config import parse_config
from tiered.draws import bundle, commit
from tiered.draws.bundle import PUBLIC_DIR
from tiered.draws.draw import CSV_NAME, LIST_COLUMNS, MANIFEST_NAME, XLSX_NAME, _Computed, compute
from tiered.errors import ConfigError, UsageError
from tiered.files import sha256_bytes
from tiered.workspace import VOUCHED, load_workspace


@dataclass
class VerifyResult:
    ok: bool
    differences: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # in the recomputed list, not in the file
    removed: list[str] = field(default_factory=list)  # in the file, not recomputed
    inspectors_changed: list[str] = field(default_factory=list)
    workspace_changed: bool = False

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "differences": self.differences,
            "added": self.added,
            "removed": self.removed,
            "inspectors_changed": self.inspectors_changed,
            "workspace_changed": self.workspace_changed,
        }


def verify_draw(
    draw_dir: str | os.PathLike,
    ws_path: str | os.PathLike,
    scores: pd.DataFrame | None = None,
) -> VerifyResult:
    """`tiered verify DIR --workspace WS`: recompute and compare; ok only if identical."""
    draw_dir = Path(draw_dir)
    mpath = draw_dir / MANIFEST_NAME
    if not mpath.is_file():
        raise UsageError(
            "找不到 manifest.json (no manifest.json in the draw folder)", file=str(draw_dir)
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        config = config_from_dict(manifest["sampling_config"])
        month, seed = manifest["month"], manifest["seed"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"manifest.json 无法读取 (unreadable manifest): {exc}", file=str(mpath)
        ) from None
    res = VerifyResult(ok=True)
    diffs = res.differences
    if config_sha256(config) != manifest.get("config_sha256"):
        diffs.append(
            "清单中的配置与其摘要不符：manifest 被改动过 (the manifest's config does not "
            "match its config_sha256: the manifest was edited)"
        )
    # From the input tables, or from the validated cache only when a ledgered draw recorded
    # that very cache (same inputs, same day, same file digests): never an unvouched copy.
    ws = load_workspace(ws_path, write_rejected=False, use_cache=VOUCHED)
    diffs.extend(_ledger_differences(ws.path, draw_dir, manifest))
    if "workspace_config" in manifest:  # the config in force at draw time, not today's
        try:
            ws.config = parse_config(manifest["workspace_config"], source=str(mpath))
        except ConfigError as exc:
            raise UsageError(
                f"manifest.json 中的配置无法读取 (unreadable config): {exc}", file=str(mpath)
            ) from None
    public = draw_dir / PUBLIC_DIR
    com_path = public / bundle.COMMITMENT_NAME
    com = None
    if com_path.is_file():
        raw = com_path.read_bytes()
        try:
            com = commit.Commitment(json.loads(raw), raw)
        except ValueError:
            diffs.append("public/commitment.json 无法读取 (unreadable commitment)")
    spec = _spec(manifest, mpath)
    created = manifest.get("created_at")
    again = compute(ws, month, seed, config, scores, created_at=created, commitment=com, spec=spec)
    if again.manifest["frame_sha256"] != manifest.get("frame_sha256"):
        res.workspace_changed = True
        diffs.append(
            "抽查时的名录库与现在不同：抽签后工作区被改动 (the workspace changed since "
            "the draw: entities, tiers or inspection history differ; frame digest "
            f"{manifest.get('frame_sha256', '')[:12]}… now "
            f"{again.manifest['frame_sha256'][:12]}…)"
        )
    if again.manifest["assignment_inputs_sha256"] != manifest.get("assignment_inputs_sha256"):
        diffs.append(
            "执法人员名录、回避或上次检查人员与抽签时不同 (inspectors, conflicts or "
            "previous inspectors changed since the draw)"
        )
    diffs += [
        f"与抽签承诺不符 (differs from the commitment): {d}" for d in again.commitment_differences
    ]
    if public.is_dir():  # a draw made before bundles existed has none
        for name, data in sorted(again.public.items()):
            path = public / name
            if not path.is_file():
                diffs.append(f"缺少公开文件 public/{name} (public file missing)")
            elif path.read_bytes() != data:
                diffs.append(
                    f"public/{name} 与重新计算的不同 (public/{name} differs from the recomputed "
                    "bundle)"
                )
    _compare_lists(draw_dir, again, res)
    for name, data in ((CSV_NAME, again.csv), (XLSX_NAME, again.xlsx), *again.extra.items()):
        path = draw_dir / name
        if not path.is_file():
            diffs.append(f"缺少文件 {name} (file {name} is missing)")
        elif sha256_bytes(path.read_bytes()) != sha256_bytes(data):
            diffs.append(
                f"{name} 与重新计算的结果不是逐字节相同 ({name} is not byte-identical "
                "to the recomputed list)"
            )
    res.ok = not diffs
    return res


def _ledger_differences(ws: Path, draw_dir: Path, manifest: dict) -> list[str]:
    """The manifest verify relies on must be one the ledger recorded: a draw entry with its seed
    and frame digest, and (inside the workspace) the very file the entry named."""
    from tiered.ledger import chain
    from tiered.ledger.vouch import UnvouchedFile, Vouched

    out = []
    rows = [e.payload for e in chain.entries(ws)]
    if not any(
        p.get("seed") == manifest.get("seed")
        and p.get("frame_sha256") == manifest.get("frame_sha256")
        for p in rows
    ):
        out.append(
            "账本中没有与此 manifest 相符的抽查记录（种子与名录摘要）："
            "manifest 是伪造的、被改动过，"
            "或属于另一个工作区 (no draw in this workspace's ledger has this manifest's seed and "
            "frame digest: the manifest was forged or edited, or belongs to another workspace)"
        )
    try:
        draw_dir.resolve().relative_to(ws.resolve())
    except ValueError:
        return out  # a copy held elsewhere: the entry's seed and digest are what we can check
    try:
        Vouched(ws).require(draw_dir / MANIFEST_NAME)
    except UnvouchedFile as exc:
        out.append(f"{MANIFEST_NAME}: {exc.message}")
    return out


def _spec(manifest: dict, mpath: Path):
    """The draw's spec as the manifest recorded it (a task's; a month's)."""
    from tiered.draws.spec import spec_of

    try:
        return spec_of(manifest)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(
            f"manifest.json 中的任务无法读取 (unreadable task): {exc}", file=str(mpath)
        ) from None


def _compare_lists(draw_dir: Path, again: _Computed, res: VerifyResult) -> None:
    path = draw_dir / CSV_NAME
    if not path.is_file():
        return
    old = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    new = pd.read_csv(io.BytesIO(again.csv), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "uscc" not in old.columns:
        res.differences.append(f"{CSV_NAME} 没有 uscc 列 (no uscc column)")
        return
    o, n = old.set_index("uscc"), new.set_index("uscc")
    res.added = sorted(set(n.index) - set(o.index))
    res.removed = sorted(set(o.index) - set(n.index))
    both = sorted(set(n.index) & set(o.index))
    if "inspectors" in o.columns:
        res.inspectors_changed = [u for u in both if o.at[u, "inspectors"] != n.at[u, "inspectors"]]
    if res.added:
        res.differences.append(
            f"重新抽取多出 {len(res.added)} 家：{', '.join(res.added[:10])} "
            f"(recomputed draw has {len(res.added)} entities not in the file)"
        )
    if res.removed:
        res.differences.append(
            f"名单中有 {len(res.removed)} 家不应入选："
            f"{', '.join(res.removed[:10])} (the file lists "
            f"{len(res.removed)} entities the recomputed draw does not)"
        )
    for u in res.inspectors_changed[:10]:
        res.differences.append(
            f"{u} 的执法检查人员不同：名单 {o.at[u, 'inspectors']}，重算 "
            f"{n.at[u, 'inspectors']} (inspectors differ)"
        )
    other = [c for c in LIST_COLUMNS[1:] if c != "inspectors" and c in o.columns]
    for u in both:
        changed = [c for c in other if o.at[u, c] != n.at[u, c]]
        if changed:
            res.differences.append(
                f"{u} 的 {', '.join(changed)} 与重算不同 ({', '.join(changed)} differ)"
            )
