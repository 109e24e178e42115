"""As-of indicators: windows, fading, repair/expiry, lists, grades, related parties, compute_at."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from scoring import ScoringConfig, indicators, prepare

AS_OF = pd.Timestamp("2025-07-01")
CFG = ScoringConfig()


def ents(n: int = 3, lr=None, region=None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uscc": [f"E{i}" for i in range(n)],
            "name": "x",
            "sector": "other",
            "region": region or ["乐都区"] * n,
            "entity_type": ["enterprise"] + ["individual"] * (n - 1),
            "registered_on": pd.to_datetime(["2015-07-01"] + [None] * (n - 1)),
            "registered_capital": [99.0] + [np.nan] * (n - 1),
            "status": "active",
            "legal_representative": lr or [None] * n,
        }
    )


def recs(*rows: tuple) -> pd.DataFrame:
    """rows: (uscc, kind, days before AS_OF, severity, value, ended days before AS_OF or None)."""
    out = []
    for u, kind, ago, sev, val, end in rows:
        out.append(
            {
                "uscc": u,
                "kind": kind,
                "date": AS_OF - pd.Timedelta(days=ago),
                "severity": sev,
                "amount": np.nan,
                "value": val,
                "ended_on": None if end is None else AS_OF - pd.Timedelta(days=end),
                "source": None,
            }
        )
    df = pd.DataFrame(out)
    df["ended_on"] = pd.to_datetime(df["ended_on"])
    return df


def ind(records, inspections=None, config=CFG, entities=None) -> pd.DataFrame:
    e = ents() if entities is None else entities
    return indicators.compute(prepare(e, records, inspections), AS_OF, config)


def test_penalty_windows_by_severity():
    r = recs(
        ("E0", "penalty", 80, "minor", None, None),
        ("E0", "penalty", 100, "minor", None, None),  # past 3 months: gone
        ("E0", "penalty", 300, "general", None, None),
        ("E0", "penalty", 400, "general", None, None),  # past 1 year: gone
        ("E0", "penalty", 1000, "serious", None, None),
        ("E1", "penalty", 30, None, None, None),  # no severity: general by default
    )
    out = ind(r)
    assert out.loc["E0", "penalty_minor_n"] == 1
    assert out.loc["E0", "penalty_general_n"] == 1
    assert out.loc["E0", "penalty_serious_n"] == 1
    assert out.loc["E1", "penalty_general_n"] == 1
    assert out.loc["E2"].sum() == 0


def test_fading_linear_and_exponential():
    r = recs(("E0", "penalty", 0.5 * 365, "general", None, None))
    lin = ind(r).loc["E0", "penalty_general"]
    assert lin == pytest.approx(1 - 0.5 * (1 - CFG.fading.floor), abs=1e-3)
    exp_cfg = replace(CFG, fading=replace(CFG.fading, method="exponential", half_life_days=91))
    assert ind(r, config=exp_cfg).loc["E0", "penalty_general"] == pytest.approx(
        2 ** (-182.5 / 91), abs=1e-3
    )
    none_cfg = replace(CFG, fading=replace(CFG.fading, method="none"))
    assert ind(r, config=none_cfg).loc["E0", "penalty_general"] == 1.0
    newer = ind(recs(("E0", "penalty", 10, "general", None, None))).loc["E0", "penalty_general"]
    assert newer > lin


def test_ended_on_or_before_as_of_stops_counting():
    r = recs(
        # past the 3-month minimum period (see test_repair_minimum.py for earlier repairs)
        ("E0", "penalty", 120, "general", None, 0),  # repaired on the as-of date
        ("E1", "penalty", 120, "general", None, -1),  # repaired tomorrow: still counts today
        ("E2", "abnormal_operation", 300, None, None, 10),  # removed from the list
    )
    out = ind(r)
    assert out.loc["E0", "penalty_general_n"] == 0
    assert out.loc["E1", "penalty_general_n"] == 1
    assert out.loc["E2", "abnormal_operation"] == 0


def test_list_membership_active_until_removed_or_window_end():
    r = recs(
        ("E0", "serious_dishonesty", 800, "serious", None, None),
        ("E0", "serious_dishonesty", 900, "serious", None, None),
        ("E1", "court_dishonest_debtor", 1200, None, None, None),  # past list window
        ("E2", "abnormal_operation", 1, None, None, None),
    )
    out = ind(r)
    assert out.loc["E0", "serious_dishonesty"] == 1.0  # a flag, not a count
    assert out.loc["E1", "court_dishonest_debtor"] == 0.0
    assert out.loc["E2", "abnormal_operation"] == 1.0


def test_latest_grade_wins_and_old_grades_expire():
    r = recs(
        ("E0", "tax_grade", 400, None, "D", None),
        ("E0", "tax_grade", 40, None, "A", None),
        ("E1", "tax_grade", 40, None, "B", None),
        ("E1", "tax_grade", 10, None, "M", None),  # latest is M: no A-D flag
        ("E2", "sector_rating", 800, None, "AAA", None),  # older than grade_days
        ("E2", "sector_rating", 100, None, "AA", None),
    )
    out = ind(r)
    assert out.loc["E0", ["tax_grade_A", "tax_grade_D"]].tolist() == [1.0, 0.0]
    assert out.loc["E1", ["tax_grade_A", "tax_grade_B", "tax_grade_C", "tax_grade_D"]].sum() == 0
    assert out.loc["E2", "sector_rating_A"] == 1.0


def test_complaints_positive_records_and_basic_attributes():
    r = recs(
        ("E0", "complaint", 100, None, None, None),
        ("E0", "complaint", 400, None, None, None),  # older than 12 months
        ("E0", "commendation", 500, None, None, None),
        ("E0", "commitment_kept", 20, None, None, None),
        ("E1", "commitment_kept", 2000, None, None, None),  # past positive window
    )
    out = ind(r)
    assert out.loc["E0", ["complaint", "commendation", "commitment_kept"]].tolist() == [1, 1, 1]
    assert out.loc["E1", "commitment_kept"] == 0
    assert out.loc["E0", "age_years"] == pytest.approx(10.0, abs=0.01)
    assert out.loc["E0", "capital_level"] == pytest.approx(2.0)
    assert out.loc["E0", "enterprise"] == 1.0 and out.loc["E1", "enterprise"] == 0.0
    assert out.loc["E1", ["age_years", "capital_level"]].tolist() == [0.0, 0.0]


def test_past_inspections_count_and_the_as_of_day_does_not():
    ins = pd.DataFrame(
        {
            "uscc": ["E0", "E0", "E0", "E1"],
            "date": pd.to_datetime(["2025-01-01", "2024-06-01", "2025-07-01", "2025-03-01"]),
            "found_problem": [True, True, True, False],
            "item": None,
            "result": None,
            "inspectors": None,
        }
    )
    out = ind(recs(("E2", "complaint", 1, None, None, None)), ins)
    assert out.loc["E0", "inspection_problem_n"] == 2
    assert 1.0 < out.loc["E0", "inspection_problem"] < 2.0
    assert out.loc["E1", "inspection_clean"] == 1


def test_related_party_same_legal_representative_and_region():
    e = ents(
        4, lr=["张三", "张三", "张三", "李四"], region=["乐都区", "乐都区", "平安区", "乐都区"]
    )
    r = recs(("E1", "serious_dishonesty", 50, "serious", None, None))
    out = ind(r, entities=e)
    assert out["related_dishonest"].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_compute_at_matches_compute_at_each_date():
    """The vectorised many-dates path gives exactly the one-date path's values."""
    rng = np.random.default_rng(3)
    n = 30
    e = ents(n, lr=list(rng.choice(["甲", "乙", "丙", None], n)))
    kinds = ["penalty", "serious_dishonesty", "tax_grade", "complaint", "commitment_kept",
             "abnormal_operation", "annual_report_late"]  # fmt: skip
    rows = []
    for _ in range(300):
        k = str(rng.choice(kinds))
        ago = int(rng.integers(-50, 1300))
        end = None if rng.random() < 0.6 else ago - int(rng.integers(1, 500))
        sev = str(rng.choice(["minor", "general", "serious"]))
        rows.append((f"E{rng.integers(n)}", k, ago, sev, str(rng.choice(list("ABMCD"))), end))
    r = recs(*rows)
    ins = pd.DataFrame(
        {
            "uscc": [f"E{i}" for i in rng.integers(0, n, 60)],
            "date": AS_OF - pd.to_timedelta(rng.integers(0, 900, 60), unit="D"),
            "found_problem": rng.random(60) < 0.4,
            "item": None,
            "result": None,
            "inspectors": None,
        }
    )
    dates = [AS_OF - pd.Timedelta(days=d) for d in (0, 100, 400, 800)]
    pts = pd.DataFrame(
        {"uscc": np.tile(e["uscc"], len(dates)), "date": np.repeat(dates, n)}
    ).sample(frac=1.0, random_state=1)
    prep = prepare(e, r, ins)
    got = indicators.compute_at(prep, pts, CFG)
    assert got[["uscc", "date"]].reset_index(drop=True).equals(pts.reset_index(drop=True))
    for d in dates:
        want = indicators.compute(prep, d, CFG)
        sub = got[got["date"] == d].set_index("uscc").drop(columns="date").loc[want.index]
        pd.testing.assert_frame_equal(sub, want, check_dtype=False)
    assert got["related_dishonest"].sum() > 0 and got["penalty_general_n"].sum() > 0


def test_compute_at_unknown_uscc_is_a_clear_error():
    with pytest.raises(ValueError, match="not in entities"):
        indicators.compute_at(
            prepare(ents(), None, None), pd.DataFrame({"uscc": ["NOPE"], "date": [AS_OF]}), CFG
        )
