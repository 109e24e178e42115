"""The config loader: typed defaults, key-by-key merging, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiered.config import Config, config_digest, parse_config, readme_with_reference
from tiered.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_file() -> None:
    cfg = parse_config({})
    assert cfg == Config()
    assert cfg.identifiers.check_digit is True
    assert "food_drug" in cfg.sectors


def test_mappings_merge_and_lists_replace() -> None:
    cfg = parse_config({"sampling": {"tier_rates": {"D": 0.5}}, "sectors": ["food_drug"]})
    assert cfg.sampling.tier_rates["D"] == 0.5
    assert cfg.sampling.tier_rates["A"] == Config().sampling.tier_rates["A"]
    assert cfg.sectors == ("food_drug",)
    assert config_digest(cfg) != config_digest(Config())
    assert config_digest(parse_config({})) == config_digest(Config())


@pytest.mark.parametrize(
    "data,key",
    [
        ({"nonsense": 1}, "nonsense"),
        ({"sampling": {"tier_ratez": {}}}, "sampling.tier_ratez"),
        ({"identifiers": {"check_digit": "yes"}}, "identifiers.check_digit"),
        ({"sampling": {"tier_rates": {"A": "lots"}}}, "sampling.tier_rates.A"),
        ({"sectors": "food_drug"}, "sectors"),
        ({"scoring": {"thresholds": []}}, "scoring.thresholds"),
        ({"sampling": {"sector_multipliers": {"foood_drug": 3.0}}}, "sampling.sector_multipliers"),
        ({"sampling": {"tier_rates": {"d": 0.5}}}, "sampling.tier_rates.d"),
        ({"scoring": {"indicators": {"penalty_generl": {"points": 80}}}}, "penalty_generl"),
        ({"scoring": {"thresholds": {"a": 500, "b": 600, "c": 700}}}, "scoring.thresholds"),
        ({"sampling": {"floor_rate": 0}}, "floor_rate"),
        ({"sampling": {"tier_rates": {"D": 1.5}}}, "tier_rates"),
    ],
)
def test_errors_name_the_key(data: dict, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(data)
    assert key in str(exc.value)


def test_readme_documents_every_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_reference(readme) == readme, (
        "README config reference is stale: run `python -m tiered.config README.md`"
    )
