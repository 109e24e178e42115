"""The validated cache: a workspace's typed tables kept as Parquet under `out/cache/KEY/`.

Reading and validating a million-entity directory takes tens of seconds; the monthly workflow
reads the same files several times (validate, score, draw, verify). The typed tables are kept as
Parquet, keyed by the digest of every input file, the part of config.yaml that validation reads
(everything but the scoring, sampling, model, publication and imported-tier sections: a new
threshold or rate does not validate the tables again), the code that validates and the date (a
date "in the future" today may not be tomorrow). Any change gives a new key. `Tables`
loads a cached table on first use; `tiered.workspace` decides when the cache is read or written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from tables.check import Report
from tables.lazy import LazyFrames
from tiered.files import atomic_dir, sha256_file
from tiered.layout import Layout

if TYPE_CHECKING:
    from tiered.config import Config
    from tiered.workspace import Workspace

log = logging.getLogger(__name__)


class Pinned:
    """A cached Parquet file held open from the moment its digest is checked, so that what is
    read later are those very bytes, even after a newer cache replaced its folder: a command's
    `_cache_write` removes older folders while the app's sessions may still read tables of a
    workspace loaded before (a removed file stays readable while it is open). Each read gets
    its own reader of the held file (`/proc/self/fd`, so threads share no file offset); where
    there is no `/proc`, it is read by name."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 - held for the workspace's life

    def sha256(self) -> str:
        self._file.seek(0)
        return hashlib.file_digest(self._file, "sha256").hexdigest()

    def source(self) -> pa.NativeFile:
        held = Path(f"/proc/self/fd/{self._file.fileno()}")
        return pa.OSFile(str(held if held.exists() else self.path))


class Tables(LazyFrames):
    """Validated tables by name. A table read from the validated cache is loaded on first use
    (once, whichever thread asks first: `tables.lazy`): a draw after that month's score run
    never reads the (large) records table."""

    def __init__(
        self,
        loaded: Mapping[str, pd.DataFrame] | None = None,
        lazy: Mapping[str, Callable[[], pd.DataFrame]] | None = None,
        files: Mapping[str, Pinned] | None = None,
    ) -> None:
        super().__init__(loaded, lazy)
        self._files: dict[str, Pinned] = dict(files or {})  # a lazy table's cached Parquet file

    def arrow(self, name: str, columns: Sequence[str], dictionary: Sequence[str] = ()):
        """Those of `columns` the table has, as a `pyarrow.Table`: read from the validated
        cache's Parquet file (its digest checked at open) while the table is not loaded, so no
        pandas objects are built; else from the loaded frame. `dictionary`: columns read
        dictionary-encoded (short codes repeated a million times)."""
        if not self.is_made(name) and name in self._files and name in self:
            return _parquet(self._files[name].source(), columns, dictionary)
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

    def in_cache(self, name: str) -> bool:
        """Whether the table is not loaded yet and is read from the validated cache."""
        return not self.is_made(name) and name in self._files

    def cached(self, name: str) -> pa.NativeFile | None:
        """A reader of the validated cache's Parquet file of a table not loaded yet (else
        None)."""
        pinned = None if self.is_made(name) else self._files.get(name)
        return None if pinned is None else pinned.source()


_CODE = (
    "tables/spec.py",
    "tables/check.py",
    "tables/colcheck.py",
    "tables/columns.py",
    "tables/keys.py",
    "tables/parse.py",
    "tables/read.py",
    "tables/uscc.py",
    "tables/summary.py",
    "tables/tasks.py",
    "tiered/workspace.py",
    "tiered/validated.py",
    "tiered/config.py",
)


def _inputs_digest(
    ws: Path,
    sources: dict[str, list[Path]],
    known: Mapping[str, list] | None,
    config: Config,
) -> tuple[str, str, dict[str, list], bool]:
    """(inputs: sha256 of every input file (with its name), config.yaml and the validating code;
    the cache's basis: the same with `config`'s validation part in place of config.yaml; each
    file's [stat signature..., sha256]; whether any sha256 came from `known` unread).

    `known` (`_known_files`): a file whose stat signature (size, mtime, ctime, inode, device)
    is the recorded one is not read again. Any write changes its ctime, which no user can set
    back; a signature is recorded only for a file last modified well before it was taken (a
    write within the same clock tick could otherwise go unseen)."""
    h = hashlib.sha256(b"v1")  # the workspace digest's inputs: unchanged since v1
    k = hashlib.sha256(b"v2")  # the cache key's: config.yaml's validation part only
    root = Path(__file__).resolve().parents[1]
    for rel in _CODE:
        code = sha256_file(root / rel).encode()
        h.update(code)
        k.update(code)
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
        if p != ws / "config.yaml":
            k.update(f"|{rel}={digest}".encode())
    k.update(f"|config={validation_config_digest(config)}".encode())
    return h.hexdigest(), k.hexdigest(), seen, reused


def validation_config_digest(config: Config) -> str:
    """sha256 of the config as validation may read it: every field but the sections that only
    later steps read (a field added to `Config` counts until it is listed here)."""
    part = dataclasses.replace(
        config, scoring=None, sampling=None, model=None, publish=None, imported_tiers=None
    )
    return hashlib.sha256(repr(part).encode("utf-8")).hexdigest()


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
        pinned = pin(folder, meta["counts"])
        names = [f"rejected-{n}.parquet" for n in meta["counts"]]
        held = {f"{n}.parquet": p.sha256() for n, p in pinned.items()}  # the bytes read later
        if any(d != meta["sha256"][f] for f, d in held.items()) or any(
            sha256_file(folder / f) != meta["sha256"][f] for f in names
        ):
            log.warning("validated-table cache was altered: ignored and rebuilt (%s)", folder)
            return None, None  # an edited Parquet file changes nothing: validate afresh
        validated: dict | None = {"key": key, "sha256": dict(meta["sha256"])}
        if not _ledger_records(ws, validated):
            if vouched:
                return None, None
            validated = None  # usable, but a ledger entry must not vouch for it
        tables = _cached_tables(pinned)
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


def pin(folder: Path, names: Iterable[str]) -> dict[str, Pinned]:
    """Each table's Parquet file of a cache folder, held open."""
    return {n: Pinned(folder / f"{n}.parquet") for n in names}


def _cached_tables(pinned: Mapping[str, Pinned]) -> Tables:
    """The validated cache's tables, each loaded when first asked for."""
    return Tables(lazy={n: _reader(p) for n, p in pinned.items()}, files=pinned)


def _reader(pinned: Pinned) -> Callable[[], pd.DataFrame]:
    """Load one cached table when first asked for (its digest was checked at open)."""
    return lambda: _parquet(pinned.source()).to_pandas()  # = pd.read_parquet(path), tested


def _parquet(
    path: Path | pa.NativeFile, columns: Sequence[str] | None = None, dictionary: Sequence[str] = ()
):
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
