"""Writing files so that a crash never leaves half a result, and exports that are safe in Excel.

Every artefact is written to a temporary sibling and renamed into place: a rename within one
filesystem is atomic, so a reader sees either the old state or the whole new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:  # frames are only passed through: the app's sign-in path (accounts, settings)
    # writes files without loading pandas
    import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A fixed timestamp for XLSX parts, so the same table gives the same bytes.
_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parts(f: BinaryIO, data: bytes | Iterable[bytes]) -> str:
    """Write `data` (the bytes, or pieces of them in order: a large file never held whole) to
    the open file `f`; returns their sha256."""
    if isinstance(data, bytes | bytearray | memoryview):
        f.write(data)
        return hashlib.sha256(data).hexdigest()
    h = hashlib.sha256()
    for part in data:
        f.write(part)
        h.update(part)
    return h.hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or their pieces in order) to `path` via a temporary file and an
    atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it private; outputs are for the office
        with os.fdopen(fd, "wb") as f:
            write_parts(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory that becomes `final` (which must not exist) on success.

    On an exception the temporary directory is removed; after a crash it is left as a hidden
    `.NAME.tmp-*` sibling that no reader looks at.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; results are for the office
    try:
        yield tmp
        for p in tmp.iterdir():
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        os.rename(tmp, final)  # fails if `final` exists: callers move an old result away first
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def escape_formula(value: object) -> object:
    """Prefix text that Excel would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(escape_formula)
    return out


def csv_bom_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens Chinese text correctly), formula-safe."""
    text = escape_frame(df).to_csv(index=False, lineterminator="\r\n")
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def write_csv_bom(df: pd.DataFrame, path: str | os.PathLike) -> None:
    atomic_write_bytes(path, csv_bom_bytes(df))


def xlsx_bytes(
    df: pd.DataFrame,
    headers: dict[str, str] | None = None,
    sheet: str = "Sheet1",
    fast: bool = True,
) -> bytes:
    """An XLSX with (Chinese) headers, a frozen header row and fitted widths.

    Cell text is formula-escaped; workbook timestamps and zip entry times are fixed, so the same
    frame always gives the same bytes (draws must reproduce byte for byte).
    """
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    headers = headers or {}
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    cols = list(df.columns)
    ws.append([headers.get(c, c) for c in cols])
    safe = escape_frame(df)
    rows = [[_cell(v) for v in row] for row in safe.itertuples(index=False, name=None)]
    streamed = _rows_xml(rows, len(cols)) if fast else None
    if streamed is None:
        for row in rows:
            ws.append(row)
    ws.freeze_panes = "A2"
    for i, c in enumerate(cols, start=1):
        values = [str(headers.get(c, c))] + [str(v) for v in safe[c].head(500).tolist()]
        width = max(_display_width(v) for v in values)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    fixed = datetime(2020, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "tiered-supervision"
    raw = io.BytesIO()
    wb.save(raw)
    if streamed is not None:  # the data rows as openpyxl writes them, without its cell objects
        last = f"{get_column_letter(len(cols))}{len(rows) + 1}" if cols else "A1"
        return _normalise_zip(raw.getvalue(), (streamed, f"A1:{last}" if rows else None))
    return _normalise_zip(raw.getvalue())


_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
_XML_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}


def _rows_xml(rows: list[list[object]], width: int) -> bytes | None:
    """The `<row>` elements of data rows 2.. exactly as openpyxl (with ElementTree) writes
    them, for cells that are text, numbers or empty; None (use openpyxl) for anything else."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i) for i in range(1, width + 1)]
    out: list[str] = []
    for r, row in enumerate(rows, start=2):
        out.append(f'<row r="{r}">')
        for letter, v in zip(letters, row, strict=False):
            if v is None:
                continue
            ref = f"{letter}{r}"
            if isinstance(v, str):
                if (len(v) > 1 and v.startswith("=")) or v in _ERROR_CODES or len(v) > 32767:
                    return None
                if v == "":
                    out.append(f'<c r="{ref}" t="inlineStr" />')
                    continue
                text = v.translate(_XML_ESCAPES)
                stripped = v.strip()
                space = ' xml:space="preserve"' if stripped and stripped != v else ""
                out.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(v, bool):
                return None
            elif isinstance(v, int | float) and type(v) in (int, float):
                if v != v or v in (float("inf"), float("-inf")):
                    out.append(f'<c r="{ref}" t="n"><v /></c>')
                else:
                    out.append(f'<c r="{ref}" t="n"><v>{v:.16g}</v></c>')
            else:
                return None
        out.append("</row>")
    return "".join(out).encode("utf-8")


def _cell(v: object) -> object:
    """A value openpyxl accepts: NaN as empty; control characters (which validation rejects in
    inputs) dropped, so an export can never fail with IllegalCharacterError."""
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, str) and _ILLEGAL.search(v):
        return _ILLEGAL.sub("", v)
    return v


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _normalise_zip(data: bytes, rows: tuple[bytes, str | None] | None = None) -> bytes:
    """Rewrite a zip with fixed entry timestamps and a stable order; `rows` = (data rows XML,
    dimension) are put into the (header-only) sheet."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if rows is not None and info.filename == "xl/worksheets/sheet1.xml":
                body, dimension = rows
                payload = payload.replace(b"</sheetData>", body + b"</sheetData>", 1)
                if dimension:
                    payload = re.sub(
                        rb'<dimension ref="[^"]*" />',
                        b'<dimension ref="' + dimension.encode() + b'" />',
                        payload,
                        count=1,
                    )
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                payload = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*<",
                    rb"<dcterms:modified\1>2020-01-01T00:00:00Z<",
                    payload,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, payload)
    return out.getvalue()
