"""The validated cache is found by the input files' stat signatures when the newest cache
recorded them and the ledger vouches for it; any write to an input is seen (its ctime
changes), and verify always reads every input in full."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from calls import count_calls

from tiered import validated
from tiered.analysis.scorerun import run_score
from tiered.demo.build import write_demo
from tiered.workspace import VOUCHED, load_workspace

AS_OF = "2026-01-01"


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("sigws") / "ws"
    write_demo(ws, n_entities=300, seed=4, end="2025-12")
    return ws


@pytest.fixture
def ws(base_ws: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(base_ws, dst)
    old = time.time() - 3600  # inputs settled long before the score run records them
    for p in dst.iterdir():
        if p.is_file():
            os.utime(p, (old, old))
    run_score(dst, AS_OF)
    return dst


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files `tiered.validated` hashes in full."""
    seen: list[str] = []
    real = validated.sha256_file

    def counting(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(validated, "sha256_file", counting)
    return seen


def test_a_command_after_the_score_run_reads_no_input_file(ws: Path, reads: list[str]) -> None:
    full = load_workspace(ws, write_rejected=False, use_cache=VOUCHED)  # reads every input
    assert "entities.csv" in reads and "records.csv" in reads
    reads.clear()
    quick = load_workspace(ws, write_rejected=False)
    assert not [n for n in reads if n.endswith(".csv")]
    assert quick.validated == full.validated and quick.validated is not None
    assert quick.digest == full.digest


def test_an_edited_input_is_read_again_even_with_its_size_and_mtime_kept(
    ws: Path, reads: list[str]
) -> None:
    path = ws / "entities.csv"
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    name = text.splitlines()[1].split(",")[1].strip('"')
    path.write_text(text.replace(name, name[::-1], 1), encoding="utf-8")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    got = load_workspace(ws, write_rejected=False)
    assert "entities.csv" in reads
    assert name[::-1] in set(got.table("entities")["name"])


def test_verify_never_takes_a_recorded_signature(ws: Path, reads: list[str]) -> None:
    load_workspace(ws, write_rejected=False, use_cache=VOUCHED)
    assert {"entities.csv", "records.csv", "inspections.csv"} <= set(reads)


def test_cached_tables_read_as_pandas_reads_them(ws: Path) -> None:
    """`ParquetFile` (no dataset layer) gives the frames `pd.read_parquet` gave."""
    import pandas as pd

    files = sorted((ws / "out" / "cache").glob("*/*.parquet"))
    assert len(files) > 8
    for p in files:
        want, got = pd.read_parquet(p), validated._reader(validated.Pinned(p))()
        assert got.equals(want) and list(got.dtypes) == list(want.dtypes), p.name
        assert got.index.equals(want.index)


def _validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts `tiered.workspace._validate` calls (a table parse and check from the inputs)."""
    import tiered.workspace as workspace

    return count_calls(monkeypatch, workspace, "_validate")


def test_a_new_threshold_or_rate_keeps_the_validated_cache(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sections validation never reads (scoring, sampling, model, publish, imported tiers) do
    not validate the tables again; the workspace digest still changes (a score run of the old
    config is not the new one's)."""
    calls = _validations(monkeypatch)
    before = load_workspace(ws, write_rejected=False)
    (ws / "config.yaml").write_text(
        "scoring:\n  thresholds: {a: 850, b: 720, c: 600}\n"
        "sampling:\n  floor_rate: 0.01\npublish:\n  deadline_working_days: 15\n",
        encoding="utf-8",
    )
    after = load_workspace(ws, write_rejected=False)
    assert calls == [] and after.validated["key"] == before.validated["key"]
    assert after.digest != before.digest
    assert after.config.scoring.thresholds != before.config.scoring.thresholds
    fresh = load_workspace(ws, write_rejected=False, use_cache=False)
    for name in fresh.tables:
        assert after.tables[name].equals(fresh.tables[name]), name


@pytest.mark.parametrize(
    "text",
    [
        "values:\n  sector:\n    餐饮服务: food_drug\n",
        "headers:\n  entities:\n    企业名称: name\n",
        "identifiers:\n  check_digit: false\n",
        "extra_record_kinds: [custom_kind]\n",
    ],
)
def test_what_validation_reads_validates_again(
    ws: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    before = load_workspace(ws, write_rejected=False)
    calls = _validations(monkeypatch)
    (ws / "config.yaml").write_text(text, encoding="utf-8")
    after = load_workspace(ws, write_rejected=False)
    assert calls == [1] and after.validated["key"] != before.validated["key"]
