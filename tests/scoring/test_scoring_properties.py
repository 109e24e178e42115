"""Property tests of the composite score (hypothesis, small random workspaces)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import ScoringConfig
from scoring.composite import fit_risk
from tests.support.scores import score_tables

AS_OF = pd.Timestamp("2025-07-01")
N = 6
USCC = [f"U{i:02d}" for i in range(N)]
NEGATIVE = (
    "penalty",
    "abnormal_operation",
    "serious_dishonesty",
    "court_dishonest_debtor",
    "commitment_broken",
    "complaint",
    "annual_report_late",
)
POSITIVE = ("commitment_kept", "commendation")
ALL_KINDS = (*NEGATIVE, *POSITIVE, "tax_grade", "sector_rating")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENTITIES = pd.DataFrame(
    {
        "uscc": USCC,
        "name": [f"n{i}" for i in range(N)],
        "sector": "other",
        "region": ["乐都区", "乐都区", "乐都区", "平安区", "平安区", "乐都区"],
        "entity_type": [
            "enterprise",
            "individual",
            None,
            "cooperative",
            "individual",
            "enterprise",
        ],
        "registered_on": pd.to_datetime(
            ["2010-01-01", "2024-01-01", None, "2019-06-01", "2022-02-02", "2025-08-01"]
        ),
        "registered_capital": [500.0, 3.0, np.nan, 80.0, 10.0, 1000.0],
        "status": ["active", None, "active", "active", "active", "active"],
        "legal_representative": ["张三", "张三", "李四", "张三", None, "李四"],
    }
)


@st.composite
def record(draw, kinds=ALL_KINDS, lo=-1200, hi=-1):
    kind = draw(st.sampled_from(kinds))
    offset = draw(st.integers(lo, hi))
    ended = draw(st.one_of(st.none(), st.integers(1, 900)))
    date = AS_OF + pd.Timedelta(days=offset)
    return {
        "uscc": draw(st.sampled_from(USCC)),
        "kind": kind,
        "date": date,
        "severity": draw(st.sampled_from([None, "minor", "general", "serious"])),
        "amount": np.nan,
        "value": draw(st.sampled_from([None, "A", "B", "M", "C", "D"]))
        if kind in ("tax_grade", "sector_rating")
        else None,
        "ended_on": None if ended is None else date + pd.Timedelta(days=ended),
        "source": None,
    }


@st.composite
def inspection(draw, found=None):
    return {
        "uscc": draw(st.sampled_from(USCC)),
        "date": AS_OF + pd.Timedelta(days=draw(st.integers(-800, -1))),
        "found_problem": draw(st.booleans()) if found is None else found,
        "item": None,
        "result": None,
        "inspectors": None,
    }


def frame(rows: list[dict], cols: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(cols))
    for c in ("date", "ended_on"):
        if c in df:
            df[c] = pd.to_datetime(df[c])
    if "found_problem" in df:
        df["found_problem"] = df["found_problem"].astype(bool)
    return df


REC_COLS = ("uscc", "kind", "date", "severity", "amount", "value", "ended_on", "source")
INS_COLS = ("uscc", "date", "found_problem", "item", "result", "inspectors")


def run(recs: list[dict], ins: list[dict] = (), config: ScoringConfig | None = None):
    return score_tables(
        ENTITIES, frame(list(recs), REC_COLS), frame(list(ins), INS_COLS), AS_OF,
        config or ScoringConfig(),
    ).set_index("uscc")  # fmt: skip


def worse_or_equal(after: pd.DataFrame, before: pd.DataFrame) -> None:
    assert (after["score"] <= before["score"] + 1e-9).all()
    assert (after["tier"] >= before["tier"]).all()  # "A" < "B" < "C" < "D"


records_list = st.lists(record(), max_size=12)
inspections_list = st.lists(inspection(), max_size=4)


@SETTINGS
@given(records_list, inspections_list, record(kinds=NEGATIVE))
def test_one_more_negative_record_never_raises_a_score(recs, ins, extra):
    worse_or_equal(run([*recs, extra], ins), run(recs, ins))


@SETTINGS
@given(records_list, inspections_list, inspection(found=True))
def test_one_more_problem_inspection_never_raises_a_score(recs, ins, extra):
    worse_or_equal(run(recs, [*ins, extra]), run(recs, ins))


@SETTINGS
@given(records_list, inspections_list, st.one_of(record(kinds=POSITIVE), inspection(found=False)))
def test_one_more_positive_record_never_lowers_a_score(recs, ins, extra):
    after = run([*recs, extra], ins) if "kind" in extra else run(recs, [*ins, extra])
    worse_or_equal(run(recs, ins), after)


@SETTINGS
@given(records_list, inspections_list, st.lists(record(lo=0, hi=400), min_size=1, max_size=4))
def test_records_on_or_after_as_of_change_nothing(recs, ins, later):
    later_ins = [{**i, "date": AS_OF + pd.Timedelta(days=k)} for k, i in enumerate(ins)]
    pd.testing.assert_frame_equal(run([*recs, *later], [*ins, *later_ins]), run(recs, ins))


@SETTINGS
@given(records_list, inspections_list, st.lists(record(), min_size=1, max_size=4))
def test_records_ended_on_or_before_as_of_change_nothing(recs, ins, ended):
    gone = []
    for r in ended:  # ended once its repair minimum period is over (scoring.repair)
        months = repair_minimum_months(r["kind"], r["severity"])
        end = r["date"] + pd.DateOffset(months=months) + pd.Timedelta(days=5)
        if end <= AS_OF:
            gone.append({**r, "ended_on": end})
    pd.testing.assert_frame_equal(run([*recs, *gone], ins), run(recs, ins))


def repair_minimum_months(kind: str, severity: str | None) -> int:
    """The default minimum period before a repair can end a record (2025 measures)."""
    cfg = ScoringConfig()
    r = cfg.repair
    if kind in r.list_months:
        return r.list_months[kind]
    if kind not in ("penalty", "commitment_broken", "annual_report_late"):
        return 0
    sev = severity or cfg.windows.default_severity.get(kind, "general")
    return {"minor": r.minor_months, "general": r.general_months, "serious": r.serious_months}[sev]


@SETTINGS
@given(records_list, inspections_list, st.randoms(use_true_random=False))
def test_same_inputs_same_scores_whatever_the_row_order(recs, ins, rnd):
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    pd.testing.assert_frame_equal(run(shuffled, ins), run(recs, ins))


@SETTINGS
@given(records_list, inspections_list)
def test_overrides_hold(recs, ins):
    out = run(recs, ins)
    df = frame(recs, REC_COLS)
    alive = (df["date"] < AS_OF) & (df["ended_on"].isna() | (df["ended_on"] > AS_OF))
    alive &= df["date"] >= AS_OF - pd.Timedelta(days=ScoringConfig().windows.list_days)
    listed = lambda kind: set(df.loc[alive & (df["kind"] == kind), "uscc"])  # noqa: E731
    for u in listed("serious_dishonesty") & set(out.index):
        assert out.loc[u, "tier"] == "D"
    for u in (listed("abnormal_operation") | listed("court_dishonest_debtor")) & set(out.index):
        assert out.loc[u, "tier"] in ("C", "D")
    assert out["score"].between(0, 1000).all()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0, 1000), min_size=250, max_size=400),
    st.lists(st.booleans(), min_size=400, max_size=400),
    st.sampled_from(["isotonic", "logistic", "prior"]),
)
def test_risk_is_monotone_decreasing_in_score(scores, found, method):
    from dataclasses import replace

    cfg = ScoringConfig()
    cfg = replace(cfg, risk=replace(cfg.risk, method=method))
    mapping = fit_risk(np.array(scores), np.array(found[: len(scores)]), cfg)
    grid = np.linspace(-50, 1050, 500)
    r = mapping(grid)
    assert (np.diff(r) <= 1e-12).all()
    assert ((r >= 0) & (r <= 1)).all()
