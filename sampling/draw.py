"""The draw: within each stratum, must-inspect entities plus the eligible ones with the smallest
tickets; and a manifest holding everything needed to recompute it.

Order of work matters for auditability: the frame digest is computed *before* the seed is
touched, so a frame cannot be tuned after the seed is known without the digest showing it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from sampling.config import SamplingConfig, config_as_dict, config_sha256
from sampling.errors import SeedError
from sampling.plan import eligibility_flags, month_start, plan_quotas, stratum_codes
from sampling.rules import REPLACEMENT_MIN
from sampling.tickets import TICKET_METHOD, smallest, ticket_keys, ticket_strings, tie_ranks

log = logging.getLogger(__name__)

AUTO_SEED = "auto"
KeysOf = Callable[[list[str], str], np.ndarray]  # (usccs, seed) -> ticket keys


@dataclass(frozen=True)
class DrawOutcome:
    """The drawn entities (frame columns + ticket, inclusion_probability, must_inspect), the
    per-stratum plan, and the manifest; for the public bundle also each stratum's replacement
    order (sector, tier, rank, uscc) and, aligned with the frame's rows, the eligibility flags
    and stratum index (into `strata`)."""

    selected: pd.DataFrame
    strata: pd.DataFrame
    manifest: dict
    replacements: pd.DataFrame | None = None
    eligible: np.ndarray | None = None
    must_inspect: np.ndarray | None = None
    stratum: np.ndarray | None = None
    order: np.ndarray | None = None  # the frame's rows in uscc order
    uscc: object = None  # the frame's uscc as an Arrow string array (`uscc_keys`)


def normalise_seed(seed: str | None) -> str:
    """Stripped seed text; "auto" takes 20 random decimal digits from the OS."""
    text = "" if seed is None else str(seed).strip()
    if not text:
        raise SeedError(
            "随机种子不能为空：请输入抽签会上读出的骰子数字或公开彩票号码 "
            "(the seed must not be empty)"
        )
    if text.lower() == AUTO_SEED:
        text = "".join(str(secrets.randbelow(10)) for _ in range(20))
        log.info("seed taken from the operating system: %s", text)
    return text


def _column_bytes(col: pd.Series, idx: np.ndarray) -> bytes:
    """One column's canonical bytes, rows taken in `idx` order."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.astype("datetime64[ns]").to_numpy().view("<i8")[idx].astype("<i8").tobytes()
    if pd.api.types.is_bool_dtype(col) and not col.isna().any():
        return col.to_numpy(dtype=np.uint8)[idx].tobytes()
    if pd.api.types.is_float_dtype(col) or pd.api.types.is_integer_dtype(col):
        return col.to_numpy(dtype="<f8", na_value=np.nan)[idx].tobytes()
    values = col.to_numpy(dtype=object)[idx]
    missing = pd.isna(values)
    if missing.any():
        values[missing] = "\x00"
    items = values.tolist()
    try:
        text = "\x1f".join(items)
    except TypeError:
        text = "\x1f".join(map(str, items))
    return text.encode("utf-8")


_CHUNK = 1 << 20  # rows per slice of a text column hashed at once (bounded memory)


def _take(values, idx: np.ndarray | None):
    return values if idx is None else values[idx]


def _text_into(h: hashlib._Hash, col: pd.Series, idx: np.ndarray | None) -> bool:
    """Hash a text column's canonical bytes (`_column_bytes`) straight from Arrow buffers, a
    slice at a time; False (nothing hashed) when the column is not all text. `idx` None: the
    rows in their own order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if not (cats.dtype == object and all(isinstance(c, str) for c in cats)):
            return False
        dictionary = pa.array(list(cats) + ["\x00"], type=pa.large_string())
        codes = col.cat.codes.to_numpy().astype(np.int64)
        codes[codes < 0] = len(cats)  # missing
        values = dictionary.take(pa.array(_take(codes, idx)))
    elif isinstance(col.dtype, pd.ArrowDtype):
        kind = col.dtype.pyarrow_dtype
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return False
        values = pa.array(col.array)
        values = values if idx is None else values.take(pa.array(idx))
        values = pc.fill_null(values, "\x00").cast(pa.large_string())
    elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        raw = _take(col.to_numpy(dtype=object), idx)
        missing = pd.isna(raw)
        if missing.any():
            raw = raw.copy() if idx is None else raw
            raw[missing] = "\x00"
        try:
            values = pa.array(raw, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return False
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            return False
        values = values.cast(pa.large_string())
    else:
        return False
    n = len(values)
    for lo in range(0, n, _CHUNK):
        part = values.slice(lo, min(_CHUNK, n - lo))
        h.update(_joined(part, last=lo + len(part) == n))
    return True


def _joined(part, last: bool) -> np.ndarray:
    """A large_string slice's values each followed by U+001F (none after the column's last
    value), as one byte array: the data buffer with the separators spliced in by NumPy."""
    offsets = np.frombuffer(part.buffers()[1], dtype=np.int64)[
        part.offset : part.offset + len(part) + 1
    ]
    data = np.frombuffer(part.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    n = len(part)
    out = np.empty(len(data) + n, dtype=np.uint8)
    ends = offsets[1:] - offsets[0] + np.arange(n)  # where each value's separator goes
    body = np.ones(len(out), dtype=bool)
    body[ends] = False
    out[body] = data
    out[ends] = 0x1F
    return out[:-1] if last and n else out


def _text_keys(frame: pd.DataFrame):
    """The frame's uscc as an Arrow string array when every one is text (else None)."""
    import pyarrow as pa

    if frame["uscc"].dtype != object:
        return None
    try:
        keys = pa.array(frame["uscc"].to_numpy(), from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if keys.null_count or not pa.types.is_string(keys.type):
        return None
    return keys


def uscc_keys(frame: pd.DataFrame):
    """The frame's uscc as an Arrow string array (numbers and other objects as their text)."""
    import pyarrow as pa

    keys = _text_keys(frame)
    if keys is None:
        keys = pa.array(frame["uscc"].astype(str).to_numpy(dtype=object))
    return keys


def uscc_order(keys) -> np.ndarray:
    """Rows in uscc order (UTF-8 byte order, stable): a check first, no sort when in order."""
    import pyarrow.compute as pc

    n = len(keys)
    if n < 2 or pc.all(pc.less_equal(keys.slice(0, n - 1), keys.slice(1))).as_py():
        return np.arange(n)
    return pc.sort_indices(keys).to_numpy()


def frame_digest(frame: pd.DataFrame, order: np.ndarray | None = None, keys=None) -> str:
    """SHA-256 of the frame, independent of row and column order.

    Canonical form: rows sorted by uscc (as UTF-8 text); columns in name order; per column its
    name, then text values joined by U+001F (missing = U+0000), datetimes as int64 ns, numbers
    as float64, booleans as bytes; each column's bytes hashed and the column hashes hashed
    together with the row count. Text columns are hashed from Arrow buffers slice by slice
    (the same bytes as `_column_bytes`, which remains the definition and the fallback).
    `order`: the rows in uscc order when the caller has it (`uscc_order`); `keys`: the uscc
    as Arrow text when every one is text (`_text_keys`): hashed from them.
    """
    idx = uscc_order(uscc_keys(frame)) if order is None else order
    rows = None if np.array_equal(idx, np.arange(len(idx))) else idx
    outer = hashlib.sha256(f"rows={len(frame)}".encode())
    for name in sorted(map(str, frame.columns)):
        inner = hashlib.sha256(name.encode("utf-8") + b"\x1e")
        col = frame[name]
        if name == "uscc" and keys is not None and col.dtype == object:
            ordered = keys if rows is None else keys.take(rows)
            col = pd.Series(pd.arrays.ArrowExtensionArray(ordered))
            done = _text_into(inner, col, None)
        else:
            done = _text_into(inner, col, rows)
        if not done:
            inner.update(_column_bytes(frame[name], idx))
        outer.update(inner.digest())
    return outer.hexdigest()


def _tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tiered-supervision")
    except PackageNotFoundError:
        return "0+unknown"


def select(
    frame: pd.DataFrame,
    strata: pd.DataFrame,
    seed: str,
    digits: int = 20,
    *,
    flags: tuple[np.ndarray, np.ndarray] | None = None,
    code: np.ndarray | None = None,
) -> pd.DataFrame:
    """Must-inspect entities plus each stratum's `quota` smallest tickets of the random pool.

    `flags` = (eligible, must_inspect) arrays, else read from `frame`'s columns of those names;
    `code` = row -> stratum index in `strata` (from `stratum_codes`), else computed.
    """
    return select_with_replacements(frame, strata, seed, digits, flags=flags, code=code)[0]


def _replacement_depth(strata: pd.DataFrame) -> np.ndarray:
    """Per stratum how many pool entities follow the drawn ones in the replacement order."""
    quota = strata["quota"].to_numpy()
    drawn = quota + strata["must_inspect"].to_numpy()
    rest = strata["pool"].to_numpy() - quota
    return np.where(drawn > 0, np.minimum(rest, np.maximum(REPLACEMENT_MIN, drawn)), 0)


def select_with_replacements(
    frame: pd.DataFrame,
    strata: pd.DataFrame,
    seed: str,
    digits: int = 20,
    *,
    flags: tuple[np.ndarray, np.ndarray] | None = None,
    code: np.ndarray | None = None,
    keys_of: KeysOf | None = None,
    all_text: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`select`, and each stratum's replacement order (`sampling.rules.REPLACEMENT_RULE`):
    the next pool entities in ticket order, found in the same pass over the tickets.
    `keys_of(usccs, seed)` computes the pool's ticket keys (default `ticket_keys`; an engine
    may compute them partition by partition elsewhere: a ticket needs only its id and seed).
    `all_text`: the caller checked that every uscc is text (no conversion needed)."""
    if flags is None:
        eligible = frame["eligible"].to_numpy(dtype=bool)
        must = frame["must_inspect"].to_numpy(dtype=bool)
    else:
        eligible, must = flags
    if code is None:
        code, found = stratum_codes(frame)
        lookup = {
            (a, b): i for i, (a, b) in enumerate(zip(strata["sector"], strata["tier"], strict=True))
        }
        code = np.array(
            [lookup[(a, b)] for a, b in zip(found["sector"], found["tier"], strict=True)]
        )[code]
    if frame["uscc"].dtype == object and all_text:
        uscc = frame["uscc"].to_numpy(dtype=object)
    else:
        uscc = frame["uscc"].astype(str).to_numpy(dtype=object)
    pool = np.flatnonzero(eligible & ~must)
    pool_ids = uscc[pool]
    keys = (keys_of or ticket_keys)(pool_ids.tolist(), seed)
    pool_code = code[pool]
    grouped = np.argsort(pool_code, kind="stable")
    bounds = np.searchsorted(pool_code[grouped], np.arange(len(strata) + 1))
    quota = strata["quota"].to_numpy()
    depth = _replacement_depth(strata)
    chosen, ranks, spare, spare_h = [], [], [], []
    for h in range(len(strata)):
        members = grouped[bounds[h] : bounds[h + 1]]
        take = int(quota[h]) + int(depth[h])
        if take > 0 and len(members):
            first = members[smallest(pool_ids[members], seed, take, keys[members])]
            chosen.append(first[: quota[h]])
            ranks.append(np.arange(len(first[: quota[h]])))
            spare.append(first[quota[h] :])
            spare_h.append(np.full(len(first) - len(first[: quota[h]]), h))
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    drawn_rows = pool[picked]
    forced_rows = np.flatnonzero(must)
    rows = np.concatenate([forced_rows, drawn_rows])
    out = frame.iloc[rows].reset_index(drop=True)
    for c in out.columns:  # the drawn rows as text, whatever the frame's codes were
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
        elif isinstance(out[c].dtype, pd.ArrowDtype):
            out[c] = out[c].to_numpy(dtype=object, na_value=None)
    out["must_inspect"] = must[rows]
    prob = strata["inclusion_probability"].to_numpy()[code[rows]]
    prob[: len(forced_rows)] = 1.0
    out["inclusion_probability"] = prob
    fk = ticket_keys(uscc[forced_rows].tolist(), seed)
    out["ticket_key"] = np.concatenate([fk, keys[picked]])
    out["ticket_rank"] = np.concatenate(
        [tie_ranks(uscc[forced_rows].tolist(), fk, seed)] + (ranks or [np.zeros(0, np.int64)])
    )
    out = out.sort_values(
        ["sector", "tier", "must_inspect", "ticket_key", "ticket_rank", "uscc"],
        ascending=[True, True, False, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    out["ticket"] = ticket_strings(out["uscc"].astype(str).tolist(), seed, digits)
    spare_rows = pool[np.concatenate(spare)] if spare else np.zeros(0, dtype=np.int64)
    spare_code = np.concatenate(spare_h) if spare_h else np.zeros(0, dtype=np.int64)
    rank = np.ones(len(spare_code), dtype=np.int64)
    if len(spare_code):  # rank within stratum: the spares come grouped, in ticket order
        starts = np.flatnonzero(np.r_[True, spare_code[1:] != spare_code[:-1]])
        rank = (
            np.arange(len(spare_code))
            - np.repeat(starts, np.diff(np.r_[starts, len(spare_code)]))
            + 1
        )
    replacements = pd.DataFrame(
        {
            "sector": strata["sector"].to_numpy()[spare_code],
            "tier": strata["tier"].to_numpy()[spare_code],
            "rank": rank,
            "uscc": uscc[spare_rows],
        }
    )
    return out, replacements


def draw(
    frame: pd.DataFrame,
    month: str,
    seed: str,
    config: SamplingConfig | None = None,
    *,
    tool_version: str | None = None,
    created_at: str | None = None,
    share: float = 1 / 12,
    ratio: float | None = None,
    count: int | None = None,
    keys_of: KeysOf | None = None,
) -> DrawOutcome:
    """Draw one month's inspection list from `frame` (uscc, sector, tier, status, …).

    `month` dates the eligibility rules (cooldown from its first day). A month's draw takes
    1/12 of the annual rates; another `share`, or a `ratio` of the pool or a `count` in all,
    draws a list of another size with the same stratification (see `plan_quotas`)."""
    config = config or SamplingConfig()
    month_start(month)
    text_keys = _text_keys(frame)
    keys = uscc_keys(frame) if text_keys is None else text_keys
    order = uscc_order(keys)
    digest = frame_digest(frame, order, text_keys)  # before the seed is used
    seed = normalise_seed(seed)
    eligible, must, active = eligibility_flags(frame, month, config, sorted_uscc=keys.take(order))
    code, strata_keys = stratum_codes(frame)
    flags = pd.DataFrame({"eligible": eligible, "must_inspect": must, "active": active})
    size = {"share": share, "ratio": ratio, "count": count}
    strata = plan_quotas(flags, config, seed, (code, strata_keys), **size)
    selected, replacements = select_with_replacements(
        frame,
        strata,
        seed,
        config.ticket_digits,
        flags=(eligible, must),
        code=code,
        keys_of=keys_of,
        all_text=text_keys is not None,
    )
    manifest = {
        "month": str(month).strip(),
        "seed": seed,
        "ticket_method": TICKET_METHOD,
        "frame_sha256": digest,
        "config_sha256": config_sha256(config),
        "tool_version": tool_version or _tool_version(),
        "created_at": created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "frame_rows": int(len(frame)),
        "drawn": int(len(selected)),
        "strata": [
            {
                "sector": r.sector,
                "tier": r.tier,
                "eligible": int(r.eligible),
                "drawn": int(r.drawn),
                "inclusion_probability": float(r.inclusion_probability),
                "must_inspect": int(r.must_inspect),
                "pool": int(r.pool),
                "quota": int(r.quota),
                "base": int(r.base),
                "annual_rate": float(r.annual_rate),
                "target": float(r.target),  # full precision: the rounding rule needs it
            }
            for r in strata.itertuples(index=False)
        ],
        "sampling_config": config_as_dict(config),
    }
    if size != {"share": 1 / 12, "ratio": None, "count": None}:
        manifest["size"] = size  # a monthly draw's manifest stays as it always was
    return DrawOutcome(
        selected=selected,
        strata=strata,
        manifest=manifest,
        replacements=replacements,
        eligible=eligible,
        must_inspect=must,
        stratum=code,
        order=order,
        uscc=keys,
    )
