"""Run the table specs of `tables.spec` over raw text tables.

Every failure is collected (nothing stops at the first): a row that fails any check is rejected
with its file row number and all its reasons, and the accepted rows come back typed. Only input
that cannot be used at all (a missing required column) raises `SchemaError`.

A raw table is a pandas frame of text cells or an Arrow table of string columns (what the
workspace reader gives for CSV), with a `row` column of file row numbers. Either way the checks
run on Arrow columns (`tables.columns`); what a cell means is defined in `tables.parse`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tables import clock, keys
from tables import columns as C
from tables.colcheck import check_column
from tables.errors import SchemaError  # noqa: F401 - re-exported for callers
from tables.lazy import LazyFrames
from tables.parse import (  # noqa: F401 - parse_* and fold_id are re-exported for callers
    VOCABULARIES,
    Rules,
    allowed,
    fold_id,
    lookup,
    parse_bools,
    parse_choices,
    parse_dates,
    parse_numbers,
    vocabulary,
    vocabulary_codes,
)
from tables.spec import PROBLEM_CATEGORIES, TABLE_ORDER, TABLES, Table
from tables.summary import problem_summary

ROW = "row"  # the file row number (the header is row 1), as a clerk sees it in Excel
REASON = "reason"

# A rule over a table's typed rows that needs more than the row: (rows, column, message per row).
Failure = tuple[np.ndarray, str, pd.Series]
RowRule = Callable[[pd.DataFrame], list[Failure]]


@dataclass
class Report:
    tables: Mapping[str, pd.DataFrame]
    rejected: dict[str, pd.DataFrame]
    counts: dict[str, dict[str, int]]
    errors: list[dict]
    warnings: list[dict] = field(default_factory=list)
    # The accepted tables as Arrow, with the schema pandas would give them (None where the input
    # was pandas): the validated cache is written from these. Dropped once written.
    arrow: dict[str, pa.Table | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_rejected(self) -> int:
        return sum(c["rejected"] for c in self.counts.values())

    @property
    def summary(self) -> dict[str, list[dict]]:
        """Duplicated keys (with all their rows) and the rows rejected in a cascade."""
        return problem_summary(self.errors)


class _Collector:
    """Failures of one table. Messages are formatted only for failing rows (`{v}` = the value),
    so checking ten million clean rows costs no string work."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.items: list[tuple[np.ndarray, str, np.ndarray, list | None]] = []

    def add(
        self, mask: object, column: str, fmt: str, values: object = None, facts: object = None
    ) -> None:
        """`values`, `facts` (per row, a dict merged into its error): an Arrow or numpy column,
        or a Series indexed by row position holding at least the failing rows."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        if values is None:
            msgs = np.array([fmt] * len(idx), dtype=object)
        else:
            msgs = np.array([fmt.format(v=v) for v in C.pick(values, idx)], dtype=object)
        self.items.append((idx, column, msgs, None if facts is None else C.pick(facts, idx)))

    def rejected_mask(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for idx, *_ in self.items:
            out[idx] = True
        return out


class _Raw:
    """A raw table's columns as Arrow text, from a pandas frame or an Arrow table."""

    def __init__(self, raw: pd.DataFrame | pa.Table) -> None:
        self.raw = raw
        self.names = (
            [str(c) for c in raw.columns] if isinstance(raw, pd.DataFrame) else raw.column_names
        )
        self.n = len(raw) if isinstance(raw, pd.DataFrame) else raw.num_rows
        self._cols: dict[str, pa.Array] = {}

    def text(self, name: str) -> pa.Array:
        if name not in self._cols:
            if name not in self.names:
                self._cols[name] = pa.nulls(self.n, pa.string())
            elif isinstance(self.raw, pd.DataFrame):
                self._cols[name] = C.text_array(self.raw[name].to_numpy(dtype=object))
            else:  # one copy of the column, in one piece (the reader's chunks are dropped)
                self._cols[name] = arr = C.text_array(self.raw[name])
                i = self.raw.schema.get_field_index(name)
                self.raw = self.raw.set_column(i, name, arr)
        return self._cols[name]

    def values(self, name: str) -> np.ndarray:
        col = self.raw[name]
        return col.to_numpy() if isinstance(col, pd.Series) else col.to_numpy()

    def rows(self, keep: np.ndarray) -> pd.DataFrame:
        """The original cells of the rows in `keep`, as a frame with a fresh index."""
        if isinstance(self.raw, pd.DataFrame):
            return self.raw[keep].reset_index(drop=True)
        return self.raw.filter(pa.array(keep)).to_pandas()

    def extra(self, name: str, keep: np.ndarray) -> object:
        col = self.raw[name]
        if isinstance(col, pd.Series):
            return col.to_numpy()[keep]
        return C.to_pandas(col.combine_chunks(), keep)


def derive_found_problem(raw: _Raw, rules: Rules) -> None:
    """`found_problem` follows from `category` where it is not given (CONTRACT: true for
    corrected, pending, not_disclosed, false_disclosure, unreachable and refused)."""
    if "category" not in raw.names:
        return
    vocab = vocabulary("category", rules)

    def derived(v: object) -> str | None:
        code = vocab.get(str(v).strip().lower())
        return None if code is None else str(code in PROBLEM_CATEGORIES).lower()

    given = raw.text("found_problem")
    codes, values = C.distinct(given)
    empty = C.spread(codes, np.array([str(v).strip() == "" for v in values], bool), True)
    if empty.any():
        filled = C.map_values(raw.text("category"), derived)
        raw._cols["found_problem"] = pc.if_else(pa.array(empty), filled, given)
    if "found_problem" not in raw.names:
        raw.names = [*raw.names, "found_problem"]


def _category_failures(typed: dict[str, object], fails: _Collector) -> None:
    """A given `found_problem` that contradicts the row's category."""
    category, found = typed["category"], typed["found_problem"]
    codes, values = C.distinct(category)
    expected = C.spread(codes, [int(c in PROBLEM_CATEGORIES) for c in values], -1)
    bad = (expected >= 0) & (expected != found.astype(int))
    msg = "是否发现问题与结果类别 '{v}' 不一致 (found_problem contradicts the category)"
    fails.add(bad, "found_problem", msg, category)


class _Checked(NamedTuple):
    accepted: pd.DataFrame | Callable[[], pd.DataFrame]  # a maker when the input was Arrow
    rejected: pd.DataFrame
    errors: list[dict]
    warnings: list[dict]
    arrow: pa.Table | None  # the accepted rows as from_pandas gives them, when the input was Arrow
    table: pa.Table  # the accepted rows as Arrow (without columns kept only in pandas)


def validate_table(
    table: Table,
    raw: pd.DataFrame | pa.Table,
    rules: Rules,
    known: dict[str, object] | None = None,
    refused: dict[str, pd.Series] | None = None,
    row_rule: RowRule | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict], list[dict]]:
    """Validate one raw table; returns (accepted typed frame, rejected rows, errors, warnings).

    `raw` has English column names, string cells and a `row` column with file row numbers.
    `known` maps a referenced table to its accepted keys (entities -> usccs, inspectors -> ids);
    `refused` maps it to its rejected keys (key -> {"rows", "cause"}), so a row that refers to a
    rejected row says which row to fix instead of calling the key unknown.
    `row_rule` adds failures that need other tables (a task's items and departments).
    """
    acc, rej, errs, warns, *_ = _check(table, raw, rules, known, refused, row_rule)
    return (acc if isinstance(acc, pd.DataFrame) else acc()), rej, errs, warns


def _check(
    table: Table,
    raw: pd.DataFrame | pa.Table,
    rules: Rules,
    known: dict[str, object] | None,
    refused: dict[str, pd.Series] | None,
    row_rule: RowRule | None,
) -> _Checked:
    """`validate_table`, also giving the accepted rows as Arrow (for the validated cache)."""
    src = _Raw(raw)
    del raw  # a table given away by `validate_tables(release=True)` lives on only in `src`
    if table.name == "inspections":
        derive_found_problem(src, rules)
    missing = [c for c in table.required_columns if c not in src.names]
    if missing:
        col = table.column(missing[0])
        raise SchemaError(
            f"缺少必填列 '{col.name}'（{col.label}） (required column '{col.name}' is missing)",
            table.name,
            col.name,
        )
    today = pd.Timestamp(rules.today or clock.today())
    fails = _Collector(src.n)
    warnings: list[dict] = []
    rows = src.values(ROW)
    typed: dict[str, object] = {}
    for c in table.columns:
        col = C.clean(src.text(c.name), "upper" if c.kind == "uscc" else None)
        typed[c.name] = check_column(c, col, table, rules, today, fails, warnings, rows)

    for earlier, later in table.date_order:  # e.g. a record repaired before it was decided
        first, then = table.column(earlier), table.column(later)
        fails.add(
            typed[later] < typed[earlier],
            later,
            f"{then.label} '{{v}}' 早于{first.label} ({later} is before the row's {earlier})",
            C.clean(src.text(later)),
        )
    for key in table.key:
        keys.duplicate_failures(table, key, typed, rows, fails)
    for col_name, target in table.references.items():
        if known is not None and target in known:
            keys.reference_failures(table, col_name, target, typed, known[target], refused, fails)
    if "category" in typed and "found_problem" in typed:
        _category_failures(typed, fails)

    extra = [c for c in src.names if c not in typed and c != ROW]
    if row_rule is not None:
        typed_df = pd.DataFrame({n: C.to_pandas(v) for n, v in typed.items()})
        for c in extra:
            typed_df[c] = src.extra(c, np.ones(src.n, bool))
        for mask, column, msgs in row_rule(typed_df):
            fails.add(mask, column, "{v}", msgs)
    rejected_mask = fails.rejected_mask()
    errors, reasons = _errors(table, fails, rows, src)
    rejected = src.rows(rejected_mask)
    rejected[REASON] = ["; ".join(reasons[i]) for i in np.flatnonzero(rejected_mask)]
    rejected = rejected[[ROW] + [c for c in rejected.columns if c != ROW]]
    keep = ~rejected_mask
    if "status" in typed:
        typed["status"] = pc.fill_null(typed["status"], "active")
    arrow_extra = isinstance(src.raw, pa.Table)
    if arrow_extra:
        typed.update({c: src.raw[c].combine_chunks() for c in extra})
        extras = {}
    else:
        extras = {c: src.extra(c, keep) for c in extra}
    del src  # the raw text: freed before the accepted cells are made
    table, arrow = C.accepted(typed, keep)
    if arrow_extra:  # the frame is made when first asked for (`tiered validate` never asks)
        return _Checked(partial(_frame, table), rejected, errors, warnings, arrow, table)
    frame = _frame(table)
    for c, values in extras.items():
        frame[c] = values
    return _Checked(frame, rejected, errors, warnings, None, table)


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(split_blocks=True)


class Accepted(LazyFrames):
    """A report's accepted tables by name, in the order they were put; a table checked from
    Arrow becomes a pandas frame only when first asked for (`pending` hands the makers on)."""

    def __init__(self) -> None:
        super().__init__()
        self._order: list[str] = []

    def put(self, name: str, table: pd.DataFrame | Callable[[], pd.DataFrame]) -> None:
        self._order.append(name)
        if isinstance(table, pd.DataFrame):
            self[name] = table
        else:
            self._makers[name] = table

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


def _errors(
    table: Table, fails: _Collector, rows: np.ndarray, src: _Raw
) -> tuple[list[dict], dict[int, list[str]]]:
    """The errors of the failing rows (sorted by row, column) and each row's reasons."""
    errors: list[dict] = []
    reasons: dict[int, list[str]] = {}
    files = src.values("file") if "file" in src.names else None  # table spans several files
    for idx, column, msgs, facts in fails.items:
        more = [None] * len(idx) if facts is None else facts
        for i, m, f in zip(idx, msgs, more, strict=True):
            e = {"table": table.name, "row": int(rows[i]), "column": column, "message": str(m)}
            if files is not None:
                e["file"] = str(files[i])
            if f:
                e.update(f)
            errors.append(e)
            reasons.setdefault(int(i), []).append(f"{column}: {m}")
    errors.sort(key=lambda e: (e["row"], e["column"]))
    return errors, reasons


def validate_tables(
    raw: dict[str, pd.DataFrame | pa.Table], rules: Rules, release: bool = False
) -> Report:
    """Validate all present tables in reference order (entities and inspectors first).

    `release`: take each raw table out of `raw` as it is checked, so that its memory is freed
    once checked (a million-entity directory's text is a gigabyte)."""
    tables = Accepted()
    arrow_tables: dict[str, pa.Table] = {}
    rejected: dict[str, pd.DataFrame] = {}
    counts: dict[str, dict[str, int]] = {}
    errors: list[dict] = []
    warnings: list[dict] = []
    known: dict[str, pa.Array] = {}
    refused: dict[str, pd.Series] = {}
    arrow: dict[str, pa.Table | None] = {}
    for name in TABLE_ORDER:
        if name not in raw:
            continue
        spec = TABLES[name]
        rule = _tasks_rule(tables, arrow_tables) if name == "tasks" else None
        rows = len(raw[name])
        acc, rej, errs, warns, arrow[name], table = _check(
            spec, raw.pop(name) if release else raw[name], rules, known, refused, rule
        )
        tables.put(name, acc)
        arrow_tables[name] = table
        rejected[name] = rej
        counts[name] = {"rows": rows, "accepted": table.num_rows, "rejected": len(rej)}
        errors.extend(errs)
        warnings.extend(warns)
        if spec.key:
            known[name] = C.text_array(table.column(spec.key[0]))
            refused[name] = keys.refused_keys(spec, rej, errs, known[name])
    return Report(tables, rejected, counts, errors, warnings, arrow)


def _tasks_rule(tables: Accepted, arrow: dict[str, pa.Table]) -> RowRule:
    """A task row's rules over the accepted item list, inspectors and entities (of those only
    the codes and regions: no frame of a million entities is made for them)."""
    from tables.tasks import task_failures

    def rule(typed: pd.DataFrame) -> list[Failure]:
        ent = arrow.get("entities")
        entities = None
        if ent is not None:  # codes stay in Arrow (looked up, not listed); regions are few
            entities = pd.DataFrame(
                {
                    "uscc": pd.Series(ent["uscc"], dtype=pd.ArrowDtype(pa.string())),
                    "region": ent["region"].to_pandas(),
                }
            )
        return task_failures(typed, tables.get("items"), tables.get("inspectors"), entities)

    return rule
