"""A hand-made draw folder as `tiered draw` writes it (CONTRACT.md), so the results, publish and
crash tests do not depend on the draw workflow."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.conftest import small_tables, write_tables
from tiered.files import atomic_write_bytes, write_csv_bom, xlsx_bytes
from tiered.ledger import chain as ledger

MONTH = "2026-05"


def make_draw(
    ws: Path, month: str = MONTH, n: int | None = None, ledgered: bool = True
) -> list[str]:
    """Draw the first `n` entities of `ws/entities.csv` for `month`; returns their usccs."""
    ent = pd.read_csv(ws / "entities.csv", dtype=str)
    drawn = ent.head(n if n is not None else len(ent))
    lst = pd.DataFrame(
        {
            "uscc": drawn["uscc"],
            "name": drawn["name"],
            "sector": drawn["sector"],
            "region": drawn["region"],
            "tier": "B",
            "ticket": [f"0.{i + 1:04d}" for i in range(len(drawn))],
            "inclusion_probability": "0.1",
            "inspectors": "HD0001;HD0002",
        }
    )
    folder = ws / "out" / "draws" / month
    folder.mkdir(parents=True, exist_ok=True)
    write_csv_bom(lst, folder / "inspection_list.csv")
    atomic_write_bytes(folder / "inspection_list.xlsx", xlsx_bytes(lst))
    (folder / "manifest.json").write_text(json.dumps({"month": month, "seed": "test"}))
    if ledgered:
        files = [
            folder / f for f in ("inspection_list.csv", "inspection_list.xlsx", "manifest.json")
        ]
        ledger.append(ws, "draw", {"month": month, "seed": "test"}, files=files)
    return list(drawn["uscc"])


def drawn_ws(tmp_path: Path, n: int = 4) -> tuple[Path, list[str]]:
    """The shared small workspace with a draw of its first `n` entities for MONTH."""
    tables = small_tables()
    tables["entities"].loc[0, "name"] = "乐都区张三丰小吃店"
    tables["entities"].loc[1, "legal_representative"] = "李四"
    ws = write_tables(tmp_path / "ws", tables)
    return ws, make_draw(ws, n=n)
