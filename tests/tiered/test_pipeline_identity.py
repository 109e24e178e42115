"""Issue 10 step 2: the scoring pipeline's rewrite changes no output.

The digests below were computed on main at 41ace6a (lists and bundles equal to 7900df2's),
BEFORE `scoring.pipeline.Scorer` replaced `score` / `score_details` / `score_tiers`, with the
real CLI on the session's demo workspace (3000 entities, seed 7, history to 2026-10): the scores
file, the stored model, a month's draw and a task's draw (list and public bundle; the manifest
without its time, ledger head and config echo). One run keeps the default config (composite
risk: too few inspections to train a model), the other trains the learned model and tiers on
its risk, so both the composite and the learned paths of `tiered score` and of a draw's tiers
are pinned.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli

AS_OF = "2026-11-01"
MONTH = "2026-11"
TASK = "HD2026-00"
LEARNED = (
    "model: {require_better: false, min_inspections: 50, min_positives: 5, tier_basis: risk}\n"
)
# a manifest's clock and ledger position, and its echo of the whole config (which grows keys)
VOLATILE = ("created_at", "ledger_head", "workspace_config")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _draw_digests(folder: Path) -> dict[str, str]:
    names = {
        "list": "inspection_list.csv",
        "frame": "public/frame.csv",
        "tickets": "public/tickets.csv",
        "repl": "public/replacements.csv",
    }
    out = {key: _sha(folder / name) for key, name in names.items()}
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    for key in VOLATILE:
        manifest.pop(key, None)
    canon = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode()
    out["manifest"] = hashlib.sha256(canon).hexdigest()
    return out


def digests(ws: Path) -> dict[str, str]:
    """Score, draw a month and draw a task in `ws` with the real CLI; the outputs' digests."""
    code, _, _, err = run_cli("score", str(ws), "--as-of", AS_OF, "--json")
    assert code in (0, 1), err
    out = {"scores": _sha(ws / "out" / "scores" / f"{AS_OF}.csv")}
    model = ws / "out" / "models" / AS_OF / "model.txt"
    out["model"] = _sha(model) if model.exists() else "none"
    code, _, _, err = run_cli("draw", str(ws), "--month", MONTH, "--seed", "pin", "--json")
    assert code in (0, 1), err
    out.update({f"draw:{k}": v for k, v in _draw_digests(ws / "out" / "draws" / MONTH).items()})
    code, _, _, err = run_cli("task", "draw", str(ws), "--task", TASK, "--seed", "pin", "--json")
    assert code in (0, 1), err
    out.update({f"task:{k}": v for k, v in _draw_digests(ws / "out" / "tasks" / TASK).items()})
    return out


PINNED: dict[str, dict[str, str]] = {
    "composite": {
        "scores": "419f0b03efb1e6c67b3613cd231fb72ee168615e2cfec077a51a245c007fb50e",
        "model": "none",
        "draw:list": "4ec87726c2386273e4a1cb8d1a33842b7685ca63050cc068506652595200f002",
        "draw:frame": "a8ecc6b9304894f0312013d7bc19cec998a7e338e84ce2cbddf9b6d7d5892e14",
        "draw:tickets": "bd50f25e7c486fd156ccc6eaa6921318bca1e1edc1767f5cbad41d718e2a3e5b",
        "draw:repl": "968b11604b3af5412de3cf7badbb67d484a64a6892c17f09644e3c662172dc89",
        "draw:manifest": "e7f4c350b17e70ae6eedd31ac153e2607efe93d5278ca02611bbaf994f3b77a2",
        "task:list": "d9a88505c781a4ad808de97c57570a8842f0ae4416d04307913ba46b8a3b8ac4",
        "task:frame": "26181d3f0716e8e7d3618822dab9f105be3228ade416073e0264dcf700f1887e",
        "task:tickets": "b45db66f0271cd0127faa3a227e5dd8d6b3062d74937ae0981ea78ffce2c43b0",
        "task:repl": "f546f01847fe958db5b3e340bb5f1099a78e5b26c702d0a3b6c6d3dee949afde",
        "task:manifest": "40cbe2095e25ae04fe32a958d3a647e8f18fba957130b69f3b280e057f99d2aa",
    },
    "learned": {
        "scores": "85151c026b8ec4b06444aab76769b5de919fd77450ed92c4f7b4c205359cf6fe",
        "model": "c231446fb52f03cecf3f3305aacb976f4b1643fa26cb55d10610d7b7c3e614ff",
        "draw:list": "e2a080a456c003302ae1aa54a0e80494fe31aec57923f068af5491fd6f641fe8",
        "draw:frame": "3366c42bbf95b5569758462c86324e906ebe8895e053d969ccf4b81e3f8a003b",
        "draw:tickets": "f559690c9f30a22914fabeb15b7789d6905a0c2a2916a441672a564e3c4918e4",
        "draw:repl": "435e4d88f553cf8303f6d5dfda053bb9a4f1982d6e6e52736cf6d6b8d2694615",
        "draw:manifest": "669df551a6541a4c2045fdc528bdddffe4b140da0db1c4b88e4f83af41674dd5",
        "task:list": "cda7145373a21770db725b4009fe577cdbc3120407b02b398a2a4d91581487b8",
        "task:frame": "1bc7d2df9213a55aba5dfb2092b8c262691b2b67321179d4266f99e2d437e204",
        "task:tickets": "ba0ebe75c377181567d3cf9e05918b7a45793dfd027a9db4961787e00b4f28da",
        "task:repl": "de572896a972c2f8e22e1ed3f1c164788e721ad9b56b28fcfc9e63d71ece8d83",
        "task:manifest": "346977671d4523465e65a569fafacbdf12e375ec0850cc7169637c359cd00f04",
    },
}


@pytest.mark.parametrize("variant", ["composite", "learned"])
def test_score_and_draw_outputs_are_unchanged(demo_ws_session: Path, tmp_path: Path, variant):
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws_session, ws)
    if variant == "learned":
        (ws / "config.yaml").write_text(LEARNED, "utf-8")
    assert digests(ws) == PINNED[variant]
