"""Credit-repair minimum periods (2025 measures, in force 2026-04-01): a general record counts at
least 3 months and a serious one at least 1 year before a repair (`ended_on`) can end it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from scoring import ScoringConfig, indicators, prepare
from tests.scoring.test_scoring_properties import (
    ENTITIES,
    NEGATIVE,
    SETTINGS,
    USCC,
    frame,
    repair_minimum_months,
    run,
)
from tests.support.scores import score_tables

CFG = ScoringConfig()
DAY = pd.Timestamp("2026-05-01")


def _recs(kind: str, severity: str | None, date: pd.Timestamp, ended: pd.Timestamp | None):
    row = {"uscc": USCC[0], "kind": kind, "date": date, "severity": severity, "amount": np.nan,
           "value": None, "ended_on": ended, "source": None}  # fmt: skip
    return frame([row], tuple(row))


def _n(records: pd.DataFrame, as_of: str, column: str, config: ScoringConfig = CFG) -> float:
    out = indicators.compute(prepare(ENTITIES, records, None), pd.Timestamp(as_of), config)
    return float(out.loc[USCC[0], column])


def test_serious_penalty_repaired_after_ten_days_counts_one_year():
    repaired = _recs("penalty", "serious", DAY, DAY + pd.Timedelta(days=10))
    never = _recs("penalty", "serious", DAY, None)
    for as_of in ("2026-06-01", "2027-04-30"):
        assert _n(repaired, as_of, "penalty_serious_n") == 1, as_of
    assert _n(repaired, "2027-05-01", "penalty_serious_n") == 0  # the minimum reached
    assert _n(never, "2027-05-01", "penalty_serious_n") == 1  # unrepaired: counts on
    # the score (the issue saw 626 -> 776 and C -> A the day after a 10-day repair)
    as_of = pd.Timestamp("2026-06-01")
    a = score_tables(ENTITIES, repaired, None, as_of, CFG).set_index("uscc")
    b = score_tables(ENTITIES, never, None, as_of, CFG).set_index("uscc")
    assert a.loc[USCC[0], "score"] == b.loc[USCC[0], "score"]
    assert a.loc[USCC[0], "tier"] == b.loc[USCC[0], "tier"]


def test_general_counts_three_calendar_months_minor_may_end_at_once():
    general = _recs("penalty", None, pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-05"))
    assert _n(general, "2026-04-29", "penalty_general_n") == 1  # no severity: general
    assert _n(general, "2026-04-30", "penalty_general_n") == 0  # Jan 31 + 3 months
    minor = _recs("penalty", "minor", DAY, DAY + pd.Timedelta(days=5))
    assert _n(minor, "2026-05-05", "penalty_minor_n") == 1
    assert _n(minor, "2026-05-06", "penalty_minor_n") == 0  # repaired: ends on its date


def test_repair_after_the_minimum_ends_the_record_on_its_date():
    r = _recs("penalty", "general", DAY, pd.Timestamp("2026-09-01"))
    assert _n(r, "2026-08-31", "penalty_general_n") == 1
    assert _n(r, "2026-09-02", "penalty_general_n") == 0
    # and the maximum (1 year for a general record) ends it at the latest
    assert _n(_recs("penalty", "general", DAY, None), "2027-05-03", "penalty_general_n") == 0


def test_serious_dishonesty_removed_early_stays_listed_a_year():
    r = _recs("serious_dishonesty", "serious", DAY, DAY + pd.Timedelta(days=30))
    assert _n(r, "2026-07-01", "serious_dishonesty") == 1
    assert _n(r, "2027-05-02", "serious_dishonesty") == 0
    removed = _recs("abnormal_operation", None, DAY, DAY + pd.Timedelta(days=30))
    assert _n(removed, "2026-07-01", "abnormal_operation") == 0  # no minimum for this list


def test_minimum_periods_are_configurable():
    off = replace(CFG, repair=replace(CFG.repair, serious_months=0, list_months={}))
    r = _recs("penalty", "serious", DAY, DAY + pd.Timedelta(days=10))
    assert _n(r, "2026-06-01", "penalty_serious_n", off) == 0
    longer = replace(CFG, repair=replace(CFG.repair, general_months=6))
    g = _recs("penalty", "general", DAY, DAY + pd.Timedelta(days=10))
    assert _n(g, "2026-10-01", "penalty_general_n", longer) == 1


@SETTINGS
@given(
    kind=st.sampled_from(NEGATIVE),
    severity=st.sampled_from([None, "minor", "general", "serious"]),
    ago=st.integers(1, 1200),
    repaired_after=st.integers(0, 900),
)
def test_an_earlier_repair_never_scores_higher_than_the_minimum_allows(
    kind, severity, ago, repaired_after
):
    as_of = pd.Timestamp("2025-07-01")  # the property module's as-of date
    date = as_of - pd.Timedelta(days=ago)
    ended = date + pd.Timedelta(days=repaired_after)
    floor = date + pd.DateOffset(months=repair_minimum_months(kind, severity))
    early = run(_recs(kind, severity, date, ended).to_dict("records"))
    at_minimum = run(_recs(kind, severity, date, max(ended, floor)).to_dict("records"))
    assert (early["score"] <= at_minimum["score"] + 1e-9).all()
    pd.testing.assert_frame_equal(early, at_minimum)
