"""Each page renders for its role on the small demo workspace, and does its job."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from app_support import modelinfo
from tables import clock
from tiered.ledger import chain as ledger

from .conftest import page_test, texts


def test_leader_overview(app_env):
    at = page_test("app_pages/leader.py", "leader").run()
    assert not at.exception, at.exception
    said = texts(at)
    for heading in (
        "风险等级分布",
        "信用分分布",
        "行业 × 区县",
        "月度趋势",
        "问题发现率",
        "抽查完成情况",
    ):
        assert heading in said
    # issue 16: no workspace path or model jargon for the leader; months drawn count history
    assert "问题概率来源" not in said and str(app_env) not in said
    done = next(m for m in at.metric if m.label == "已完成抽签月份")
    assert int(done.value.split(" / ")[0]) >= clock.today().month - 1
    tiers = [m for m in at.metric if m.label.startswith(("A ", "B ", "C ", "D "))]
    total = sum(int(m.value.replace(",", "")) for m in tiers)
    assert total == len(
        pd.read_csv(app_env / "entities.csv")[lambda d: d.status.fillna("active") == "active"]
    )


def test_leader_english(app_env):
    at = page_test("app_pages/leader.py", "leader", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "Tier mix" in texts(at)


def test_analyst_shows_prior_risk_source_on_thin_history(app_env):
    at = page_test("app_pages/analyst.py", "analyst").run()
    assert not at.exception, at.exception
    said = texts(at)
    # 1,500 entities have ~180 past inspections: fewer than model.min_inspections (200)
    assert modelinfo.source_label("prior", "zh") in said and "历史检查不足" in said
    assert "训练检查次数" not in {m.label for m in at.metric}


def test_analyst_shows_model_figures(app_env, tmp_path, monkeypatch):
    """A copy of the workspace whose config lets the model train: its figures appear."""
    from tiered.workspace import load_workspace

    ws_path = tmp_path / "ws"
    shutil.copytree(app_env, ws_path, ignore=shutil.ignore_patterns("out", "*.sqlite*"))
    (ws_path / "config.yaml").write_text(
        "model:\n  min_inspections: 50\n  min_positives: 5\n  require_better: false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TIERED_WORKSPACE", str(ws_path))
    at = page_test("app_pages/analyst.py", "analyst").run()
    assert not at.exception, at.exception
    said = texts(at)
    assert modelinfo.source_label("model", "zh") in said
    info = modelinfo.model_info(
        load_workspace(ws_path), pd.Timestamp(clock.today().replace(day=1)), "model"
    )
    assert info.trained and info.used
    labels = {m.label: m.value for m in at.metric}
    assert labels["训练检查次数"] == f"{info.inspections:,}"
    assert f"模型训练窗口：{info.first} 至 {info.last}" in said
    assert float(labels["模型 AUC（留出）"]) == pytest.approx(info.model_auc, abs=1e-3)
    assert float(labels["信用分 AUC（同一留出）"]) == pytest.approx(info.composite_auc, abs=1e-3)
    lead = page_test("app_pages/leader.py", "leader").run()
    assert not lead.exception, lead.exception
    assert "学习模型" not in texts(lead)  # model terms stay on the analyst's page


def test_analyst_threshold_change_updates_mix_and_saves_version(app_env):
    at = page_test("app_pages/analyst.py", "analyst").run()
    assert not at.exception, at.exception
    before = {m.label: m.value for m in at.metric}
    a_before = int(before["A 信用风险低"].replace(",", ""))
    at.number_input(key="th_a").set_value(900.0).run()
    after = {m.label: m.value for m in at.metric}
    assert int(after["A 信用风险低"].replace(",", "")) < a_before
    assert "PSI" in " ".join(after)
    # saving needs a reason
    at.text_area[0].input("")
    at.button[-1].click().run()
    assert any("原因" in e.value for e in at.error)
    n = len(ledger.entries(app_env))
    at.text_area[0].input("收紧A级门槛，减少低风险豁免")
    at.button[-1].click().run()
    assert not at.exception, at.exception
    kinds = [e.kind for e in ledger.entries(app_env)[n:]]
    assert kinds == ["config_change", "score_run"]
    assert "a: 900.0" in (app_env / "config.yaml").read_text(encoding="utf-8")
    assert ledger.audit(app_env).ok
    # issue 17 item 5: the reason box is empty after a save, and the next change cannot reuse
    # the previous reason: saving it without a new one is refused
    assert at.text_area(key="save_reason").value == ""
    n = len(ledger.entries(app_env))
    at.number_input(key="th_a").set_value(880.0).run()
    at.button[-1].click().run()
    assert any("原因" in e.value for e in at.error)
    assert len(ledger.entries(app_env)) == n


def test_data_page_report_and_rejected_download(app_env):
    at = page_test("app_pages/data.py", "staff").run()
    assert not at.exception, at.exception
    assert "校验报告" in texts(at)
    assert "所有行均通过校验" in texts(at)


def test_accounts_page_adds_and_removes_user(app_env):
    at = page_test("app_pages/accounts.py", "admin").run()
    assert not at.exception, at.exception
    at.text_input(key="new_name").input("clerk2")
    at.text_input(key="new_pw").input("secret99")
    at.multiselect(key="new_roles").select("staff")
    at.button[0].click().run()
    assert not at.exception, at.exception
    from app_support import bootstrap
    from app_support.accounts import AccountStore

    store = AccountStore(bootstrap.accounts_path())
    assert store.verify("clerk2", "secret99").roles == ("staff",)
    store.remove("clerk2")
    assert store.get("clerk2") is None


def test_settings_audit(app_env):
    at = page_test("app_pages/settings.py", "admin").run()
    assert not at.exception, at.exception
    at.button(key="audit").click().run()
    assert any("账本完整" in s.value for s in at.success)
    table = at.dataframe[0].value  # the ledger: time in Beijing time, kinds in Chinese
    assert list(table.columns) == ["#", "时间（北京时间）", "操作人", "操作", "原因", "内容"]
    assert "信用评分" in set(table["操作"]) and "score_run" not in set(table["操作"])
    first = ledger.entries(app_env)[-1]
    utc = dt.datetime.fromisoformat(first.time.replace("Z", "+00:00"))
    shown = table.loc[table["#"] == first.seq, "时间（北京时间）"].iloc[0]
    assert shown == (utc + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def test_backtest_page_runs(app_env):
    at = page_test("app_pages/backtest.py", "analyst").run()
    assert not at.exception, at.exception
    at.text_input(key="bt_from").input("2026-01")
    at.text_input(key="bt_to").input("2026-10")
    at.button(key="bt_run").click().run()
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    assert "AUC" in labels and "分级随机 发现率" in labels
    assert int(labels["月数"]) >= 1
    assert "各等级实际问题发现率" in texts(at)
    tiers = at.dataframe[0].value
    assert list(tiers.columns) == ["风险等级", "问题发现率"]
    assert tiers["风险等级"].tolist()[0] == "A 信用风险低"
    per_month = at.dataframe[1].value
    assert {"月份", "检查次数", "问题概率来源"} <= set(per_month.columns)
    assert not any(c.endswith("_hits") for c in per_month.columns)


def test_backtest_bad_month_is_one_error(app_env):
    at = page_test("app_pages/backtest.py", "analyst").run()
    at.text_input(key="bt_from").input("last year")
    at.button(key="bt_run").click().run()
    assert not at.exception
    assert len(at.error) == 1


def test_analyst_rate_proposal_and_apply(app_env, tmp_path, monkeypatch):
    """The proposal sits beside today's rates with the gain; applying needs a reason and writes
    a ledgered config version."""
    ws_path = tmp_path / "ws"
    shutil.copytree(app_env, ws_path, ignore=shutil.ignore_patterns("out", "*.sqlite*"))
    monkeypatch.setenv("TIERED_WORKSPACE", str(ws_path))
    at = page_test("app_pages/analyst.py", "analyst").run()
    assert not at.exception, at.exception
    assert "抽查比例优化建议" in texts(at)
    labels = {m.label: m.value for m in at.metric}
    assert labels["同等预算下的提升"].startswith("×")
    table = next(d.value for d in at.dataframe if "建议年比例" in d.value.columns)
    assert {"现行年比例", "每月检查", "每年预计发现问题", "区间半宽", "来源"} <= set(table.columns)
    apply = next(b for b in at.button if b.label == "应用建议比例")
    apply.click().run()
    assert any("原因" in e.value for e in at.error)
    at.text_input(key="opt_reason").input("按优化建议调整抽查比例")
    next(b for b in at.button if b.label == "应用建议比例").click().run()
    assert not at.exception, at.exception
    entry = [e for e in ledger.entries(ws_path) if e.kind == "config_change"][-1]
    assert entry.payload["reason"] == "按优化建议调整抽查比例"
    assert "stratum_rates" in (ws_path / "config.yaml").read_text(encoding="utf-8")
