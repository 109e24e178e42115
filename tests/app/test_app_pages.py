"""Each page renders for its role on the small demo workspace, and does its job."""

from __future__ import annotations

import pandas as pd

from tiered import ledger

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
    from tiered.appsupport import bootstrap
    from tiered.appsupport.accounts import AccountStore

    store = AccountStore(bootstrap.accounts_path())
    assert store.verify("clerk2", "secret99").roles == ("staff",)
    store.remove("clerk2")
    assert store.get("clerk2") is None


def test_settings_audit(app_env):
    at = page_test("app_pages/settings.py", "admin").run()
    assert not at.exception, at.exception
    at.button(key="audit").click().run()
    assert any("账本完整" in s.value for s in at.success)


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


def test_backtest_bad_month_is_one_error(app_env):
    at = page_test("app_pages/backtest.py", "analyst").run()
    at.text_input(key="bt_from").input("last year")
    at.button(key="bt_run").click().run()
    assert not at.exception
    assert len(at.error) == 1
