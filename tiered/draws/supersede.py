"""What a redraw does to the month's results and public list: refuse, or mark them superseded.

Results are recorded against one inspection list and the public list is made from them. A
redraw replaces the list, so results recorded for the old one would be counted under the new
one (the wrong entities, the wrong inclusion probabilities) and the old public list would stay
downloadable as if current. So a redraw of a month that has either is refused, saying how many,
unless the caller asks to supersede them (`tiered draw --replace --reason TEXT --supersede`,
or the app's checkbox). Then, before the new list is written:

- `out/results/M.csv` becomes `out/results/M.superseded-<UTC time>.csv`: the visits happened,
  so the rows stay in the inspection history (scores, cooldown), but they are no longer the
  month's results: nothing counts, estimates or publishes them under the new list;
- `out/publish/M.csv|.xlsx` become `M.superseded-<UTC time>.csv|.xlsx`, no longer offered;
- one `superseded` ledger entry names the archived copies and lists the old paths as removed,
  and the new draw's manifest says what was superseded.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tiered.errors import UsageError
from tiered.layout import Layout, Month
from tiered.ledger import chain as ledger
from tiered.ledger import staged

SUPERSEDED = ".superseded-"


@dataclass
class MonthOutputs:
    """The month's recorded results and public list, as they are now."""

    results: Path | None
    results_rows: int
    publication: list[Path] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return self.results is not None or bool(self.publication)

    def describe(self) -> tuple[str, str]:
        """(Chinese, English) phrase: "12 条检查结果和公示名单"."""
        zh, en = [], []
        if self.results is not None:
            zh.append(f"{self.results_rows:,} 条检查结果")
            en.append(f"{self.results_rows:,} recorded results")
        if self.publication:
            zh.append("公示名单")
            en.append("a public list")
        return "和".join(zh), " and ".join(en)


def month_outputs(ws: str | Path, month: Month | str) -> MonthOutputs:
    lay = Layout.of(ws)
    res = lay.results(month)
    rows = 0
    if res.is_file():
        with contextlib.suppress(OSError, ValueError, pd.errors.EmptyDataError):
            rows = len(pd.read_csv(res, dtype=str, keep_default_na=False, encoding="utf-8-sig"))
    pubs = [p for p in (lay.publication(month, s) for s in (".csv", ".xlsx")) if p.is_file()]
    return MonthOutputs(res if res.is_file() else None, rows, pubs)


def check_redraw(ws: str | Path, month: Month | str, supersede: bool) -> MonthOutputs:
    """The month's outputs; UsageError (exit 2) when there are some and `supersede` is off."""
    out = month_outputs(ws, month)
    if out.any and not supersede:
        zh, en = out.describe()
        raise UsageError(
            f"{month} 已有{zh}，重抽会使其与新名单不符。确需重抽请加 --supersede："
            f"旧结果与公示名单将标记为作废并存档，记入账本 ({month} already has {en}; a redraw "
            "would leave them attached to the wrong list. Add --supersede to archive them as "
            "superseded, ledgered)"
        )
    return out


def supersede(
    ws: str | Path,
    month: Month | str,
    outputs: MonthOutputs,
    reason: str,
    stamp: str,
    actor: str | None = None,
) -> dict[str, str]:
    """Move the month's results and public list aside (ledgered); returns {old: new} paths."""
    lay = Layout.of(ws)
    moves = {
        lay.rel(p): lay.rel(p.with_name(f"{p.stem}{SUPERSEDED}{stamp}{p.suffix}"))
        for p in ([outputs.results] if outputs.results else []) + outputs.publication
    }
    if not moves:
        return {}
    payload = {
        "month": str(month),
        "reason": reason,
        "by": "draw_replaced",
        "results_rows": outputs.results_rows,
        "moved": moves,
        "removed": sorted(moves),  # audit stops expecting the old paths
    }
    data = {new: (lay.root / old).read_bytes() for old, new in moves.items()}
    staged.commit_files(lay.root, "superseded", payload, data, actor=actor)
    for old in moves:
        (lay.root / old).unlink(missing_ok=True)
    return moves


def is_superseded(path: str | Path) -> bool:
    return SUPERSEDED in Path(path).name


def current_entries(ws: str | Path, month: Month | str, kind: str) -> list[ledger.Entry]:
    """The month's ledger entries of `kind` (results_import, publication) made since its
    results were last superseded: what belongs to the current list."""
    month = str(month)
    mine = [e for e in ledger.entries(Layout.of(ws).root) if e.payload.get("month") == month]
    cut = max((e.seq for e in mine if e.kind == "superseded"), default=0)
    return [e for e in mine if e.kind == kind and e.seq > cut]
