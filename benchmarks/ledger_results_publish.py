"""Figures for the ledger, result import and publication: time and peak RSS.

Run: .venv/bin/python benchmarks/ledger_results_publish.py [N_RESULTS]
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from tables.uscc import check_char
from tiered.files import write_csv_bom
from tiered.ledger import chain as ledger
from tiered.publish.publication import publish
from tiered.results import import_results


def make_uscc(i: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    tail = ""
    for _ in range(9):
        tail, i = alphabet[i % 31] + tail, i // 31
    body = "91630202" + tail
    return body + check_char(body)


def main(n: int) -> None:
    ws = Path(tempfile.mkdtemp()) / "ws"
    ws.mkdir()
    codes = [make_uscc(i) for i in range(n)]
    pd.DataFrame(
        {
            "uscc": codes,
            "name": [f"乐都区张三丰{i}号店" for i in range(n)],
            "sector": "other",
            "region": "乐都区",
            "legal_representative": "张三丰",
        }
    ).to_csv(ws / "entities.csv", index=False)
    folder = ws / "out/draws/2026-05"
    write_csv_bom(
        pd.DataFrame(
            {
                "uscc": codes,
                "name": "x",
                "sector": "other",
                "region": "乐都区",
                "tier": "B",
                "ticket": "0.1",
                "inclusion_probability": "0.1",
                "inspectors": "HD0001;HD0002",
            }
        ),
        folder / "inspection_list.csv",
    )
    t = time.perf_counter()
    for i in range(500):
        ledger.append(ws, "config_change", {"i": i})
    print(f"ledger append: {(time.perf_counter() - t) / 500 * 1000:.1f} ms/entry (500 entries)")
    src = ws.parent / "results.csv"
    pd.DataFrame(
        {
            "uscc": codes,
            "date": "2026-05-11",
            "found_problem": "否",
            "item": "营业执照",
            "result": "未发现问题，联系电话13812345678",
        }
    ).to_csv(src, index=False)
    t = time.perf_counter()
    s = import_results(ws, "2026-05", src, today=dt.date(2026, 6, 1))
    print(f"import {n:,} results: {time.perf_counter() - t:.2f} s (added {s.added:,})")
    t = time.perf_counter()
    import_results(ws, "2026-05", src, today=dt.date(2026, 6, 1))
    print(f"re-import (all unchanged): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    p = publish(ws, "2026-05", on=dt.date(2026, 6, 1))
    print(f"publish {p.rows:,} rows (CSV + XLSX, masked): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    rep = ledger.audit(ws)
    print(f"audit {rep.entries} entries: {time.perf_counter() - t:.2f} s, ok={rep.ok}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
