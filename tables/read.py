"""Reading a table file as text cells, bounded: a hostile or odd file is refused, not obeyed.

Every limit is checked before the expensive step it protects: a CSV header line is counted
before pandas builds one object per column (a 200,000-column header once took 23 GB); an
XLSX's inflated size is read from the zip directory before openpyxl inflates it (a 5 MB file
can hold 1.3 GB of XML); a Parquet file's width is read from its schema. (Cells longer than
Excel's limit and control characters are rejected row by row in `tables.check`.) An XLSX with
data on more than one sheet is refused naming the sheets (a second sheet used to be ignored
silently), and a formula cell without a cached value is refused naming the cell (it used to
become blank). A CSV that is UTF-8 except for some lines is refused naming the first such line.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd

MAX_COLUMNS = 256  # the widest table has ~20 columns; a spreadsheet export rarely exceeds 100
MAX_HEADER_BYTES = 1 << 20
MAX_INFLATED_BYTES = 2 << 30  # 2 GB of XML: far beyond a 1M-row sheet (about 250 MB)
MAX_RATIO = 100  # inflated/compressed; real sheets compress 5-15x, zip bombs 250x and more
RATIO_FLOOR_BYTES = 100 << 20  # the ratio rule applies only above 100 MB inflated
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


class ReadError(ValueError):
    """A table file that cannot (or must not) be read; names row, column or sheet if it can."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


# ------------------------------------------------------------------------------------ CSV


def header_fields(path: Path) -> list[str]:
    """The header line's fields as Python's csv module splits them (UTF-8 or GB18030)."""
    with open(path, "rb") as f:
        head = f.read(MAX_HEADER_BYTES + 1)
    end = head.find(b"\n")
    raw = head[: end if end >= 0 else len(head)]
    try:
        line = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # GBK headers: split them as GB18030, as the reader will
        line = raw.decode("gb18030", errors="replace")
    return next(csv.reader([line.lstrip("\ufeff")]), [])


def odd_bytes(path: Path) -> bool:
    """Whether the file has bytes pandas reads its own way: a NUL, or a carriage return not
    followed by a line feed (read in chunks; a few milliseconds per 100 MB)."""
    pending = False
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            if (pending and not chunk.startswith(b"\n")) or b"\x00" in chunk:
                return True
            pending = chunk.endswith(b"\r")
            if b"\r" in chunk and chunk.count(b"\r") - chunk.count(b"\r\n") - pending:
                return True
    return pending


def read_csv_arrow(path: Path):
    """A UTF-8 or GBK/GB18030 CSV as an Arrow table of text cells (empty cells are ""), or
    None when the file is not plainly so (ragged rows, an odd header, a mixed encoding...) and
    pandas' reader must decide, as it always did.

    Reads the cells exactly as `pandas.read_csv(dtype=str, keep_default_na=False)` does for
    the files it accepts, with the encoding chosen as `tiered.workspace` chooses it (UTF-8 if
    the file decodes, else GB18030 unless most non-ASCII lines are UTF-8):
    tests/tiered/test_check_differential.py compares the two on random files. Several times
    faster, and without a Python object per cell.
    """
    table, not_utf8 = _read_arrow(path, "utf8")
    if not not_utf8:
        return table
    mixed = first_bad_utf8_line(path)
    if mixed is None or mixed[2] > mixed[1]:
        return None  # UTF-8 after all, or mostly: pandas reads it, or says which line is not
    with open(path, "rb") as f:
        if f.read(4) == b"\x84\x31\x95\x33":  # GB18030's byte-order mark: pandas keeps it
            return None
    return _read_arrow(path, "gb18030")[0]


def _read_arrow(path: Path, encoding: str):
    """(the table or None, whether reading failed on bytes that are not UTF-8)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        names = header_fields(path)
    except csv.Error:
        return None, False
    if odd_bytes(path):  # NUL, CR and quotes are single ASCII bytes in UTF-8 and GB18030 alike
        return None, False
    ragged = len(names) < 2  # one column: pandas skips lines of blanks that Arrow would keep
    if ragged or any(not n for n in names) or len(set(names)) < len(names):
        return None, False
    try:
        table = pacsv.read_csv(
            path,
            # one thread: with quoted newlines allowed, Arrow's threaded read costs twice the
            # CPU of a serial one (1M entities' records: 2.2 s against 1.0 s) for no less wall
            read_options=pacsv.ReadOptions(
                block_size=1 << 20, use_threads=False, encoding=encoding
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except Exception as exc:  # noqa: BLE001 - any failure: pandas reads the file and says why
        return None, "utf8" in str(exc).lower().replace("-", "")
    try:
        same = table.column_names == names
    except UnicodeDecodeError:  # Arrow keeps a header's bytes as they are: not UTF-8
        return None, True
    if not same or _open_quote_at_end(path, table, encoding):
        return None, False  # Arrow split the header otherwise, or took an unclosed quote
    return table, False


def _open_quote_at_end(path: Path, table, encoding: str) -> bool:
    """Whether the last cell is a quote left open to the end of the file (Arrow reads it as a
    cell; pandas refuses the file). Only the last cell can be: an open quote takes the rest of
    the file, so in any earlier column the row would come out short and Arrow would refuse."""
    if table.num_rows == 0:
        return False
    last = table.column(table.num_columns - 1)[-1].as_py() or ""
    opened = b'"' + last.encode("utf-8" if encoding == "utf8" else encoding).replace(b'"', b'""')
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - len(opened)))
        return f.read() == opened


def check_csv_header(path: Path) -> None:
    """Refuse a header line that is endless or too wide, before pandas parses it."""
    with open(path, "rb") as f:
        head = f.read(MAX_HEADER_BYTES + 1)
    end = head.find(b"\n")
    if end < 0 and len(head) > MAX_HEADER_BYTES:
        raise ReadError(
            f"表头行超过 {MAX_HEADER_BYTES >> 20} MB，不是一张正常的表 (the header line is longer "
            f"than {MAX_HEADER_BYTES >> 20} MB: not a table)",
            row=1,
        )
    fields = header_fields(path)
    if len(fields) > MAX_COLUMNS:
        raise ReadError(
            f"表头有 {len(fields):,} 列，最多允许 {MAX_COLUMNS} 列 (the header has "
            f"{len(fields):,} columns; at most {MAX_COLUMNS} are allowed)",
            row=1,
        )
    check_headers([f.strip() for f in fields])


def check_headers(headers: list[str]) -> None:
    """Refuse a header that appears twice (pandas would rename the second to `name.1`)."""
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, start=1):
        key = str(h).strip().lstrip("\ufeff")
        if key and key in seen:
            raise ReadError(
                f"列名 '{key}' 出现了两次（第 {seen[key]} 列和第 {i} 列） "
                f"(header '{key}' appears twice: columns {seen[key]} and {i})",
                row=1,
                column=key,
            )
        seen[key] = i


def first_bad_utf8_line(path: Path) -> tuple[int, int, int] | None:
    """(first line that is not UTF-8, such lines, non-ASCII lines that are UTF-8), or None when
    every line decodes. A file whose non-ASCII lines are mostly UTF-8 is mixed, not GBK."""
    first, bad, utf8_lines = None, 0, 0
    with open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8_lines += 1
            except UnicodeDecodeError:
                bad += 1
                first = first or n
    return None if first is None else (first, bad, utf8_lines)


def check_parquet(path: Path) -> None:
    """Refuse a Parquet file wider than any table, from its schema alone."""
    import pyarrow.parquet as pq

    width = len(pq.read_schema(path).names)
    if width > MAX_COLUMNS:
        raise ReadError(
            f"文件有 {width:,} 列，最多允许 {MAX_COLUMNS} 列 (the file has {width:,} columns; "
            f"at most {MAX_COLUMNS} are allowed)"
        )


# ----------------------------------------------------------------------------------- XLSX


def check_zip(path: Path) -> None:
    """Refuse an XLSX whose parts inflate too far (a zip bomb), from the zip directory only."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise ReadError(
            "文件无法读取：不是有效的 XLSX 文件 (unreadable file: not a valid XLSX file)"
        ) from None
    inflated = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if inflated > MAX_INFLATED_BYTES or (
        inflated > RATIO_FLOOR_BYTES and inflated / packed > MAX_RATIO
    ):
        raise ReadError(
            f"XLSX 解压后达 {inflated / 2**20:,.0f} MB（压缩比 {inflated / packed:,.0f} 倍），"
            "拒绝读取 (the XLSX inflates to "
            f"{inflated / 2**20:,.0f} MB, {inflated / packed:,.0f}x its size: refused as a "
            "likely zip bomb; save the table as CSV)"
        )


def _cell_text(v: object) -> str | None:
    """A cell as pandas' `read_excel(dtype=str)` writes it."""
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def _has_data(ws) -> bool:
    for row in ws.iter_rows(values_only=True):
        if any(v is not None and str(v).strip() for v in row):
            return True
    return False


def read_xlsx(path: Path) -> pd.DataFrame:
    """The one sheet holding data, as text cells (header = first row)."""
    from openpyxl import load_workbook

    check_zip(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = [ws for ws in wb.worksheets if _has_data(ws)]
        if len(sheets) > 1:
            names = "、".join(ws.title for ws in sheets)
            raise ReadError(
                f"工作簿有 {len(sheets)} 个含数据的工作表（{names}）；一张表请只放在一个工作表中 "
                f"(the workbook has data on {len(sheets)} sheets: {names}; keep the table on "
                "one sheet, or save each sheet as its own file)",
                column=None,
            )
        if not sheets:
            raise ReadError("文件为空 (empty file)")
        sheet = sheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows)
        width = max((i + 1 for i, v in enumerate(header) if v is not None), default=0)
        if width > MAX_COLUMNS:
            raise ReadError(
                f"表头有 {width:,} 列，最多允许 {MAX_COLUMNS} 列 (the header has {width:,} "
                f"columns; at most {MAX_COLUMNS} are allowed)",
                row=1,
            )
        names = [str(h).strip() if h is not None else f"Unnamed: {i}" for i, h in enumerate(header)]
        names = names[:width]
        check_headers(names)
        data = [[_cell_text(v) for v in r[:width]] for r in rows]
        title = sheet.title
    finally:
        wb.close()
    _check_formulas(path, title)
    data = [r + [None] * (width - len(r)) for r in data]
    while data and all(v is None for v in data[-1]):  # trailing blank rows (formatting only)
        data.pop()
    return pd.DataFrame(data, columns=names, dtype=object)


def _check_formulas(path: Path, title: str) -> None:
    """Refuse a formula cell without a cached value (openpyxl reads it as blank), naming it."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as z:
        parts = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(_has_formula(z, n) for n in parts):
            return
    formulas = load_workbook(path, read_only=True, data_only=False)
    values = load_workbook(path, read_only=True, data_only=True)
    try:
        for frow, vrow in zip(formulas[title].iter_rows(), values[title].iter_rows(), strict=False):
            for fc, vc in zip(frow, vrow, strict=False):
                if getattr(fc, "data_type", None) == "f" and vc.value is None:
                    raise ReadError(
                        f"单元格 {fc.coordinate} 是公式但没有计算结果（文件未在 Excel 中保存过）；"
                        "请在 Excel 中打开并保存，或把公式换成数值 (cell "
                        f"{fc.coordinate} holds a formula without a computed value: open and "
                        "save the file in Excel, or paste the values)",
                        row=fc.row,
                        column=fc.coordinate,
                    )
    finally:
        formulas.close()
        values.close()


def _has_formula(z: zipfile.ZipFile, name: str) -> bool:
    """Whether a sheet part holds a formula tag, read in chunks (never all at once)."""
    tail = b""
    with z.open(name) as f:
        while chunk := f.read(1 << 20):
            if _FORMULA.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False
