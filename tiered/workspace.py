"""Reading a workspace folder: its tables (CSV, XLSX, Parquet), its config, its rejected rows.

A table is `NAME.csv|xlsx|parquet` (or its Chinese name, e.g. `检查对象名录库.xlsx`) at the top
level. CSV may be UTF-8 with or without BOM, or GBK/GB18030: UTF-8 is tried strictly first (GBK
bytes almost never decode as UTF-8), then GB18030, a superset of GBK. Every cell is read as text
and typed by `tables.check`, so a bad cell becomes a rejected row, not a crash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
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
from tables.lazy import LazyFrames
from tables.spec import DEFAULT_RECORD_KINDS, TABLES, rename_headers
from tiered.config import Config, load_config
from tiered.errors import UsageError
from tiered.files import atomic_dir, atomic_write_bytes, csv_bom_bytes, sha256_file
from tiered.layout import Layout
from tiered.ledger.vouch import Vouched

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx", ".parquet")
VOUCHED = "vouched"  # load_workspace(use_cache=VOUCHED): the cache only when the ledger vouches
FILE_COLUMN = "file"  # which file a row came from, when a table spans several files


class Tables(LazyFrames):
    """Validated tables by name. A table read from the validated cache is loaded on first use
    (once, whichever thread asks first: `tables.lazy`): a draw after that month's score run
    never reads the (large) records table."""

    def __init__(
        self,
        loaded: Mapping[str, pd.DataFrame] | None = None,
        lazy: Mapping[str, Callable[[], pd.DataFrame]] | None = None,
        files: Mapping[str, Path] | None = None,
    ) -> None:
        super().__init__(loaded, lazy)
        self._files: dict[str, Path] = dict(files or {})  # a lazy table's cached Parquet file

    def arrow(self, name: str, columns: Sequence[str], dictionary: Sequence[str] = ()):
        """Those of `columns` the table has, as a `pyarrow.Table`: read from the validated
        cache's Parquet file (its digest checked at open) while the table is not loaded, so no
        pandas objects are built; else from the loaded frame. `dictionary`: columns read
        dictionary-encoded (short codes repeated a million times)."""
        if not self.is_made(name) and name in self._files and name in self:
            return _parquet(self._files[name], columns, dictionary)
        df = self[name]
        return pa.Table.from_pandas(df[[c for c in columns if c in df]], preserve_index=False)

    def copy(self) -> Tables:
        return Tables(self.made(), self.pending(), self._files)

    def wrap(self, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
        """`change` applied to the table when it is made (at once if it is made already)."""
        load = self.pending().get(name)
        if load is None:
            self[name] = change(self[name])
        else:
            self._makers[name] = lambda: change(load())

    def cached(self, name: str) -> Path | None:
        """The validated cache's Parquet file of a table not loaded yet (else None)."""
        return None if self.is_made(name) else self._files.get(name)


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
        if isinstance(self.tables, Tables) and self.tables.cached(name) is not None:
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
    inputs, seen, reused = _inputs_digest(ws, sources, known)
    key = _cache_key(inputs, today or clock.today())
    validated = None
    if use_cache:
        report, validated = _cache_read(ws, key, vouched=use_cache == VOUCHED)
        if reused and validated is None:  # stat signatures count only for a vouched cache
            inputs, seen, _ = _inputs_digest(ws, sources, {})
            key = _cache_key(inputs, today or clock.today())
            report, validated = _cache_read(ws, key)
    else:
        report = None
    if report is None:
        report = _validate(ws, config, files, results, sources, today)
        if use_cache is True:
            validated = _cache_write(ws, key, report, seen)
            if validated is not None:  # go on as a warm command would: from the cache's files
                report.tables = _cached_tables(Layout(ws).cache_dir / key, report.counts)
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


# ------------------------------------------------------------------------- validated cache
# Reading and validating a million-entity directory takes ~40 s; the monthly workflow reads the
# same files several times (validate, score, draw, verify). The typed tables are kept as Parquet
# under out/cache/, keyed by the digest of every input file, config.yaml, the code that validates
# and the date (a date "in the future" today may not be tomorrow). Any change gives a new key.

_CODE = (
    "tables/spec.py",
    "tables/check.py",
    "tables/columns.py",
    "tables/keys.py",
    "tables/parse.py",
    "tables/read.py",
    "tables/uscc.py",
    "tables/summary.py",
    "tables/tasks.py",
    "tiered/workspace.py",
    "tiered/config.py",
)


def _inputs_digest(
    ws: Path, sources: dict[str, list[Path]], known: Mapping[str, list] | None = None
) -> tuple[str, dict[str, list], bool]:
    """(sha256 of every input file (with its name), config.yaml and the validating code; each
    file's [stat signature..., sha256]; whether any sha256 came from `known` unread).

    `known` (`_known_files`): a file whose stat signature (size, mtime, ctime, inode, device)
    is the recorded one is not read again. Any write changes its ctime, which no user can set
    back; a signature is recorded only for a file last modified well before it was taken (a
    write within the same clock tick could otherwise go unseen)."""
    h = hashlib.sha256(b"v1")
    root = Path(__file__).resolve().parents[1]
    for rel in _CODE:
        h.update(sha256_file(root / rel).encode())
    inputs = sorted({p for paths in sources.values() for p in paths})
    if (ws / "config.yaml").exists():
        inputs.append(ws / "config.yaml")
    known = known or {}
    seen: dict[str, list] = {}
    reused = False
    for p in inputs:
        rel = p.relative_to(ws).as_posix()
        sig = _signature(p)
        rec = known.get(rel)
        if sig is not None and rec is not None and list(rec[:-1]) == sig:
            digest, reused = str(rec[-1]), True
        else:
            digest = sha256_file(p)
        if sig is not None:
            seen[rel] = [*sig, digest]
        h.update(f"|{rel}={digest}".encode())
    return h.hexdigest(), seen, reused


_SETTLED_NS = 3_000_000_000  # a file modified more recently than this is always read


def _signature(p: Path) -> list[int] | None:
    st = p.stat()
    if st.st_mtime_ns > dt.datetime.now().timestamp() * 1e9 - _SETTLED_NS:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _known_files(ws: Path) -> dict[str, list]:
    """The input files' signatures and sha256 that the (newest) validated cache recorded."""
    try:
        folders = [d for d in Layout(ws).cache_dir.iterdir() if not d.name.startswith(".")]
        if len(folders) != 1:
            return {}
        meta = json.loads((folders[0] / "report.json").read_text(encoding="utf-8"))
        files = meta.get("files", {})
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _cache_key(inputs: str, today: dt.date) -> str:
    return hashlib.sha256(f"{today.isoformat()}|{inputs}".encode()).hexdigest()[:32]


def workspace_digest(inputs: str, counts: Mapping[str, Mapping[str, int]]) -> str:
    """The validated workspace's digest: its inputs and what validation accepted of them.

    Validation depends on the date only through dates "in the future", whose rejection can only
    end as days pass: with the same inputs and code, equal per-table counts mean equal accepted
    rows. A score run records this digest, so a draw on another day can still reuse its tiers.
    """
    text = json.dumps(counts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{inputs}|{text}".encode()).hexdigest()


def _cache_read(ws: Path, key: str, vouched: bool = False) -> tuple[Report | None, dict | None]:
    folder = Layout(ws).cache_dir / key
    try:
        meta = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        names = [f"{n}.parquet" for n in meta["counts"]]
        names += [f"rejected-{n}.parquet" for n in meta["counts"]]
        if any(sha256_file(folder / f) != meta["sha256"][f] for f in names):
            log.warning("validated-table cache was altered: ignored and rebuilt (%s)", folder)
            return None, None  # an edited Parquet file changes nothing: validate afresh
        validated: dict | None = {"key": key, "sha256": dict(meta["sha256"])}
        if not _ledger_records(ws, validated):
            if vouched:
                return None, None
            validated = None  # usable, but a ledger entry must not vouch for it
        tables = _cached_tables(folder, meta["counts"])
        rejected = {
            n: _parquet(folder / f"rejected-{n}.parquet").to_pandas() for n in meta["counts"]
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None, None  # no cache (or a damaged one): validate afresh
    return Report(tables, rejected, meta["counts"], meta["errors"], meta["warnings"]), validated


def vouch_validation(ws: Workspace) -> None:
    """`tiered validate`: ledger the validated cache it has just written from the inputs (a
    `validation` entry, no files), so that verify may later read it instead of the inputs."""
    if ws.validated and not _ledger_records(ws.path, ws.validated):
        from tiered.ledger import chain

        payload = {"validated": ws.validated, "tables": ws.report.counts}
        chain.append(ws.path, "validation", payload)


def _ledger_records(ws: Path, validated: dict) -> bool:
    """Whether a ledger entry recorded this very cache (key and digests) as written from the
    inputs by a command that validated them itself (or as read when already so recorded)."""
    from tiered.ledger import chain

    return any(e.payload.get("validated") == validated for e in chain.entries(ws))


def _cached_tables(folder: Path, names: Iterable[str]) -> Tables:
    """The validated cache's tables, each loaded when first asked for."""
    files = {n: folder / f"{n}.parquet" for n in names}
    return Tables(lazy={n: _reader(p) for n, p in files.items()}, files=files)


def _reader(path: Path) -> Callable[[], pd.DataFrame]:
    """Load one cached table when first asked for (its digest was checked at open)."""
    return lambda: _parquet(path).to_pandas()  # = pd.read_parquet(path), tested


def _parquet(path: Path, columns: Sequence[str] | None = None, dictionary: Sequence[str] = ()):
    """A cached Parquet file (those of `columns` it has, `dictionary` ones dictionary-encoded)
    as a `pyarrow.Table`, read with `ParquetFile`: `pq.read_table` (and so `pd.read_parquet`)
    goes through the dataset layer, whose first use costs a command ~0.25 s CPU; and on one
    thread: on a shared 2-core machine Arrow's pool costs more CPU (and wall time) than it
    saves here."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path, read_dictionary=list(dictionary) or None) as f:
        have = set(f.schema_arrow.names)
        cols = None if columns is None else [c for c in columns if c in have]
        return f.read(columns=cols, use_threads=False)


def _text_in_arrow(table) -> pd.DataFrame:
    """A `pyarrow.Table` as pandas with its text left in Arrow (`pd.ArrowDtype`): no Python
    object per cell (what scoring reads: at 1M entities ~4 s less than `read_parquet`)."""

    def mapper(t: pa.DataType) -> pd.ArrowDtype | None:
        return pd.ArrowDtype(t) if pa.types.is_string(t) or pa.types.is_large_string(t) else None

    return table.to_pandas(types_mapper=mapper)


def _cache_write(
    ws: Path, key: str, report: Report, files: Mapping[str, list] | None = None
) -> dict | None:
    base = Layout(ws).cache_dir
    try:
        if base.exists():
            for old in base.iterdir():  # keep only the newest validated copy
                shutil.rmtree(old, ignore_errors=True)
        import pyarrow.parquet as pq

        with atomic_dir(base / key) as tmp:
            arrow = getattr(report, "arrow", None) or {}
            for n in report.tables:
                table = arrow.get(n)
                if table is not None:  # the bytes `df.to_parquet` writes, without making df
                    pq.write_table(table, tmp / f"{n}.parquet", compression="snappy")
                else:
                    report.tables[n].to_parquet(tmp / f"{n}.parquet", index=False)
            arrow.clear()
            for n, df in report.rejected.items():
                df.astype(object).where(df.notna(), None).astype(str).where(
                    df.notna(), None
                ).to_parquet(tmp / f"rejected-{n}.parquet", index=False)
            meta = {
                "counts": report.counts,
                "errors": report.errors,
                "warnings": report.warnings,
                "sha256": {p.name: sha256_file(p) for p in tmp.glob("*.parquet")},
                "files": dict(files or {}),  # the inputs' signatures (`_inputs_digest`)
            }
            (tmp / "report.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except (OSError, ValueError) as exc:  # a cache is an optimisation: never fail a command
        log.warning("validated-table cache not written: %s", exc)
        return None
    return {"key": key, "sha256": dict(meta["sha256"])}


def _write_rejected(ws: Path, report: Report) -> None:
    for name, rej in report.rejected.items():
        path = Layout(ws).rejected(name)
        if len(rej):
            atomic_write_bytes(path, csv_bom_bytes(rej))
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
