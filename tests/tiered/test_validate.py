"""`tiered validate`: formats, encodings, Chinese headers, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tables.spec import TABLES
from tests.conftest import make_uscc, run_cli, small_tables, write_tables
from tiered.workspace import load_workspace


def _chinese(df: pd.DataFrame, table: str) -> pd.DataFrame:
    labels = {c.name: c.label for c in TABLES[table].columns}
    return df.rename(columns=labels)


def test_clean_workspace_passes(small_ws: Path) -> None:
    code, out, _, err = run_cli("validate", str(small_ws), "--json")
    assert code == 0, err
    assert out["errors"] == []
    assert out["tables"]["entities"] == {"rows": 6, "accepted": 6, "rejected": 0}
    assert set(out["tables"]) == {"entities", "records", "inspections", "inspectors", "conflicts"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_with_chinese_headers(tmp_path: Path, encoding: str) -> None:
    tables = {k: _chinese(v, k) for k, v in small_tables().items()}
    ws = write_tables(tmp_path / "ws", tables, encoding=encoding)
    w = load_workspace(ws)
    assert w.report.n_rejected == 0, w.report.errors
    ent = w.tables["entities"]
    assert ent["name"].iloc[0] == "乐都区测试商店0"
    assert ent["registered_on"].iloc[0] == pd.Timestamp("2015-03-01")


def test_xlsx_and_parquet(tmp_path: Path) -> None:
    tables = small_tables()
    ws = tmp_path / "ws"
    ws.mkdir()
    _chinese(tables["entities"], "entities").to_excel(ws / "entities.xlsx", index=False)
    ins = tables["inspections"].copy()
    ins["date"] = pd.to_datetime(ins["date"])
    ins["found_problem"] = ins["found_problem"] == "true"
    ins.to_parquet(ws / "inspections.parquet")
    w = load_workspace(ws)
    assert w.report.n_rejected == 0, w.report.errors
    assert w.tables["inspections"]["found_problem"].tolist() == [True, False]
    assert len(w.tables["entities"]) == 6


def test_registry_export_type_and_status_strings(tmp_path: Path) -> None:
    """A registry export's free-form 企业类型 and 登记状态 (full-width punctuation too) map to the
    contract's codes; a value no rule covers is still rejected, naming row and column."""
    tables = small_tables()
    tables["entities"]["entity_type"] = [
        "有限责任公司（自然人投资或控股）",
        "个人独资企业",
        "个体工商户",
        "农民专业合作社",
        "股份有限公司分公司",
        "事业单位",
    ]
    tables["entities"]["status"] = [
        "存续（在营、开业、在册）",
        "吊销，未注销",
        "吊销，已注销",
        "注销",
        "迁出",
        "在业",
    ]
    w = load_workspace(write_tables(tmp_path / "ws", tables, encoding="gbk"))
    ent = w.tables["entities"]
    assert ent["entity_type"].tolist() == [
        "enterprise",
        "enterprise",
        "individual",
        "cooperative",
        "enterprise",
    ]
    assert ent["status"].tolist() == [
        "active",
        "revoked",
        "deregistered",
        "deregistered",
        "deregistered",
    ]
    [err] = w.report.errors
    assert (err["table"], err["row"], err["column"]) == ("entities", 7, "entity_type")
    assert "事业单位" in err["message"]


def test_config_values_map_a_citys_own_spellings(tmp_path: Path) -> None:
    """`values` in config maps a city's own sector spellings (industry names, codes) to the
    contract's codes; a mapping to an unknown code is a config error (exit 2) naming the key."""
    tables = small_tables()
    tables["entities"]["sector"] = ["餐饮服务", "H62", "餐饮服务", "建筑业", "H62", "food_drug"]
    ws = write_tables(tmp_path / "ws", tables)
    (ws / "config.yaml").write_text(
        "values:\n  sector:\n    餐饮服务: food_drug\n    h62: food_drug\n"
        "    建筑业: construction\n",
        encoding="utf-8",
    )
    w = load_workspace(ws)
    assert w.report.n_rejected == 0, w.report.errors
    assert (
        w.tables["entities"]["sector"].tolist()
        == ["food_drug"] * 3 + ["construction"] + ["food_drug"] * 2
    )
    (ws / "config.yaml").write_text("values:\n  sector:\n    餐饮服务: restaurants\n", "utf-8")
    code, _, out, err = run_cli("validate", str(ws), check_json=False)
    assert code == 2 and "values.sector.餐饮服务" in out + err and "Traceback" not in out + err


def test_date_and_boolean_spellings(tmp_path: Path) -> None:
    tables = small_tables()
    tables["entities"]["registered_on"] = [
        "2024-01-05",
        "2024/1/5",
        "2024年1月5日",
        "20240105",
        "45296",
        "2024-01-05 00:00:00",
    ]
    tables["inspections"]["found_problem"] = ["是", "否"]
    w = load_workspace(write_tables(tmp_path / "ws", tables))
    assert w.report.n_rejected == 0, w.report.errors
    assert set(w.tables["entities"]["registered_on"]) == {pd.Timestamp("2024-01-05")}
    assert w.tables["inspections"]["found_problem"].tolist() == [True, False]


BAD_CASES = {
    # name: (table, column, bad value or mutation, expected words in the message)
    "check_digit": (
        "entities",
        "uscc",
        lambda df: df.assign(
            uscc=[df.uscc[0][:-1] + ("0" if df.uscc[0][-1] != "0" else "1")] + list(df.uscc[1:])
        ),
        "校验位",
    ),
    "missing_required": (
        "entities",
        "name",
        lambda df: df.assign(name=[""] + list(df.name[1:])),
        "必填",
    ),
    "bad_sector": (
        "entities",
        "sector",
        lambda df: df.assign(sector=["mining"] + list(df.sector[1:])),
        "mining",
    ),
    "bad_status": (
        "entities",
        "status",
        lambda df: df.assign(status=["sleeping"] + list(df.status[1:])),
        "sleeping",
    ),
    "bad_type": (
        "entities",
        "entity_type",
        lambda df: df.assign(entity_type=["robot"] + list(df.entity_type[1:])),
        "robot",
    ),
    "bad_date": (
        "entities",
        "registered_on",
        lambda df: df.assign(registered_on=["2024-13-45"] + list(df.registered_on[1:])),
        "日期",
    ),
    "future_date": (
        "records",
        "date",
        lambda df: df.assign(date=["2999-01-01", df.date[1]]),
        "未来",
    ),
    "negative_amount": ("records", "amount", lambda df: df.assign(amount=["-5", None]), "负"),
    "bad_kind": ("records", "kind", lambda df: df.assign(kind=["bribe", "tax_grade"]), "bribe"),
    "bad_severity": (
        "records",
        "severity",
        lambda df: df.assign(severity=["awful", None]),
        "awful",
    ),
    "unknown_entity": (
        "inspections",
        "uscc",
        lambda df: df.assign(uscc=[make_uscc(999), df.uscc[1]]),
        "不在",
    ),
    "unknown_inspector": (
        "conflicts",
        "inspector_id",
        lambda df: df.assign(inspector_id=["HD9999"]),
        "不在",
    ),
    "inspector_sector": (
        "inspectors",
        "sectors",
        lambda df: df.assign(sectors=["food_drug;mining"] + list(df.sectors[1:])),
        "mining",
    ),
    "bad_bool": (
        "inspections",
        "found_problem",
        lambda df: df.assign(found_problem=["maybe", "false"]),
        "maybe",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_rejected_with_row_and_column(tmp_path: Path, case: str) -> None:
    table, column, mutate, words = BAD_CASES[case]
    tables = small_tables()
    tables[table] = mutate(tables[table])
    ws = write_tables(tmp_path / "ws", tables)
    code, out, _, _ = run_cli("validate", str(ws), "--json")
    assert code == 1
    errs = [e for e in out["errors"] if e["table"] == table]
    assert errs, out["errors"]
    assert errs[0]["row"] == 2 and errs[0]["column"] == column
    assert words in errs[0]["message"]
    for t, c in out["tables"].items():
        assert c["rows"] == c["accepted"] + c["rejected"], t
    rejected = pd.read_csv(ws / "out" / "rejected" / f"{table}.csv", dtype=str)
    assert rejected["row"].tolist()[0] == "2"
    assert words in rejected["reason"].iloc[0]


def test_duplicates_are_order_independent(tmp_path: Path) -> None:
    tables = small_tables()
    ent = tables["entities"]
    dup_same = ent.iloc[[0]]
    dup_diff = ent.iloc[[1]].assign(name="另一个名字")
    tables["entities"] = pd.concat([ent, dup_same, dup_diff], ignore_index=True)
    w1 = load_workspace(write_tables(tmp_path / "a", tables))
    tables["entities"] = tables["entities"].iloc[::-1]
    w2 = load_workspace(write_tables(tmp_path / "b", tables))
    for w in (w1, w2):
        assert w.report.counts["entities"] == {"rows": 8, "accepted": 5, "rejected": 3}
        assert sorted(w.tables["entities"]["uscc"]) == sorted(set(ent.uscc) - {ent.uscc[1]})
    # rejecting an entity rejects the rows that refer to it, saying so
    assert w1.report.counts["records"]["rejected"] == 1


def test_human_output_names_row_and_column(tmp_path: Path) -> None:
    tables = small_tables()
    tables["records"] = BAD_CASES["negative_amount"][2](tables["records"])
    code, _, out, err = run_cli("validate", str(write_tables(tmp_path / "ws", tables)))
    assert code == 1
    assert "records.csv 第2行 列 amount" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    "breakage,words",
    [
        ("no_entities", "entities"),
        ("missing_column", "sector"),
        ("unreadable", "无法读取"),
        ("config_unknown_key", "sampling.no_such_key"),
        ("config_wrong_type", "identifiers.check_digit"),
        ("config_broken_yaml", "config.yaml"),
    ],
)
def test_unusable_input_is_one_line_exit_2(tmp_path: Path, breakage: str, words: str) -> None:
    tables = small_tables()
    ws = tmp_path / "ws"
    if breakage == "no_entities":
        del tables["entities"]
    if breakage == "missing_column":
        tables["entities"] = tables["entities"].drop(columns="sector")
    write_tables(ws, tables)
    if breakage == "unreadable":
        (ws / "entities.csv").unlink()
        (ws / "entities.xlsx").write_bytes(b"this is not a spreadsheet")
    if breakage == "config_unknown_key":
        (ws / "config.yaml").write_text("sampling:\n  no_such_key: 1\n")
    if breakage == "config_wrong_type":
        (ws / "config.yaml").write_text("identifiers:\n  check_digit: maybe\n")
    if breakage == "config_broken_yaml":
        (ws / "config.yaml").write_text("sampling: [unclosed\n")
    code, _, out, err = run_cli("validate", str(ws))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert words in err
    assert "Traceback" not in err
    code, payload, _, _ = run_cli("validate", str(ws), "--json")
    assert code == 2 and words in payload["error"]


def test_check_digit_switch(tmp_path: Path) -> None:
    tables = small_tables()
    tables["entities"].loc[0, "uscc"] = "LICENSE-0001"
    tables["records"].loc[0, "uscc"] = "LICENSE-0001"
    tables["inspections"].loc[0, "uscc"] = "LICENSE-0001"
    ws = write_tables(tmp_path / "ws", tables)
    assert load_workspace(ws).report.counts["entities"]["rejected"] == 1
    (ws / "config.yaml").write_text("identifiers:\n  check_digit: false\n")
    w = load_workspace(ws)
    assert w.report.n_rejected == 0
    assert not (ws / "out" / "rejected" / "entities.csv").exists()  # stale report removed


def test_accept_bad_check_digit_warns(tmp_path: Path) -> None:
    tables = small_tables()
    good = tables["entities"].loc[0, "uscc"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    tables["entities"].loc[0, "uscc"] = bad
    tables["records"].loc[0, "uscc"] = bad
    tables["inspections"].loc[0, "uscc"] = bad
    ws = write_tables(tmp_path / "ws", tables)
    (ws / "config.yaml").write_text("identifiers:\n  accept_bad_check_digit: true\n")
    code, out, _, _ = run_cli("validate", str(ws), "--json")
    assert code == 0
    assert out["warnings"] and out["warnings"][0]["row"] == 2


def test_validated_cache_follows_every_input(tmp_path: Path) -> None:
    import datetime as dt

    ws = write_tables(tmp_path / "ws", small_tables())
    first = load_workspace(ws)
    assert first.report.n_rejected == 0
    cached = load_workspace(ws)  # served from out/cache
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], cached.tables[name])
    # an edited input file is validated afresh
    recs = pd.read_csv(ws / "records.csv", dtype=str)
    recs.loc[0, "amount"] = "-1"
    recs.to_csv(ws / "records.csv", index=False)
    assert load_workspace(ws).report.counts["records"]["rejected"] == 1
    # so is a changed config, and a different day (a future date may have become past)
    (ws / "config.yaml").write_text("identifiers:\n  check_digit: false\n")
    assert load_workspace(ws).report.counts["records"]["rejected"] == 1
    recs.loc[0, "amount"] = "5"
    recs.loc[0, "date"] = "2030-01-01"
    recs.to_csv(ws / "records.csv", index=False)
    assert load_workspace(ws, today=dt.date(2029, 1, 1)).report.n_rejected == 1
    assert load_workspace(ws, today=dt.date(2031, 1, 1)).report.n_rejected == 0
    assert len(list((ws / "out" / "cache").iterdir())) == 1  # only the newest copy is kept


def test_demo_and_score_refuse_unsafe_targets_in_one_line(tmp_path: Path) -> None:
    ws = write_tables(tmp_path / "ws", small_tables())
    for args, words in [
        (("demo", str(ws)), "--force"),  # would overwrite real tables
        (("demo", str(ws / "entities.csv")), "not a folder"),
        (("demo", str(tmp_path / "new"), "--seed", "-1"), "negative"),
        (("demo", str(tmp_path / "new"), "--end", "2999-01"), "--end"),
        (("score", str(ws), "--as-of", "2026-11-01", "--out", str(tmp_path)), "--out"),
    ]:
        code, _, out, err = run_cli(*args)
        assert code == 2 and words in err, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert (ws / "entities.csv").read_text(encoding="utf-8").count("\n") == 7  # untouched
