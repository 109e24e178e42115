"""App-side logic without Streamlit: accounts, bootstrap, the what-if model, config versions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_support import bootstrap, configedit, i18n, model
from app_support.accounts import DEMO_ACCOUNTS, AccountStore
from scoring.config import ThresholdConfig
from scoring.tiers import assign_tiers
from tiered.config import load_config
from tiered.errors import UsageError
from tiered.ledger import chain as ledger

from .conftest import ROOT


def test_accounts_hash_salted_and_verify(tmp_path):
    store = AccountStore(tmp_path / "accounts.json")
    for name, (pw, roles, _) in DEMO_ACCOUNTS.items():
        assert store.verify(name, pw).roles == roles
        assert store.verify(name, pw + "x") is None
    text = (tmp_path / "accounts.json").read_text()
    assert "staff123" not in text
    rows = json.loads(text)["accounts"]
    assert len({r["salt"] for r in rows}) == len(rows)  # a salt per account
    assert store.verify("nobody", "staff123") is None


def test_accounts_rules(tmp_path):
    store = AccountStore(tmp_path / "a.json")
    with pytest.raises(UsageError):
        store.add("x y", "secret99", ("staff",))
    with pytest.raises(UsageError):
        store.add("clerk", "123", ("staff",))
    with pytest.raises(UsageError):
        store.add("clerk", "secret99", ("boss",))
    with pytest.raises(UsageError):
        store.remove("admin")  # the last admin stays
    store.add("clerk", "secret99", ("staff", "analyst"), "张三")
    store.set_password("clerk", "another1")
    assert store.verify("clerk", "secret99") is None
    assert store.verify("clerk", "another1").display_name == "张三"


def test_workspace_path_order(tmp_path, monkeypatch):
    monkeypatch.delenv("TIERED_WORKSPACE", raising=False)
    monkeypatch.setenv("TIERED_DATA_DIR", str(tmp_path / "d"))
    assert bootstrap.workspace_path() == (tmp_path / "d" / "demo", "demo")
    with pytest.raises(UsageError):
        bootstrap.choose_workspace(str(tmp_path / "missing"))
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "entities.csv").write_text("uscc,name,sector,region\n")
    bootstrap.choose_workspace(str(tmp_path / "w"))
    assert bootstrap.workspace_path() == ((tmp_path / "w").resolve(), "settings")
    monkeypatch.setenv("TIERED_WORKSPACE", str(tmp_path / "e"))
    assert bootstrap.workspace_path() == (tmp_path / "e", "env")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("TIERED_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert bootstrap.data_dir() == tmp_path / "xdg" / "tiered-supervision"


def test_first_start_creates_demo_with_progress(tmp_path, monkeypatch):
    monkeypatch.delenv("TIERED_WORKSPACE", raising=False)
    monkeypatch.setenv("TIERED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TIERED_DEMO_ENTITIES", "600")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert (tmp_path / "data" / "demo" / "entities.csv").exists()
    kinds = [e.kind for e in ledger.entries(tmp_path / "data" / "demo")]
    assert kinds == ["config_change", "score_run"]  # the config in use first, as in the CLI
    assert (tmp_path / "data" / "accounts.json").exists()
    assert at.button[0].label == "登录"


def test_first_start_progress_moves_through_every_stage(tmp_path):
    """The bar hears every stage of the demo builder and of the first score run, in order,
    rising from 0 to 1, each with a label in both languages (#16: it sat at 5% before)."""
    from tiered.analysis.scorerun import SCORE_STAGES
    from tiered.demo.build import STAGES

    heard: list[tuple[float, str]] = []
    bootstrap.create_demo(
        tmp_path / "demo", n_entities=400, seed=2, progress=lambda f, k: heard.append((f, k))
    )
    keys = [k for _, k in heard]
    assert keys == ["modules", *STAGES, "scorer", "validate", "score", "save", "done"]
    assert len(SCORE_STAGES) == 3 and SCORE_STAGES[-1] == "write"  # "write" shown as "save"
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(set(fractions)) >= 8  # it moves, not two jumps
    assert all(k in i18n.DEMO_STEPS and all(i18n.DEMO_STEPS[k]) for k in keys)


def test_sign_in_screen_loads_no_heavy_module():
    """What app.py imports before the sign-in form is drawn needs neither pandas nor scikit-learn
    (a second start waited seconds for them on a busy machine; they load in the background)."""
    import subprocess
    import sys

    code = (
        "import sys, app_pages.signin, app_pages.common, app_support.bootstrap, "
        "app_support.session, app_support.i18n; "
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'lightgbm', 'altair') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
    assert i18n.column_label("supervision", "zh") == "监管信息"  # dimensions still labelled
    assert i18n.column_label("supervision", "en") == "supervision information"


def test_retier_matches_library_and_plan():
    rng = np.random.default_rng(1)
    n = 5000
    scores = rng.uniform(300, 900, n).round(1)
    at_best = np.where(rng.random(n) < 0.05, 2, 0).astype(np.int8)
    risk = rng.uniform(0, 1, n)
    sector = rng.integers(0, 3, n).astype(np.int16)
    rates = np.array([[0.01, 0.02, 0.1, 0.3]] * 3)
    th = ThresholdConfig(700, 600, 500)
    rt = model.retier(scores, at_best, risk, sector, 3, th, rates)
    letters = assign_tiers(scores, th, at_best)
    assert (np.array(list("ABCD"))[rt.codes] == letters).all()
    assert rt.stratum_counts.sum() == n
    assert np.isclose(rt.monthly.sum(), sum(rates[0]["ABCD".index(t)] for t in letters) / 12)
    assert rt.expected_problems.sum() <= rt.monthly.sum()
    assert model.shares_psi(rt.tier_counts, rt.tier_counts) == pytest.approx(0.0)


def test_config_version_saved_and_ledgered(app_env, tmp_path):
    cfg = load_config(app_env)
    frag = configedit.fragment(cfg, thresholds={"a": cfg.scoring.thresholds.a, "b": 610.0})
    assert frag == {"scoring": {"thresholds": {"b": 610.0}}}
    with pytest.raises(UsageError):
        configedit.save_version(app_env, frag, "  ", "analyst")
    with pytest.raises(UsageError):  # thresholds out of order
        configedit.save_version(app_env, {"scoring": {"thresholds": {"c": 999.0}}}, "x", "a")
    e = configedit.save_version(app_env, frag, "测试", "analyst")
    assert e.kind == "config_change" and e.actor == "analyst"
    assert load_config(app_env).scoring.thresholds.b == 610.0
    assert ledger.audit(app_env).ok


def test_i18n_formats():
    assert i18n.fmt_int(1234567) == "1,234,567"
    assert i18n.fmt_pct(0.1234) == "12.3%"
    assert i18n.sector_label("food_drug", "zh") == "食品药品"
    assert i18n.sector_label("food_drug", "en") == "food & drugs"
    assert i18n.tier_label("D", "zh") == "D 信用风险高"


def test_entered_results_passes_every_touched_row_on():
    """Issue 17 item 6: a typed row without a date goes to the import (which rejects it with a
    reason) instead of being dropped; untouched rows stay out."""
    import pandas as pd

    from app_support.drawprep import entered_results

    edited = pd.DataFrame(
        {
            "uscc": ["A", "B", "C", "D", "E"],
            "name": ["a", "b", "c", "d", "e"],
            "date": [
                pd.Timestamp("2026-11-02"),
                pd.NaT,
                pd.Timestamp("2026-11-03"),
                pd.Timestamp("2026-11-04"),
                pd.NaT,
            ],
            "found_problem": ["是", "否", None, "no", None],
            "item": ["x", "", "", "y", None],
            "result": ["r", "", "", "s", ""],
        }
    )
    out = entered_results(edited)
    assert out["uscc"].tolist() == ["A", "B", "C", "D"]  # E was not touched
    assert out["found_problem"].tolist() == ["true", "false", "", "false"]
    assert out["date"].tolist() == ["2026-11-02", "", "2026-11-03", "2026-11-04"]


def test_model_verdicts_and_backtest_months_table():
    import pandas as pd

    from app_support import modelinfo

    base = dict(enabled=True, trained=True, as_of="2026-11-01", min_inspections=200)
    assert "关闭" in modelinfo.verdict(
        modelinfo.ModelInfo(used=False, **{**base, "enabled": False}), "zh"
    )
    thin = modelinfo.ModelInfo(used=False, **{**base, "trained": False})
    assert "200" in modelinfo.verdict(thin, "zh") and "Too few" in modelinfo.verdict(thin, "en")
    won = modelinfo.ModelInfo(used=True, model_auc=0.83, composite_auc=0.80, **base)
    assert "优于" in modelinfo.verdict(won, "zh")
    lost = modelinfo.ModelInfo(used=False, model_auc=0.78, composite_auc=0.80, **base)
    assert "未优于" in modelinfo.verdict(lost, "zh")
    forced = modelinfo.ModelInfo(used=True, model_auc=0.78, composite_auc=0.80, **base)
    assert "require_better" in modelinfo.verdict(forced, "zh")
    months = pd.DataFrame(
        {
            "month": ["2026-01", "2026-02"],
            "inspections": [60, 0],
            "uniform_hits": [2.4394, 0.0],
            "auc": [0.69514, None],
            "risk_source": ["model", ""],
        }
    )
    t = modelinfo.months_table(months, "zh")
    assert list(t.columns) == ["月份", "检查次数", "纯随机 预计发现", "AUC", "问题概率来源"]
    assert t["问题概率来源"].tolist() == ["学习模型（LightGBM，已校准）", "–"]
    assert t["纯随机 预计发现"].tolist() == [2.4, 0.0]
    assert modelinfo.source_label("composite(model not better):logistic", "zh") == (
        "信用分映射（逻辑回归），模型未优于信用分"
    )
    assert modelinfo.source_label("composite:prior", "en") == modelinfo.source_label("prior", "en")
    assert modelinfo.source_counts(months, "en") == "learned model (LightGBM, calibrated) 1 month"


def test_fmt_prob_never_hides_a_small_probability():
    assert i18n.fmt_prob(1 / 1077) == "0.093%"
    assert i18n.fmt_prob(0.0) == "0%"
    assert i18n.fmt_prob(0.0194174757) == "1.94%"
    assert i18n.fmt_prob(1.0) == "100.00%"


def test_charts_cannot_mislead():
    """No bar (and no interval) for a group under the minimum sample, a "样本过少" note instead;
    heat-map cells carry their counts and tiny groups are grey; the plan chart has a legend."""
    import pandas as pd

    from app_support import charts, model

    est = pd.DataFrame(
        {
            "level": ["overall", "tier", "tier"],
            "group": ["all", "A", "D"],
            "estimate": [0.3, 1.0, 0.5],
            "ci_low": [0.2, 0.0, 0.3],
            "ci_high": [0.4, 1.0, 0.7],
            "inspected": [40, 1, 30],
        }
    )
    spec = charts.rates_chart(est, "zh").to_dict()
    rows = next(iter(spec["datasets"].values()))
    few = {r["风险等级"]: r["few"] for r in rows}
    assert few == {"全部": False, "A 信用风险低": True, "D 信用风险高": False}
    bar, ci, note = spec["layer"]
    assert bar["mark"]["type"] == "bar" and ci["mark"]["type"] == "rule"
    assert "!datum.few" in str(bar["transform"]) and "!datum.few" in str(ci["transform"])
    assert note["mark"]["type"] == "text" and {r["note"] for r in rows} == {"", "样本过少"}
    assert model.MIN_ESTIMATE_N > 1

    heat = pd.DataFrame(
        {
            "sector": ["tax", "tax"],
            "region": ["乐都区", "平安区"],
            "count": [200, 3],
            "high": [20, 3],
            "high_share": [0.1, 1.0],
        }
    )
    hspec = charts.heat_map(heat, "zh").to_dict()
    labels = [r["label"] for d in hspec["datasets"].values() for r in d]
    assert "10% · 200" in labels and "n=3" in labels and "100% · 3" not in labels
    assert any(layer["mark"].get("color") == "#e0e0e0" for layer in hspec["layer"])

    dvp = pd.DataFrame(
        {
            "month": ["2026-01", "2026-02"],
            "drawn": [40, None],
            "source": ["history", None],
            "plan": [50.0, 50.0],
        }
    )
    dspec = charts.draws_chart(dvp, "zh").to_dict()
    legend = dspec["layer"][0]["encoding"]["color"]
    assert legend["scale"]["domain"] == ["本系统抽签", "历史检查记录", "计划"]


def test_draws_vs_plan_counts_history(tmp_path):
    import pandas as pd

    from app_support import model

    insp = pd.DataFrame(
        {
            "uscc": ["A", "B", "B", "C", "D"],
            "date": pd.to_datetime(
                ["2026-01-05", "2026-01-09", "2026-01-20", "2026-03-02", "2026-03-03"]
            ),
            "type": ["planned", "planned", "planned", "complaint", "planned"],
        }
    )
    dvp = model.draws_vs_plan(tmp_path, 2026, 10.0, insp)
    got = dict(zip(dvp["month"], dvp["drawn"], strict=True))
    assert got["2026-01"] == 2 and got["2026-03"] == 1  # entities, planned checks only
    assert pd.isna(got["2026-02"]) and (dvp["source"] == "history").sum() == 2


def test_blank_templates_read_back_with_their_chinese_headers(tmp_path):
    import io
    import zipfile

    from app_support import bootstrap
    from tables.spec import TABLES
    from tiered.workspace import read_table

    zipfile.ZipFile(io.BytesIO(bootstrap.templates_zip())).extractall(tmp_path)
    assert (tmp_path / "填表说明.txt").read_text(encoding="utf-8").count("*") >= 5
    for name, spec in TABLES.items():
        df = read_table(tmp_path / f"{name}.csv", name)
        assert {c.name for c in spec.columns} <= set(df.columns), name
