"""`tiered replace`: a drawn entity that cannot be inspected is replaced by the next entity of
its stratum in the published replacement order (`public/replacements.csv`).

The order was fixed by the draw itself, so the office cannot choose the replacement: it is the
lowest-ranked entity of the stratum's order that is not already on the list or used. Each
replacement has a reason from a fixed list, gets its inspectors by the draw's own assignment
rules and seed, and is one ledger entry; all of a draw's replacements are kept in
`replacements_made.csv` beside the list, which stays as drawn (so the draw still verifies).

The replaced entity is never dropped: it stays on the list and on record with its reason; an
unreachable one (通过登记的住所无法联系) is itself a result, recorded with that category.
Estimates use the drawn sample only (see the README): a replacement's results are published
and counted as inspections, but it was drawn only because another entity was not inspected, so
it carries no design inclusion probability.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from tiered.draws.bundle import PUBLIC_DIR, REPLACEMENTS_NAME
from tiered.errors import UsageError
from tiered.files import csv_bom_bytes
from tiered.layout import Layout, Month
from tiered.ledger import vouch
from tiered.ledger.lock import writes

MADE_NAME = "replacements_made.csv"
DEPARTMENTS_MADE_NAME = "replacement_departments.csv"  # a task's: inspectors per department
DEPARTMENT_COLUMNS = ["uscc", "department", "items", "inspectors"]
REASONS = {
    "deregistered": "已注销或吊销 (deregistered or revoked since the draw)",
    "unreachable": "通过登记的住所（经营场所）无法联系 (unreachable at the registered address)",
    "recusal_leaves_too_few": "回避后执法检查人员不足 (recusals leave too few inspectors)",
    "duplicate_task": "已被其他任务抽中 (drawn by another task in the same window)",
    "out_of_scope": "不属于本次抽查范围 (outside the draw's scope, e.g. wrong sector on file)",
}
MADE_COLUMNS = [
    "seq",
    "uscc",
    "reason",
    "replacement",
    "stratum",
    "rank",
    "ticket",
    "name",
    "sector",
    "region",
    "tier",
    "inspectors",
    "replaced_at",
]


# The public copy (in public/, beside the order it follows): no names, no inspectors.
PUBLIC_MADE_COLUMNS = [
    c for c in MADE_COLUMNS if c not in ("name", "sector", "region", "tier", "inspectors")
]


@dataclass
class Replacement:
    uscc: str
    reason: str
    replacement: str
    stratum: str
    rank: int
    inspectors: str
    ledger_seq: int

    def to_dict(self) -> dict:
        return asdict(self)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def made(draw_dir: Path) -> pd.DataFrame:
    """The replacements made so far for a draw folder (MADE_COLUMNS; empty when none)."""
    path = draw_dir / MADE_NAME
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MADE_COLUMNS})
    return _read(path)


def current_list(draw_dir: Path) -> pd.DataFrame:
    """The list as drawn plus each replacement (its `replaces` column names whom it replaced),
    and `replaced_reason` on the entities that were replaced: who is to be inspected now."""
    from tiered.draws.draw import CSV_NAME

    base = _read(draw_dir / CSV_NAME)
    base["replaces"] = ""
    done = made(draw_dir)
    base["replaced_reason"] = base["uscc"].map(dict(zip(done["uscc"], done["reason"], strict=True)))
    base["replaced_reason"] = base["replaced_reason"].fillna("")
    if not len(done):
        return base
    extra = pd.DataFrame(
        {
            "uscc": done["replacement"],
            "name": done["name"],
            "sector": done["sector"],
            "region": done["region"],
            "tier": done["tier"],
            "ticket": done["ticket"],
            "inclusion_probability": "",
            "inspectors": done["inspectors"],
            "replaces": done["uscc"],
        }
    )
    extra["replaced_reason"] = extra["uscc"].map(
        dict(zip(done["uscc"], done["reason"], strict=True))
    )
    extra["replaced_reason"] = extra["replaced_reason"].fillna("")
    return pd.concat([base, extra[base.columns]], ignore_index=True)


def _inspectors_for(ws, row: dict, manifest: dict) -> tuple[str, pd.DataFrame | None]:
    """(the replacement's inspectors, by the draw's own rules, seed and config; for a task, its
    inspectors per department: uscc, department, items, inspectors)."""
    import sampling
    from sampling.config import config_from_dict
    from tiered.draws.draw import previous_inspectors
    from tiered.draws.spec import spec_of

    config = config_from_dict(manifest["sampling_config"])
    spec = spec_of(manifest)
    prev = previous_inspectors(ws, spec, manifest.get("created_at"))
    one = pd.DataFrame([row])
    one["must_inspect"] = False
    conflicts, prev = ws.table("conflicts"), prev[prev["uscc"] == row["uscc"]]
    if spec.teams is not None:  # a task: each department from its own people (as its draw)
        from tiered.tasks.teams import assign_teams

        got, detail = assign_teams(
            one,
            ws.tables["inspectors"],
            manifest["seed"],
            config.assignment,
            spec.teams,
            conflicts,
            prev,
            spec.jurisdiction,
        )
        return str(got["inspectors"].iloc[0]), detail
    assigned = sampling.assign_inspectors(
        one, ws.tables["inspectors"], manifest["seed"], config.assignment, conflicts, prev
    )
    return str(assigned["inspectors"].iloc[0]), None


def made_departments(draw_dir: Path) -> pd.DataFrame:
    """A task's replacements' inspectors per department (uscc, department, items, inspectors)."""
    path = draw_dir / DEPARTMENTS_MADE_NAME
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DEPARTMENT_COLUMNS})
    return _read(path)


@writes("replace")
def run_replace(
    ws_path: str | os.PathLike,
    uscc: str,
    reason: str,
    month: str | None = None,
    task: str | None = None,
    actor: str | None = None,
) -> Replacement:
    """`tiered replace WS --month M | --task ID --uscc X --reason CODE`."""
    from tiered.draws.commit import Subject
    from tiered.ledger import staged
    from tiered.workspace import load_workspace

    subject = Subject(month=None if month is None else str(Month.parse(month)), task=task)
    if reason not in REASONS:
        raise UsageError(
            f"替换原因无效：{reason!r}，应为 {', '.join(REASONS)} 之一 "
            f"(unknown reason; use one of {', '.join(REASONS)})"
        )
    ws = load_workspace(ws_path, write_rejected=False)
    draw_dir = Layout.of(ws.path).drawn_dir(subject.month, subject.task)
    order_path = draw_dir / PUBLIC_DIR / REPLACEMENTS_NAME
    if not order_path.is_file():
        raise UsageError(
            f"{subject} 没有公开的替补顺序 (no published replacement order: draw it first)",
            file=str(order_path),
        )
    # what the replacement follows must be what the draw wrote (as a draw reads earlier lists)
    vouch.require(
        ws.path,
        [
            p
            for p in (
                draw_dir / "manifest.json",
                draw_dir / "inspection_list.csv",
                order_path,
                draw_dir / MADE_NAME,
                draw_dir / DEPARTMENTS_MADE_NAME,
            )
            if p.is_file()
        ],
    )
    manifest = json.loads((draw_dir / "manifest.json").read_text("utf-8"))
    uscc = str(uscc).strip().upper()
    now = current_list(draw_dir)
    mine = now[now["uscc"] == uscc]
    if mine.empty:
        raise UsageError(f"{uscc} 不在 {subject} 的抽查名单中 (not on the list)")
    if mine["replaced_reason"].iloc[0]:
        raise UsageError(f"{uscc} 已被替换 (already replaced)")
    row = mine.iloc[0]
    stratum = f"{row['sector']}/{row['tier']}"
    order = _read(order_path)
    order = order[order["stratum"] == stratum].assign(rank=lambda d: d["rank"].astype(int))
    taken = set(now["uscc"])
    free = order[~order["uscc"].isin(taken)].sort_values("rank")
    if free.empty:
        raise UsageError(
            f"层 {stratum} 的替补顺序已用完 (the stratum's published replacement order is used up)"
        )
    pick = free.iloc[0]
    ent = ws.table("entities").set_index("uscc")
    info = ent.loc[pick["uscc"]] if pick["uscc"] in ent.index else pd.Series(dtype=object)
    entity = {
        "uscc": pick["uscc"],
        "name": str(info.get("name", "")),
        "sector": str(pick["sector"]),
        "region": str(info.get("region", "")),
        "tier": str(pick["tier"]),
    }
    inspectors, teams = _inspectors_for(ws, entity, manifest)
    done = made(draw_dir)
    record = {
        "seq": str(len(done) + 1),
        "uscc": uscc,
        "reason": reason,
        "replacement": pick["uscc"],
        "stratum": stratum,
        "rank": str(int(pick["rank"])),
        "ticket": pick["ticket"],
        **{k: entity[k] for k in ("name", "sector", "region", "tier")},
        "inspectors": inspectors,
        "replaced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    table = pd.concat([done, pd.DataFrame([record])], ignore_index=True)[MADE_COLUMNS]
    payload = {
        **subject.key,
        "uscc": uscc,
        "reason": reason,
        "replacement": pick["uscc"],
        "stratum": stratum,
        "rank": int(pick["rank"]),
        "inspectors": inspectors,
    }
    lay = Layout.of(ws.path)
    rel, public_rel = lay.rel(draw_dir / MADE_NAME), lay.rel(draw_dir / PUBLIC_DIR / MADE_NAME)
    files = {
        rel: csv_bom_bytes(table),
        public_rel: _exact_csv(table[PUBLIC_MADE_COLUMNS]),
    }
    if teams is not None:
        every = pd.concat([made_departments(draw_dir), teams], ignore_index=True)
        files[lay.rel(draw_dir / DEPARTMENTS_MADE_NAME)] = csv_bom_bytes(every[DEPARTMENT_COLUMNS])
        payload["departments"] = [
            [d, i] for d, i in zip(teams["department"], teams["inspectors"], strict=True)
        ]
    entry = staged.commit_files(ws.path, "replacement", payload, files, actor=actor)
    return Replacement(
        uscc, reason, pick["uscc"], stratum, int(pick["rank"]), inspectors, entry.seq
    )


def _exact_csv(table: pd.DataFrame) -> bytes:
    """Values as they are (the bundle's convention: a uscc must not be formula-escaped)."""
    text = table.to_csv(index=False, lineterminator="\r\n")
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def summary(draw_dir: Path) -> list[dict]:
    """The replacements of a draw, for the publication report."""
    done = made(draw_dir)
    return [
        {
            "uscc": r["uscc"],
            "reason": r["reason"],
            "reason_label": REASONS.get(r["reason"], r["reason"]),
            "replacement": r["replacement"],
            "stratum": r["stratum"],
            "rank": int(r["rank"]),
        }
        for r in done.to_dict("records")
    ]


__all__ = [
    "DEPARTMENTS_MADE_NAME",
    "MADE_NAME",
    "REASONS",
    "Replacement",
    "current_list",
    "made",
    "made_departments",
    "run_replace",
    "summary",
]
