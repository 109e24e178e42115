"""Earlier draws as history: who their lists named, from which month, with which inspectors.

A drawn entity counts as inspected from its draw's first month, so the cooldown, must-inspect
and rotation rules see earlier lists (and the replacements made for them) before any result is
recorded; only lists the ledger vouches for count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sampling.plan import month_start
from tiered.draws.folder import CSV_NAME, MANIFEST_NAME
from tiered.draws.frame import History
from tiered.draws.spec import DrawSpec, window_of
from tiered.layout import Layout
from tiered.ledger.vouch import Vouched
from tiered.workspace import Workspace


def _scheduled(
    ws: Path, spec: DrawSpec, created_before: str | None = None
) -> tuple[pd.DataFrame, set[str]]:
    """(entities on earlier draws' lists: uscc, date = that draw's first month, inspectors;
    entities drawn by another draw of an overlapping window that started later).

    A drawn entity counts as inspected from its draw's first month even before its result is
    recorded, so the cooldown and must-inspect rules never draw it again the next month; and no
    entity is drawn by two draws of the same window unless the spec allows repeats. Verifying a
    draw passes its `created_at`: a list made after it cannot have shaped it.
    """
    start = month_start(spec.month)
    parts, overlapping = [], set()
    vouched = None
    for kind, key, d in Layout.of(ws).draw_folders():
        if (kind, key) == (spec.kind, spec.key) or not (d / CSV_NAME).is_file():
            continue
        if created_before and _created_at(d) > created_before:
            continue
        vouched = vouched or Vouched(ws)  # a hand-made or edited list must not shape the draw
        vouched.require_all(p for p in (d / CSV_NAME, d / MANIFEST_NAME) if p.exists())
        window = window_of(kind, key, _manifest(d))
        if window is None:
            continue
        lst = pd.read_csv(d / CSV_NAME, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if not {"uscc", "inspectors"} <= set(lst.columns):
            continue
        when = month_start(f"{window[0]:%Y-%m}")
        if when < start:
            parts.append(lst[["uscc", "inspectors"]].assign(date=when, actual=False))
            subs = _replacements_made(d, created_before)
            if len(subs):  # a replacement is inspected in the draw month like the drawn
                parts.append(subs.assign(date=when, actual=False))
        elif window[0] <= spec.end and window[1] >= spec.start:
            overlapping.update(lst["uscc"])
            overlapping.update(_replacements_made(d, created_before)["uscc"])
    if not parts:
        empty = pd.DataFrame({"uscc": [], "inspectors": [], "date": [], "actual": []})
        return empty, overlapping
    return pd.concat(parts, ignore_index=True), overlapping


def previous_inspectors(
    ws: Workspace, spec: DrawSpec, created_before: str | None = None
) -> pd.DataFrame:
    """(uscc, inspector_id) of each entity's latest planned inspection before the draw, draw
    lists included: the inspectors rotation keeps away."""
    scheduled, _ = _scheduled(ws.path, spec, created_before)
    return History.of(ws, scheduled, month_start(spec.month)).previous()


def _manifest(draw_dir: Path) -> dict:
    try:
        return json.loads((draw_dir / MANIFEST_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _replacements_made(draw_dir: Path, created_before: str | None) -> pd.DataFrame:
    """(uscc, inspectors) of the replacements made for a draw (before `created_before`)."""
    from tiered.draws.replace import made

    done = made(draw_dir)
    if created_before:
        done = done[done["replaced_at"] <= created_before]
    return done[["replacement", "inspectors"]].rename(columns={"replacement": "uscc"})


def _created_at(draw_dir: Path) -> str:
    try:
        return str(json.loads((draw_dir / MANIFEST_NAME).read_text("utf-8"))["created_at"])
    except (OSError, ValueError, KeyError):
        return ""
