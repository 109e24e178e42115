"""`--engine dask` on a LocalCluster of two worker processes gives byte for byte the files of
the default engine (score and draw)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tiered.demo.build import write_demo
from tiered.draws.draw import run_draw
from tiered.engine import chunks, engine

pytest.importorskip("dask.distributed")

MONTH = "2026-01"
SEED = "7"


@pytest.fixture(scope="module")
def cluster():
    with engine("dask") as eng:
        assert eng.workers == 2
        yield eng


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("daskws") / "ws"
    write_demo(ws, n_entities=600, seed=9, end="2025-12")
    return ws


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _dated(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: re.sub(rb'"created_at": "[^"]*"', b"", v) for k, v in files.items()}


def test_draw_on_dask_is_byte_identical(base_ws: Path, tmp_path: Path, cluster) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(base_ws, a)
    shutil.copytree(base_ws, b)
    local = run_draw(a, MONTH, SEED)
    dask = run_draw(b, MONTH, SEED, engine=cluster)
    assert _files(dask.out_dir) == _files(local.out_dir)
    assert dask.manifest["frame_sha256"] == local.manifest["frame_sha256"]


def test_chunks_cover_everything_once() -> None:
    for n in (0, 1, 5, 17):
        for k in (1, 2, 8):
            got = [i for s in chunks(n, k) for i in range(n)[s]]
            assert got == list(range(n))


LEARNED = "model: {require_better: false, min_inspections: 50, min_positives: 5, tier_basis: risk}"


@pytest.mark.parametrize("config", ["", LEARNED], ids=["composite", "learned"])
def test_score_on_dask_is_byte_identical(base_ws: Path, tmp_path: Path, cluster, config) -> None:
    from tiered.analysis.scorerun import run_score

    a, b = tmp_path / "a", tmp_path / "b"
    for ws in (a, b):
        shutil.copytree(base_ws, ws)
        if config:
            (ws / "config.yaml").write_text(config + "\n", "utf-8")
    local, _, fa = run_score(a, "2026-01-01")
    dask, _, fb = run_score(b, "2026-01-01", engine=cluster)
    assert dask.risk_source == local.risk_source
    assert fb.read_bytes() == fa.read_bytes()
    ma, mb = a / "out" / "models", b / "out" / "models"
    if ma.is_dir():  # the same model (its file says when it was made: nothing else differs)
        assert _dated(_files(mb)) == _dated(_files(ma))
    assert (dask.run.at_best == local.run.at_best).all()


def test_partitions_keep_related_parties_together(base_ws: Path) -> None:
    from tiered.analysis.partitioned import partitions
    from tiered.workspace import load_workspace

    ws = load_workspace(base_ws, write_rejected=False)
    parts = partitions(ws)
    assert sum(len(e) for e, _, _ in parts) == len(ws.table("entities"))
    for ent, rec, _ in parts:
        assert ent["region"].nunique() <= 1  # same region: a related party is never elsewhere
        assert set(rec["uscc"]) <= set(ent["uscc"])
