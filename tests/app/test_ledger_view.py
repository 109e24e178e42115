"""The ledger as Settings shows it: every kind the commands write has words in both languages,
the reason comes before the long details, and times are Beijing time."""

from __future__ import annotations

import ast
from pathlib import Path

from app_support import ledgerview
from tiered.ledger.chain import Entry

ROOT = Path(__file__).resolve().parents[2]
WRITERS = {"append", "_append", "commit_files", "commit_dir"}
PARAMS = ("kind", "base_kind")


def _kinds_written() -> set[str]:
    """The literal kinds given to the ledger's writers in tiered/ and the app: a writer call's
    second argument; for a function that passes its own `kind`/`base_kind` on to a writer, that
    parameter's default and its callers' keywords; `DrawSpec.ledger_kind`'s values; and the
    `_replaced` variant of each draw kind, which `_write_and_record` derives."""
    files = [p for d in ("tiered", "app_pages", "app_support") for p in (ROOT / d).rglob("*.py")]
    trees = [ast.parse(p.read_text("utf-8")) for p in files]
    nodes = [n for t in trees for n in ast.walk(t)]

    def called(node: ast.Call) -> str:
        return getattr(node.func, "attr", getattr(node.func, "id", ""))

    def literals(e: ast.expr) -> set[str]:  # "a" -> {a}; "a" if x else "b" -> {a, b}
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            return {e.value}
        if isinstance(e, ast.IfExp):
            return literals(e.body) | literals(e.orelse)
        return set()

    kinds: set[str] = set()
    forwarding = {}
    for fn in (n for n in nodes if isinstance(n, ast.FunctionDef)):
        if fn.name == "ledger_kind":
            kinds |= {
                k for r in ast.walk(fn) if isinstance(r, ast.Return) for k in literals(r.value)
            }
        for c in (n for n in ast.walk(fn) if isinstance(n, ast.Call) and called(n) in WRITERS):
            if len(c.args) > 1 and isinstance(c.args[1], ast.Name):
                forwarding[fn.name] = fn
    for c in (n for n in nodes if isinstance(n, ast.Call)):
        if called(c) in WRITERS and len(c.args) > 1:
            kinds |= literals(c.args[1])
        if called(c) in forwarding:
            kinds |= {
                k.value.value
                for k in c.keywords
                if k.arg in PARAMS and isinstance(k.value, ast.Constant)
            }
    for fn in forwarding.values():
        a = fn.args
        pairs = list(zip(a.args[len(a.args) - len(a.defaults) :], a.defaults, strict=True))
        pairs += list(zip(a.kwonlyargs, a.kw_defaults, strict=True))
        kinds |= {d.value for p, d in pairs if p.arg in PARAMS and isinstance(d, ast.Constant)}
    return kinds | {f"{k}_replaced" for k in ("draw", "task_draw")}


def test_every_kind_written_has_words():
    kinds = _kinds_written()
    assert {"draw", "task_draw", "results_import", "table_replace", "validation"} <= kinds
    missing = sorted(kinds - set(ledgerview.KIND_LABELS))
    assert not missing, f"ledger kinds without a label: {missing}"
    assert ledgerview.kind_label("some_new_kind", "zh") == "some new kind"  # never the code


def test_rows_put_the_reason_before_the_details_in_beijing_time():
    e = Entry(
        7,
        "2026-12-01T16:30:00Z",
        "clerk1",
        "table_replace",
        {"table": "entities", "rows": 20006, "reason": "区局更新名录"},
        (),
        "0" * 64,
        "1" * 64,
    )
    (zh,) = ledgerview.ledger_rows([e], "zh", {"clerk1": "张科员"})
    assert list(zh) == ["#", "时间（北京时间）", "操作人", "操作", "原因", "内容"]
    assert zh["时间（北京时间）"] == "2026-12-02 00:30:00"
    assert (zh["操作"], zh["原因"], zh["操作人"]) == (
        "上传数据表",
        "区局更新名录",
        "张科员（clerk1）",
    )
    assert zh["内容"] == "表 entities；行数 20,006"
    (en,) = ledgerview.ledger_rows([e], "en")
    assert list(en)[4:] == ["reason", "details"] and en["what"] == "table upload"
    assert list(ledgerview.widths("en")) == list(en)


def test_a_system_actor_is_shown_by_its_words_alone():
    e = Entry(1, "2026-12-01T00:00:00Z", "demo-setup", "score_run", {}, (), "0" * 64, "1" * 64)
    assert ledgerview.ledger_rows([e], "zh")[0]["操作人"] == "演示数据初始化"
    assert ledgerview.ledger_rows([e], "en")[0]["who"] == "demo setup"
