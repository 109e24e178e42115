"""Staff pages: preview, draw, list with inspectors, verify; results shown and published."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from app_support import bootstrap
from app_support.accounts import AccountStore
from tables import clock
from tiered.ledger import chain as ledger
from tiered.results import import_results

from .conftest import page_test, texts

TODAY = clock.today()
MONTH = TODAY.strftime("%Y-%m")


def test_draw_preview_draw_verify(app_env):
    at = page_test("app_pages/draw.py", "staff")
    # a user name unlike the OS user, so the ledger's actor can only come from the sign-in
    store = AccountStore(bootstrap.accounts_path())
    if store.get("clerk-wang") is None:  # pages re-check the account on every run
        store.add("clerk-wang", "wang-secret", ("staff",), "王")
    at.session_state["user"] = {"username": "clerk-wang", "display": "王", "roles": ["staff"]}
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="draw_month").input(MONTH).run()
    draw = at.button(key="draw_go")
    assert draw.disabled  # no seed yet
    at.text_input(key="draw_seed").input("271828").run()
    metrics = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert metrics["可抽主体"] > 0 and metrics["本月检查合计"] > 0
    at.button(key="draw_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "抽查名单" in texts(at)
    last = ledger.entries(app_env)[-1]
    assert (last.kind, last.actor, last.payload["month"]) == ("draw", "clerk-wang", MONTH)
    lst = pd.read_csv(app_env / "out" / "draws" / MONTH / "inspection_list.csv", dtype=str)
    assert len(lst) == metrics["本月检查合计"]
    assert lst["inspectors"].str.count(";").ge(1).all()  # two inspectors each
    labels = [b.label for b in at.get("download_button")]
    assert any("Excel" in x for x in labels) and any("manifest" in x for x in labels)
    assert any("公开核验包" in x for x in labels)  # the public bundle, for observers
    at.button(key="verify").click().run()
    assert any("复核通过" in s.value for s in at.success)
    assert [e.kind for e in ledger.entries(app_env)].count("draw") >= 1


def test_draw_page_refuses_bad_month(app_env):
    at = page_test("app_pages/draw.py", "staff").run()
    at.text_input(key="draw_month").input("2026-13").run()
    assert not at.exception
    assert any("YYYY-MM" in e.value for e in at.error)


def test_results_and_publish(app_env, tmp_path):
    if not (app_env / "out" / "draws" / MONTH).exists():
        test_draw_preview_draw_verify(app_env)
    lst = pd.read_csv(app_env / "out" / "draws" / MONTH / "inspection_list.csv", dtype=str)
    rows = lst.head(3)
    f = tmp_path / "res.csv"
    pd.DataFrame(
        {
            "uscc": [*rows["uscc"], "91630202MA0000000X"],
            "date": TODAY.isoformat(),
            "found_problem": ["true", "false", "true", "false"],
            "item": "营业执照检查",
            "result": ["发现问题已责令整改", "未发现问题", "发现问题已责令整改", "未发现问题"],
        }
    ).to_csv(f, index=False)
    s = import_results(app_env, MONTH, f, actor="staff")
    assert (s.added, s.rejected) == (3, 1)  # the entity that was not drawn is refused
    at = page_test("app_pages/results.py", "staff").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="res_month").value == MONTH
    editor = at.data_editor(key="res_editor").proto
    assert editor.HasField("placeholder") and editor.placeholder == ""  # empty cells, not "None"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["已录入结果"] == "3" and metrics["发现问题"] == "2"
    assert any("拒收" in b.label for b in at.get("download_button"))
    # issue 17 item 13: results are outstanding, so the page says what is missing and when
    # it falls due, and publishing needs an explicit confirmation
    outstanding = len(lst) - 3
    assert any(f"尚有 {outstanding:,} / {len(lst):,} 户未录入结果" in w.value for w in at.warning)
    cols = [c for d in at.dataframe for c in d.value.columns]
    assert "最迟公示日（20个工作日）" in cols and "最迟公示日（按月底完成检查计）" in cols
    assert at.button(key="publish").disabled
    at.checkbox(key="publish_partial").check().run()
    at.button(key="publish").click().run()
    assert not at.exception, at.exception
    assert any("已公示 3 条" in x.value for x in at.success)
    assert (app_env / "out" / "publish" / f"{MONTH}.xlsx").exists()
    # the leader now sees problem rates by tier with intervals
    lead = page_test("app_pages/leader.py", "leader").run()
    assert not lead.exception, lead.exception
    assert "尚无已录入的抽查结果" not in texts(lead)
    assert lead.dataframe  # the estimates table


def test_leader_plan_matches_draw(app_env):
    """The leader's plan line is the draw's own expectation: a month drawn as planned meets it."""
    if not (app_env / "out" / "draws" / MONTH).exists():
        test_draw_preview_draw_verify(app_env)
    lst = pd.read_csv(app_env / "out" / "draws" / MONTH / "inspection_list.csv", dtype=str)
    lead = page_test("app_pages/leader.py", "leader").run()
    assert not lead.exception, lead.exception
    plan = next(m for m in lead.metric if m.label == "全年计划（按当前比例）")
    per_month = float(plan.delta.removeprefix("每月约 ").removesuffix(" 户").replace(",", ""))
    assert abs(per_month - len(lst)) <= 1.5, (per_month, len(lst))
    assert abs(int(plan.value.replace(",", "")) - per_month * 12) <= 1


def test_draw_page_warns_of_a_far_month_like_the_cli(app_env):
    """Issue 17 item 12: the app and `tiered draw` share one rule for a month far from today."""
    from tiered.draws.draw import unusual_month

    far = (TODAY.replace(day=1) + dt.timedelta(days=200)).strftime("%Y-%m")
    at = page_test("app_pages/draw.py", "staff").run()
    at.text_input(key="draw_month").input(far).run()
    assert not at.exception, at.exception
    said = [w.value for w in at.warning]
    assert unusual_month(far) and any(unusual_month(far).split(" (")[0] in w for w in said)
    at.text_input(key="draw_month").input(MONTH).run()
    assert not any("请确认月份" in w.value for w in at.warning)
    assert unusual_month("2027-06", dt.date(2026, 12, 1)) is not None
    assert unusual_month("2027-01", dt.date(2026, 12, 1)) is None
