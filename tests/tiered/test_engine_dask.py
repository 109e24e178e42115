"""`--engine dask` on a LocalCluster of two worker processes gives byte for byte the files of
the default engine (score and draw), the workers reading their own partitions (`tiered.parts`);
a partition that is not the one the ledgered manifest lists is refused in one line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tiered import parts
from tiered.demo.build import write_demo
from tiered.draws.draw import run_draw
from tiered.engine import chunks, engine

pytest.importorskip("dask.distributed")

MONTH = "2026-01"
SEED = "7"
SMALL = 120  # entities per partition here: several partitions, a region split by hash


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    monkeypatch.setattr(parts, "MAX_ENTITIES", SMALL)


@pytest.fixture(scope="module")
def cluster():
    with engine("dask") as eng:
        assert eng.workers == 2
        yield eng


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("daskws") / "ws"
    write_demo(ws, n_entities=600, seed=9, end="2025-12")
    # Related parties in a region split by hash: every region's entities share three legal
    # representatives, so each listed entity has dozens of related parties.
    ent = pd.read_csv(ws / "entities.csv", dtype=str, keep_default_na=False)
    names = np.array(["甲", "乙", "丙"])[np.arange(len(ent)) % 3]
    ent["legal_representative"] = np.where(ent.index % 10 == 9, "", names)
    ent.to_csv(ws / "entities.csv", index=False)
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
    assert list((b / "out" / "parts").glob("*/manifest.json"))  # its tiers, by partition


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
    assert len(list((b / "out" / "parts").glob("*/entities/*.parquet"))) > 2


def test_score_on_dask_reuses_the_stored_model(
    base_ws: Path, tmp_path: Path, cluster, monkeypatch
) -> None:
    """A dask score after a score run on the same basis takes the stored model (no training
    rows gathered from the partitions, nothing fitted) and writes the same bytes."""
    from scoring import learned
    from tiered.analysis import partfits
    from tiered.analysis.scorerun import run_score

    ws = tmp_path / "ws"
    shutil.copytree(base_ws, ws)
    (ws / "config.yaml").write_text(LEARNED + "\n", "utf-8")
    local, _, target = run_score(ws, "2026-01-01")
    first, models = target.read_bytes(), _files(ws / "out" / "models")
    assert local.risk_source == "model"

    def refuse(*args, **kwargs):
        raise AssertionError("the learned model was trained")

    for module, name in ((learned, "train"), (learned, "fit"), (partfits, "model")):
        monkeypatch.setattr(module, name, refuse)
    dask, _, _ = run_score(ws, "2026-01-01", engine=cluster)
    assert dask.stored is not None and dask.risk_source == "model"
    assert target.read_bytes() == first
    assert _files(ws / "out" / "models") == models


def test_sampled_typical_entity_on_dask_is_byte_identical(
    base_ws: Path, tmp_path: Path, cluster, monkeypatch
) -> None:
    """Above `explain.reference`'s sample (here 50, as at a million entities 100,000) each
    worker prepares only the picked entities and their related parties for it."""
    from scoring import explain
    from tiered.analysis import partitioned
    from tiered.analysis.scorerun import run_score

    whole = explain.reference
    monkeypatch.setattr(partitioned, "SAMPLE", 50)
    monkeypatch.setattr(
        explain,
        "reference",
        lambda m, how="median", keys=None, sample=50: whole(m, how, keys, sample),
    )
    a, b = tmp_path / "a", tmp_path / "b"
    for ws in (a, b):
        shutil.copytree(base_ws, ws)
    local, _, fa = run_score(a, "2026-01-01")
    dask, _, fb = run_score(b, "2026-01-01", engine=cluster)
    assert (dask.run.typical == local.run.typical).all()
    assert fb.read_bytes() == fa.read_bytes()


def test_picked_entities_get_their_partitions_points(base_ws: Path, tmp_path: Path) -> None:
    """The entities picked for the typical entity, prepared with their related parties only,
    get the points the whole partition gives them."""
    from scoring.pipeline import Scorer
    from tiered.analysis.partitioned import _points_part, pick_rows
    from tiered.workspace import load_workspace

    ws = load_workspace(shutil.copytree(base_ws, tmp_path / "ws"), write_rejected=False)
    scorer = Scorer(ws.config.scoring)
    scorer.config_, scorer.as_of_ = ws.config.scoring, pd.Timestamp("2026-01-01")
    related = 0
    for ref in parts.ensure(ws):
        matrix, keys, _ = _points_part(ref, scorer, None)
        pick = pick_rows(keys, 2)
        got, got_keys, _ = _points_part(ref, scorer, 2)
        assert (got_keys == keys[pick]).all()
        assert (got == matrix[pick]).all()
        related += int(
            (matrix[pick][:, list(scorer.config_.indicators).index("related_dishonest")] != 0).sum()
        )
    assert related  # some picked entity has a related party on a listed kind


def test_partitions_keep_related_parties_together(base_ws: Path, tmp_path: Path) -> None:
    from tiered.workspace import load_workspace

    ws = load_workspace(shutil.copytree(base_ws, tmp_path / "ws"), write_rejected=False)
    refs = parts.ensure(ws)
    folder = Path(refs[0].base.removeprefix("file://"))
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert "legal representative" in manifest["rule"]
    assert any(p.get("split") for p in manifest["parts"])  # a region above SMALL was split
    ent = [pd.read_parquet(folder / f"entities/part={r.index}.parquet") for r in refs]
    rec = [pd.read_parquet(folder / f"records/part={r.index}.parquet") for r in refs]
    assert sum(len(e) for e in ent) == len(ws.table("entities"))
    assert max(len(e) for e in ent) <= SMALL * 1.5
    seen: dict[tuple, int] = {}
    for k, (e, r) in enumerate(zip(ent, rec, strict=True)):
        assert set(r["uscc"]) <= set(e["uscc"])  # records follow their entity
        for key in zip(e["legal_representative"], e["region"], strict=True):
            if key[0] is not None:
                assert seen.setdefault(key, k) == k  # related parties share a partition
    for p in manifest["parts"]:
        for f in p["files"].values():
            assert parts.sha256_file(folder / f["path"]) == f["sha256"]
    assert parts.ensure(ws) == refs  # vouched by the ledger: not written again


def test_typical_entity_from_partitions_picks_as_the_whole() -> None:
    from scoring import explain
    from tiered.analysis.partitioned import pick_rows

    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 9, size=(1000, 4)).astype(float)
    keys = np.array([f"K{i:05d}" for i in range(1000)], dtype=object)
    whole = explain.reference(matrix, keys=keys, sample=90)
    step = -(-1000 // 90)
    halves = [slice(0, 400), slice(400, 1000)]
    picked = np.concatenate([matrix[s][pick_rows(keys[s], step)] for s in halves])
    assert (explain.reference(picked, sample=len(picked)) == whole).all()


def _cli(capsys, *argv: str) -> tuple[int, str]:
    from tiered.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().err


def test_cli_score_and_draw_with_parts_url(base_ws: Path, tmp_path: Path, capsys) -> None:
    """The commands as users call them, the workers reading a file:// copy of out/parts;
    then that copy is edited and the next run refuses it."""
    a, b = tmp_path / "a", tmp_path / "b"
    for ws in (a, b):
        shutil.copytree(base_ws, ws)
    shared = tmp_path / "shared"
    url = shared.as_uri()
    dask = ("--engine", "dask", "--parts", url)
    for ws, extra in ((a, ()), (b, dask)):
        assert _cli(capsys, "score", str(ws), "--as-of", "2026-01-01", *extra)[0] == 0
        assert _cli(capsys, "draw", str(ws), "--month", MONTH, "--seed", SEED, *extra)[0] == 0
    name = "out/scores/2026-01-01.csv"
    assert (b / name).read_bytes() == (a / name).read_bytes()
    assert _files(b / "out/draws" / MONTH) == _files(a / "out/draws" / MONTH)
    copied = sorted(shared.glob("*/records/*.parquet"))
    assert len(copied) > 2  # uploaded to the URL, since it had no copy
    data = bytearray(copied[1].read_bytes())
    data[-20] ^= 1  # one byte of the shared copy
    copied[1].write_bytes(bytes(data))
    code, err = _cli(capsys, "score", str(b), "--as-of", "2026-01-01", *dask)
    assert code == 2
    assert "refused" in err and copied[1].name in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("categorical", [("sector",), ("sector", "region", "entity_type")])
def test_fits_from_partitions_get_the_wholes_rows(
    base_ws: Path, tmp_path: Path, monkeypatch, categorical
) -> None:
    """The learned model and the risk calibration built from the partitions' shares are fitted
    on the very rows the whole workspace gives: feature rows in the inspections' order, the
    categories in their order in the whole entities table (regions are packed by name, not in
    that order), the same outcomes, dates and scores."""
    from dataclasses import replace

    from scoring import composite, learned
    from scoring.model_config import ModelConfig
    from scoring.pipeline import Scorer
    from tiered.analysis import partfits
    from tiered.workspace import load_workspace

    ws = load_workspace(shutil.copytree(base_ws, tmp_path / "ws"), write_rejected=False)
    as_of = pd.Timestamp("2026-01-01")
    mcfg = replace(ModelConfig(), categorical=categorical, min_inspections=50, min_positives=5)
    config = ws.config.scoring
    config = replace(config, risk=replace(config.risk, min_inspections=30))
    scorer = Scorer(config, model=mcfg)
    scorer.config_, scorer.as_of_ = config, as_of
    seen = []
    monkeypatch.setattr(learned, "fit", lambda x, y, dates, *rest: seen.append((x, y, dates)))
    learned.train(ws.prepared(), as_of, config, mcfg)
    shares = [partfits.share(r, scorer, True, True) for r in parts.ensure(ws)]
    assert len(shares) > 2
    partfits.model(shares, scorer)
    (xa, ya, da), (xb, yb, db) = seen
    assert len(ya) >= 50
    pd.testing.assert_frame_equal(xb, xa, check_exact=True)
    for c in categorical:
        assert list(xb[c].cat.categories) == list(xa[c].cat.categories)
        assert (xb[c].cat.codes.to_numpy() == xa[c].cat.codes.to_numpy()).all()
    assert (yb == ya).all() and (db == da).all()
    whole = composite.calibrate_risk(ws.prepared(), as_of, config)
    assert partfits.risk_mapping(shares, scorer) == whole
    assert whole.n_inspections >= 50 and whole.method != "prior"
    assert sum(s.covered for s in shares) == int(ws.prepared().covered(as_of).sum())
