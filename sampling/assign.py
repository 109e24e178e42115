"""Inspector assignment, the second random of "double random".

For each drawn entity, `k` inspectors (config, default 2, never fewer than 2) are chosen from
those who are active, qualified for the entity's sector and, when config asks for it, of the
entity's region (an inspector with no region serves every region). Excluded are inspectors
with a declared conflict (回避) with the entity and the inspectors of its previous inspection.

Balance and randomness: entities are handled in ticket order; each takes the `k` eligible
inspectors with the least load so far, ties broken by a seeded pseudo-random key of
(entity, inspector). The seed is the draw seed in its own namespace ("inspectors|" + seed), so
the assignment is reproducible and independent of the list's row order, yet not predictable
before the seed is read out. Where every inspector is eligible for every entity, loads never
differ by more than one.

If any entity has fewer than `k` eligible inspectors the whole assignment fails with an
`AssignmentError` naming the entity and the reason: never a partial list.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from sampling.config import AssignmentConfig
from sampling.errors import AssignmentError, PlanError
from sampling.tickets import ticket_keys, tie_ranks
from tables.check import fold_id

NAMESPACE = "inspectors|"
_M = np.uint64(0xFFFFFFFFFFFFFFFF)


def _h64(text: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big"))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads (entity xor inspector) bits into a uniform 64-bit key."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _pairs(frame: pd.DataFrame | None, column: str = "inspector_id") -> dict[str, set[str]]:
    """uscc -> set of inspector ids (folded: `fold_id`), from a long (uscc, inspector_id) frame;
    ';' lists allowed. Conflicts and previous inspectors compare alike, without regard to case
    or full-width letters, as the tables' own id checks do."""
    out: dict[str, set[str]] = {}
    if frame is None or len(frame) == 0:
        return out
    for u, ids in zip(frame["uscc"].astype(str), frame[column], strict=True):
        if ids is None or (isinstance(ids, float) and np.isnan(ids)):
            continue
        for i in str(ids).split(";"):
            if i.strip():
                out.setdefault(u, set()).add(fold_id(i))
    return out


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def assign_inspectors(
    selected: pd.DataFrame,
    inspectors: pd.DataFrame,
    seed: str,
    config: AssignmentConfig | None = None,
    conflicts: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`selected` (uscc, sector, region[, name]) with an `inspectors` column: ids joined by ';'.

    `inspectors`: inspector_id, sectors (codes joined by ';'), region, active.
    `conflicts`: uscc, inspector_id. `previous`: uscc, inspector_id (ids may be ';'-joined):
    the inspectors of each entity's most recent inspection.
    """
    config = config or AssignmentConfig()
    k = config.inspectors_per_inspection
    if k < 2:
        raise PlanError(
            f"每次检查至少需要 2 名执法人员：inspectors_per_inspection = {k} "
            "(at least 2 inspectors per inspection)"
        )
    out = selected.copy()
    if len(out) == 0:
        out["inspectors"] = pd.Series(dtype=object)
        return out
    insp = inspectors.copy()
    insp["inspector_id"] = insp["inspector_id"].astype(str)
    insp = insp.sort_values("inspector_id", kind="stable").reset_index(drop=True)
    ids = insp["inspector_id"].to_numpy()
    active = insp["active"].fillna(False).astype(bool).to_numpy() if "active" in insp else None
    if active is None:
        active = np.ones(len(insp), dtype=bool)
    regions = np.array([_text(r) for r in insp.get("region", pd.Series([None] * len(insp)))])
    sector_sets = [
        {s.strip() for s in _text(v).split(";") if s.strip()} for v in insp["sectors"].tolist()
    ]
    position = {fold_id(i): n for n, i in enumerate(ids)}
    conflict = _pairs(conflicts)
    prev = _pairs(previous) if config.exclude_previous_inspectors else {}

    ns = NAMESPACE + seed
    insp_hash = np.array([_h64(ns + "|i|" + i) for i in ids], dtype=np.uint64)
    usccs = out["uscc"].astype(str).tolist()
    keys = ticket_keys(usccs, seed)
    order = np.lexsort((np.array(usccs), tie_ranks(usccs, keys, seed), keys))

    qualified_cache: dict[tuple[str, str], np.ndarray] = {}
    load = np.zeros(len(ids), dtype=np.int64)
    chosen: list[str] = [""] * len(out)
    sectors = out["sector"].astype(str).tolist()
    ent_regions = [_text(r) for r in out["region"]] if "region" in out else [""] * len(out)
    names = [_text(v) for v in out["name"]] if "name" in out else [""] * len(out)
    for row in order:
        u, sector = usccs[row], sectors[row]
        region = ent_regions[row] if config.same_region else ""
        key = (sector, region)
        if key not in qualified_cache:
            q = active & np.array([sector in s for s in sector_sets], dtype=bool)
            if config.same_region:
                q &= (regions == region) | (regions == "")
            qualified_cache[key] = np.flatnonzero(q)
        cand = qualified_cache[key]
        banned_c = {position[i] for i in conflict.get(u, ()) if i in position}
        banned_p = {position[i] for i in prev.get(u, ()) if i in position}
        banned = banned_c | banned_p
        if banned:
            cand = cand[~np.isin(cand, list(banned))]
        if len(cand) < k:
            raise AssignmentError(
                _reason(
                    u,
                    names[row],
                    sector,
                    region,
                    k,
                    qualified_cache[key],
                    banned_c,
                    banned_p,
                    len(cand),
                ),
                uscc=u,
                name=names[row],
            )
        pick = _least_loaded(cand, load, insp_hash, _h64(ns + "|e|" + u), k)
        load[pick] += 1
        chosen[row] = ";".join(sorted(ids[pick]))
    out["inspectors"] = chosen
    return out


def _least_loaded(
    cand: np.ndarray, load: np.ndarray, insp_hash: np.ndarray, entity: np.uint64, k: int
) -> np.ndarray:
    """The k candidates with the least load; ties by the seeded (entity, inspector) key.

    Same result as sorting all candidates by (load, key), but only the lowest load levels are
    keyed, which keeps large directories fast.
    """
    lc = load[cand]
    picked: list[np.ndarray] = []
    need = k
    while need > 0:
        level = lc.min()
        here = cand[lc == level]
        if len(here) > need:
            tie = _mix(insp_hash[here] ^ entity)
            here = here[np.argsort(tie, kind="stable")[:need]]
        picked.append(here)
        need -= len(here)
        lc = np.where(lc == level, np.iinfo(np.int64).max, lc)
    return np.concatenate(picked)


def _reason(
    uscc: str,
    name: str,
    sector: str,
    region: str,
    k: int,
    qualified: np.ndarray,
    conflicted: set[int],
    previous: set[int],
    left: int,
) -> str:
    q = set(qualified.tolist())
    where = f"、{region}" if region else ""
    return (
        f"无法为 {name or uscc}（{uscc}）分配 {k} 名执法人员：{sector}{where} 有资格且在岗的"
        f"人员 {len(q)} 名，其中需回避 {len(q & conflicted)} 名、上次检查人员 "
        f"{len(q & previous)} 名，仅剩 {left} 名 (cannot assign {k} inspectors to {uscc}: "
        f"{len(q)} qualified and active for sector {sector}{' in ' + region if region else ''}, "
        f"{len(q & conflicted)} with conflicts, {len(q & previous)} did the previous inspection, "
        f"{left} left)"
    )
