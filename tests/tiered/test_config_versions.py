"""Issue 17 item 16: one rule for config versions, app and CLI alike (tiered.configversion).

`config.yaml` is an input people edit: after the app saves it, a hand edit followed by any
command must be recorded as a new version, never reported by `tiered audit` as tampering."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_cli
from tiered import configversion as config_versions
from tiered.ledger import chain as ledger
from tiered.ledger import staged


def _hand_edit(ws: Path, a: float) -> bytes:
    path = ws / "config.yaml"
    data = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}) or {}
    data.setdefault("scoring", {}).setdefault("thresholds", {})["a"] = a
    text = "# edited by hand\n" + yaml.safe_dump(data)
    (ws / "config.yaml").write_text(text, encoding="utf-8")
    return text.encode("utf-8")


def test_hand_edit_after_app_save_is_a_version_not_tampering(small_ws: Path) -> None:
    from app_support import configedit

    saved = configedit.save_version(
        small_ws, {"scoring": {"thresholds": {"a": 745.0}}}, "按目标结构调整", "analyst"
    )
    assert saved.payload["version"] == 1 and saved.actor == "analyst"
    assert [f["path"] for f in saved.files] == [saved.files[0]["path"]]
    assert saved.files[0]["path"].startswith("out/config/v001-")  # config.yaml is not named
    edited = _hand_edit(small_ws, 750.0)
    code, _, _, err = run_cli("score", str(small_ws), "--as-of", "2024-06-01", "--json")
    assert code == 0, err
    code, out, _, _ = run_cli("audit", str(small_ws), "--json")
    assert code == 0 and out["ok"], out["problems"]
    versions = config_versions.versions(small_ws)
    assert [v["version"] for v in versions] == [1, 2]
    assert "edited outside the tool" in versions[1]["reason"]
    assert (small_ws / versions[1]["copy"]).read_bytes() == edited
    # the same config again is no new version
    assert config_versions.record_use(small_ws) is None


def test_record_use_only_on_change(small_ws: Path) -> None:
    first = config_versions.record_use(small_ws, actor="admin")  # no file: the defaults
    assert first is not None and first.payload["previous_sha256"] is None
    assert first.payload["source"] == "defaults"
    assert config_versions.record_use(small_ws) is None
    _hand_edit(small_ws, 760.0)
    second = config_versions.record_use(small_ws)
    assert second.payload["previous_sha256"] == first.payload["config_sha256"]
    assert second.payload["version"] == 2
    assert ledger.audit(small_ws).ok


def test_workspace_saved_by_an_older_app_is_healed(small_ws: Path) -> None:
    """An older app save ledgered config.yaml itself; the next recorded version stops that."""
    from tiered.config import config_digest, load_config

    (small_ws / "config.yaml").write_text("scoring: {thresholds: {a: 745.0}}\n", "utf-8")
    digest = config_digest(load_config(small_ws))
    staged.commit_files(
        small_ws,
        "config_change",
        {"version": 1, "config_sha256": digest},
        {"config.yaml": (small_ws / "config.yaml").read_bytes()},
    )
    _hand_edit(small_ws, 750.0)
    assert not ledger.audit(small_ws).ok  # what users met
    e = config_versions.record_use(small_ws)
    assert e.payload["removed"] == ["config.yaml"]
    assert ledger.audit(small_ws).ok


def test_app_save_refuses_without_reason_and_records_the_file_in_force(small_ws: Path) -> None:
    import pytest

    from tiered.errors import UsageError

    with pytest.raises(UsageError):
        config_versions.save_version(small_ws, {"scoring": {"thresholds": {"a": 745.0}}}, " ", "a")
    (small_ws / "config.yaml").write_text("scoring: {thresholds: {b: 640.0}}\n", "utf-8")
    config_versions.save_version(small_ws, {"scoring": {"thresholds": {"a": 745.0}}}, "r", "a")
    vs = config_versions.versions(small_ws)
    assert [v["version"] for v in vs] == [1, 2]  # the hand-written file first, then the save
    merged = yaml.safe_load((small_ws / "config.yaml").read_text("utf-8"))
    assert merged["scoring"]["thresholds"] == {"a": 745.0, "b": 640.0}
