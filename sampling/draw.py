"""The draw: within each stratum, must-inspect entities plus the eligible ones with the smallest
tickets; and a manifest holding everything needed to recompute it.

Order of work matters for auditability: the frame digest is computed *before* the seed is
touched, so a frame cannot be tuned after the seed is known without the digest showing it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from sampling.config import SamplingConfig, config_as_dict, config_sha256
from sampling.errors import SeedError
from sampling.plan import STRATUM, mark_eligibility, month_start, plan_quotas
from sampling.tickets import TICKET_METHOD, ticket_keys, ticket_strings, tie_ranks

log = logging.getLogger(__name__)

AUTO_SEED = "auto"


@dataclass(frozen=True)
class DrawOutcome:
    """The drawn entities (frame columns + ticket, inclusion_probability, must_inspect), the
    per-stratum plan, and the manifest."""

    selected: pd.DataFrame
    strata: pd.DataFrame
    manifest: dict


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


def _column_bytes(col: pd.Series) -> bytes:
    if pd.api.types.is_datetime64_any_dtype(col):
        values = col.astype("datetime64[ns]").to_numpy().view("<i8")
        return values.astype("<i8").tobytes()
    if pd.api.types.is_bool_dtype(col) and not col.isna().any():
        return col.to_numpy(dtype=np.uint8).tobytes()
    if pd.api.types.is_float_dtype(col) or pd.api.types.is_integer_dtype(col):
        return col.to_numpy(dtype="<f8", na_value=np.nan).tobytes()
    text = col.astype(object).where(col.notna(), "\x00")
    return "\x1f".join(map(str, text.tolist())).encode("utf-8")


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame, independent of row and column order.

    Canonical form: rows sorted by uscc; columns in name order; per column its name, then text
    values joined by U+001F (missing = U+0000), datetimes as int64 ns, numbers as float64,
    booleans as bytes; each column's bytes hashed and the column hashes hashed together.
    """
    ordered = frame.sort_values("uscc", kind="stable").reset_index(drop=True)
    outer = hashlib.sha256(f"rows={len(ordered)}".encode())
    for name in sorted(map(str, ordered.columns)):
        inner = hashlib.sha256(name.encode("utf-8") + b"\x1e")
        inner.update(_column_bytes(ordered[name]))
        outer.update(inner.digest())
    return outer.hexdigest()


def _tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tiered-supervision")
    except PackageNotFoundError:
        return "0+unknown"


def select(marked: pd.DataFrame, strata: pd.DataFrame, seed: str, digits: int = 20) -> pd.DataFrame:
    """Must-inspect entities plus each stratum's `quota` smallest tickets of the random pool."""
    pool = marked[marked["eligible"] & ~marked["must_inspect"]]
    must = marked[marked["must_inspect"]]
    usccs = pool["uscc"].astype(str).tolist()
    keys = ticket_keys(usccs, seed)
    ties = tie_ranks(usccs, keys, seed)
    code = pool.groupby(STRATUM, observed=True, sort=True).ngroup().to_numpy()
    order = np.lexsort((ties, keys, code))
    ranked = pool.iloc[order]
    rank = ranked.groupby(STRATUM, observed=True, sort=False).cumcount().to_numpy()
    quota = (
        ranked[STRATUM]
        .astype(str)
        .merge(strata[STRATUM + ["quota", "inclusion_probability"]], on=STRATUM, how="left")
    )
    take = rank < quota["quota"].to_numpy()
    drawn = ranked[take].copy()
    drawn["inclusion_probability"] = quota["inclusion_probability"].to_numpy()[take]
    drawn["ticket_key"] = keys[order][take]
    drawn["ticket_tie"] = ties[order][take]
    forced = must.copy()
    forced["inclusion_probability"] = 1.0
    fk = ticket_keys(forced["uscc"].astype(str).tolist(), seed)
    forced["ticket_key"] = fk
    forced["ticket_tie"] = tie_ranks(forced["uscc"].astype(str).tolist(), fk, seed)
    out = pd.concat([forced, drawn], ignore_index=True)
    out["must_inspect"] = out["must_inspect"].astype(bool)
    out = out.sort_values(
        ["sector", "tier", "must_inspect", "ticket_key", "ticket_tie", "uscc"],
        ascending=[True, True, False, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    out["ticket"] = ticket_strings(out["uscc"].astype(str).tolist(), seed, digits)
    return out


def draw(
    frame: pd.DataFrame,
    month: str,
    seed: str,
    config: SamplingConfig | None = None,
    *,
    tool_version: str | None = None,
    created_at: str | None = None,
) -> DrawOutcome:
    """Draw one month's inspection list from `frame` (uscc, sector, tier, status, …)."""
    config = config or SamplingConfig()
    month_start(month)
    digest = frame_digest(frame)  # before the seed is used
    seed = normalise_seed(seed)
    marked = mark_eligibility(frame, month, config)
    strata = plan_quotas(marked, config, seed)
    selected = select(marked, strata, seed, config.ticket_digits)
    selected = selected.drop(columns=["eligible", "excluded_reason"])
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
                "target": round(float(r.target), 6),
            }
            for r in strata.itertuples(index=False)
        ],
        "sampling_config": config_as_dict(config),
    }
    return DrawOutcome(selected=selected, strata=strata, manifest=manifest)
