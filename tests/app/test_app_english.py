"""English mode end to end in AppTest: signing in, drawing, and the English texts of the
data, settings, results and leader pages (QA found Chinese strings and a blocked draw)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from app_support import configedit, drawprep
from scoring.config import TIERS
from tables import clock
from tiered.config import load_config
from tiered.ledger import chain as ledger

from .conftest import ROOT, page_test, texts

MONTH = clock.today().strftime("%Y-%m")


@pytest.fixture
def own_ws(app_env, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo workspace (no draws yet), so drawing here disturbs no test."""
    ws = tmp_path / "ws"
    shutil.copytree(app_env, ws, ignore=shutil.ignore_patterns("out", "*.sqlite*", "ledger*"))
    monkeypatch.setenv("TIERED_WORKSPACE", str(ws))
    return ws


def test_english_staff_signs_in_and_draws(own_ws):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.radio[0].set_value("English").run()
    at.text_input[0].input("staff")
    at.text_input[1].input("staff123")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Monthly draw"
    at.text_input(key="draw_month").input(MONTH).run()
    at.text_input(key="draw_seed").input("3 1 4 1 5 9").run()
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]  # nothing "changed" in the rate table
    assert not at.button(key="draw_go").disabled
    at.button(key="draw_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert f"Inspection list for {MONTH}" in texts(at)
    assert (own_ws / "out" / "draws" / MONTH / "manifest.json").exists()
    # nothing saved from the rate table; the config in force is recorded as the CLI does
    changes = [e for e in ledger.entries(own_ws) if e.kind == "config_change"]
    assert len(changes) == 1 and changes[0].payload["source"] in ("defaults", "file")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rate_tables_keep_codes_in_both_languages(app_env, lang):
    cfg = load_config(app_env)
    tiers, sectors = drawprep.rate_tables(cfg, lang)
    assert list(drawprep.edited_values(tiers)) == list(TIERS)
    assert list(drawprep.edited_values(sectors)) == list(cfg.sectors)
    # an unchanged table is no change at all
    assert (
        configedit.fragment(
            cfg,
            tier_rates=drawprep.edited_values(tiers),
            sector_multipliers=drawprep.edited_values(sectors),
        )
        == {}
    )


def test_english_rate_table_saves_only_codes(own_ws):
    """Editing one rate in English and saving writes tier and sector codes only, never labels."""
    at = page_test("app_pages/draw.py", "staff", lang="en")
    at.session_state["rates_tier"] = {
        "edited_rows": {0: {drawprep.VALUE: 0.02}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, at.exception
    assert any("rate table was changed" in w.value for w in at.warning)
    assert at.button(key="draw_go").disabled
    at.text_input(key="rates_reason").input("more checks of tier A")
    at.button(key="rates_save").click().run()
    assert not at.exception, at.exception
    saved = yaml.safe_load((own_ws / "config.yaml").read_text(encoding="utf-8"))
    sampling = saved["sampling"]
    assert set(sampling["tier_rates"]) <= set(TIERS) and sampling["tier_rates"]["A"] == 0.02
    assert set(sampling.get("sector_multipliers", {})) <= set(load_config(own_ws).sectors)
    last = ledger.entries(own_ws)[-1]
    assert last.kind == "config_change" and json.dumps(last.payload["changes"]).count("risk") == 0


def test_small_rejected_results_file_can_be_downloaded(own_ws, tmp_path):
    """One rejected row makes a file under 200 bytes: the button and the reason still show."""

    from tiered.draws.draw import run_draw
    from tiered.results import import_results

    run_draw(own_ws, MONTH, "2718")
    f = tmp_path / "one.csv"
    f.write_text(
        f"uscc,date,found_problem,item\n91630202MA0000000X,{clock.today()},false,x\n",
        encoding="utf-8",
    )
    assert import_results(own_ws, MONTH, f).rejected == 1
    assert (own_ws / "out" / "rejected" / f"results-{MONTH}.csv").stat().st_size <= 200
    at = page_test("app_pages/results.py", "staff", lang="en").run()
    assert not at.exception, at.exception
    assert any(b.label == "Download rejected result rows" for b in at.get("download_button"))
    reasons = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert list(reasons.columns) == ["row", "reason"] and len(reasons) == 1
    assert "not drawn" in reasons["reason"].iloc[0]
    assert any("rejected 1 rows" in w.value for w in at.warning)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_data_page_english_table_names(app_env):
    at = page_test("app_pages/data.py", "staff", lang="en").run()
    assert not at.exception, at.exception
    box = at.selectbox(key="tbl")
    assert box.options[0] == "entities to inspect (entities)"
    assert not any(_has_chinese(o) for o in box.options)
    report = at.dataframe[0].value
    assert not any(_has_chinese(str(v)) for v in report["table"])
    zh = page_test("app_pages/data.py", "staff").run()
    assert zh.selectbox(key="tbl").options[0] == "检查对象名录库 (entities)"


def test_settings_audit_english_and_payload_json(app_env):
    at = page_test("app_pages/settings.py", "admin", lang="en").run()
    assert not at.exception, at.exception
    at.button(key="audit").click().run()
    assert not at.exception, at.exception
    said = [s.value for s in at.success]
    assert any(s.startswith("Ledger intact: ") for s in said), said
    assert not any(_has_chinese(s) for s in said)
    table = at.dataframe[0].value  # readable columns, no raw JSON or kind codes
    assert list(table.columns) == ["#", "time (Beijing)", "who", "what", "reason", "details"]
    assert "score run" in set(table["what"]) and not table["details"].str.contains("{").any()


def test_leader_marks_thin_estimates(own_ws, tmp_path):
    """With a handful of results, groups under 5 inspections say so and show the raw k/n."""
    import pandas as pd

    from app_support import model
    from tiered.draws.draw import run_draw
    from tiered.results import import_results

    run_draw(own_ws, MONTH, "1618")
    lst = pd.read_csv(own_ws / "out" / "draws" / MONTH / "inspection_list.csv", dtype=str)
    rows = lst.head(6)
    f = tmp_path / "res.csv"
    pd.DataFrame(
        {
            "uscc": rows["uscc"],
            "date": clock.today().isoformat(),
            "found_problem": ["true", "false", "true", "false", "false", "false"][: len(rows)],
            "item": "营业执照检查",
        }
    ).to_csv(f, index=False)
    assert import_results(own_ws, MONTH, f).added == len(rows) >= 3
    at = page_test("app_pages/leader.py", "leader", lang="en").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "problems / inspected" in d.value.columns)
    inspected = table["inspected"].astype(int)
    assert (inspected < model.MIN_ESTIMATE_N).any()
    for n, raw, est, lo, hi in zip(
        inspected,
        table["problems / inspected"],
        table["problem rate"],
        table["CI low"],
        table["CI high"],
        strict=True,
    ):
        assert raw.endswith(f"/{n}")
        if n < model.MIN_ESTIMATE_N:
            assert (est, lo, hi) == ("too few inspections", "–", "–")
        else:
            assert est.endswith("%") and lo.endswith("%")
    overall = table.iloc[0]
    assert overall["problems / inspected"] == f"2/{len(rows)}"
    assert "样本过少" not in texts(at)
