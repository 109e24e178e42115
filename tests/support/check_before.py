"""The table check as it was before it ran on Arrow columns (main at 4db565e, tables/check.py),
kept as the oracle of tests/tiered/test_check_differential.py (only its parsers, moved
unchanged to tables/parse.py, are imported from there). Test-only code.

Run the table specs of `tables.spec` over raw string frames.

Every failure is collected (nothing stops at the first): a row that fails any check is rejected
with its file row number and all its reasons, and the accepted rows come back typed. Only input
that cannot be used at all (a missing required column) raises `SchemaError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tables import clock
from tables import uscc as uscc_mod
from tables.errors import SchemaError  # noqa: F401 - re-exported for callers
from tables.spec import (
    PROBLEM_CATEGORIES,
    TABLE_ORDER,
    TABLES,
    Table,
)
from tables.summary import problem_summary, rows_text

ROW = "row"  # the file row number (the header is row 1), as a clerk sees it in Excel
REASON = "reason"


from tables.parse import Rules  # noqa: E402 - the same config object as the new check

# A rule over a table's typed rows that needs more than the row: (rows, column, message per row).
Failure = tuple[np.ndarray, str, pd.Series]
RowRule = Callable[[pd.DataFrame], list[Failure]]


@dataclass
class Report:
    tables: dict[str, pd.DataFrame]
    rejected: dict[str, pd.DataFrame]
    counts: dict[str, dict[str, int]]
    errors: list[dict]
    warnings: list[dict] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        return sum(c["rejected"] for c in self.counts.values())

    @property
    def summary(self) -> dict[str, list[dict]]:
        """Duplicated keys (with all their rows) and the rows rejected in a cascade."""
        return problem_summary(self.errors)


# What a cell means (the parsers and vocabularies) was moved unchanged to tables/parse.py; the
# oracle uses it from there. What it checks against is the machinery around them.
from tables.parse import (  # noqa: E402
    VOCABULARIES,  # noqa: F401
    parse_bools,
    parse_dates,
    parse_numbers,
    vocabulary_codes,  # noqa: F401
)
from tables.parse import allowed as _allowed  # noqa: E402
from tables.parse import lookup as _lookup  # noqa: E402
from tables.parse import vocabulary as _vocabulary  # noqa: E402

# ------------------------------------------------------------------------------- validation


class _Collector:
    """Failures of one table. Messages are formatted only for failing rows (`{v}` = the value),
    so checking ten million clean rows costs no string work."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.items: list[tuple[np.ndarray, str, np.ndarray, pd.Series | None]] = []

    def add(
        self,
        mask: pd.Series | np.ndarray,
        column: str,
        fmt: str,
        values: pd.Series | None = None,
        facts: pd.Series | None = None,
    ) -> None:
        """`facts`: per row, a dict of machine-readable details merged into its error."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        if values is None:
            msgs = np.array([fmt] * len(idx), dtype=object)
        else:
            vals = values.to_numpy(dtype=object)[idx]
            msgs = np.array([fmt.format(v=v) for v in vals], dtype=object)
        self.items.append((idx, column, msgs, None if facts is None else facts.iloc[idx]))

    def rejected_mask(self) -> np.ndarray:
        out = np.zeros(len(self.index), dtype=bool)
        for idx, *_ in self.items:
            out[idx] = True
        return out


def _clean_text(s: pd.Series, case: str | None = None) -> pd.Series:
    """Strip whitespace (and fold case to "upper"/"lower" if asked); an empty cell is missing
    (None). Done in Arrow: ten million Python string calls per column would dominate reading a
    large directory."""
    values = s.to_numpy(dtype=object)
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # non-text cells (rare): the slow path
        arr = pa.array([None if v is None or v != v else str(v) for v in values], pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    if case == "upper":
        arr = pc.utf8_upper(arr)
    elif case == "lower":
        arr = pc.utf8_lower(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return pd.Series(arr.to_numpy(zero_copy_only=False), index=s.index, dtype=object)


MAX_CELL_CHARS = 32_767  # Excel's own limit: a longer cell cannot be written back to a list
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # invisible; Excel files cannot hold them


def _unusable_text(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(has a control character, longer than Excel allows) for cleaned text cells."""
    arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    ctrl = pc.fill_null(pc.match_substring_regex(arr, _CONTROL), False)
    long = pc.fill_null(pc.greater(pc.utf8_length(arr), MAX_CELL_CHARS), False)
    return ctrl.to_numpy(zero_copy_only=False), long.to_numpy(zero_copy_only=False)


def _isin(values: pd.Series, known: pd.Index) -> pd.Series:
    """`values.isin(known)` for text: an Arrow hash lookup (4.5 million records against a
    million entities in well under a second, several times faster than pandas on objects)."""
    try:
        arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        ref = pa.array(np.asarray(known, dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # non-text cells: as pandas does it
        return values.isin(known)
    hit = pc.fill_null(pc.is_in(arr, value_set=ref), False).to_numpy(zero_copy_only=False)
    return pd.Series(hit, index=values.index)


def fold_id(text: object) -> str:
    """A code as it compares (inspector ids: `hd0077`, `HD0077` and full-width `ＨＤ００７７` are
    one id): NFKC-normalised, stripped and case-folded. Every comparison of such ids uses it."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def _fold(s: pd.Series) -> pd.Series:
    """`fold_id` over a column (missing cells stay missing)."""
    return s.str.normalize("NFKC").str.strip().str.casefold().where(s.notna(), None)


def derive_found_problem(raw: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """`found_problem` follows from `category` where it is not given (CONTRACT: true for
    corrected, pending, not_disclosed, false_disclosure, unreachable and refused)."""
    if "category" not in raw.columns:
        return raw
    vocab = _vocabulary("category", rules)
    code = raw["category"].map(lambda v: None if v is None else vocab.get(str(v).strip().lower()))
    derived = code.map(lambda c: None if c is None else str(c in PROBLEM_CATEGORIES).lower())
    out = raw.copy()
    given = out["found_problem"] if "found_problem" in out else pd.Series(None, index=out.index)
    empty = given.isna() | (given.astype(str).str.strip() == "")
    out["found_problem"] = given.astype(object).where(~empty, derived)
    return out


def _category_failures(typed: dict[str, pd.Series]) -> list[Failure]:
    """A given `found_problem` that contradicts the row's category."""
    category, found = typed["category"], typed["found_problem"]
    expected = category.map(lambda c: None if c is None else c in PROBLEM_CATEGORIES)
    bad = (expected.notna() & (expected != found)).to_numpy()
    msg = "是否发现问题与结果类别 '{}' 不一致 (found_problem contradicts the category)"
    return [(bad, "found_problem", category.map(lambda c: msg.format(c)))] if bad.any() else []


def validate_table(
    table: Table,
    raw: pd.DataFrame,
    rules: Rules,
    known: dict[str, pd.Index] | None = None,
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
    original = raw
    if table.name == "inspections":
        raw = derive_found_problem(raw, rules)
    missing = [c for c in table.required_columns if c not in raw.columns]
    if missing:
        col = table.column(missing[0])
        raise SchemaError(
            f"缺少必填列 '{col.name}'（{col.label}） (required column '{col.name}' is missing)",
            table.name,
            col.name,
        )
    today = pd.Timestamp(rules.today or clock.today())
    df = raw.copy()
    for c in table.columns:
        if c.name not in df.columns:
            df[c.name] = None
    fails = _Collector(df.index)
    warnings: list[dict] = []
    typed: dict[str, pd.Series] = {}
    for c in table.columns:
        col = _clean_text(df[c.name], "upper" if c.kind == "uscc" else None)
        ctrl, long = _unusable_text(col)
        fails.add(
            ctrl,
            c.name,
            "含有不可见的控制字符，请删除后重新导入 (contains an invisible control character: "
            "remove it)",
        )
        fails.add(
            long,
            c.name,
            f"内容超过 {MAX_CELL_CHARS:,} 个字符 (longer than {MAX_CELL_CHARS:,} characters)",
        )
        if c.required:
            fails.add(
                col.isna(), c.name, f"必填项 {c.name}（{c.label}）为空 (required value missing)"
            )
        present = col.notna()
        if c.kind == "uscc":
            if rules.check_digit and table.name == "entities":
                codes = col[present].to_numpy(dtype=object)
                ok = uscc_mod.valid_mask(codes)
                bad_idx = col[present].index[~ok]
                if len(bad_idx):
                    msgs = col[bad_idx].map(uscc_mod.problem)
                    if rules.accept_bad_check_digit:
                        only_check = msgs.str.contains("校验位")
                        for i in bad_idx[only_check.to_numpy()]:
                            warnings.append(
                                {
                                    "table": table.name,
                                    "row": int(df.at[i, ROW]),
                                    "column": c.name,
                                    "message": msgs[i] + "；已按配置接受 (accepted by config)",
                                }
                            )
                        bad_idx = bad_idx[~only_check.to_numpy()]
                    fails.add(col.index.isin(bad_idx), c.name, "{v}", msgs.reindex(col.index))
        elif c.kind == "date":
            parsed, bad = parse_dates(col)
            far = pd.Series(False, index=col.index)  # beyond what datetime64 holds: "future"
            if bad.any():
                year = pd.to_numeric(col[bad].str.extract(r"^\s*(\d{4})")[0], errors="coerce")
                far[bad] = (year > today.year).to_numpy()
            fails.add(bad & ~far, c.name, "日期格式无法识别: '{v}' (malformed date)", col)
            if not c.future:
                fails.add(far, c.name, "日期在未来: '{v}' (date is in the future)", col)
                fails.add(parsed > today, c.name, "日期在未来: '{v}' (date is in the future)", col)
            else:
                fails.add(far, c.name, "日期超出范围: '{v}' (date out of range)", col)
            col = parsed
        elif c.kind == "bool":
            parsed, bad = parse_bools(col)
            fails.add(
                bad, c.name, "无法识别的是/否值: '{v}' (expected true/false, 1/0, 是/否)", col
            )
            col = parsed if c.required else parsed.where(present | (c.name != "active"), True)
        elif c.kind == "number":
            parsed, bad = parse_numbers(col)
            fails.add(bad, c.name, "不是数字: '{v}' (not a number)", col)
            fails.add(parsed < 0, c.name, "不能为负数: '{v}' (negative amount)", col)
            col = parsed
        elif c.kind == "choice":
            vocab = _vocabulary(c.vocabulary, rules)
            codes, uniques = pd.factorize(col)  # a handful of distinct values: map those
            lookup = np.array(
                [_lookup(vocab, c.vocabulary, str(u)) for u in uniques] + [None], object
            )
            mapped = pd.Series(lookup[codes], index=col.index, dtype=object)
            bad = present & mapped.isna()
            allowed = _allowed(c.vocabulary, rules)
            fails.add(
                bad, c.name, f"{c.name} 取值 '{{v}}' 不在允许列表中 (not one of: {allowed})", col
            )
            col = mapped.where(present, None)
        elif c.kind == "choices":
            vocab = _vocabulary(c.vocabulary, rules)
            allowed = _allowed(c.vocabulary, rules)

            def norm(v: object, vocab: dict = vocab) -> tuple[str | None, str | None]:
                if v is None:
                    return None, None
                parts = [p.strip() for p in re.split(r"[;；,，、]", str(v)) if p.strip()]
                codes = [vocab.get(p.lower()) for p in parts]
                unknown = [p for p, k in zip(parts, codes, strict=True) if k is None]
                if unknown or not parts:
                    return None, unknown[0] if unknown else str(v)
                return ";".join(dict.fromkeys(codes)), None

            pairs = col.map(norm)
            col = pairs.map(lambda p: p[0])
            bad_val = pairs.map(lambda p: p[1])
            fails.add(
                bad_val.notna(),
                c.name,
                f"{c.name} 含未知代码 '{{v}}' (not one of: {allowed})",
                bad_val,
            )
        typed[c.name] = col

    for earlier, later in table.date_order:  # e.g. a record repaired before it was decided
        first, then = table.column(earlier), table.column(later)
        before = (typed[later] < typed[earlier]).fillna(False).to_numpy(bool)
        fails.add(
            before,
            later,
            f"{then.label} '{{v}}' 早于{first.label} ({later} is before the row's {earlier})",
            _clean_text(df[later]),
        )

    # keys: a duplicated key is ambiguous; identical copies keep one, differing copies all go
    # (so the result never depends on row order), and each message names every row to fix
    for key in table.key:
        k = _fold(typed[key]) if table.column(key).ignore_case else typed[key]
        dup = k.notna() & k.duplicated(keep=False)
        if dup.any():
            cols = [c.name for c in table.columns]
            content = pd.DataFrame({c: typed[c] for c in cols}).astype(str)
            same = content[dup].groupby(k[dup]).transform("nunique").max(axis=1) == 1
            identical = pd.Series(False, index=df.index)
            identical[same.index] = same
            first = ~k.duplicated(keep="first")
            row_lists = df.loc[dup, ROW].groupby(k[dup]).agg(lambda r: sorted(int(x) for x in r))
            rows_of = k[dup].map(row_lists)  # only the duplicated rows: a few, even in 1M
            same_copy = dup & identical & ~first
            differ = dup & ~identical
            text = pd.Series(None, index=df.index, dtype=object)
            facts = pd.Series(None, index=df.index, dtype=object)
            for i, v, r in zip(rows_of.index, typed[key][dup], rows_of, strict=True):
                if same_copy[i]:
                    text[i] = (
                        f"重复行：与第 {r[0]} 行完全相同，已保留第 {r[0]} 行"
                        f" (an identical copy of row {r[0]}, which is kept)"
                    )
                    facts[i] = {"problem": "duplicate_row", "value": v, "rows": r}
                elif differ[i]:
                    text[i] = (
                        f"{key} '{v}' 重复：第 {rows_text(r)} 行的 {key} 相同而内容不一致，均被"
                        f"拒收；请保留正确的一行，改正或删除其余各行 (the same {key} in rows "
                        f"{', '.join(map(str, r))} with different content: all are rejected; "
                        "keep the right one, fix or delete the others)"
                    )
                    facts[i] = {"problem": "duplicate_key", "value": v, "rows": r}
            fails.add(same_copy, key, "{v}", text, facts)
            fails.add(differ, key, "{v}", text, facts)

    for col_name, target in table.references.items():
        if known is None or target not in known:
            continue
        k = typed[col_name]
        if table.column(col_name).ignore_case:  # take the referenced table's spelling
            ids = known[target]
            canon = pd.Series(ids, index=_fold(pd.Series(ids, dtype=object)).to_numpy())
            canon = canon[~canon.index.duplicated()]
            k = _fold(k).map(canon).where(lambda v: v.notna(), k)
            typed[col_name] = k
        unknown = k.notna() & ~_isin(k, known[target])  # known: a pandas Index
        what = "检查对象名录库" if target == "entities" else "执法检查人员名录库"
        gone = (refused or {}).get(target)
        if gone is not None and len(gone) and unknown.any():
            hit = unknown & k.isin(gone.index)
            unknown &= ~hit
            if hit.any():
                info = k[hit].map(gone)
                shown = pd.Series(None, index=k.index, dtype=object)
                shown[hit] = [
                    f"'{v}'（第 {rows_text(i['rows'])} 行）"
                    for v, i in zip(k[hit], info, strict=True)
                ]
                facts = pd.Series(None, index=k.index, dtype=object)
                facts[hit] = [
                    {
                        "problem": "rejected_reference",
                        "value": v,
                        "refers_to": target,
                        "refers_rows": i["rows"],
                        "cause": i["cause"],
                    }
                    for v, i in zip(k[hit], info, strict=True)
                ]
                for i, d in zip(shown[hit].index, info, strict=True):
                    why = ("因代码重复", "duplicated") if d["cause"] == "duplicate" else ("", "")
                    shown[i] += (
                        f" 在{what}中的行{why[0]}已被拒收，本行随之拒收；改正那一行即可"
                        f" (its {target} row was rejected{' as ' + why[1] if why[1] else ''},"
                        " so this row is too: fix that row)"
                    )
                fails.add(hit, col_name, "{v}", shown, facts)
        fails.add(unknown, col_name, f"'{{v}}' 不在{what}中 (unknown in {target})", k)

    if "category" in typed and "found_problem" in typed:
        for mask, column, msgs in _category_failures(typed):
            fails.add(mask, column, "{v}", msgs)

    extra = [c for c in df.columns if c not in typed and c != ROW]
    typed_df = pd.DataFrame(typed, index=df.index)
    for c in extra:
        typed_df[c] = df[c]
    if row_rule is not None:
        for mask, column, msgs in row_rule(typed_df):
            fails.add(mask, column, "{v}", msgs)
    rejected_mask = fails.rejected_mask()
    errors: list[dict] = []
    reasons: dict[int, list[str]] = {}
    rows = df[ROW].to_numpy()
    files = df["file"].to_numpy() if "file" in df.columns else None  # table spans several files
    for idx, column, msgs, facts in fails.items:
        more = [None] * len(idx) if facts is None else facts.to_list()
        for i, m, f in zip(idx, msgs, more, strict=True):
            e = {"table": table.name, "row": int(rows[i]), "column": column, "message": str(m)}
            if files is not None:
                e["file"] = str(files[i])
            if f:
                e.update(f)
            errors.append(e)
            reasons.setdefault(int(i), []).append(f"{column}: {m}")
    errors.sort(key=lambda e: (e["row"], e["column"]))
    rejected = original[rejected_mask].copy()
    rejected[REASON] = ["; ".join(reasons[i]) for i in np.flatnonzero(rejected_mask)]
    rejected = rejected[[ROW] + [c for c in rejected.columns if c != ROW]]
    accepted = typed_df[~rejected_mask].reset_index(drop=True)
    if "status" in accepted.columns:
        accepted["status"] = accepted["status"].fillna("active")
    return accepted, rejected.reset_index(drop=True), errors, warnings


def validate_tables(raw: dict[str, pd.DataFrame], rules: Rules) -> Report:
    """Validate all present tables in reference order (entities and inspectors first)."""
    tables: dict[str, pd.DataFrame] = {}
    rejected: dict[str, pd.DataFrame] = {}
    counts: dict[str, dict[str, int]] = {}
    errors: list[dict] = []
    warnings: list[dict] = []
    known: dict[str, pd.Index] = {}
    refused: dict[str, pd.Series] = {}
    for name in TABLE_ORDER:
        if name not in raw:
            continue
        spec = TABLES[name]
        rule = _tasks_rule(tables) if name == "tasks" else None
        acc, rej, errs, warns = validate_table(spec, raw[name], rules, known, refused, rule)
        tables[name], rejected[name] = acc, rej
        counts[name] = {"rows": len(raw[name]), "accepted": len(acc), "rejected": len(rej)}
        errors.extend(errs)
        warnings.extend(warns)
        if spec.key:
            known[name] = pd.Index(acc[spec.key[0]].to_numpy(dtype=object))
            refused[name] = _refused_keys(spec, rej, errs, known[name])
    return Report(tables, rejected, counts, errors, warnings)


def _refused_keys(spec: Table, rej: pd.DataFrame, errs: list[dict], ok: pd.Index) -> pd.Series:
    """Keys of a table's rejected rows that no accepted row has: key -> {rows, cause}."""
    key = spec.key[0]
    if not len(rej) or key not in rej.columns:
        return pd.Series(dtype=object)
    col = _clean_text(rej[key], "upper" if spec.column(key).kind == "uscc" else None)
    dup_rows = {e["row"] for e in errs if e.get("problem") == "duplicate_key"}
    out: dict[str, dict] = {}
    for v, r in zip(col, rej[ROW], strict=True):
        if v is None or v in ok:
            continue
        d = out.setdefault(v, {"rows": [], "cause": "invalid"})
        d["rows"].append(int(r))
        if int(r) in dup_rows:
            d["cause"] = "duplicate"
    return pd.Series(out, dtype=object)


def _tasks_rule(tables: dict[str, pd.DataFrame]) -> RowRule:
    """A task row's rules over the accepted item list, inspectors and entities."""
    from tables.tasks import task_failures

    def rule(typed: pd.DataFrame) -> list[Failure]:
        return task_failures(
            typed, tables.get("items"), tables.get("inspectors"), tables.get("entities")
        )

    return rule
