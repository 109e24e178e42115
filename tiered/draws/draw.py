"""`tiered draw`: the monthly draw as files (`tiered.draws.verify` re-checks it).

A draw reads the workspace, builds the frame (active entities with their tier, the date of their
last inspection before the month), runs `sampling.draw` and `sampling.assign_inspectors`, and
writes `out/draws/YYYY-MM/` (inspection_list.csv, inspection_list.xlsx, manifest.json) in one
atomic step: everything is computed first, so a failed assignment writes nothing.

The list files are byte-for-byte reproducible: they hold nothing that depends on the clock
(`created_at` lives only in the manifest). Earlier draws' lists as history live in
`tiered.draws.earlier`, the folder's names and its crash-safe writer in `tiered.draws.folder`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import sampling
from sampling.config import SamplingConfig
from sampling.plan import month_start
from tables import clock
from tiered.config import config_to_dict
from tiered.draws import bundle, commit
from tiered.draws import supersede as supersession
from tiered.draws.bundle import PUBLIC_DIR
from tiered.draws.earlier import _scheduled, previous_inspectors
from tiered.draws.folder import (
    CSV_NAME,
    DEPARTMENTS_NAME,
    HEADERS,
    LIST_COLUMNS,
    MANIFEST_NAME,
    XLSX_NAME,
    _manifest_bytes,
    _write_and_record,
    default_out_dir,
)
from tiered.draws.frame import History, arrow_table, entity_frame, plain, text, tier_table
from tiered.draws.spec import DrawSpec, month_spec
from tiered.draws.tiers import stratum_sources
from tiered.engine import Engine
from tiered.errors import UsageError
from tiered.files import csv_bom_bytes, sha256_bytes, xlsx_bytes
from tiered.layout import Month
from tiered.ledger import chain as ledger_chain
from tiered.ledger.lock import writes
from tiered.workspace import Workspace, load_workspace

__all__ = [  # the draw folder's names, as callers have always imported them from here
    "CSV_NAME",
    "DEPARTMENTS_NAME",
    "HEADERS",
    "LIST_COLUMNS",
    "MANIFEST_NAME",
    "XLSX_NAME",
    "DrawExistsError",
    "DrawResult",
    "build_frame",
    "compute",
    "default_out_dir",
    "previous_inspectors",
    "run_draw",
    "run_spec",
    "unusual_month",
]


def unusual_month(month: str, today: dt.date | None = None) -> str | None:
    """A month far from today is allowed (back-filling, planning) but is often a typo: the
    warning the CLI prints and the app shows, one rule for both (more than one month ahead or
    more than twelve back)."""
    today = today or clock.today()
    gap = (int(month[:4]) - today.year) * 12 + int(month[5:7]) - today.month
    if gap > 1 or gap < -12:
        return (
            f"{month} 距今 {abs(gap)} 个月，请确认月份无误 "
            f"({month} is {abs(gap)} months from now: check the month)"
        )
    return None


class DrawExistsError(UsageError):
    """A draw for the month exists and no replacement (with a reason) was asked for."""


@dataclass
class DrawResult:
    out_dir: Path
    manifest: dict
    table: pd.DataFrame  # the list as written (LIST_COLUMNS)
    strata: pd.DataFrame
    replaced_dir: Path | None = None
    rejected: int = 0  # input rows rejected by validation (the draw went on without them)


@dataclass
class _Computed:
    table: pd.DataFrame
    strata: pd.DataFrame
    manifest: dict
    csv: bytes
    xlsx: bytes
    public: dict[str, bytes] = field(default_factory=dict)  # the bundle but its manifest
    commitment_differences: list[str] = field(default_factory=list)

    extra: dict[str, bytes] = field(default_factory=dict)  # further files of the folder

    def files(self) -> dict[str, bytes]:
        """Every file of the draw folder, the manifest (also in the bundle) as it stands now."""
        m = _manifest_bytes(self.manifest)
        out = {CSV_NAME: self.csv, XLSX_NAME: self.xlsx, **self.extra, MANIFEST_NAME: m}
        out.update({f"{PUBLIC_DIR}/{n}": b for n, b in self.public.items()})
        out[f"{PUBLIC_DIR}/{MANIFEST_NAME}"] = m
        return out


def build_frame(ws: Workspace, month: str, scores: pd.DataFrame | None, **options) -> tuple:
    """(frame, previous inspectors) of a draw: its active entities in scope + tier + last
    planned inspection, without those another draw of the same window took; sorted by uscc.
    `options` are `_frame`'s keywords (`spec`, `created_before`, `imports_known_on`, `engine`).

    Imported tiers are those usable on the draw's first day; the annual plan, looking ahead,
    passes `imports_known_on` (the day it is made: later classifications do not exist yet)."""
    frame, _, history = _frame(ws, month, scores, **options)
    return plain(frame), history.previous()


def _frame(
    ws: Workspace,
    month: str,
    scores: pd.DataFrame | None,
    *,
    created_before: str | None = None,
    spec: DrawSpec | None = None,
    imports_known_on: pd.Timestamp | None = None,
    engine: Engine | None = None,
) -> tuple[pd.DataFrame, pa.Array, History]:
    """`build_frame`'s frame with short codes as categoricals, its uscc as Arrow, and the
    inspection history (previous inspectors are found for the drawn entities only)."""
    spec = spec or month_spec(month)
    start = month_start(spec.month)
    tiers = tier_table(_tiers(ws, start, engine) if scores is None else scores)
    extra = ("entity_type",) if spec.scope is not None else ()
    known = start if imports_known_on is None else imports_known_on
    frame, ids, entities = entity_frame(ws, start, tiers, known, extra)
    keep = np.ones(len(frame), bool)
    if spec.scope is not None:
        keep &= np.asarray(spec.scope(frame, entities), bool)
    scheduled, overlapping = _scheduled(ws.path, spec, created_before)
    if overlapping and not spec.allow_repeat:
        keep &= ~pc.is_in(ids, value_set=text(sorted(overlapping))).to_numpy(zero_copy_only=False)
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
        ids = ids.filter(pa.array(keep))
    history = History.of(ws, scheduled, start)
    frame["last_inspected"] = history.last_inspected(ids)
    return frame, ids, history


def _tiers(
    ws: Workspace, start: pd.Timestamp, engine: Engine | None = None
) -> pd.DataFrame | pa.Table:
    """The tiers as of `start`: the month's ledgered score run's when it may be reused (without
    importing the scoring pipeline and its learned model), else computed by `tiers_as_of`."""
    from tiered.analysis.basis import ledgered_tier_table

    reused = ledgered_tier_table(ws, start)
    if reused is not None:
        return reused
    from tiered.analysis.scorerun import tiers_as_of

    return tiers_as_of(ws, start, engine)


def _assignment_digest(inspectors: pd.DataFrame, conflicts: pd.DataFrame, prev: pd.DataFrame):
    h = hashlib.sha256()
    for name, df in (("inspectors", inspectors), ("conflicts", conflicts), ("previous", prev)):
        cols = [
            c for c in df.columns if c in ("inspector_id", "uscc", "sectors", "region", "active")
        ]
        part = df[sorted(cols)].astype(str).sort_values(sorted(cols)).to_csv(index=False)
        h.update(name.encode() + b"\x1e" + part.encode("utf-8"))
    return h.hexdigest()


def compute(
    ws: Workspace,
    month: str,
    seed: str,
    config: SamplingConfig,
    scores: pd.DataFrame | None,
    created_at: str | None = None,
    commitment: commit.Commitment | None = None,
    spec: DrawSpec | None = None,
    engine: Engine | None = None,
) -> _Computed:
    """The whole draw in memory: list frame, strata, manifest, the folder's files' and the
    public bundle's bytes, and what differs from `commitment` (the caller decides whether to
    refuse).
    """
    if "inspectors" not in ws.tables:
        raise UsageError(
            "抽查需要执法检查人员名录库 inspectors 表 (the draw needs the inspectors table)",
            file=str(ws.path),
        )
    if "entities" not in ws.tables or not arrow_table(ws, "entities", ["uscc"]).num_rows:
        where = ws.files.get("entities", [ws.path])[0]
        raise UsageError(
            "检查对象名录库没有可用的数据行（只有表头，或每行都被拒收），无法抽查 (the entities "
            "table has no usable rows, only a header or rejected rows: nothing to draw)",
            file=str(where),
        )
    spec = spec or month_spec(month)
    config = spec.adjust(config) if spec.adjust else config
    frame, _, history = _frame(
        ws, spec.month, scores, created_before=created_at, spec=spec, engine=engine
    )
    size = {"share": spec.share, "ratio": spec.ratio, "count": spec.count}
    keys_of = _keys_on(engine) if engine is not None and engine.client is not None else None
    outcome = sampling.draw(
        frame, spec.month, seed, config, created_at=created_at, keys_of=keys_of, **size
    )
    used_seed = outcome.manifest["seed"]
    selected = outcome.selected
    drawn = set(selected["uscc"])  # only what could affect this list
    conflicts = ws.table("conflicts")
    conflicts = conflicts[conflicts["uscc"].isin(drawn)]
    prev = history.previous(drawn)
    inspectors = ws.tables["inspectors"]
    assigned, extra = _assign(spec, selected, inspectors, used_seed, config, conflicts, prev)
    table = assigned[LIST_COLUMNS].copy()
    table["inclusion_probability"] = table["inclusion_probability"].astype(float).round(10)
    csv = csv_bom_bytes(table)
    xlsx = xlsx_bytes(table, HEADERS, sheet="抽查名单")
    manifest = dict(outcome.manifest)
    manifest.update(spec.manifest)
    if "tier_source" in frame.columns or spec.kind == "task":
        _add_tier_sources(manifest, frame)
    manifest["assignment_inputs_sha256"] = _assignment_digest(inspectors, conflicts, prev)
    manifest["files"] = {CSV_NAME: sha256_bytes(csv), XLSX_NAME: sha256_bytes(xlsx)}
    manifest["files"].update({name: sha256_bytes(data) for name, data in extra.items()})
    # The whole effective config (tiers depend on the scoring config and the tier basis), so
    # that verify recomputes with the config in force at draw time, not today's config.yaml.
    manifest["workspace_config"] = config_to_dict(ws.config)
    public, fields = bundle.public_files(
        outcome, frame, config.rounding, commitment.raw if commitment else None
    )
    manifest.update(fields)
    changes: list[str] = []
    if commitment is not None:
        manifest["commitment"] = commit.manifest_entry(commitment)
        changes = commit.differences(commitment, manifest, public[bundle.FRAME_NAME])
    return _Computed(table, outcome.strata, manifest, csv, xlsx, public, changes, extra=extra)


def _keys_on(engine: Engine):
    """Ticket keys computed partition by partition on the engine's workers (same keys)."""
    from sampling.tickets import ticket_keys
    from tiered.engine import chunks

    def keys_of(usccs: list[str], seed: str) -> np.ndarray:
        parts = [usccs[s] for s in chunks(len(usccs), 4 * engine.workers)]
        got = engine.map(ticket_keys, parts, seed)
        return np.concatenate(got) if got else np.zeros(0, dtype=np.uint64)

    return keys_of


def _assign(spec, selected, inspectors, seed, config, conflicts, prev):
    """(list with inspectors, extra files): all inspectors for a month; per department (each
    for its own items, from the jurisdiction) for a task."""
    if spec.teams is None:
        got = sampling.assign_inspectors(
            selected, inspectors, seed, config.assignment, conflicts, prev
        )
        return got, {}
    from tiered.tasks.teams import assign_teams

    got, detail = assign_teams(
        selected,
        inspectors,
        seed,
        config.assignment,
        spec.teams,
        conflicts,
        prev,
        spec.jurisdiction,
    )
    return got, {DEPARTMENTS_NAME: csv_bom_bytes(detail)}


def _add_tier_sources(manifest: dict, frame: pd.DataFrame) -> None:
    """Each stratum says how many of its entities' tiers came from which source."""
    sources = stratum_sources(frame)
    for stratum in manifest["strata"]:
        stratum["tier_sources"] = sources.get((stratum["sector"], stratum["tier"]), {})


def _subject(spec: DrawSpec) -> commit.Subject:
    """What `tiered commit` froze for this draw: its month, or its task."""
    if spec.kind == "month":
        return commit.Subject(month=spec.key)
    return commit.Subject(task=spec.key)


@writes("draw")
def run_draw(
    ws_path: str | os.PathLike,
    month: str,
    seed: str,
    out_dir: str | os.PathLike | None = None,
    replace: bool = False,
    reason: str | None = None,
    scores: pd.DataFrame | None = None,
    config: SamplingConfig | None = None,
    actor: str | None = None,
    supersede: bool = False,
    engine: Engine | None = None,
) -> DrawResult:
    """`tiered draw WS --month M --seed S [--out DIR] [--replace --reason TEXT [--supersede]]`.

    A redraw of a month with recorded results or a public list is refused unless `supersede`,
    which archives them as superseded (`tiered.draws.supersede`). `actor` is the signed-in user
    of the app (default: the OS user), kept in the ledger."""
    if seed is None or not str(seed).strip():
        sampling.normalise_seed(seed)  # raises the clerk-readable SeedError
    from tiered import configversion as config_versions

    config_versions.record_use(ws_path, actor)  # the app follows the CLI's rule for config
    ws = load_workspace(ws_path)
    spec = month_spec(str(Month.parse(month)))
    return run_spec(
        ws, spec, seed, out_dir, replace, reason, scores, config, actor, supersede, engine
    )


def run_spec(
    ws: Workspace,
    spec: DrawSpec,
    seed: str,
    out_dir: str | os.PathLike | None = None,
    replace: bool = False,
    reason: str | None = None,
    scores: pd.DataFrame | None = None,
    config: SamplingConfig | None = None,
    actor: str | None = None,
    supersede: bool = False,
    engine: Engine | None = None,
) -> DrawResult:
    """Any draw (a month, a task): compute it, then write its folder and ledger entry."""
    if seed is None or not str(seed).strip():
        sampling.normalise_seed(seed)
    target = Path(out_dir) if out_dir else spec.folder(ws.path)
    reason = (reason or "").strip()
    what = spec.key if spec.kind == "month" else f"任务 {spec.key}"
    if target.exists() and not replace:
        raise DrawExistsError(
            f"{what} 已有抽查名单，如需重抽请加 --replace --reason 说明原因 "
            f"(a draw for this {spec.kind} exists: use --replace --reason TEXT)",
            file=str(target),
        )
    if replace and target.exists() and not reason:
        raise UsageError("重抽必须写明原因 --reason (a replacement needs a non-empty --reason)")
    month = spec.key
    redraw = (
        spec.kind == "month"
        and target.exists()
        and target.resolve() == default_out_dir(ws.path, month).resolve()
    )
    outputs = supersession.check_redraw(ws.path, month, supersede) if redraw else None
    config = config or ws.config.sampling
    subject = _subject(spec)
    committed = commit.load(ws.path, subject)
    result = compute(
        ws, spec.month, seed, config, scores, commitment=committed, spec=spec, engine=engine
    )
    if committed is not None:
        commit.refuse_if_changed(
            committed, result.manifest, result.public[bundle.FRAME_NAME], subject
        )
    manifest = result.manifest
    archive: Path | None = None
    if target.exists():
        old = target / MANIFEST_NAME
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        archive = target.with_name(f"{target.name}.replaced-{stamp}")
        manifest["replaced"] = {
            "reason": reason,
            "previous_manifest_sha256": sha256_bytes(old.read_bytes()) if old.exists() else None,
            "previous_dir": archive.name,
        }
        if outputs is not None and outputs.any:  # computed first: a failed draw moves nothing
            moved = supersession.supersede(ws.path, month, outputs, reason, stamp, actor)
            manifest["replaced"]["superseded"] = moved
    # The ledger's head before this draw's entry: anyone holding the published manifest can
    # check later (`tiered audit WS --head HASH`) that this history was not rewritten.
    manifest["ledger_head"] = ledger_chain.head(ws.path)
    files = result.files()
    _write_and_record(
        ws.path, target, archive, files, manifest, actor, spec.ledger_kind, ws.validated
    )
    return DrawResult(target, manifest, result.table, result.strata, archive, ws.report.n_rejected)
