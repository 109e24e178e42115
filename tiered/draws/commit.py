"""`tiered commit`: freeze what a draw will use before the seed exists, and hold the draw to it.

Run before the draw meeting, a commitment fixes the eligible frame (published as `frame.csv`
beside it), the tiers, the rates and every stratum's quota before rounding, with the frame and
config digests, the tool version and the rounding rule in words. Its digest is ledgered, and
it is meant to be published before the seed is read out: then nobody, the office included,
can tune the frame to a seed. A later draw of that month (or task) re-computes all of it and
refuses to run if anything committed has changed, naming what; its manifest names the
commitment and its bundle carries a copy. Without a commitment the draw behaves as before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sampling.config import SamplingConfig, config_as_dict, config_sha256
from sampling.draw import _tool_version, frame_digest
from sampling.plan import eligibility_flags, plan_targets, stratum_codes
from sampling.rules import rules_for
from tiered.draws import bundle
from tiered.errors import UsageError
from tiered.files import sha256_bytes
from tiered.layout import Layout, Month
from tiered.ledger.lock import writes

COMMITMENT_NAME = bundle.COMMITMENT_NAME
FRAME_NAME = bundle.FRAME_NAME
STRATUM_KEYS = ("eligible", "must_inspect", "pool", "base", "annual_rate", "target")


class CommitmentChanged(UsageError):
    """Something the commitment froze differs now: the draw refuses to run."""


@dataclass(frozen=True)
class Subject:
    """What a commitment is for: a month's draw or one task's."""

    month: str | None = None
    task: str | None = None

    def __post_init__(self) -> None:
        if (self.month is None) == (self.task is None):
            raise UsageError("请指定 --month 或 --task 之一 (give exactly one of --month, --task)")

    @property
    def key(self) -> dict[str, str]:
        return {"month": str(self.month)} if self.month is not None else {"task": str(self.task)}

    def __str__(self) -> str:
        return str(self.month) if self.month is not None else f"task {self.task}"


@dataclass(frozen=True)
class Commitment:
    data: dict
    raw: bytes  # commitment.json as written
    frame: bytes | None = None  # the committed frame.csv, when at hand


def commitment_dir(ws: str | os.PathLike, subject: Subject) -> Path:
    """out/commitments/YYYY-MM or out/commitments/tasks/ID."""
    return Layout.of(ws).commitment_dir(subject.month, subject.task)


def to_bytes(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def make(
    frame: pd.DataFrame,
    month: str,
    config: SamplingConfig,
    subject: Subject,
    created_at: str | None = None,
    size: dict | None = None,
) -> tuple[dict, bytes]:
    """(commitment, frame.csv bytes) for `frame` drawn in `month` (whose cooldowns apply);
    `size` (share, ratio, count) is the draw's, as `sampling.draw` takes it (a task's)."""
    eligible, must, active = eligibility_flags(frame, month, config)
    code, keys = stratum_codes(frame)
    flags = pd.DataFrame({"eligible": eligible, "must_inspect": must, "active": active})
    st = plan_targets(flags, config, (code, keys), **(size or {}))
    uscc = frame["uscc"].astype(str).to_numpy(dtype=object)
    frame_bytes = bundle.frame_csv(uscc, eligible, must, code, st)
    data = {
        **subject.key,
        "frame_sha256": frame_digest(frame),
        "config_sha256": config_sha256(config),
        "tool_version": _tool_version(),
        "created_at": created_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "public_frame_sha256": sha256_bytes(frame_bytes),
        "frame_rows": int(len(frame)),
        "eligible": int(np.count_nonzero(eligible)),
        "strata": [
            {
                "sector": str(r.sector),
                "tier": str(r.tier),
                "eligible": int(r.eligible),
                "must_inspect": int(r.must_inspect),
                "pool": int(r.pool),
                "base": int(r.base),
                "annual_rate": float(r.annual_rate),
                "target": float(r.target),
            }
            for r in st.itertuples(index=False)
        ],
        "sampling_config": config_as_dict(config),
        **rules_for(config.rounding),
    }
    return data, frame_bytes


def load(ws: str | os.PathLike, subject: Subject) -> Commitment | None:
    """The current commitment for `subject`, or None when it was never committed."""
    from tiered.ledger import vouch

    folder = commitment_dir(ws, subject)
    path = folder / COMMITMENT_NAME
    if not path.is_file():
        return None
    # a hand-made or edited commitment must not shape (or block) a draw: only the ledgered one
    vouch.require(ws, [p for p in (path, folder / FRAME_NAME) if p.is_file()])
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"commitment.json 无法读取 (unreadable): {exc}", file=str(path)) from None
    frame = (folder / FRAME_NAME).read_bytes() if (folder / FRAME_NAME).is_file() else None
    return Commitment(data, raw, frame)


def _frame_rows(data: bytes) -> dict[str, str]:
    import io

    df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return dict(zip(df["uscc"], df["stratum"], strict=True))


def _frame_changes(old: bytes, new: bytes, limit: int = 5) -> list[str]:
    """Plain lines naming entities that entered, left or moved stratum since the commitment."""
    a, b = _frame_rows(old), _frame_rows(new)
    out = []
    gone = sorted(set(a) - set(b))
    came = sorted(set(b) - set(a))
    moved = sorted(u for u in set(a) & set(b) if a[u] != b[u])
    if gone:
        out.append(f"不再可抽 (no longer eligible): {', '.join(gone[:limit])}")
    if came:
        out.append(f"新增可抽 (newly eligible): {', '.join(came[:limit])}")
    for u in moved[:limit]:
        out.append(f"{u} 层级变化 (stratum changed): {a[u]} -> {b[u]}")
    return out


def differences(com: Commitment, manifest: dict, frame_bytes: bytes) -> list[str]:
    """What differs between a commitment and a draw about to be made (empty: the same)."""
    c = com.data
    out = []
    for key, label in (
        ("frame_sha256", "名录库 (frame: entities, tiers, status or inspection history)"),
        ("config_sha256", "抽查配置 (sampling config)"),
        ("tool_version", "软件版本 (tool version)"),
    ):
        if c.get(key) != manifest.get(key):
            out.append(f"{label} 已变 (changed): {c.get(key)} -> {manifest.get(key)}")
    if c.get("public_frame_sha256") != sha256_bytes(frame_bytes):
        out.append("可抽名单 frame.csv 已变 (the eligible frame changed)")
        if com.frame is not None:
            out += _frame_changes(com.frame, frame_bytes)
    drawn = {(s["sector"], s["tier"]): s for s in manifest.get("strata", [])}
    for s in c.get("strata", []):
        now = drawn.pop((s["sector"], s["tier"]), None)
        if now is None:
            out.append(f"层 {s['sector']}/{s['tier']} 已不存在 (stratum gone)")
            continue
        for k in STRATUM_KEYS:
            if s.get(k) != now.get(k):
                name = f"{s['sector']}/{s['tier']}"
                out.append(f"层 {name} 的 {k} 已变 (changed): {s.get(k)} -> {now.get(k)}")
    for sector, tier in sorted(drawn):
        out.append(f"新出现的层 {sector}/{tier} (a stratum not committed)")
    return out


def manifest_entry(com: Commitment) -> dict:
    """How a manifest names the commitment it used."""
    return {
        "file": COMMITMENT_NAME,
        "sha256": sha256_bytes(com.raw),
        "created_at": com.data.get("created_at"),
    }


def refuse_if_changed(com: Commitment, manifest: dict, frame_bytes: bytes, subject: Subject):
    diffs = differences(com, manifest, frame_bytes)
    if diffs:
        raise CommitmentChanged(
            f"{subject} 的抽查承诺之后数据已变，拒绝抽签；请核实后重新承诺 "
            f"(tiered commit --replace --reason) (data changed since the commitment, the draw "
            f"refuses): " + "; ".join(diffs[:8])
        )


def _spec_for(ws, subject: Subject):
    """(the draw spec the later draw will use, what the commitment adds): a month's, or a
    task's as `tiered task draw` builds it (its scope, size, rates, cooldowns), the task
    itself kept in the commitment so that observers see what was frozen."""
    from tiered.draws.spec import month_spec

    if subject.task is None:
        return month_spec(str(subject.month)), {}
    from tiered.tasks.draw import task_spec

    spec = task_spec(ws, subject.task)
    return spec, {"task_definition": spec.manifest["task"]}


@dataclass
class CommitResult:
    out_dir: Path
    data: dict
    sha256: str
    ledger_seq: int
    replaced_dir: Path | None = None


@writes("commit")
def run_commit(
    ws_path: str | os.PathLike,
    month: str | None = None,
    task: str | None = None,
    replace: bool = False,
    reason: str | None = None,
    actor: str | None = None,
) -> CommitResult:
    """`tiered commit WS --month M | --task ID [--replace --reason TEXT]`."""
    from tiered.draws.draw import build_frame
    from tiered.ledger import staged
    from tiered.workspace import load_workspace

    subject = Subject(month=None if month is None else str(Month.parse(month)), task=task)
    ws = load_workspace(ws_path)
    target = commitment_dir(ws.path, subject)
    reason = (reason or "").strip()
    if target.exists() and not replace:
        raise UsageError(
            f"{subject} 已有抽查承诺；如需重新承诺请加 --replace --reason 说明原因 "
            "(a commitment exists: use --replace --reason TEXT)",
            file=str(target),
        )
    if replace and target.exists() and not reason:
        raise UsageError("重新承诺必须写明原因 --reason (a new commitment needs a --reason)")
    spec, extra = _spec_for(ws, subject)
    config = spec.adjust(ws.config.sampling) if spec.adjust else ws.config.sampling
    frame, _ = build_frame(ws, spec.month, None, spec=spec)
    size = {"share": spec.share, "ratio": spec.ratio, "count": spec.count}
    data, frame_bytes = make(frame, spec.month, config, subject, size=size)
    data.update(extra)
    archive = None
    if target.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        archive = target.with_name(f"{target.name}.replaced-{stamp}")
        old = target / COMMITMENT_NAME
        data["replaced"] = {
            "reason": reason,
            "previous_sha256": sha256_bytes(old.read_bytes()) if old.exists() else None,
            "previous_dir": archive.name,
        }
    raw = to_bytes(data)
    payload = {
        **subject.key,
        "commitment_sha256": sha256_bytes(raw),
        "frame_sha256": data["frame_sha256"],
        "config_sha256": data["config_sha256"],
        "public_frame_sha256": data["public_frame_sha256"],
        "eligible": data["eligible"],
    }
    if "replaced" in data:
        payload["replaced"] = data["replaced"]
    entry = staged.commit_dir(
        ws.path,
        "commitment_replaced" if archive else "commitment",
        payload,
        target,
        {COMMITMENT_NAME: raw, FRAME_NAME: frame_bytes},
        archive=archive,
        actor=actor,
    )
    return CommitResult(target, data, sha256_bytes(raw), entry.seq, archive)
