"""The public bundle, the commitment and the standalone verifier, as an outside observer uses
them: `public/verify_draw.py` is run by a Python that has only the standard library and a copy
of `consistent_sampler` (no pandas, no numpy, not this product)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import consistent_sampler
import pytest

from tiered.demo.build import write_demo
from tiered.draws import commit
from tiered.draws.bundle import PUBLIC_DIR
from tiered.draws.draw import run_draw
from tiered.ledger import chain as ledger
from tiered.ledger.audit import audit

MONTH = "2026-01"
SEED = "00012345678901234567890123456789012345678901234567890"  # long, leading zeros


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("bundle") / "ws"
    write_demo(ws, n_entities=900, seed=5, end="2025-12")
    return ws


@pytest.fixture
def ws(base_ws: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(base_ws, dst)
    return dst


@pytest.fixture(scope="session")
def observer(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """(python, env): a fresh venv without pip, seeing only a copy of consistent_sampler."""
    root = tmp_path_factory.mktemp("observer")
    venv.EnvBuilder(with_pip=False).create(root / "venv")
    lib = root / "lib"
    src = Path(importlib.util.find_spec("consistent_sampler").origin).parent
    shutil.copytree(src, lib / "consistent_sampler", ignore=shutil.ignore_patterns("__pycache__"))
    python = str(root / "venv" / "bin" / "python")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(lib), "PYTHONNOUSERSITE": "1"}
    probe = subprocess.run(
        [python, "-c", "import numpy"], env=env, capture_output=True, text=True, timeout=60
    )
    assert probe.returncode != 0, "the observer's Python must not see numpy"
    return python, env


def observe(public: Path, observer: tuple[str, dict], seed: str = SEED, *extra: str):
    python, env = observer
    proc = subprocess.run(
        [python, "verify_draw.py", "--seed", seed, "--json", *extra],
        cwd=public,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_commit_then_draw_verifies_with_only_the_public_package(ws: Path, observer) -> None:
    c = commit.run_commit(ws, month=MONTH)
    committed = (c.out_dir / "commitment.json").read_bytes()
    data = json.loads(committed)
    for key in ("frame_sha256", "config_sha256", "tool_version", "rounding_rule", "created_at"):
        assert data[key]
    assert "quota|" in data["rounding_rule"] and data["strata"][0]["target"] >= 0
    r = run_draw(ws, MONTH, SEED)
    public = r.out_dir / PUBLIC_DIR
    assert sorted(p.name for p in public.iterdir()) == sorted(
        [
            "commitment.json",
            "frame.csv",
            "manifest.json",
            "replacements.csv",
            "tickets.csv",
            "verify_draw.py",
        ]
    )
    assert (public / "commitment.json").read_bytes() == committed
    m = json.loads((public / "manifest.json").read_text("utf-8"))
    assert (public / "manifest.json").read_bytes() == (r.out_dir / "manifest.json").read_bytes()
    assert m["commitment"]["sha256"] == c.sha256 and m["seed"] == SEED
    assert m["rounding_rule"] == data["rounding_rule"]
    code, out = observe(public, observer)
    assert (code, out["differences"]) == (0, [])
    # the commitment came first in the ledger, with its digest; everything is on record
    kinds = [(e.kind, e.payload) for e in ledger.entries(ws)]
    first = next(i for i, (k, _) in enumerate(kinds) if k == "commitment")
    assert kinds[first][1]["commitment_sha256"] == c.sha256
    assert first < next(i for i, (k, _) in enumerate(kinds) if k == "draw")
    assert audit(ws).ok and not [w for w in audit(ws).warnings if w.path]


def test_frame_and_tickets_are_exact(ws: Path) -> None:
    r = run_draw(ws, MONTH, SEED)
    public = r.out_dir / PUBLIC_DIR
    frame = read(public / "frame.csv")
    assert [row["uscc"] for row in frame] == sorted(row["uscc"] for row in frame)
    assert all(row["stratum"] == f"{row['sector']}/{row['tier']}" for row in frame)
    tickets = read(public / "tickets.csv")
    listed = read(r.out_dir / "inspection_list.csv")
    assert [t["uscc"] for t in tickets] == [row["uscc"] for row in listed]
    for t, row in zip(tickets, listed, strict=True):
        assert t["ticket"] == consistent_sampler.first_fraction(t["uscc"], SEED)
        assert len(t["ticket"]) >= 66 and t["ticket"].startswith(row["ticket"])
    text = (public / "frame.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbfuscc,sector,tier,stratum\r\n")
    assert b"name" not in text.split(b"\r\n")[0]  # no names, nothing personal


def test_seed_is_text_byte_for_byte(ws: Path, observer) -> None:
    r = run_draw(ws, MONTH, "007")
    m = json.loads((r.out_dir / "manifest.json").read_text("utf-8"))
    assert m["seed"] == "007"
    code, out = observe(r.out_dir / PUBLIC_DIR, observer, "7")
    assert code == 1 and "not the manifest's seed" in out["differences"][0]
    assert observe(r.out_dir / PUBLIC_DIR, observer, "007")[0] == 0


def test_one_frame_row_changed_after_commit_makes_the_draw_refuse(ws: Path) -> None:
    commit.run_commit(ws, month=MONTH)
    path = ws / "entities.csv"
    rows = read(path)
    victim = next(r for r in rows if r["status"] == "active" and r["sector"] != "tax")
    victim["sector"] = "tax"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(commit.CommitmentChanged) as err:
        run_draw(ws, MONTH, SEED)
    assert victim["uscc"] in str(err.value) and "frame" in str(err.value)
    assert not (ws / "out" / "draws" / MONTH).exists()


def test_edited_list_fails_naming_the_entity(ws: Path, observer) -> None:
    r = run_draw(ws, MONTH, SEED)
    public = r.out_dir / PUBLIC_DIR
    tickets = read(public / "tickets.csv")
    frame = {row["uscc"] for row in read(public / "frame.csv")}
    out_of_list = sorted(frame - {t["uscc"] for t in tickets})[0]
    removed = tickets[0]["uscc"]
    tickets[0]["uscc"] = out_of_list
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["uscc", "ticket"], lineterminator="\r\n")
    w.writeheader()
    w.writerows(tickets)
    (public / "tickets.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode())
    code, out = observe(public, observer)
    text = "\n".join(out["differences"])
    assert code == 1 and removed in text and out_of_list in text
    assert "tickets.csv was changed" in text


@pytest.mark.parametrize(
    "config",
    [
        "rounding: largest_remainder\n  monthly_budget: 25\n  must_inspect_tiers: [D]\n",
        "stratum_rates: {food_drug/B: 0.6, tax/A: 0.3}\n  must_inspect_tiers: [D]\n",
    ],
)
def test_verifier_agrees_under_every_rule(ws: Path, observer, config: str) -> None:
    """Largest-remainder rounding, a monthly budget, a stratum's own rate, must-inspect D."""
    (ws / "config.yaml").write_text("sampling:\n  " + config, encoding="utf-8")
    commit.run_commit(ws, month=MONTH)
    r = run_draw(ws, MONTH, SEED)
    frame = read(r.out_dir / PUBLIC_DIR / "frame.csv")
    assert any(row["stratum"].endswith("/must_inspect") for row in frame)
    assert observe(r.out_dir / PUBLIC_DIR, observer) == (0, {"ok": True, "differences": []})


def test_replacement_order_is_the_next_tickets(ws: Path) -> None:
    r = run_draw(ws, MONTH, SEED)
    public = r.out_dir / PUBLIC_DIR
    frame = read(public / "frame.csv")
    drawn = {t["uscc"] for t in read(public / "tickets.csv")}
    for stratum in sorted({row["stratum"] for row in read(public / "replacements.csv")}):
        pool = [row["uscc"] for row in frame if row["stratum"] == stratum]
        order = list(consistent_sampler.sampler(pool, SEED, output="id"))
        n = sum(u in drawn for u in pool)
        assert set(order[:n]) <= drawn
        listed = [row for row in read(public / "replacements.csv") if row["stratum"] == stratum]
        assert [row["uscc"] for row in listed] == order[n : n + len(listed)]
        assert [int(row["rank"]) for row in listed] == list(range(1, len(listed) + 1))
        assert len(listed) == min(len(pool) - n, max(10, n))


def test_rounding_in_words_equals_the_draws_rounding() -> None:
    """verify_draw.round_quotas (written from the words) == sampling.plan.round_quotas."""
    import numpy as np

    from sampling.plan import round_quotas

    path = Path(__file__).parents[2] / "tiered" / "draws" / "verify_draw.py"
    spec = importlib.util.spec_from_file_location("observer_verify_draw", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = np.random.default_rng(1)
    for i in range(300):
        n = int(rng.integers(1, 60))
        targets = rng.exponential(rng.choice([0.05, 0.5, 3.0]), n)
        if i % 5 == 0:
            targets[rng.integers(0, n)] = float(rng.integers(0, 4))  # whole numbers too
        for method in ("systematic", "largest_remainder"):
            seed = f"{i:05d}"
            ours = round_quotas(targets, method, seed).tolist()
            assert mod.round_quotas(targets.tolist(), method, seed) == ours, (method, i)


def test_the_verifier_imports_nothing_but_the_standard_library_and_the_sampler() -> None:
    path = Path(__file__).parents[2] / "tiered" / "draws" / "verify_draw.py"
    text = path.read_text("utf-8")
    imports = {
        line.split()[1].split(".")[0]
        for line in text.splitlines()
        if line.startswith(("import ", "from ")) and "__future__" not in line
    }
    imports |= {
        line.strip().split()[1] for line in text.splitlines() if line.startswith("    import ")
    }
    assert imports <= set(sys.stdlib_module_names) | {"consistent_sampler"}, imports
    assert os.access(path, os.R_OK)


def test_tiered_verify_also_recomputes_the_bundle(ws: Path) -> None:
    from tiered.draws.verify import verify_draw

    commit.run_commit(ws, month=MONTH)
    r = run_draw(ws, MONTH, SEED)
    assert verify_draw(r.out_dir, ws).ok
    path = r.out_dir / PUBLIC_DIR / "replacements.csv"
    path.write_bytes(b"\r\n".join(path.read_bytes().split(b"\r\n")[:-2]) + b"\r\n")
    res = verify_draw(r.out_dir, ws)
    assert not res.ok and any("public/replacements.csv" in d for d in res.differences)


def test_frame_file_is_the_same_by_the_fast_and_the_plain_path() -> None:
    """frame.csv is built in Arrow; it equals the csv module's output, and ids that need
    quoting (possible with identifiers.check_digit off) take the plain path, still exact."""
    import numpy as np
    import pandas as pd

    from tiered.draws.bundle import FRAME_COLUMNS, _csv_rows, frame_csv, stratum_label

    strata = pd.DataFrame({"sector": ["food_drug", "tax"], "tier": ["A", "D"]})
    for ids in (["B2", "A1", "C3", "D4"], ["B2", 'A,"1', "C3", "D\n4"]):
        uscc = np.array(ids, dtype=object)
        eligible = np.array([True, True, False, True])
        must = np.array([False, False, False, True])
        code = np.array([1, 0, 0, 1])
        got = frame_csv(uscc, eligible, must, code, strata)
        rows = sorted(
            (
                u,
                strata.sector[c],
                strata.tier[c],
                stratum_label(strata.sector[c], strata.tier[c], m),
            )
            for u, c, m, e in zip(uscc, code, must, eligible, strict=True)
            if e
        )
        assert got == _csv_rows(FRAME_COLUMNS, rows)
        back = list(csv.DictReader(io.StringIO(got.decode("utf-8-sig"), newline="")))
        assert [r["uscc"] for r in back] == [r[0] for r in rows]


def test_the_commands_as_the_contract_names_them(ws: Path) -> None:
    from tests.conftest import run_cli

    code, out, _, _ = run_cli("commit", str(ws), "--month", MONTH, "--json")
    assert code == 0 and out["commitment_sha256"] and out["rounding_rule"]
    code, out, _, _ = run_cli("commit", str(ws), "--month", MONTH, "--json")
    assert code == 2 and "--replace" in out["error"]
    code, out, _, _ = run_cli("draw", str(ws), "--month", MONTH, "--seed", SEED, "--json")
    assert code == 0 and out["commitment"]["sha256"] and out["public"].endswith("public")
    first = read(ws / "out" / "draws" / MONTH / "inspection_list.csv")[0]["uscc"]
    code, out, _, _ = run_cli(
        "replace", str(ws), "--month", MONTH, "--uscc", first, "--reason", "unreachable", "--json"
    )
    assert code == 0 and out["uscc"] == first and out["rank"] == 1


def test_the_bundle_zip_is_reproducible_and_complete(ws: Path) -> None:
    import zipfile

    from tiered.draws.bundle import zip_bytes

    r = run_draw(ws, MONTH, SEED)
    a = zip_bytes(r.out_dir / PUBLIC_DIR)
    assert a == zip_bytes(r.out_dir / PUBLIC_DIR)
    names = zipfile.ZipFile(io.BytesIO(a)).namelist()
    assert sorted(n.split("/")[1] for n in names) == sorted(
        p.name for p in (r.out_dir / PUBLIC_DIR).iterdir()
    )


def test_a_redraw_archives_the_whole_bundle_on_record(ws: Path) -> None:
    first = run_draw(ws, MONTH, SEED)
    again = run_draw(ws, MONTH, "another seed", replace=True, reason="seed misread")
    assert (again.replaced_dir / PUBLIC_DIR / "tickets.csv").is_file()
    assert (first.out_dir / PUBLIC_DIR / "manifest.json").read_bytes() == (
        first.out_dir / "manifest.json"
    ).read_bytes()
    rep = audit(ws)
    assert rep.ok and not [w for w in rep.warnings if w.path], rep.lines()
