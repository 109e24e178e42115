"""A synthetic, Haidong-like workspace for demos, tests and benchmarks (`tiered demo`).

Each entity gets a hidden propensity: the probability that an inspection finds a problem. It is
heavy-tailed (most entities low, a minority high, mean 0.2, the hit rate of a plain random draw)
and depends somewhat on sector, type and age. About three years of credit records and
inspections are then drawn with frequencies that follow it, so records predict inspection
outcomes well but not perfectly. `truth.csv` keeps the propensity for evaluation only.

Everything is deterministic given (n_entities, seed, end) and vectorised: a million entities take
well under two minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tables import clock
from tables.uscc import ALPHABET, check_chars
from tiered.demo import names as nm
from tiered.demo import tasks as demo_tasks
from tiered.demo.history import (
    GRADES,
    KINDS,
    NONE,
    SEVERITIES,
    Population,
    SourcePool,
    Window,
    credit_records,
    department,
    inspection_penalties,
    inspections,
)
from tiered.errors import UsageError
from tiered.files import atomic_dir

log = logging.getLogger(__name__)

TABLE_NAMES = (
    "entities",
    "records",
    "inspections",
    "inspectors",
    "conflicts",
    "items",
    "tasks",
    "tiers",
    "truth",
)
HISTORY_MONTHS = 36
MEAN_PROPENSITY = 0.2
# Latent risk classes (low, middle, high): shares, logit centres and within-class spread.
RISK_CLASS_SHARES = (0.55, 0.35, 0.10)
RISK_CLASS_LOGITS = (-3.8, -0.9, 1.4)
RISK_CLASS_SD = 0.8
FAR = np.int64(10**7)  # "still active" as a day number (year ~29000)
# The stages `generate` and `write_demo` report, in order, to an optional `progress(stage)`
# callback (the app's first-start progress bar): each is reported when it begins.
STAGES = ("entities", "inspectors", "records", "inspections", "tasks", "write")
Progress = Callable[[str], None]


def default_end(today: dt.date | None = None) -> str:
    """The month before `today` (default: the real today), as YYYY-MM."""
    today = today or clock.today()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _window(end: str) -> Window:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", end or ""):
        raise UsageError(f"结束月份应为 YYYY-MM 格式：{end!r} (end month must be YYYY-MM)")
    if end > default_end():  # history cannot reach into the future: validate would reject it
        raise UsageError(
            f"结束月份 {end} 晚于上个月 {default_end()} (--end must not be after last month)"
        )
    last = np.datetime64(end, "M")
    months = np.arange(last - (HISTORY_MONTHS - 1), last + 2).astype("datetime64[D]")
    days = months.astype(np.int64)
    return Window(start=int(days[0]), end=int(days[-1]) - 1, months=days)


def _pick(rng: np.random.Generator, pool, size: int, p=None) -> np.ndarray:
    arr = np.asarray(pool, dtype=object)
    if p is not None:
        p = np.asarray(p, float) / np.sum(p)
    return arr[rng.choice(arr.size, size, p=p)]


def _person_names(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """Surname + one or two given characters; surname frequencies vary by county."""
    n = region.size
    surname = np.empty(n, dtype=object)
    for r, reg in enumerate(nm.REGIONS):
        m = np.flatnonzero(region == r)
        w = np.array(nm.SURNAME_WEIGHTS, float)
        for s, boost in nm.SURNAME_BOOST.get(reg, {}).items():
            w[nm.SURNAMES.index(s)] *= boost
        surname[m] = _pick(rng, nm.SURNAMES, m.size, w)
    g1 = _pick(rng, nm.GIVEN_CHARS, n)
    g2 = np.where(rng.random(n) < 0.7, _pick(rng, nm.GIVEN_CHARS, n), "")
    return surname + g1 + g2


def _usccs(rng: np.random.Generator, etype: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Unique, valid codes: type prefix (92/91/93), division code, a 9-character organisation
    code (8 characters + its GB 11714 check character), then the GB 32100 check character."""
    n = etype.size
    serial = rng.integers(0, 31**8, n)
    while True:  # redraw the (rare) duplicates
        _, first = np.unique(serial, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            break
        serial[dup] = rng.integers(0, 31**8, int(dup.sum()))
    alphabet = np.frombuffer(ALPHABET.encode(), np.uint8)
    digits = np.empty((n, 8), np.int64)
    rest = serial.copy()
    for i in range(7, -1, -1):
        digits[:, i] = rest % 31
        rest //= 31
    org = alphabet[digits]  # ASCII bytes
    # GB 11714: values 0-9 for digits, 10-35 for A-Z; weights 3 7 9 10 5 8 4 2; mod 11.
    val = np.where(org <= ord("9"), org - ord("0"), org - ord("A") + 10).astype(np.int64)
    c9 = 11 - (val * np.array([3, 7, 9, 10, 5, 8, 4, 2])).sum(axis=1) % 11
    c9_char = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), ord("0") + c9))
    prefix = np.array([[ord(c) for c in nm.TYPE_PREFIX[t]] for t in nm.ENTITY_TYPES], np.uint8)
    division = np.array([[ord(c) for c in code] for code, _ in nm.REGIONS.values()], np.uint8)
    body = np.concatenate(
        [prefix[etype], division[region], org, c9_char.astype(np.uint8)[:, None]], axis=1
    )
    bodies = np.ascontiguousarray(body).view("S17").ravel()
    check = check_chars(bodies.astype("U17")).astype("S1")
    codes = np.char.add(bodies, check)
    return codes.astype("U18").astype(object)


def _entity_names(rng, etype, region, sector, person) -> np.ndarray:
    n = etype.size
    regions = np.array(list(nm.REGIONS), dtype=object)[region]
    short = np.array([nm.REGION_SHORT[r] for r in nm.REGIONS], dtype=object)[region]
    brand = _pick(rng, nm.BRAND_CHARS, n) + _pick(rng, nm.BRAND_CHARS, n)
    surname = np.array([s[0] for s in person], dtype=object)
    names = np.empty(n, dtype=object)
    for s, sec in enumerate(nm.SECTORS):
        for t in range(3):
            m = np.flatnonzero((sector == s) & (etype == t))
            if m.size == 0:
                continue
            if t == 0:  # 乐都区张记面馆 / 乐都区马家牛肉面馆 / 乐都区鑫源超市
                style = rng.integers(0, 3, m.size)
                trade = np.where(
                    style == 0, surname[m] + "记", np.where(style == 1, surname[m] + "家", brand[m])
                )
                names[m] = regions[m] + trade + _pick(rng, nm.SHOP_WORDS[sec], m.size)
            elif t == 1:  # 青海鑫源建筑工程有限公司 / 海东市… / 青海乐都…
                head = _pick(rng, ["青海", "青海", "海东市", "青海"], m.size)
                head = np.where(rng.random(m.size) < 0.2, "青海" + short[m], head)
                names[m] = (
                    head
                    + brand[m]
                    + _pick(rng, nm.INDUSTRY_WORDS[sec], m.size)
                    + _pick(rng, nm.COMPANY_SUFFIXES, m.size)
                )
            else:  # 互助县丰泰马铃薯种植专业合作社
                names[m] = regions[m] + brand[m] + _pick(rng, nm.COOP_WORDS, m.size) + "专业合作社"
    return names


def _propensity(rng, etype, sector, age_years) -> np.ndarray:
    """Heavy-tailed propensity: a mixture of a large low-risk class, a middle class and a small
    high-risk class on the logit scale, shifted by sector/type/age effects, then moved so the
    population mean is MEAN_PROPENSITY."""
    eff = np.array([nm.SECTOR_RISK[s] for s in nm.SECTORS])[sector]
    eff += np.array([nm.TYPE_RISK[t] for t in nm.ENTITY_TYPES])[etype]
    eff += np.where(age_years < 2, 0.6, np.where(age_years < 5, 0.25, 0.0))
    cls = rng.choice(3, etype.size, p=RISK_CLASS_SHARES)
    eta = np.array(RISK_CLASS_LOGITS)[cls] + eff + RISK_CLASS_SD * rng.standard_normal(etype.size)
    lo, hi = -10.0, 10.0
    for _ in range(50):  # bisection on the shift so the population mean is MEAN_PROPENSITY
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(eta + mid)))).mean() < MEAN_PROPENSITY:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-(eta + lo)))


def _entities(rng: np.random.Generator, n: int, win: Window):
    etype = rng.choice(3, n, p=nm.TYPE_SHARES).astype(np.int8)
    region = rng.choice(len(nm.REGIONS), n, p=[s for _, s in nm.REGIONS.values()]).astype(np.int8)
    sector = np.empty(n, np.int8)
    for t, name in enumerate(nm.ENTITY_TYPES):
        m = np.flatnonzero(etype == t)
        sector[m] = rng.choice(len(nm.SECTORS), m.size, p=nm.SECTOR_SHARES[name])
    age = rng.exponential(6.0, n)
    far = age > 20
    age[far] = rng.uniform(0, 20, int(far.sum()))
    registered = win.end - (age * 365.25).astype(np.int64)
    capital = rng.lognormal(np.log(np.array([3.0, 200.0, 50.0]))[etype], 1.1)
    capital = np.where(capital >= 10, np.round(capital), np.round(capital, 1))
    capital = np.maximum(capital, 0.1)
    p = _propensity(rng, etype, sector, age)
    # Deregistered ~4.5%, revoked ~1.5% (revocation follows misconduct), within the last 4 years.
    can = registered < win.end - 120
    w = p**1.5
    revoked = can & (rng.random(n) < 0.015 * w / w.mean())
    dereg = can & ~revoked & (rng.random(n) < 0.047)
    status = np.where(revoked, 2, np.where(dereg, 1, 0)).astype(np.int8)
    lo = np.maximum(registered + 90, win.end - 4 * 365)
    ceased = np.where(status > 0, lo + (rng.random(n) * (win.end - lo)).astype(np.int64), FAR)
    person = _person_names(rng, region)
    uscc = _usccs(rng, etype, region)
    names = _entity_names(rng, etype, region, sector, person)
    pop = Population(p, etype, sector, region, registered, ceased)
    ent = pd.DataFrame(
        {
            "uscc": uscc,
            "name": names,
            "sector": np.array(nm.SECTORS, dtype=object)[sector],
            "region": np.array(list(nm.REGIONS), dtype=object)[region],
            "entity_type": np.array(nm.ENTITY_TYPES, dtype=object)[etype],
            "registered_on": _to_datetime(registered),
            "registered_capital": capital,
            "status": np.array(["active", "deregistered", "revoked"], dtype=object)[status],
            "legal_representative": person,
        }
    )
    return ent, pop


def _to_datetime(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, np.int64)
    out = d.astype("datetime64[D]").astype("datetime64[ns]")
    out[(d == NONE) | (d >= FAR)] = np.datetime64("NaT")
    return out


def _inspectors(rng: np.random.Generator, n: int):
    """About one inspector per 150 entities (at least 18 per county), each qualified for 1-3
    sectors. The first 16 in each county cover every sector exactly four times, so every
    sector x county has at least four active inspectors (two per inspection plus exclusions)."""
    total = max(30, int(np.ceil(n / 150)))
    rows, groups = [], {}
    weights = np.array(
        [
            sum(
                nm.SECTOR_SHARES[t][s] * w
                for t, w in zip(nm.ENTITY_TYPES, nm.TYPE_SHARES, strict=True)
            )
            for s in range(len(nm.SECTORS))
        ]
    )
    for r, (reg, (_, share)) in enumerate(nm.REGIONS.items()):
        k = max(18, int(round(total * share)))
        sets = [
            tuple(perm[i : i + 3])
            for perm in (rng.permutation(12) for _ in range(4))
            for i in range(0, 12, 3)
        ]
        for _ in range(k - len(sets)):
            size = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
            sets.append(tuple(rng.choice(12, size, replace=False, p=weights / weights.sum())))
        inactive = [False] * 16 + list(rng.random(k - 16) < 0.06)
        for s, off in zip(sets, inactive, strict=True):
            rows.append((reg, r, s, not off))
    if all(a for *_, a in rows):  # keep at least one inactive inspector for realism
        rows[17] = (*rows[17][:3], False)
    width = max(4, len(str(len(rows))))
    names = _person_names(rng, np.array([r for _, r, _, _ in rows]))
    for i, (_, r, s, _) in enumerate(rows):
        for sec in s:
            groups.setdefault((int(sec), r), []).append(i)
    frame = pd.DataFrame(
        {
            "inspector_id": [f"HD{i + 1:0{width}d}" for i in range(len(rows))],
            "name": names,
            "sectors": [";".join(nm.SECTORS[x] for x in s) for _, _, s, _ in rows],
            "department": [department(reg, nm.SECTORS[s[0]]) for reg, _, s, _ in rows],
            "region": [reg for reg, *_ in rows],
            "active": np.array([a for *_, a in rows], dtype=bool),
        }
    )
    return frame, {k: np.array(v, np.int64) for k, v in groups.items()}


def _conflicts(rng, pop: Population, groups, n_insp: int):
    """~0.5% of entities declare a conflict with an inspector of their sector and county."""
    n = pop.p.size
    m = max(1, int(round(0.005 * n)))
    ent = np.sort(rng.choice(n, m, replace=False))
    ent = np.concatenate([ent, ent[rng.random(m) < 0.1]])  # some have two
    insp = np.empty(ent.size, np.int64)
    for (s, r), members in groups.items():
        rows = np.flatnonzero((pop.sector[ent] == s) & (pop.region[ent] == r))
        insp[rows] = members[rng.integers(0, members.size, rows.size)]
    keys = np.unique(ent * n_insp + insp)
    ent, insp = keys // n_insp, keys % n_insp
    reason = rng.choice(len(nm.CONFLICT_REASONS), ent.size, p=[0.5, 0.3, 0.2])
    return ent, insp, reason, keys


def generate(
    n_entities: int = 20000,
    seed: int = 0,
    end: str | None = None,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """The demo tables (entities, records, inspections, inspectors, conflicts, truth) with the
    contract's English columns and validated dtypes."""
    say = progress or (lambda _stage: None)
    if n_entities < 1:
        raise UsageError(f"实体数量须为正整数：{n_entities} (--entities must be positive)")
    win = _window(end or default_end())
    rng = np.random.default_rng(seed)
    say("entities")
    entities, pop = _entities(rng, n_entities, win)
    say("inspectors")
    inspectors, groups = _inspectors(rng, n_entities)
    c_ent, c_insp, c_reason, c_keys = _conflicts(rng, pop, groups, len(inspectors))
    say("records")
    sources = SourcePool()
    parts = credit_records(rng, pop, win, sources)
    say("inspections")
    ins = inspections(rng, pop, win, parts, groups, c_keys, len(inspectors))
    inspection_penalties(rng, parts, ins, pop, win, sources)
    say("tasks")

    uscc = entities["uscc"].to_numpy()
    ids = inspectors["inspector_id"].to_numpy()
    rec = parts.arrays()
    alive = rec["date"] <= pop.ceased[rec["ent"]]  # yearly grades can land after a closure
    order = np.lexsort((rec["kind"], rec["ent"], rec["date"]))
    order = order[alive[order]]
    rec = {k: v[order] for k, v in rec.items()}
    none_first = lambda vocab: np.array([None, *vocab], dtype=object)  # noqa: E731
    records = pd.DataFrame(
        {
            "uscc": uscc[rec["ent"]],
            "kind": np.array(KINDS, dtype=object)[rec["kind"]],
            "date": _to_datetime(rec["date"]),
            "severity": none_first(SEVERITIES)[rec["sev"] + 1],
            "amount": rec["amount"],
            "value": none_first(GRADES)[rec["value"] + 1],
            "ended_on": _to_datetime(rec["ended"]),
            "source": np.concatenate([sources.pool, [None]])[rec["source"]],
        }
    )
    results = np.array([nm.RESULT_OK, *nm.RESULTS_FOUND], dtype=object)
    dates = _to_datetime(ins.date)
    kind, category, task_id = demo_tasks.inspection_columns(
        ins, pop.sector[ins.ent], pd.DatetimeIndex(dates).year.to_numpy(), seed
    )
    inspections_df = pd.DataFrame(
        {
            "uscc": uscc[ins.ent],
            "date": dates,
            "found_problem": ins.found.astype(bool),
            "item": ins.item_pool[ins.item],
            "result": results[ins.result],
            "inspectors": ids[ins.insp1] + ";" + ids[ins.insp2],
            "task_id": task_id,
            "type": kind,
            "category": category,
        }
    )
    conflicts = pd.DataFrame(
        {
            "inspector_id": ids[c_insp],
            "uscc": uscc[c_ent],
            "reason": np.array(nm.CONFLICT_REASONS, dtype=object)[c_reason],
        }
    )
    truth = pd.DataFrame(
        {
            "uscc": uscc,
            "propensity": np.round(pop.p, 6),
            "ceased_on": _to_datetime(pop.ceased),
        }
    )
    end = end or default_end()
    active = entities.loc[entities["status"] == "active", "uscc"]
    targets = demo_tasks.problem_targets(inspections_df, active, end)
    return {
        "entities": entities,
        "records": records,
        "inspections": inspections_df,
        "inspectors": demo_tasks.staff_departments(inspectors, seed, _person_names),
        "conflicts": conflicts,
        "items": demo_tasks.items(),
        "tasks": demo_tasks.plan_tasks(end, targets),
        "tiers": demo_tasks.imported_tiers(entities, pop.p, end, seed),
        "truth": truth,
    }


def write_tables(tables: dict[str, pd.DataFrame], ws: Path) -> None:
    """UTF-8 CSV with a header row; dates as YYYY-MM-DD, booleans as true/false. pyarrow's
    writer is used because pandas' to_csv is several times slower on millions of rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    for name, df in tables.items():
        table = pa.Table.from_pandas(df, preserve_index=False)
        for i, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
        target = ws / f"{name}.csv"
        tmp = ws / f".{name}.csv.tmp"
        with open(tmp, "wb") as fh:  # plain header row (arrow quotes names)
            fh.write((",".join(table.column_names) + "\n").encode())
            pacsv.write_csv(
                table, fh, pacsv.WriteOptions(include_header=False, quoting_style="needed")
            )
        os.replace(tmp, target)  # a reader never sees half a table


def write_demo(
    ws: Path,
    n_entities: int = 20000,
    seed: int = 0,
    end: str | None = None,
    progress: Progress | None = None,
) -> dict:
    """Generate the demo and write it to workspace `ws` (created if missing); returns a summary:
    {"workspace", "entities", "seed", "end", "rows": {table: count}, "seconds"}. `progress`
    hears each of `STAGES` as it begins."""
    t0 = time.perf_counter()
    ws = Path(ws)
    end = end or default_end()
    tables = generate(n_entities, seed, end, progress)
    if progress is not None:
        progress("write")
    if ws.exists() and any(ws.iterdir()):
        write_tables(tables, ws)  # each table replaced whole
    else:  # a new workspace appears whole or not at all
        with atomic_dir(ws) as tmp:
            write_tables(tables, tmp)
    summary = {
        "workspace": str(ws),
        "entities": n_entities,
        "seed": seed,
        "end": end,
        "rows": {k: len(v) for k, v in tables.items()},
        "seconds": round(time.perf_counter() - t0, 2),
    }
    log.info("demo workspace written: %s", summary)
    return summary
