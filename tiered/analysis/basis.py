"""What a score run was computed from, so that a later draw (or verify) can reuse its tiers.

A month's draw needs every active entity's tier as of the month's first day: exactly what
`tiered score --as-of` that day wrote to its scores file. Recomputing them costs most of a draw
at a million entities, so a draw first looks for that score run in the ledger and takes its
tiers when, and only when, the run's *basis* equals the draw's:

* the workspace digest (`Workspace.digest`: the input files, the code that validates them and
  the rows validation accepted),
* the digest of the effective config (scoring, tier basis, model, everything),
* the digest of the code that scores (`scoring/`, `tables/`, the score-run modules),

and the scores file is still the very file the run ledgered (`Vouched`). Anything else (no such
run, another config, edited inputs, a scores file written outside the workspace) falls back to
computing the tiers, which gives the same tiers by construction: the reuse is a cache of the
ledger's own, never a second source of truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from tiered.config import config_to_dict
from tiered.layout import Layout
from tiered.workspace import Workspace

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[2]
_SCORE_CODE = ("scoring", "tables")
_SCORE_FILES = (
    "tiered/analysis/scorerun.py",
    "tiered/analysis/modelrun.py",
    "tiered/config.py",
    "tiered/workspace.py",
    "tiered/validated.py",
)


def code_digest() -> str:
    """sha256 over the source of everything that turns tables into tiers."""
    h = hashlib.sha256()
    files = sorted(p for d in _SCORE_CODE for p in (_ROOT / d).rglob("*.py"))
    files += [_ROOT / f for f in _SCORE_FILES]
    for p in files:
        if p.is_file():
            h.update(p.relative_to(_ROOT).as_posix().encode() + b"=" + p.read_bytes() + b"\x1e")
    return h.hexdigest()


def _numbers_as_floats(value: Any) -> Any:
    """A config as plain data with every number a float: a config read back from a manifest
    (`points: 150.0`) is the same config as the YAML that said `points: 150`."""
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers_as_floats(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def config_basis(config: Any) -> str:
    """sha256 of the effective config, numbers compared as numbers."""
    text = json.dumps(
        _numbers_as_floats(config_to_dict(config)),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def score_basis(ws: Workspace) -> dict[str, str]:
    """The basis a score run of `ws` records in its ledger entry (see the module docstring)."""
    return {
        "workspace_sha256": ws.digest,
        "config_sha256": config_basis(ws.config),
        "code_sha256": code_digest(),
    }


def ledgered_tiers(ws: Workspace, as_of: pd.Timestamp) -> pd.DataFrame | None:
    """(uscc, tier) from the latest score run as of `as_of` when its basis is `ws`'s and its
    scores file is unchanged since; None when there is no such run (compute them instead)."""
    table = ledgered_tier_table(ws, as_of)
    if table is None:
        return None
    return pd.DataFrame(
        {
            "uscc": table["uscc"].to_numpy(zero_copy_only=False),
            "tier": table["tier"].to_numpy(zero_copy_only=False),
        }
    )


def ledgered_tier_table(ws: Workspace, as_of: pd.Timestamp):
    """`ledgered_tiers` as a `pyarrow.Table` (uscc, tier as text; a draw keeps them in Arrow)."""
    from tiered.ledger import chain
    from tiered.ledger.vouch import UnvouchedFile, Vouched

    day = pd.Timestamp(as_of).date().isoformat()
    lay = Layout.of(ws.path)
    wanted = lay.rel(lay.scores(pd.Timestamp(as_of)))
    if not (ws.path / wanted).is_file():
        return None
    run = None
    for entry in reversed(chain.entries(ws.path)):
        if entry.kind == "score_run" and any(f["path"] == wanted for f in entry.files):
            run = entry  # the run that wrote the file now there (a later one overwrites it)
            break
    if run is None or run.payload.get("as_of") != day:
        return None
    if run.payload.get("basis") != score_basis(ws):
        log.info("score run #%s not reused: another workspace, config or code", run.seq)
        return None
    try:
        Vouched(ws.path).require(ws.path / wanted)
    except UnvouchedFile:
        return None
    tiers = _read_tiers(ws.path / wanted)
    if tiers is None:
        return None
    log.info("tiers as of %s from score run #%s", day, run.seq)
    return tiers


def _read_tiers(path: Path):
    """The uscc and tier columns of a scores file (UTF-8 with BOM), as text."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    try:
        table = csv.read_csv(
            path,
            read_options=csv.ReadOptions(use_threads=False),  # cheaper on shared cores
            convert_options=csv.ConvertOptions(
                include_columns=["uscc", "tier"],
                column_types={"uscc": pa.string(), "tier": pa.string()},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (OSError, pa.ArrowInvalid, KeyError):
        return None
    # The export escapes text Excel would run as a formula with a leading apostrophe: such an
    # identifier is not its own text in the file, so take the computed path for it instead.
    if len(table) and pc.any(pc.starts_with(table["uscc"], "'")).as_py():
        return None
    return table.combine_chunks()
