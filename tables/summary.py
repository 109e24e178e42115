"""What a clerk fixes first, summarised from a validation report's errors: each duplicated key
with all its rows, and the rows of other tables rejected only because the row they refer to
was (the cascade). Read by `tiered validate`, the upload plan and the app."""

from __future__ import annotations


def rows_text(rows: list[int]) -> str:
    """Row numbers as a clerk reads them: "5、9" (at most ten, then a count)."""
    shown = "、".join(str(r) for r in rows[:10])
    return shown if len(rows) <= 10 else f"{shown} 等 {len(rows)} 行"


def problem_summary(errors: list[dict]) -> dict[str, list[dict]]:
    """What a clerk fixes first: each duplicated key with all its rows, and how many rows of the
    other tables were rejected only because the row they refer to was (the cascade)."""
    dups: dict[tuple, dict] = {}
    cascade: dict[tuple, dict] = {}
    for e in errors:
        if e.get("problem") == "duplicate_key":
            dups.setdefault(
                (e["table"], e["column"], e["value"]),
                {
                    "table": e["table"],
                    "column": e["column"],
                    "value": e["value"],
                    "rows": e["rows"],
                },
            )
        elif e.get("problem") == "rejected_reference":
            c = cascade.setdefault(
                (e["table"], e["refers_to"], e["cause"]),
                {
                    "table": e["table"],
                    "refers_to": e["refers_to"],
                    "cause": e["cause"],
                    "rows": 0,
                    "keys": set(),
                },
            )
            c["rows"] += 1
            c["keys"].add(e["value"])
    for c in cascade.values():
        c["keys"] = len(c["keys"])
    return {"duplicates": list(dups.values()), "cascade": list(cascade.values())}


TABLE_WORDS = {"entities": "检查对象名录库", "inspectors": "执法检查人员名录库"}


def summary_lines(summary: dict[str, list[dict]]) -> list[str]:
    """The summary in one line per fact, e.g. "1 个重复代码 … (1 duplicate code; 3 records
    rejected because of it)"."""
    lines = []
    by_table: dict[tuple[str, str], list[dict]] = {}
    for d in summary.get("duplicates", []):
        by_table.setdefault((d["table"], d["column"]), []).append(d)
    for (table, column), ds in by_table.items():
        knock = [
            c
            for c in summary.get("cascade", [])
            if c["refers_to"] == table and c["cause"] == "duplicate"
        ]
        rows = "；".join(f"{d['value']}：第 {rows_text(d['rows'])} 行" for d in ds[:5])
        more = f" 等 {len(ds)} 个" if len(ds) > 5 else ""
        zh = f"{table} 中 {len(ds)} 个重复的 {column}（{rows}{more}）"
        en = f"{len(ds)} duplicate {column}{'s' if len(ds) > 1 else ''} in {table}"
        if knock:
            zh += "；因此被拒收：" + "、".join(f"{c['table']} {c['rows']:,} 行" for c in knock)
            en += "; rejected because of " + ("them" if len(ds) > 1 else "it") + ": "
            en += ", ".join(f"{c['rows']:,} {c['table']}" for c in knock)
        lines.append(f"{zh} ({en})")
    for c in summary.get("cascade", []):
        if c["cause"] != "invalid":
            continue
        what = TABLE_WORDS.get(c["refers_to"], c["refers_to"])
        lines.append(
            f"{c['table']} {c['rows']:,} 行因其在{what}中的 {c['keys']:,} 行被拒收而随之拒收"
            f" ({c['rows']:,} {c['table']} rows rejected because the {c['keys']:,}"
            f" {c['refers_to']} rows they refer to were rejected)"
        )
    return lines
