"""A partitioned Parquet copy of the validated tables, which Dask workers read themselves.

`tiered score --engine dask` writes, once per validated workspace, the tables scoring reads
(entities, records, inspections) from the validated cache as one Parquet file per table and
partition, under `out/parts/<workspace digest>/` (`Layout.parts`):

    manifest.json                  the rule, and per partition its regions, entities and files
    entities/part=0.parquet        (each file's sha256 and row count are in the manifest)
    records/part=0.parquet
    inspections/part=0.parquet
    ...

An entity's score needs only its own rows and its related parties' (same legal representative
*and* region: `scoring.indicators.prepare`), so a partition holds whole regions; small regions
(in name order) share a partition up to `MAX_ENTITIES`, and a larger region is split by a
stable hash of the legal representative, so related parties still share a partition (an
entity without one is related to nobody: it goes by the hash of its uscc). Records and
inspections go to their entity's partition; rows keep their order.

The ledger vouches the manifest (a `partitions` entry records its sha256 and the validated
workspace it was written from); each worker is sent the partition's URL and the sha256 of its
files, reads them (any fsspec URL: a local path, `file://`, `s3://`, `hdfs://`) and refuses
with one line when what it read is not what the manifest lists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring import indicators
from tiered.errors import UsageError
from tiered.files import atomic_dir, sha256_file
from tiered.layout import Layout
from tiered.workspace import FILE_COLUMN, Tables, Workspace, _text_in_arrow

log = logging.getLogger(__name__)

MAX_ENTITIES = 250_000  # entities per partition (about: a split region's parts vary a little)
HASH_KEY = "0123456789123456"  # pandas.util.hash_array's own default key, written out
TABLES = ("entities", "records", "inspections")
KIND = "partitions"  # the ledger entry that vouches a manifest
VERSION = 2  # 2: entities and inspections carry their row in the validated table (ROW)
ROW = "__tiered_row__"  # that column: population-level fits put partitions' rows back in order
ROWS_OF = ("entities", "inspections")


def rule(max_entities: int) -> str:
    """The partitioning rule in words (kept in the manifest)."""
    return (
        "Regions (empty region = '') in name order; consecutive regions share a partition while "
        f"their entities total at most {max_entities}; a region of more than {max_entities} "
        f"entities is split into ceil(n / {int(max_entities * 0.9)}) partitions by the siphash "
        f"(pandas.util.hash_array, key {HASH_KEY}) of the legal representative's text, or of "
        "the uscc when there is none, modulo that number; empty partitions are dropped. "
        "Related parties (same legal representative and region) always share a partition. "
        "Records and inspections follow their entity (rows of an unknown uscc are left out); "
        f"rows keep the validated tables' order, and entities and inspections carry their row "
        f"number in the validated table as column {ROW}."
    )


@dataclass(frozen=True)
class PartRef:
    """What a worker is sent for one partition: where it is and what its files must hash to."""

    base: str  # URL of the dataset folder (`.../<workspace digest>`)
    index: int
    entities: int
    files: tuple[tuple[str, str, str], ...]  # (table, path under base, sha256)


# ------------------------------------------------------------------------------- writing


def ensure(ws: Workspace, url: str | None = None, max_entities: int | None = None) -> list[PartRef]:
    """The partitions of `ws` (written, and ledgered, unless a vouched manifest is there),
    as read from `url` (a copy of `out/parts`: its files are uploaded there when missing)."""
    max_entities = int(max_entities or MAX_ENTITIES)
    lay = Layout.of(ws.path)
    name = ws.digest[:32]
    folder = lay.parts(name)
    manifest = _vouched(ws, folder, max_entities)
    if manifest is None:
        start = time.perf_counter(), time.process_time()
        if lay.parts_dir.is_dir():
            for old in lay.parts_dir.iterdir():  # keep only the current workspace's parts
                shutil.rmtree(old, ignore_errors=True)
        manifest = write(ws, folder, max_entities)
        _ledger(ws, folder)
        log.info(
            "partitions: %d written to %s in %.2f s wall / %.2f s CPU",
            len(manifest["parts"]), folder,
            time.perf_counter() - start[0], time.process_time() - start[1],
        )  # fmt: skip
    base = folder.as_uri()
    if url:
        base = f"{url.rstrip('/')}/{name}"
        _upload(folder, base)
    refs = []
    for p in manifest["parts"]:
        files = tuple((t, f["path"], f["sha256"]) for t, f in sorted(p["files"].items()))
        refs.append(PartRef(base, int(p["part"]), int(p["entities"]), files))
    return refs


def write(ws: Workspace, folder, max_entities: int = MAX_ENTITIES) -> dict:
    """Write the partitioned tables and their manifest into `folder` (which must not exist)."""
    import pyarrow.parquet as pq

    ent = _arrow(ws, "entities", indicators.ENTITY_COLUMNS)
    part, described = assign(ent, max_entities)
    ids = _strings(ent["uscc"])
    with atomic_dir(folder) as tmp:
        for name in TABLES:
            if name == "entities":
                table, codes = ent, part
            else:
                table = _arrow(ws, name, indicators.RECORD_COLUMNS if name == "records" else None)
                if table is None:
                    continue
                import pyarrow.compute as pc

                pos = pc.index_in(_strings(table["uscc"]), value_set=ids)
                pos = pos.fill_null(-1).to_numpy().astype(np.intp)
                codes = np.where(pos >= 0, part[np.maximum(pos, 0)], -1)
            if name in ROWS_OF:
                table = table.append_column(ROW, pa.array(np.arange(table.num_rows)))
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(described) + 1))
            (tmp / name).mkdir()
            for k, d in enumerate(described):
                rel = f"{name}/part={k}.parquet"
                rows = order[bounds[k] : bounds[k + 1]]
                pq.write_table(table.take(pa.array(rows)), tmp / rel, compression="snappy")
                sha = sha256_file(tmp / rel)
                d["files"][name] = {"path": rel, "rows": len(rows), "sha256": sha}
        manifest = {
            "version": VERSION,
            "workspace": ws.digest,
            "validated": ws.validated,
            "max_entities": max_entities,
            "rule": rule(max_entities),
            "parts": described,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
        (tmp / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return manifest


def assign(ent: pa.Table, max_entities: int = MAX_ENTITIES) -> tuple[np.ndarray, list[dict]]:
    """(partition of each entity row, each partition's description) by the rule (`rule`).
    Text stays in Arrow: only distinct values become Python strings (10M entities)."""
    import pyarrow.compute as pc

    n = ent.num_rows
    codes, names = _codes(pc.fill_null(_strings(ent["region"]), ""))
    rank = np.argsort(np.asarray(names, dtype=object), kind="stable")  # regions in name order
    names = [names[i] for i in rank]
    codes = np.argsort(rank)[codes] if n else codes
    counts = np.bincount(codes, minlength=len(names))
    region_part = np.full(len(names), -1, np.int64)
    described: list[dict] = []
    splits: list[tuple[int, int, int]] = []  # (region code, first partition, how many)
    packing = False
    for r, c in enumerate(counts):
        if c > max_entities:
            k = -(-int(c) // max(int(max_entities * 0.9), 1))
            splits.append((r, len(described), k))
            for i in range(k):
                described.append({"regions": [str(names[r])], "split": f"{i + 1}/{k}"})
            packing = False
            continue
        if not packing or described[-1]["entities"] + c > max_entities:
            described.append({"regions": [], "entities": 0})
            packing = True
        described[-1]["regions"].append(str(names[r]))
        described[-1]["entities"] += int(c)
        region_part[r] = len(described) - 1
    part = region_part[codes] if n else np.zeros(0, np.int64)
    for r, first, k in splits:
        rows = np.flatnonzero(codes == r)
        h = _hashes(ent, rows)
        part[rows] = first + (h % np.uint64(k)).astype(np.int64)
    sizes = np.bincount(part, minlength=len(described))
    keep = np.flatnonzero(sizes > 0)
    remap = np.full(len(described), -1, np.int64)
    remap[keep] = np.arange(len(keep))
    out = []
    for new, old in enumerate(keep):
        d = described[old]
        d.update({"part": new, "entities": int(sizes[old]), "files": {}})
        out.append(d)
    return remap[part] if n else part, out


def _codes(arr: pa.Array) -> tuple[np.ndarray, list[str]]:
    """(code per row, -1 for null; the distinct values) of a text column, encoded in Arrow."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(arr)
    idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx, enc.dictionary.to_pylist()


def _hashes(ent: pa.Table, rows: np.ndarray) -> np.ndarray:
    """The rule's hash of each of `rows`: of the legal representative, else of the uscc."""
    key = _strings(ent["uscc"]).take(pa.array(rows))
    if "legal_representative" in ent.column_names:
        import pyarrow.compute as pc

        lr = _strings(ent["legal_representative"]).take(pa.array(rows))
        key = pc.if_else(pc.is_null(lr), key, lr)
    codes, values = _codes(key)
    h = pd.util.hash_array(np.asarray(values, dtype=object), hash_key=HASH_KEY)
    return h[codes]


def _arrow(ws: Workspace, name: str, columns: Sequence[str] | None) -> pa.Table | None:
    """A validated table's columns (all but the file column when None) as Arrow."""
    if name not in ws.tables:
        return None
    if columns is None:
        cached = ws.tables.cached(name) if isinstance(ws.tables, Tables) else None
        if cached is not None:
            import pyarrow.parquet as pq

            with cached:
                have = pq.read_schema(cached).names
        else:
            have = list(ws.tables[name].columns)
        columns = [c for c in have if c != FILE_COLUMN]
    if isinstance(ws.tables, Tables):
        return ws.tables.arrow(name, columns)
    df = ws.tables[name]
    return pa.Table.from_pandas(df[[c for c in columns if c in df]], preserve_index=False)


def _strings(col) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr


def _vouched(ws: Workspace, folder, max_entities: int) -> dict | None:
    """The manifest in `folder` when a ledger entry vouches it for this workspace and rule."""
    from tiered.ledger import chain

    path = folder / "manifest.json"
    if not path.is_file():
        return None
    digest = sha256_file(path)
    ok = any(
        e.kind == KIND
        and e.payload.get("manifest_sha256") == digest
        and e.payload.get("workspace") == ws.digest
        for e in chain.entries(ws.path)
    )
    if not ok:
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("max_entities") != max_entities or manifest.get("version") != VERSION:
        return None
    return manifest


def _ledger(ws: Workspace, folder) -> None:
    from tiered.ledger import chain

    lay = Layout.of(ws.path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    payload = {
        "dir": lay.rel(folder),
        "manifest_sha256": sha256_file(folder / "manifest.json"),
        "workspace": ws.digest,
        "validated": ws.validated,
        "parts": len(manifest["parts"]),
        "max_entities": manifest["max_entities"],
    }
    chain.append(ws.path, KIND, payload)


def _upload(folder, base: str) -> None:
    """Copy the dataset to `base` unless its manifest is there already (then the workers'
    digests tell whether the copy is the one the ledger vouches)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(base)
    try:
        if fs.exists(f"{root}/manifest.json"):
            return
        log.info("partitions: copying %s to %s", folder, base)
        for p in sorted(folder.rglob("*.parquet")):
            rel = p.relative_to(folder).as_posix()
            fs.makedirs(f"{root}/{rel.rsplit('/', 1)[0]}", exist_ok=True)
            fs.put_file(str(p), f"{root}/{rel}")
        fs.put_file(str(folder / "manifest.json"), f"{root}/manifest.json")  # last: complete
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(
            f"无法把分区文件复制到 {base} (cannot copy the partitions there): {exc}"
        ) from None


# ------------------------------------------------------------------------------- reading


def read(ref: PartRef) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """(entities, records, inspections) of one partition, as `Workspace.prepared` reads the
    whole; UsageError when a file is missing or is not the one the manifest lists."""
    return read_with_rows(ref)[0]


def read_with_rows(
    ref: PartRef,
) -> tuple[tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None], dict[str, np.ndarray]]:
    """`read`'s tables, and the row in the validated table of each entity and inspection
    (`ROWS_OF`: table -> int64 array)."""
    import pyarrow.parquet as pq

    got: dict[str, pd.DataFrame] = {}
    rows: dict[str, np.ndarray] = {}
    for table, rel, sha in ref.files:
        data = _fetch(f"{ref.base}/{rel}")
        if hashlib.sha256(data).hexdigest() != sha:
            raise UsageError(
                f"分区文件与清单不符，已拒绝 (partition file differs from the ledgered "
                f"manifest: refused): {ref.base}/{rel}; 请重新复制工作区的 out/parts (copy the "
                "workspace's out/parts there again)"
            )
        codes = None
        if table == "records":  # short codes dictionary-encoded, as `Workspace.prepared` reads
            have = pq.read_schema(pa.BufferReader(data)).names
            codes = [c for c in indicators.RECORD_CODES if c in have] or None
        with pq.ParquetFile(pa.BufferReader(data), read_dictionary=codes) as f:
            arrow = f.read(use_threads=False)
        if ROW in arrow.column_names:
            rows[table] = arrow[ROW].to_numpy()
            arrow = arrow.drop_columns([ROW])
        got[table] = arrow.to_pandas() if table == "inspections" else _text_in_arrow(arrow)
    return (got["entities"], got.get("records"), got.get("inspections")), rows


def _fetch(url: str) -> bytes:
    import fsspec

    try:
        with fsspec.open(url, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise UsageError(
            f"找不到分区文件 (partition file not found): {url}; 请把工作区的 out/parts 复制到 "
            "那里 (copy the workspace's out/parts there)"
        ) from None
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(f"无法读取分区文件 (cannot read partition file) {url}: {exc}") from None
