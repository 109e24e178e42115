"""Config versions: a new `config.yaml` written atomically, a numbered copy kept under
`out/config/`, and a `config_change` ledger entry with the reason, all as one operation.

Used by the app's save buttons and by `tiered optimise --apply`. Only the keys that differ from
the current effective config are written on top of the file's existing content, so hand-written
settings survive (comments do not: YAML is re-serialised).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from sampling.errors import SamplingError
from sampling.plan import check_config as check_sampling
from scoring.config import ScoringConfigError
from scoring.config import check_config as check_scoring
from tiered.config import Config, config_digest, parse_config
from tiered.errors import ConfigError, UsageError
from tiered.layout import Layout
from tiered.ledger import chain as ledger
from tiered.ledger.lock import writes


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = (
            deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def preview(ws: Path, changes: dict[str, Any]) -> Config:
    """The config that saving `changes` would give; raises ConfigError when it is unusable."""
    data = _read_yaml(ws)
    cfg = parse_config(deep_merge(data, changes), source=str(ws / "config.yaml"))
    try:
        check_scoring(cfg.scoring)
        check_sampling(cfg.sampling)
    except (ScoringConfigError, SamplingError) as exc:
        raise ConfigError(str(exc)) from None
    return cfg


@writes("config save")
def save_version(ws: str | Path, changes: dict[str, Any], reason: str, actor: str) -> ledger.Entry:
    """Write the new config.yaml (and a numbered copy) and ledger the change with its reason."""
    ws = Path(ws)
    if not (reason or "").strip():
        raise UsageError("请填写修改原因 (a reason is required)")
    if not changes:
        raise UsageError("没有修改，无需保存 (nothing changed)")
    cfg = preview(ws, changes)
    merged = deep_merge(_read_yaml(ws), changes)
    text = yaml.safe_dump(merged, allow_unicode=True, sort_keys=True, default_flow_style=False)
    data = text.encode("utf-8")
    version = 1 + sum(1 for e in ledger.entries(ws) if e.kind == "config_change")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "version": version,
        "reason": reason.strip(),
        "changes": changes,
        "config_sha256": config_digest(cfg),
    }
    lay = Layout.of(ws)
    versioned = lay.rel(lay.config_versions_dir / f"v{version:03d}-{stamp}.yaml")
    outputs = {lay.rel(lay.config_file): data, versioned: data}
    return ledger.commit_files(ws, "config_change", payload, outputs, actor=actor)


def _read_yaml(ws: Path) -> dict:
    path = Layout.of(ws).config_file
    if not path.exists():
        return {}
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"config.yaml 无法解析 (cannot be parsed): {exc}", file=str(path)
        ) from None
