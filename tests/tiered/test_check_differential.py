"""Validation on Arrow columns equals validation as it was (tests/support/check_before.py), on
demo tables full of bad cells: the same accepted frames (values and dtypes), rejected rows,
errors and warnings. And the Arrow CSV reader reads the cells pandas reads, or declines."""

from __future__ import annotations

import datetime as dt
import io
import random

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tables import read as bounded
from tables import uscc
from tables.check import Rules, validate_tables
from tables.spec import TABLES
from tests.support import check_before
from tiered.workspace import _read_csv, read_raw, read_table

BAD = [
    "",
    " ",
    "  x  ",
    "2024-13-01",
    "2024/1/5",
    "2024年1月5日",
    "20240105",
    "45292.75",
    "45292",
    "2024",
    "9999-01-01",
    "3000-02-30",
    "1600-01-01",
    "2030-01-01",
    "abc",
    "-5",
    "1,234.5",
    "inf",
    "nan",
    "1e3",
    "０１",
    "是",
    "否",
    "TRUE",
    "yes",
    "maybe",
    "a\x01b",
    "x" * 33000,
    "hd0001",
    "ＨＤ０００１",
    "HD0001 ",
    "\u3000y\u3000",
    "\x1c",
    "吊销，未注销",
    "存续（在营、开业、在册）",
    "个体",
    "A类",
    "food_drug;tax",
    "tax；other",
    "unknown;tax",
    ";",
    "91630202UR2NMWLD9J",
    "91630202ur2nmwld9j",
    "91630202UR2NMWLD9K",
    "9163020IUR2NMWLD9J",
    "123",
    "正常",
    "normal",
    "corrected",
    "未发现问题",
    "true",
    "false",
    "0",
    "1",
    "1.0",
    "2026-11-30",
    "2026-12-31",
    "2027-01-01",
    "2024-01-05T10:00",
    "2024-02-29",
    "2023-02-29",
    "  2024-01-05",
    "１２３",
    "0x10",
    "12345678901234567890123",
    "4.8",
    "-0",
    "0.1",
    "3.14159265358979323846",
    None,
]
TODAY = dt.date(2026, 11, 15)


def _mutated(ws, seed: int) -> dict[str, pd.DataFrame]:
    rng = random.Random(seed)
    out = {}
    for p in sorted(ws.glob("*.csv")):
        if p.stem == "truth":
            continue
        df = read_table(p, p.stem)
        n = len(df)
        cols = [c for c in df.columns if c != "row"]
        for _ in range(max(3, n // 40)):
            df.iat[rng.randrange(n), df.columns.get_loc(rng.choice(cols))] = rng.choice(BAD)
        if n > 5:  # identical and differing copies of some rows
            extra = df.sample(min(15, n // 3), random_state=seed)
            diff = extra.copy()
            diff.iloc[: len(diff) // 2, -1] = "changed"
            df = pd.concat([df, extra, diff], ignore_index=True)
            df = df.sample(frac=1, random_state=seed).reset_index(drop=True)
            df["row"] = range(2, len(df) + 2)
        optional = [c for c in cols if c not in TABLES[p.stem].required_columns]
        if optional and rng.random() < 0.3:
            df = df.drop(columns=[rng.choice(optional)])
        out[p.stem] = df
    return out


def _arrow(df: pd.DataFrame) -> pa.Table:
    cols = {c: pa.array(df[c].to_numpy(dtype=object), pa.string()) for c in df if c != "row"}
    return pa.table({"row": pa.array(df["row"].to_numpy(dtype="int64")), **cols})


def _same(new, old) -> None:
    assert new.counts == old.counts
    assert new.errors == old.errors
    assert new.warnings == old.warnings
    for name in old.tables:
        pd.testing.assert_frame_equal(new.tables[name], old.tables[name], check_exact=True)
        pd.testing.assert_frame_equal(new.rejected[name], old.rejected[name], check_exact=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_arrow_check_equals_the_old_check(demo_ws_session, seed: int) -> None:
    raw = _mutated(demo_ws_session, seed)
    rules = Rules(
        today=TODAY,
        accept_bad_check_digit=seed == 2,
        values={"status": {"maybe": "revoked"}} if seed == 3 else {},
    )
    old_rules = check_before.Rules(**rules.__dict__)
    old = check_before.validate_tables({k: v.copy() for k, v in raw.items()}, old_rules)
    assert old.n_rejected > 50  # the mutations did reach the checks
    _same(validate_tables({k: v.copy() for k, v in raw.items()}, rules), old)
    new = validate_tables({k: _arrow(v) for k, v in raw.items()}, rules)
    _same(new, old)
    for name, table in new.arrow.items():  # the cache is written from these: the same bytes
        assert table is not None or not len(new.tables[name])
        if table is not None:
            assert _parquet(table) == _parquet(old.tables[name]), name


def _parquet(data) -> bytes:
    buf = io.BytesIO()
    if isinstance(data, pa.Table):
        pq.write_table(data, buf, compression="snappy")
    else:
        data.to_parquet(buf, index=False)
    return buf.getvalue()


def test_arrow_csv_reading_of_the_demo_equals_pandas(demo_ws_session) -> None:
    for p in sorted(demo_ws_session.glob("*.csv")):
        if p.stem not in TABLES:
            continue
        got = read_raw(p, p.stem)
        assert isinstance(got, pa.Table)
        pd.testing.assert_frame_equal(got.to_pandas(), read_table(p, p.stem), check_exact=True)


CELL = st.text(
    alphabet=st.sampled_from(list("ab ,\"\n\r\t;\x00é中\u3000\ufeff\\#\x0b'")), max_size=6
)


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from(["uscc", "name", "x", "y y", '"q"', "", "名称"]), min_size=1, max_size=4
    ),
    body=st.lists(st.lists(CELL, min_size=0, max_size=5), max_size=6),
    sep=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "gb18030", "mixed"]),
)
def test_arrow_csv_reader_reads_what_pandas_reads(
    tmp_path, header, body, sep, bom, encoding
) -> None:
    lines = [",".join(header)] + [",".join(r) for r in body]
    if encoding == "mixed":  # one GB18030 line in a UTF-8 file, or the other way round
        data = sep.join(lines).encode("utf-8") + (sep + "中,文" + sep).encode("gb18030")
    else:
        data = (sep.join(lines) + sep).encode(encoding)
    path = tmp_path / "t.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    got = bounded.read_csv_arrow(path)
    if got is None:
        return  # declined: pandas reads it, as before
    try:
        want = _read_csv(path)
    except Exception:  # noqa: BLE001 - pandas refused a file Arrow read: that must not happen
        pytest.fail(f"Arrow read a file pandas refuses: {data!r}")
    assert list(want.columns) == got.column_names, data
    assert want.to_dict("list") == got.to_pydict(), data


def test_a_gbk_table_is_read_by_arrow_too(tmp_path) -> None:
    """A GBK export (the common case in Chinese offices) takes the fast reader, same cells."""
    path = tmp_path / "entities.csv"
    text = '统一社会信用代码,名称,行业,区域\n91630202UR2NMWLD9J,"乐都区某某""店",tax,乐都区\n'
    path.write_bytes(text.encode("gbk"))
    got = read_raw(path, "entities")
    assert isinstance(got, pa.Table)
    pd.testing.assert_frame_equal(got.to_pandas(), read_table(path, "entities"), check_exact=True)


CODE_CHARS = st.sampled_from(list(uscc.ALPHABET) + list("IOSVZaz中é ") + ["\x00"])


@settings(max_examples=300, deadline=None)
@given(
    bodies=st.lists(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17), max_size=30),
    changes=st.lists(st.tuples(st.integers(0, 17), CODE_CHARS), max_size=30),
    others=st.lists(st.one_of(st.none(), st.text(alphabet=CODE_CHARS, max_size=20)), max_size=10),
    start=st.integers(0, 5),
)
def test_arrow_uscc_check_equals_the_scalar_check(bodies, changes, others, start) -> None:
    """Valid codes, codes with one character changed, odd lengths and non-ASCII, missing."""
    codes = [b + uscc.check_char(b) for b in bodies]
    for i, (at, ch) in enumerate(changes[: len(codes)]):
        codes[i] = codes[i][:at] + ch + codes[i][at + 1 :]
    codes = codes + others
    arr = pa.array(codes, pa.string()).slice(min(start, len(codes)))
    want = [c is not None and uscc.is_valid(c) for c in arr.to_pylist()]
    assert uscc.valid_array(arr).tolist() == want
