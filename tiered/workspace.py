"""Reading a workspace folder: its tables (CSV, XLSX, Parquet), its config, its rejected rows.

A table is `NAME.csv|xlsx|parquet` (or its Chinese name, e.g. `检查对象名录库.xlsx`) at the top
level. CSV may be UTF-8 with or without BOM, or GBK/GB18030: UTF-8 is tried strictly first (GBK
bytes almost never decode as UTF-8), then GB18030, a superset of GBK. Every cell is read as text
and typed by `tables.check`, so a bad cell becomes a rejected row, not a crash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring import indicators
from scoring.indicators import Prepared
from tables import clock
from tables import read as bounded
from tables.check import ROW, Accepted, Report, Rules, SchemaError, validate_tables
from tables.spec import DEFAULT_RECORD_KINDS, TABLES, rename_headers
from tiered.config import Config, load_config
from tiered.errors import UsageError
from tiered.files import atomic_write_bytes, csv_bom_bytes
from tiered.layout import Layout
from tiered.ledger.vouch import Vouched
from tiered.validated import (  # noqa: F401 - _parquet, vouch_validation: imported from here
    Tables,
    _cache_key,
    _cache_read,
    _cache_write,
    _cached_tables,
    _inputs_digest,
    _known_files,
    _parquet,
    _text_in_arrow,
    pin,
    vouch_validation,
    workspace_digest,
)

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx", ".parquet")
VOUCHED = "vouched"  # load_workspace(use_cache=VOUCHED): the cache only when the ledger vouches
FILE_COLUMN = "file"  # which file a row came from, when a table spans several files


@dataclass
class Workspace:
    path: Path
    config: Config
    tables: MutableMapping[str, pd.DataFrame]
    report: Report
    files: dict[str, list[Path]]
    digest: str = ""  # `workspace_digest`: what a score run's tiers were computed from
    # The validated cache ({"key", "sha256"}) when this load wrote it from the inputs or read
    # one the ledger already vouches for (else None): `tiered validate`, score runs and draws
    # record it, so that verify may read that cache instead of parsing every input again.
    validated: dict | None = None
    _prepared: Prepared | None = field(default=None, init=False, repr=False, compare=False)

    def prepared(self) -> Prepared:
        """Entities, records and inspections as scoring's arrays, prepared once per loaded
        workspace: a command loads its workspace once, and its score, a draw's tiers, the risk
        calibration and the learned model all read this one object."""
        if self._prepared is None:
            self._prepared = indicators.prepare(
                self._for_scoring("entities", indicators.ENTITY_COLUMNS),
                self._for_scoring("records", indicators.RECORD_COLUMNS, indicators.RECORD_CODES),
                self.tables.get("inspections"),
            )
        return self._prepared

    def _for_scoring(
        self, name: str, columns: tuple[str, ...], codes: tuple[str, ...] = ()
    ) -> pd.DataFrame | None:
        """A table as `indicators.prepare` reads it: while still only in the validated cache,
        its `columns` with text in Arrow (`ws.tables` stays as it is), `codes` as categoricals
        (read dictionary-encoded: no text per row); else the table."""
        if isinstance(self.tables, Tables) and self.tables.in_cache(name):
            return _text_in_arrow(self.tables.arrow(name, columns, codes))
        return self.table(name) if name == "entities" else self.tables.get(name)

    def covered(self, as_of: pd.Timestamp | str) -> np.ndarray:
        """Who a score as of `as_of` covers, per row of `entities` (`Prepared.covered`): from
        the prepared tables when this command has them, else from the entities alone (a draw
        that reuses a score run's tiers needs no records prepared)."""
        prep = self._prepared
        if prep is None:
            prep = indicators.prepare(self.table("entities"), None, None)
        return prep.covered(as_of)

    @property
    def rejected(self) -> dict[str, pd.DataFrame]:
        return self.report.rejected

    def table(self, name: str) -> pd.DataFrame:
        """A validated table; an empty frame with the right columns when the table is absent."""
        if name in self.tables:
            return self.tables[name]
        return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.kind)) for c in TABLES[name].columns})


def _dtype(kind: str) -> str:
    return {"date": "datetime64[ns]", "bool": "bool", "number": "float64"}.get(kind, "object")


def find_table_files(ws: Path) -> dict[str, Path]:
    """The input file of each table present at the top level of `ws`."""
    found: dict[str, Path] = {}
    for name, spec in TABLES.items():
        hits = [
            ws / f"{stem}{suf}"
            for stem in (name, spec.label)
            for suf in SUFFIXES
            if (ws / f"{stem}{suf}").is_file()
        ]
        if len(hits) > 1:
            names = "、".join(p.name for p in hits)
            raise UsageError(
                f"表 {name} 有多个文件：{names}；请只保留一个 (several files for one table)",
                file=str(ws),
            )
        if hits:
            found[name] = hits[0]
    return found


def read_table(
    path: str | Path, table: str, headers: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read one table file as text cells with English headers and a `row` column.

    `headers` maps the file's own spellings to column names (config `headers:`).

    Raises UsageError naming the file when it cannot be read or a header appears twice.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            bounded.check_csv_header(path)
            df = _read_csv(path)
        elif path.suffix.lower() == ".xlsx":
            df = bounded.read_xlsx(path)
        elif path.suffix.lower() == ".parquet":
            bounded.check_parquet(path)
            df = pd.read_parquet(path)
            for c in df.columns:
                s = df[c]
                df[c] = s.astype(object).where(s.isna(), s.astype(str))
        else:
            raise UsageError(
                "不支持的文件类型，请使用 CSV、XLSX 或 Parquet (unsupported file type)",
                file=str(path),
            )
    except bounded.ReadError as exc:
        raise UsageError(exc.message, file=str(path), row=exc.row, column=exc.column) from None
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is one clear line for the user
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"文件无法读取 (unreadable file): {reason}", file=str(path)) from None
    df.columns = _english(path, table, list(df.columns), headers)
    df = df.astype(object).where(df.notna(), None)
    df.insert(0, ROW, range(2, len(df) + 2))
    return df


def read_raw(
    path: str | Path, table: str, headers: Mapping[str, str] | None = None
) -> pd.DataFrame | pa.Table:
    """`read_table`, but a plain UTF-8 CSV comes back as an Arrow table of string columns (the
    same cells, read without a Python object per cell): what validation reads at scale."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return read_table(path, table, headers)
    try:
        bounded.check_csv_header(path)
        arrow = bounded.read_csv_arrow(path)
    except Exception:  # noqa: BLE001 - read_table says what is wrong, as it always did
        arrow = None
    if arrow is None:
        return read_table(path, table, headers)
    arrow = arrow.rename_columns(_english(path, table, arrow.column_names, headers))
    rows = pa.array(np.arange(2, arrow.num_rows + 2, dtype=np.int64))
    return arrow.add_column(0, ROW, rows)


def _english(path: Path, table: str, columns: list, headers: Mapping[str, str] | None) -> list:
    """A file's headers as English column names; UsageError when two name one column."""
    columns = [str(c).strip().lstrip("\ufeff") for c in columns]
    mapping = rename_headers(TABLES[table], columns, headers)
    targets = list(mapping.values())
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        raise UsageError(
            f"列 '{dup[0]}' 出现了两次（中英文表头重复？） (column appears twice)",
            file=str(path),
            column=dup[0],
        )
    return [mapping[c] for c in columns]


def _read_csv(path: Path) -> pd.DataFrame:
    errors = []
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding=enc, skipinitialspace=False
            )
        except UnicodeDecodeError as exc:
            errors.append(f"{enc}: {exc.reason}")
            mixed = bounded.first_bad_utf8_line(path) if enc == "utf-8-sig" else None
            if mixed is not None and mixed[2] > mixed[1]:  # mostly UTF-8: not a GBK file
                raise UsageError(
                    f"第 {mixed[0]} 行不是 UTF-8 编码，而文件其余部分是（混用了两种编码）；请把整个"
                    "文件另存为 UTF-8 (line "
                    f"{mixed[0]} is not UTF-8 although the rest of the file is: save the whole "
                    "file again as UTF-8)",
                    file=str(path),
                    row=mixed[0],
                ) from None
        except pd.errors.EmptyDataError:
            raise UsageError("文件为空 (empty file)", file=str(path)) from None
    raise UsageError(
        "无法识别的文本编码，请另存为 UTF-8 或 GBK (unknown text encoding: "
        + "; ".join(errors)
        + ")",
        file=str(path),
    )


def rules_for(config: Config, today: dt.date | None = None) -> Rules:
    return Rules(
        sectors=config.sectors,
        sector_labels=config.sector_labels,
        record_kinds=DEFAULT_RECORD_KINDS + tuple(config.extra_record_kinds),
        check_digit=config.identifiers.check_digit,
        accept_bad_check_digit=config.identifiers.accept_bad_check_digit,
        category_labels=config.result_categories,
        values=config.values,
        today=today,
    )


def use_jemalloc() -> None:
    """Let Arrow allocate with jemalloc rather than the wheel's default mimalloc, unless the
    user chose a pool (ARROW_DEFAULT_MEMORY_POOL). Measured on a cold 1M-entity score: peak
    RSS 2.5 GB against 3.2 GB (mimalloc keeps what validation freed), and about 1 s less CPU.
    Process-wide, so set once, by the reader that makes the large tables."""
    global _POOL_SET
    if _POOL_SET or os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    _POOL_SET = True
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowException):  # a build without jemalloc: keep default
        pass


_POOL_SET = False


def load_workspace(
    ws: str | Path,
    *,
    write_rejected: bool = True,
    today: dt.date | None = None,
    use_cache: bool | str = True,
) -> Workspace:
    """Read, validate and type every table of a workspace.

    Rejected rows are written to `out/rejected/TABLE.csv` (row number, original cells, reason);
    a stale file from an earlier run is removed once its table is clean. `use_cache`: True
    reads (or writes) the validated cache; False parses every input; `VOUCHED` reads the cache
    only when a ledger entry recorded that very cache (its key and file digests), else parses.
    """
    ws = Layout.of(ws).root  # absolute from here on: a relative WS can never be joined twice
    if not ws.is_dir():
        raise UsageError("工作区目录不存在 (workspace folder not found)", file=str(ws))
    use_jemalloc()
    config = load_config(ws)
    files = find_table_files(ws)
    if "entities" not in files:
        raise UsageError(
            "缺少必需的表 entities（检查对象名录库）：请放入 entities.csv、.xlsx 或 "
            ".parquet (required table 'entities' is missing)",
            file=str(ws),
        )
    sources: dict[str, list[Path]] = {name: [path] for name, path in files.items()}
    results = sorted(Layout(ws).results_dir.glob("*.csv"))
    if results:
        Vouched(ws).require_all(results)  # imported results are history only when ledgered
        sources.setdefault("inspections", []).extend(results)
    # A command that may use the cache finds it by the input files' stat signatures when the
    # newest cache recorded them; verify (VOUCHED) always reads every input in full.
    known = _known_files(ws) if use_cache is True else {}
    inputs, basis, seen, reused = _inputs_digest(ws, sources, known, config)
    key = _cache_key(basis, today or clock.today())
    validated = None
    if use_cache:
        report, validated = _cache_read(ws, key, vouched=use_cache == VOUCHED)
        if reused and validated is None:  # stat signatures count only for a vouched cache
            inputs, basis, seen, _ = _inputs_digest(ws, sources, {}, config)
            key = _cache_key(basis, today or clock.today())
            report, validated = _cache_read(ws, key)
    else:
        report = None
    if report is None:
        report = _validate(ws, config, files, results, sources, today)
        if use_cache is True:
            validated = _cache_write(ws, key, report, seen)
            if validated is not None:  # go on as a warm command would: from the cache's files
                report.tables = _cached_tables(pin(Layout(ws).cache_dir / key, report.counts))
    if write_rejected:
        _write_rejected(ws, report)
    tables = _without_file_column(report.tables)
    digest = workspace_digest(inputs, report.counts)
    return Workspace(ws, config, tables, report, sources, digest, validated)


def _without_file_column(tables: Mapping[str, pd.DataFrame]) -> Tables:
    """The tables commands use: inspections without the column naming each row's file."""
    if isinstance(tables, Tables):
        out = tables.copy()
    elif isinstance(tables, Accepted):  # tables not made into frames yet stay so
        out = Tables(tables.made(), tables.pending())
    else:
        out = Tables(tables)
    if "inspections" not in out:
        return out
    out.wrap("inspections", _drop_file)
    return out


def _drop_file(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=FILE_COLUMN) if FILE_COLUMN in df.columns else df


def validate_with(
    ws: str | Path, replaced: dict[str, pd.DataFrame], names: dict[str, str]
) -> Report:
    """The validation report the workspace would give with `replaced` (table -> raw frame from
    `read_table`, `names`: the file each came from) instead of its current files: what an
    upload would do, computed before anything is written."""
    ws = Layout.of(ws).root
    config = load_config(ws)
    files = find_table_files(ws)
    sources: dict[str, list[Path]] = {name: [path] for name, path in files.items()}
    sources.update({t: [Path(names.get(t, t))] for t in replaced})
    results = sorted(Layout(ws).results_dir.glob("*.csv"))
    if results:
        sources.setdefault("inspections", []).extend(results)
    return _validate(ws, config, files, results, sources, None, replaced)


def _validate(
    ws: Path,
    config: Config,
    files: dict[str, Path],
    results: list[Path],
    sources: dict[str, list[Path]],
    today: dt.date | None,
    replaced: dict[str, pd.DataFrame] | None = None,
) -> Report:
    replaced = replaced or {}
    raw: dict[str, pd.DataFrame | pa.Table] = {
        name: read_raw(path, name, config.headers.get(name))
        for name, path in files.items()
        if name not in replaced
    }
    raw.update(replaced)
    if results:
        parts = (
            [_frame(raw["inspections"]).assign(**{FILE_COLUMN: sources["inspections"][0].name})]
            if "inspections" in raw
            else []
        )
        for p in results:
            parts.append(
                read_table(p, "inspections", config.headers.get("inspections")).assign(
                    **{FILE_COLUMN: str(p.relative_to(ws))}
                )
            )
        raw["inspections"] = pd.concat(parts, ignore_index=True)
    try:
        report = validate_tables(raw, rules_for(config, today), release=True)
    except SchemaError as exc:
        path = sources[exc.table][0]
        raise UsageError(exc.message, file=str(path), column=exc.column) from None
    for e in report.errors + report.warnings:
        e.setdefault("file", str(sources[e["table"]][0].name))
    return report


def _frame(raw: pd.DataFrame | pa.Table) -> pd.DataFrame:
    return raw if isinstance(raw, pd.DataFrame) else raw.to_pandas()


def _write_rejected(ws: Path, report: Report) -> None:
    for name, rej in report.rejected.items():
        path = Layout(ws).rejected(name)
        if len(rej):
            atomic_write_bytes(path, csv_bom_bytes(rej))
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
