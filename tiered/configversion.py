"""Config versions: one rule for `config.yaml`, whoever changes it (the app or a text editor).

`config.yaml` is an input, like the tables: people edit it by hand, so the ledger never names
it as a file (a ledgered file that changes is tampering to `tiered audit`). Instead every
config that is saved or used gets a version:

- a numbered copy `out/config/vNNN-<UTC time>.yaml` of the file's bytes, named by the entry, so
  the copy (not the editable original) is what the chain protects;
- a `config_change` entry with the config's digest (`config_sha256`, over the effective,
  typed config), the previous digest, the version number, and who and why: the app's reason,
  or "edited outside the tool" for a change first seen when a command uses the config.

`save_version` is the app's save and `tiered optimise --apply` (reason required); `record_use`
is what every command that
depends on the config calls first (the CLI for score, draw, results, publish; the app before a
draw), so a hand edit becomes a version at its first use instead of passing unnoticed. Both
number versions the same way, from the ledger.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml

from sampling.errors import SamplingError
from sampling.plan import check_config as check_sampling
from scoring.config import ScoringConfigError
from scoring.config import check_config as check_scoring
from tiered.config import Config, config_digest, load_config, parse_config
from tiered.errors import ConfigError, UsageError
from tiered.files import atomic_write_bytes
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.ledger import staged
from tiered.ledger.lock import write_lock, writes

KINDS = ("config_change", "threshold_change")  # entries that carry a config digest
CONFIG_FILE = "config.yaml"  # as the ledger names it (relative to the workspace)
HAND_EDIT = (
    "config.yaml 在工具之外被修改，首次使用时记录 (edited outside the tool; recorded at first use)"
)


def last_recorded(ws: Path) -> tuple[str | None, int]:
    """(digest of the latest recorded config version or None, number of versions so far)."""
    digest, versions = None, 0
    for e in ledger.entries(ws):
        if e.kind in KINDS and "config_sha256" in e.payload:
            digest = e.payload["config_sha256"]
            versions += 1
    return digest, versions


def _copy_path(ws: Path, version: int) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lay = Layout.of(ws)
    return lay.rel(lay.config_versions_dir / f"v{version:03d}-{stamp}.yaml")


def _untrack(ws: Path) -> list[str]:
    """`config.yaml` if an older version of this tool ledgered it as a file (so audit stops
    checking it: the audit drops a path a later entry lists as removed)."""
    for e in ledger.entries(ws):
        if any(f.get("path") == CONFIG_FILE for f in e.files):
            return [CONFIG_FILE]
    return []


def _commit(
    ws: Path,
    data: bytes,
    digest: str,
    previous: str | None,
    version: int,
    details: dict[str, Any],
    actor: str | None,
) -> ledger.Entry:
    payload = {
        **details,
        "version": version,
        "config_sha256": digest,
        "previous_sha256": previous,
    }
    removed = _untrack(ws)
    if removed:
        payload["removed"] = removed
    return staged.commit_files(
        ws, "config_change", payload, {_copy_path(ws, version): data}, actor=actor
    )


def record_use(ws: str | os.PathLike, actor: str | None = None) -> ledger.Entry | None:
    """Record the config in force as a new version when it differs from the last recorded one
    (a hand edit, or the first use); None when it is unchanged. Raises ConfigError when the
    file is broken (the command would fail on it anyway)."""
    ws = Layout.of(ws).root
    if not ws.is_dir():
        return None
    with write_lock(ws, "config record", actor):  # read the last version and append as one
        return _record_use(ws, actor)


def _record_use(ws: Path, actor: str | None) -> ledger.Entry | None:
    digest = config_digest(load_config(ws))
    previous, versions = last_recorded(ws)
    if previous == digest:
        return None
    path = Layout.of(ws).config_file
    data = path.read_bytes() if path.exists() else b""
    details = {"reason": HAND_EDIT, "source": "file" if path.exists() else "defaults"}
    return _commit(ws, data, digest, previous, versions + 1, details, actor)


@writes("config save")
def save_version(
    ws: str | os.PathLike,
    changes: dict[str, Any],
    reason: str,
    actor: str | None,
) -> ledger.Entry:
    """Write the new `config.yaml` (the changed keys on top of the file's content) and record
    it as a version with its reason; ConfigError / UsageError name what is wrong.

    `config.yaml` is written first, then the version is committed: a crash in between leaves a
    new file that the next command records as a change made outside the tool, never an
    unrecorded config.
    """
    ws = Layout.of(ws).root
    if not (reason or "").strip():
        raise UsageError("请填写修改原因 (a reason is required)")
    if not changes:
        raise UsageError("没有修改，无需保存 (nothing changed)")
    merged = deep_merge(read_yaml(ws), changes)
    config_file = Layout.of(ws).config_file
    cfg = preview(ws, changes)
    text = yaml.safe_dump(merged, allow_unicode=True, sort_keys=True, default_flow_style=False)
    data = text.encode("utf-8")
    previous, versions = last_recorded(ws)
    if previous is None and config_file.exists():
        record_use(ws, actor)  # the hand-written file in force until now is version 1
        previous, versions = last_recorded(ws)
    atomic_write_bytes(config_file, data)
    details = {"reason": reason.strip(), "changes": changes, "source": "app"}
    return _commit(ws, data, config_digest(cfg), previous, versions + 1, details, actor)


def preview(ws: str | os.PathLike, changes: dict[str, Any]) -> Config:
    """The config that saving `changes` would give; ConfigError when it is unusable."""
    ws = Layout.of(ws).root
    cfg = parse_config(deep_merge(read_yaml(ws), changes), source=str(Layout.of(ws).config_file))
    try:
        check_scoring(cfg.scoring)
        check_sampling(cfg.sampling)
    except (ScoringConfigError, SamplingError) as exc:
        raise ConfigError(str(exc)) from None
    return cfg


def deep_merge(base: dict, extra: dict) -> dict:
    """`extra` on top of `base`, mapping by mapping (lists and values replace)."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = (
            deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def read_yaml(ws: Path) -> dict:
    """The file's own content (not the defaults), or {} when there is no file."""
    path = Layout.of(ws).config_file
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config.yaml 无法解析 (cannot be parsed): {str(exc).splitlines()[0]}", file=str(path)
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            "config.yaml 顶层必须是键值映射 (top level must be a mapping)", file=str(path)
        )
    return data


def versions(ws: str | os.PathLike) -> list[dict[str, Any]]:
    """Every recorded version, oldest first: version, time, actor, reason, digest, copy."""
    out = []
    for e in ledger.entries(Path(ws)):
        if e.kind in KINDS and "config_sha256" in e.payload:
            out.append(
                {
                    "version": e.payload.get("version"),
                    "time": e.time,
                    "actor": e.actor,
                    "reason": e.payload.get("reason", ""),
                    "config_sha256": e.payload["config_sha256"],
                    "copy": e.files[0]["path"] if e.files else None,
                    "seq": e.seq,
                }
            )
    return out


__all__ = ["deep_merge", "preview", "read_yaml", "record_use", "save_version", "versions"]
