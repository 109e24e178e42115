"""config.yaml values the types allow but the rules do not: each an error naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tiered.config import load_config
from tiered.errors import ConfigError

CASES = [
    ("scoring:\n  baseline: .nan\n", "scoring.baseline"),
    ("scoring:\n  indicators:\n    penalty:\n      points: .nan\n", "scoring.indicators.penalty"),
    ("sampling:\n  floor_rate: .inf\n", "sampling.floor_rate"),
    ("sampling:\n  default_cooldown_months: -1\n", "sampling.default_cooldown_months"),
    ("sampling:\n  cooldown_months:\n    A: -3\n", "sampling.cooldown_months.A"),
    ("scoring:\n  windows:\n    minor_days: -5\n", "scoring.windows.minor_days"),
    ("scoring:\n  fading:\n    floor: 5\n", "scoring.fading.floor"),
    ("sampling:\n  sector_multipliers:\n    tax: -1\n", "sampling.sector_multipliers.tax"),
    ("publish:\n  deadline_working_days: -3\n", "publish.deadline_working_days"),
    ("sampling:\n  ticket_digits: 0\n", "sampling.ticket_digits"),
    ("sampling:\n  tier_rates:\n    D: 3\n", "sampling.tier_rates.D"),
]


@pytest.mark.parametrize(("text", "key"), CASES)
def test_out_of_range_or_nan_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(tmp_path)


def test_duplicate_key_is_an_error_naming_key_and_lines(tmp_path: Path) -> None:
    """Before: the second value silently won."""
    (tmp_path / "config.yaml").write_text(
        "sampling:\n  floor_rate: 0.01\n  ticket_digits: 12\n  floor_rate: 0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="floor_rate") as exc:
        load_config(tmp_path)
    assert "lines 2 and 4" in str(exc.value) and exc.value.row == 4


def test_validate_exits_2_on_a_broken_config(small_ws: Path) -> None:
    (small_ws / "config.yaml").write_text("sampling:\n  ticket_digits: 0\n", encoding="utf-8")
    code, _, _, err = run_cli("validate", str(small_ws))
    assert code == 2 and "sampling.ticket_digits" in err, err
