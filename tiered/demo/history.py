"""Credit records and inspection history for the synthetic workspace (see `tiered.demo`).

Every event rate is a function of the entity's hidden propensity `p` (the probability that an
inspection finds a problem), so the records carry strong but imperfect information about it.
Everything is vectorised over entities; the only loops run over kinds, years and months.
Dates are int64 day numbers (days since 1970-01-01) until the frames are assembled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tables.spec import DEFAULT_RECORD_KINDS
from tiered.demo import names as nm

NONE = np.int64(-1)  # "no date" / "no code" sentinel in the int arrays below
KINDS: tuple[str, ...] = DEFAULT_RECORD_KINDS
K = {k: i for i, k in enumerate(KINDS)}
SEVERITIES: tuple[str, ...] = ("minor", "general", "serious")
GRADES: tuple[str, ...] = ("A", "B", "M", "C", "D")
RATED_SECTORS = (
    "food_drug",
    "construction",
    "transport",
    "health",
    "work_safety",
    "environment",
    "culture_tourism",
)


@dataclass
class Window:
    """The history window: whole months, inclusive day numbers."""

    start: int
    end: int
    months: np.ndarray  # first day of each month, plus one past the end (len = n_months + 1)


@dataclass
class Population:
    """What the history generator needs to know about the entities (index-aligned arrays)."""

    p: np.ndarray
    etype: np.ndarray  # index into nm.ENTITY_TYPES
    sector: np.ndarray  # index into nm.SECTORS
    region: np.ndarray  # index into nm.REGIONS
    registered: np.ndarray  # day number
    ceased: np.ndarray  # day number, or a large number when still active


class Parts:
    """Record rows collected kind by kind, as int/float arrays, concatenated at the end."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            c: [] for c in ("ent", "kind", "date", "sev", "amount", "value", "ended", "source")
        }

    def add(self, ent, kind, date, *, sev=None, amount=None, value=None, ended=None, source=None):
        m = len(ent)
        full = lambda v, fill, dt: np.full(m, fill, dt) if v is None else np.asarray(v, dt)  # noqa: E731
        self.cols["ent"].append(np.asarray(ent, np.int64))
        self.cols["kind"].append(np.full(m, K[kind], np.int8))
        self.cols["date"].append(np.asarray(date, np.int64))
        self.cols["sev"].append(full(sev, -1, np.int8))
        self.cols["amount"].append(full(amount, np.nan, np.float64))
        self.cols["value"].append(full(value, -1, np.int8))
        self.cols["ended"].append(full(ended, NONE, np.int64))
        self.cols["source"].append(full(source, -1, np.int32))

    def arrays(self) -> dict[str, np.ndarray]:
        return {c: np.concatenate(v) for c, v in self.cols.items()}


def _events(rng, rate_per_year, lo, hi):
    """Poisson events at `rate_per_year` inside each entity's [lo, hi] span: (entity, day)."""
    span = np.maximum(hi - lo, 0)
    counts = rng.poisson(rate_per_year * span / 365.25)
    idx = np.repeat(np.arange(len(lo)), counts)
    days = lo[idx] + (rng.random(idx.size) * span[idx]).astype(np.int64)
    return idx, days


def _ended(rng, date, end, prob, lo_days, hi_days, *, always_after=None):
    """End dates: with `prob`, `date` + U(lo, hi) days (repair/removal); otherwise
    `date` + `always_after` (expiry) when given. Dates past `end` become NONE."""
    m = len(date)
    out = np.full(m, NONE, np.int64)
    hit = rng.random(m) < prob
    delay = rng.integers(lo_days, hi_days + 1, m)
    out[hit] = date[hit] + delay[hit]
    if always_after is not None:
        out[~hit] = date[~hit] + always_after
    out[out > end] = NONE
    return out


def _day(year: int, month: int, day: int) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def credit_records(
    rng: np.random.Generator, pop: Population, win: Window, sources: SourcePool
) -> Parts:
    """All record kinds except the penalties that follow inspections."""
    p, n = pop.p, len(pop.p)
    lo = np.maximum(win.start, pop.registered)
    hi = np.minimum(win.end, pop.ceased)
    is_ind = pop.etype == 0
    parts = Parts()
    years = range(
        int(np.datetime64(win.start, "D").astype("datetime64[Y]").astype(int)) + 1970,
        int(np.datetime64(win.end, "D").astype("datetime64[Y]").astype(int)) + 1971,
    )

    # Penalties: frequency and severity rise with p.
    idx, d = _events(rng, 0.003 + 1.4 * p, lo, hi)
    u, pi = rng.random(idx.size), p[idx]
    ps, pg = 0.02 + 0.1 * pi, 0.1 + 0.3 * pi
    sev = np.where(u < ps, 2, np.where(u < ps + pg, 1, 0)).astype(np.int8)
    add_penalties(parts, rng, idx, d, sev, pop, win, sources)

    # Annual reports due by 30 June; late filers are listed as abnormal until they file.
    for y in years:
        due = _day(y, 7, 1)
        if not (win.start <= due <= win.end):
            continue
        elig = np.flatnonzero((pop.registered < _day(y, 1, 1)) & (pop.ceased > due))
        late = elig[rng.random(elig.size) < np.minimum(0.9, 0.01 + 0.6 * p[elig])]
        never = rng.random(late.size) < 0.4 * p[late] ** 2
        quick = rng.random(late.size) < 0.6  # most file within days, the rest much later
        delay = rng.exponential(np.where(quick, 8.0, 60.0)).astype(np.int64)
        filed = due + 1 + delay
        filed = np.where(never | (filed > win.end), NONE, filed)
        parts.add(
            late,
            "annual_report_late",
            np.full(late.size, due),
            ended=filed,
            source=sources.amr(pop.region[late]),
        )
        listed_on = due + rng.integers(5, 26, late.size)
        listed = (filed == NONE) | (filed > listed_on)
        listed &= listed_on <= win.end
        removed = np.where(filed == NONE, NONE, filed + rng.integers(1, 16, late.size))
        removed[removed > win.end] = NONE
        parts.add(
            late[listed],
            "abnormal_operation",
            listed_on[listed],
            ended=removed[listed],
            source=sources.amr(pop.region[late[listed]]),
        )

    # Abnormal listings for other causes (address unreachable), some later removed.
    idx, d = _events(rng, 0.0005 + 0.04 * p**2, lo, hi)
    parts.add(
        idx,
        "abnormal_operation",
        d,
        ended=_ended(rng, d, win.end, 0.6, 30, 400),
        source=sources.amr(pop.region[idx]),
    )

    # Serious dishonesty: rare, sticky; some repaired after at least a year.
    idx, d = _events(rng, 0.0005 + 0.03 * p**3, lo, hi)
    parts.add(
        idx,
        "serious_dishonesty",
        d,
        sev=np.full(idx.size, 2),
        ended=_ended(rng, d, win.end, 0.3, 365, 1095),
        source=sources.amr(pop.region[idx]),
    )

    # Court dishonest-debtor listings; half end when the debt is paid.
    idx, d = _events(rng, 0.001 + 0.05 * p**2, lo, hi)
    parts.add(
        idx,
        "court_dishonest_debtor",
        d,
        ended=_ended(rng, d, win.end, 0.5, 60, 540),
        source=sources.court(pop.region[idx]),
    )

    # Yearly tax credit grade (published in April for the year before).
    taxpayer = ~is_ind | (rng.random(n) < 0.3)
    persistent = rng.normal(0.0, 4.0, n)
    for y in years:
        d0 = _day(y, 4, 15)
        if not (win.start <= d0 and d0 + 10 <= win.end):
            continue
        elig = np.flatnonzero(taxpayer & (pop.registered < _day(y, 1, 1)) & (pop.ceased > d0))
        score = 99 - 50 * p[elig] + persistent[elig] + rng.normal(0, 5.0, elig.size)
        grade = np.select([score >= 90, score >= 70, score >= 40], [0, 1, 3], 4)
        new = pop.registered[elig] >= _day(y - 1, 1, 1)
        grade[new | (rng.random(elig.size) < 0.02)] = 2  # M: new or no revenue
        parts.add(
            elig,
            "tax_grade",
            d0 + rng.integers(0, 11, elig.size),
            value=grade,
            source=sources.tax(pop.region[elig]),
        )

    # Yearly sector rating (December) in sectors that grade their entities.
    rated_sector = np.isin(pop.sector, [nm.SECTORS.index(s) for s in RATED_SECTORS])
    rated = rated_sector & (~is_ind | (pop.sector == nm.SECTORS.index("food_drug")))
    for y in years:
        d0 = _day(y, 12, 1)
        if not (win.start <= d0 and d0 + 27 <= win.end):
            continue
        elig = np.flatnonzero(rated & (pop.registered < d0 - 180) & (pop.ceased > d0))
        score = 92 - 60 * p[elig] + persistent[elig] + rng.normal(0, 7.0, elig.size)
        grade = np.select([score >= 85, score >= 70, score >= 55], [0, 1, 3], 4)
        parts.add(
            elig,
            "sector_rating",
            d0 + rng.integers(0, 28, elig.size),
            value=grade,
            source=sources.dept(pop.region[elig], pop.sector[elig]),
        )

    # Credit commitments (信用承诺) and whether they were kept.
    idx, d = _events(rng, 0.3 * np.array([0.8, 1.5, 1.0])[pop.etype], lo, hi)
    broken = rng.random(idx.size) < 0.03 + 0.7 * p[idx] ** 1.3
    src = sources.amr(pop.region[idx])
    parts.add(idx[~broken], "commitment_kept", d[~broken], source=src[~broken])
    parts.add(idx[broken], "commitment_broken", d[broken], source=src[broken])

    # Commendations go to low-propensity entities, mostly enterprises and cooperatives.
    idx, d = _events(rng, 0.04 * (1 - p) ** 6 * np.array([0.5, 2.0, 1.5])[pop.etype], lo, hi)
    parts.add(idx, "commendation", d, source=sources.government(pop.region[idx], rng))

    # Complaints (12315 / 12345).
    idx, d = _events(rng, 0.005 + 1.6 * p, lo, hi)
    parts.add(idx, "complaint", d, source=sources.hotline(rng, idx.size))
    return parts


def add_penalties(
    parts: Parts, rng, idx, d, sev, pop: Population, win: Window, sources: SourcePool
) -> None:
    """Penalty rows with fines by severity and entity type, and publication end dates: minor
    ones expire after 3 months, general after a year (or are repaired sooner), serious after 3."""
    type_mult = np.array([0.5, 2.0, 0.7])[pop.etype[idx]]
    median = np.array([500.0, 5000.0, 50000.0])[sev] * type_mult
    amount = np.round(median * rng.lognormal(0.0, 0.8, idx.size), -2)
    amount[(sev == 0) & (rng.random(idx.size) < 0.3)] = np.nan  # warnings (警告), no fine
    ended = np.full(idx.size, NONE, np.int64)
    for s, (prob, a, b, expiry) in enumerate(
        ((0.0, 0, 0, 90), (0.4, 90, 365, 365), (0.2, 365, 1095, 1095))
    ):
        m = sev == s
        ended[m] = _ended(rng, d[m], win.end, prob, a, b, always_after=expiry)
    parts.add(
        idx,
        "penalty",
        d,
        sev=sev,
        amount=amount,
        ended=ended,
        source=sources.dept(pop.region[idx], pop.sector[idx]),
    )


class SourcePool:
    """Source-department strings, as indices into one pool (kept small for memory)."""

    def __init__(self) -> None:
        regions = list(nm.REGIONS)
        pool: list[str] = []
        self._dept = np.zeros((len(regions), len(nm.SECTORS)), np.int32)
        for r, reg in enumerate(regions):
            for s, sec in enumerate(nm.SECTORS):
                self._dept[r, s] = self._add(pool, department(reg, sec))
        self._amr = np.array([self._add(pool, f"{reg}市场监督管理局") for reg in regions])
        self._court = np.array([self._add(pool, f"{reg}人民法院") for reg in regions])
        self._tax = np.array([self._add(pool, department(reg, "tax")) for reg in regions])
        self._gov = np.array([self._add(pool, f"{reg}人民政府") for reg in regions])
        self._city = self._add(pool, "海东市人民政府")
        self._hotline = np.array(
            [self._add(pool, "12315平台"), self._add(pool, "12345政务服务热线")]
        )
        self.pool = np.array(pool, dtype=object)

    @staticmethod
    def _add(pool: list[str], s: str) -> int:
        if s not in pool:
            pool.append(s)
        return pool.index(s)

    def dept(self, region, sector):
        return self._dept[region, sector]

    def amr(self, region):
        return self._amr[region]

    def court(self, region):
        return self._court[region]

    def tax(self, region):
        return self._tax[region]

    def government(self, region, rng):
        return np.where(rng.random(len(region)) < 0.3, self._city, self._gov[region])

    def hotline(self, rng, m):
        return self._hotline[(rng.random(m) < 0.3).astype(int)]


def department(region: str, sector: str) -> str:
    """The local department for a sector, e.g. 乐都区住房和城乡建设局."""
    if sector == "tax":
        return f"国家税务总局海东市{region}税务局"
    return f"{region}{nm.SECTOR_DEPARTMENTS[sector]}"


@dataclass
class Inspections:
    """Inspection rows as index arrays (see `inspections`)."""

    ent: np.ndarray
    date: np.ndarray
    found: np.ndarray
    item: np.ndarray  # index into item_pool
    result: np.ndarray  # 0 = RESULT_OK, 1.. = RESULTS_FOUND[i - 1]
    insp1: np.ndarray
    insp2: np.ndarray
    item_pool: np.ndarray
    after_complaint: np.ndarray  # in the two months after a complaint on the entity


def inspections(
    rng: np.random.Generator,
    pop: Population,
    win: Window,
    complaints: Parts,
    groups: dict[tuple[int, int], np.ndarray],
    conflict_keys: np.ndarray,
    n_inspectors: int,
) -> Inspections:
    """Random inspections of about 4% of active entities a year, several times likelier in
    the two months after a complaint; the outcome is a Bernoulli draw of the propensity.
    Two inspectors qualified for the sector in the entity's region do each inspection, never
    one with a declared conflict."""
    n, n_months = len(pop.p), len(win.months) - 1
    comp = complaints.arrays()
    comp_ent = comp["ent"][comp["kind"] == K["complaint"]]
    comp_day = comp["date"][comp["kind"] == K["complaint"]]
    month_of = np.searchsorted(win.months, comp_day, side="right") - 1
    recent = np.zeros((n, n_months + 2), bool)  # complaint in month m -> boost m+1, m+2
    recent[comp_ent, month_of + 1] = True
    recent[comp_ent, month_of + 2] = True
    ents, days, flags = [], [], []
    for m in range(n_months):
        m0, m1 = int(win.months[m]), int(win.months[m + 1])
        hazard = 0.042 / 12 * (1 + 6 * recent[:, m])
        hit = np.flatnonzero((pop.registered < m0) & (pop.ceased > m1) & (rng.random(n) < hazard))
        wd = np.arange(m0, m1)
        wd = wd[(wd + 3) % 7 < 5]  # Monday..Friday (day 0 was a Thursday)
        ents.append(hit)
        flags.append(recent[hit, m])
        days.append(wd[rng.integers(0, wd.size, hit.size)])
    ent, day = np.concatenate(ents), np.concatenate(days)
    found = rng.random(ent.size) < pop.p[ent]

    sec = pop.sector[ent]
    item_lists = [nm.INSPECTION_ITEMS[s] for s in nm.SECTORS]
    offsets = np.cumsum([0] + [len(x) for x in item_lists])
    counts = np.diff(offsets)
    item = offsets[sec] + (rng.random(ent.size) * counts[sec]).astype(np.int64)
    w = np.array(nm.RESULTS_FOUND_WEIGHTS)
    result = np.where(found, 1 + rng.choice(len(w), ent.size, p=w / w.sum()), 0)

    insp1 = np.full(ent.size, -1, np.int64)
    insp2 = np.full(ent.size, -1, np.int64)
    todo = np.ones(ent.size, bool)
    for _ in range(100):  # redraw pairs that hit a conflict; rare, so this converges at once
        for (s, r), members in groups.items():
            rows = np.flatnonzero(todo & (sec == s) & (pop.region[ent] == r))
            if rows.size == 0:
                continue
            k = members.size
            a = rng.integers(0, k, rows.size)
            b = (a + 1 + rng.integers(0, k - 1, rows.size)) % k
            insp1[rows], insp2[rows] = members[a], members[b]
        todo = np.isin(ent * n_inspectors + insp1, conflict_keys) | np.isin(
            ent * n_inspectors + insp2, conflict_keys
        )
        if not todo.any():
            break
    order = np.lexsort((ent, day))
    return Inspections(
        ent[order],
        day[order],
        found[order],
        item[order],
        result[order],
        insp1[order],
        insp2[order],
        np.array([i for x in item_lists for i in x], dtype=object),
        np.concatenate(flags)[order],
    )


def inspection_penalties(
    rng, parts: Parts, ins: Inspections, pop: Population, win: Window, sources: SourcePool
) -> None:
    """An inspection that ended in a fine leaves a penalty record a few weeks later."""
    fined = np.flatnonzero(ins.result == 1 + nm.RESULT_FINED)
    d = ins.date[fined] + rng.integers(7, 46, fined.size)
    idx = ins.ent[fined]
    keep = (d <= win.end) & (pop.ceased[idx] > d)
    idx, d = idx[keep], d[keep]
    sev = rng.choice(3, idx.size, p=[0.4, 0.55, 0.05]).astype(np.int8)
    add_penalties(parts, rng, idx, d, sev, pop, win, sources)
