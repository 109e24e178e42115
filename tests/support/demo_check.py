"""How much signal the demo's records carry about inspection outcomes.

Later steps (score, model, backtest) promise AUC >= 0.75, a ranked lift >= 2.5 and a tiered lift
>= 1.5 on the demo; this module checks that the generator makes that possible with plain
features and a logistic regression, and that simple record-based tiers give a plausible mix.
It is an evaluation helper for tests and benchmarks, not part of the monthly workflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LIST_KINDS = ("abnormal_operation", "serious_dishonesty", "court_dishonest_debtor")
NEGATIVE_KINDS = ("penalty", "commitment_broken", "complaint", "annual_report_late", *LIST_KINDS)
GRADE_ORDER = {"A": 0, "B": 1, "M": 2, "C": 3, "D": 4}
TIERS = ("A", "B", "C", "D")


def inspection_features(tables: dict[str, pd.DataFrame], insp: pd.DataFrame) -> pd.DataFrame:
    """Per-inspection features from records and inspections dated strictly before it."""
    rec = tables["records"]
    past_insp = tables["inspections"]
    ent = tables["entities"].set_index("uscc")
    q = insp[["uscc", "date"]].reset_index(drop=True).rename(columns={"date": "at"})
    q["qid"] = np.arange(len(q))
    m = q.merge(rec, on="uscc")
    m = m[m["date"] < m["at"]]
    year = m["date"] >= m["at"] - pd.Timedelta(days=365)
    ongoing = m["ended_on"].isna() | (m["ended_on"] >= m["at"])
    cols = {}
    for sev in ("minor", "general", "serious"):
        cols[f"penalty_{sev}_1y"] = (m["kind"] == "penalty") & (m["severity"] == sev) & year
    cols["penalty_all"] = m["kind"] == "penalty"
    for k in LIST_KINDS:
        cols[f"{k}_on"] = (m["kind"] == k) & ongoing
    for k in ("complaint", "annual_report_late", "commitment_broken"):
        cols[f"{k}_1y"] = (m["kind"] == k) & year
    for k in ("commitment_kept", "commendation", "complaint"):
        cols[f"{k}_all"] = m["kind"] == k
    feat = pd.DataFrame(cols).groupby(m["qid"]).sum().reindex(q["qid"], fill_value=0)
    feat = np.log1p(feat.astype(float))
    for kind in ("tax_grade", "sector_rating"):
        g = m[m["kind"] == kind].sort_values("date").groupby("qid")["value"].last()
        g = g.map(GRADE_ORDER).reindex(q["qid"])
        feat[f"{kind}_missing"] = g.isna().astype(float).to_numpy()
        feat[f"{kind}_latest"] = g.fillna(1.0).to_numpy()
    pi = q.merge(past_insp[["uscc", "date", "found_problem"]], on="uscc")
    pi = pi[pi["date"] < pi["at"]]
    agg = pi.groupby("qid")["found_problem"].agg(["sum", "count"]).reindex(q["qid"], fill_value=0)
    feat["past_problems"] = np.log1p(agg["sum"].to_numpy().astype(float))
    feat["past_inspections"] = np.log1p(agg["count"].to_numpy().astype(float))
    e = ent.loc[q["uscc"]]
    age = (q["at"].to_numpy() - e["registered_on"].to_numpy()) / np.timedelta64(365, "D")
    feat["young"] = (age < 2).astype(float)
    feat["enterprise"] = (e["entity_type"].to_numpy() == "enterprise").astype(float)
    feat["cooperative"] = (e["entity_type"].to_numpy() == "cooperative").astype(float)
    return feat.reset_index(drop=True)


def record_tiers(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.Series:
    """A simple rule-based tier per entity as of a date (for checking the mix only):
    D on a dishonesty/abnormal list now; C a general/serious penalty or C/D tax grade in the
    last year, or three negative records; B any negative record in the last year or a B/M tax
    grade; A otherwise."""
    ent = tables["entities"]["uscc"]
    rec = tables["records"]
    rec = rec[rec["date"] < as_of]
    year = rec["date"] >= as_of - pd.Timedelta(days=365)
    ongoing = rec["ended_on"].isna() | (rec["ended_on"] >= as_of)
    on_list = rec[rec["kind"].isin(LIST_KINDS) & ongoing]["uscc"]
    neg = rec[rec["kind"].isin(NEGATIVE_KINDS) & year]
    heavy = neg[(neg["kind"] == "penalty") & neg["severity"].isin(["general", "serious"])]["uscc"]
    tax = rec[rec["kind"] == "tax_grade"].sort_values("date").groupby("uscc")["value"].last()
    n_neg = neg["uscc"].value_counts()
    tier = pd.Series("A", index=ent.to_numpy())
    tier[tier.index.isin(tax[tax.isin(["B", "M"])].index) | tier.index.isin(n_neg.index)] = "B"
    tier[
        tier.index.isin(heavy)
        | tier.index.isin(tax[tax.isin(["C", "D"])].index)
        | tier.index.isin(n_neg[n_neg >= 3].index)
    ] = "C"
    tier[tier.index.isin(on_list)] = "D"
    return tier


def tiered_hit_rate(
    tier: pd.Series, found: pd.Series, budget: float, weights: dict[str, float]
) -> float:
    """Expected hit rate of a draw with inclusion probabilities proportional to tier weights
    (capped at 1), scaled so that the expected number drawn is `budget` x frame."""
    w = tier.map(weights).to_numpy(float)
    target = budget * len(w)
    lo, hi = 0.0, 1.0 / w.min()
    for _ in range(60):
        c = (lo + hi) / 2
        lo, hi = (c, hi) if np.minimum(1, c * w).sum() < target else (lo, c)
    pi = np.minimum(1, lo * w)
    return float((pi * found.to_numpy()).sum() / pi.sum())


def signal_check(tables: dict[str, pd.DataFrame], budget: float = 0.1) -> dict:
    """Fit a logistic regression on inspections before the last 12 months, evaluate on the last
    12 months: AUC, ranked lift at `budget`, the propensity's own AUC (the ceiling), record-tier
    mix and hit rates, and the tiered lift with weights A1/B2/C10/D30 (Henan-like rates)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    insp = tables["inspections"]
    last = insp["date"].max().to_period("M")
    test_start = (last - 11).to_timestamp()
    train, test = insp[insp["date"] < test_start], insp[insp["date"] >= test_start]
    x_train, x_test = inspection_features(tables, train), inspection_features(tables, test)
    y_train, y_test = train["found_problem"].to_numpy(), test["found_problem"].to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(x_train, y_train)
    score = model.predict_proba(x_test)[:, 1]
    k = max(1, int(np.ceil(budget * len(score))))
    top = np.argsort(-score, kind="stable")[:k]
    base = y_test.mean()
    truth = tables["truth"].set_index("uscc")["propensity"]
    tier = record_tiers(tables, test_start)
    active = tables["entities"]["status"].eq("active").to_numpy()
    test_tier = tier.loc[test["uscc"]].reset_index(drop=True)
    found = pd.Series(y_test)
    tier_hits = found.groupby(test_tier).mean()
    weights = {"A": 1.0, "B": 2.0, "C": 10.0, "D": 30.0}
    return {
        "train_inspections": int(len(train)),
        "test_inspections": int(len(test)),
        "base_rate": float(base),
        "auc": float(roc_auc_score(y_test, score)),
        "oracle_auc": float(roc_auc_score(y_test, truth.loc[test["uscc"]].to_numpy())),
        "ranked_lift": float(y_test[top].mean() / base),
        "tier_mix": tier[active]
        .value_counts(normalize=True)
        .reindex(TIERS, fill_value=0)
        .round(4)
        .to_dict(),
        "tier_hit_rates": {t: float(tier_hits.get(t, np.nan)) for t in TIERS},
        "tiered_lift": float(tiered_hit_rate(test_tier, found, budget, weights) / base),
    }
