"""The workspace configuration: typed defaults in one place, `config.yaml` overrides.

Each library declares its parameters as frozen dataclasses with defaults (`scoring.config`,
`sampling.config`); this module assembles them into one `Config`, reads the optional
`config.yaml` and checks every key and type against the dataclasses, so a typo names the key
instead of being silently ignored. Mappings merge key by key with their defaults; lists replace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sampling.config import SamplingConfig
from scoring.config import ScoringConfig
from scoring.model_config import ModelConfig
from tables.spec import DEFAULT_SECTORS
from tiered.errors import ConfigError
from tiered.publish.workdays import PublishConfig


@dataclass(frozen=True)
class IdentifiersConfig:
    # Verify the USCC check character (GB 32100-2015); false for data keyed by other identifiers.
    check_digit: bool = True
    # Accept well-formed codes whose check character fails (early pilot codes), with a warning.
    accept_bad_check_digit: bool = False


@dataclass(frozen=True)
class ImportedTiersConfig:
    # Draw with an imported `tiers` table (e.g. SAMR's classification) as given; false = own score.
    enabled: bool = True
    # An imported tier dated more than this many days before a draw's first day is not used.
    max_age_days: int = 62


@dataclass(frozen=True)
class Config:
    # Identifier checks for `uscc`.
    identifiers: IdentifiersConfig = field(default_factory=IdentifiersConfig)
    # Sector codes an entity's `sector` and an inspector's `sectors` may take.
    sectors: tuple[str, ...] = DEFAULT_SECTORS
    # Display names for sector codes that are not among the defaults (code -> 名称).
    sector_labels: dict[str, str] = field(default_factory=dict)
    # Record kinds accepted besides the built-in ones (they do not affect the score by default).
    extra_record_kinds: tuple[str, ...] = ()
    # A file's own header spellings per table (table -> {"their header": column}), e.g.
    # {entities: {"企业所在区县": region}}; they win over the built-in spellings.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    # A file's own spellings of coded values (vocabulary -> {"their value": code}), e.g.
    # {sector: {"餐饮服务": food_drug, "H62": food_drug}}; vocabularies: sector, kind, entity_type,
    # status, severity, item_kind, inspection_type, category, tier. They win over built-ins.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    # The composite score, tiers and risk mapping.
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    # The monthly draw: rates, floors, caps, exclusions and inspector assignment.
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    # The learned risk model (LightGBM) and what the tier is based on.
    model: ModelConfig = field(default_factory=ModelConfig)
    # Publication of results: the deadline and the working-day calendar.
    publish: PublishConfig = field(default_factory=PublishConfig)
    # Imported credit-risk tiers (the `tiers` table): whether and how long they are used.
    imported_tiers: ImportedTiersConfig = field(default_factory=ImportedTiersConfig)
    # A bureau's own labels for result categories (code -> 标签), accepted and published.
    result_categories: dict[str, str] = field(default_factory=dict)


def load_config(ws: str | Path) -> Config:
    """The workspace's effective config: defaults overridden by `WS/config.yaml` if present."""
    path = Path(ws) / "config.yaml"
    if not path.exists():
        return Config()
    try:
        loader = type("Loader", (_UniqueKeyLoader,), {"source": str(path)})
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=loader) or {}  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ConfigError(
            f"config.yaml 无法解析 (cannot be parsed): {str(exc).splitlines()[0]}",
            file=str(path),
            row=None if line is None else line + 1,
        ) from None
    return parse_config(data, source=str(path))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error (PyYAML lets the
    second win silently, so a clerk's edit further down could undo one above unnoticed)."""

    source = "config.yaml"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise ConfigError(
                    f"配置项 '{key}' 重复出现（第 {seen[key]} 行和第 {line} 行） "
                    f"(key '{key}' appears twice in one section: lines {seen[key]} and {line})",
                    file=self.source,
                    row=line,
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


# Numbers that are shares (at most 1), and those that must be at least 1 or above 0; every
# other number in the config must be finite and not negative (checked key by key).
_AT_MOST_ONE = ("scoring.fading.floor", "sampling.tier_rates.", "sampling.floor_rate")
_AT_LEAST_ONE = ("sampling.ticket_digits",)
_ABOVE_ZERO = ("scoring.fading.half_life_days",)


def _numbers(value: Any, key: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _numbers(v, f"{key}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield key, float(value)


def _check_ranges(cfg: Config, source: str) -> None:
    def bad(key: str, rule_zh: str, rule_en: str, v: float) -> ConfigError:
        return ConfigError(
            f"配置项 '{key}' 的值 {v:g} 无效：{rule_zh} (invalid value for '{key}': {rule_en})",
            file=source,
        )

    for key, v in _numbers(config_to_dict(cfg)):
        if not math.isfinite(v):
            raise bad(key, "应为有限的数", "must be a finite number", v)
        if v < 0:
            raise bad(key, "不能为负数", "must not be negative", v)
        if key.startswith(_AT_MOST_ONE) and v > 1:
            raise bad(key, "应在 0 与 1 之间", "must be between 0 and 1", v)
        if key in _AT_LEAST_ONE and v < 1:
            raise bad(key, "应至少为 1", "must be at least 1", v)
        if key in _ABOVE_ZERO and v <= 0:
            raise bad(key, "应大于 0", "must be above 0", v)


def parse_config(data: Any, source: str = "config.yaml") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(
            "config.yaml 顶层必须是键值映射 (top level must be a mapping)", file=source
        )
    cfg = _build(Config, data, Config(), "", source)
    check_config(cfg, source)
    return cfg


def check_config(cfg: Config, source: str = "config.yaml") -> None:
    """Check what the types cannot: keys of free-form mappings, ranges, and each library's own
    rules, so that `tiered validate` reports a broken config (exit 2) before a draw trips on it."""
    from sampling.errors import SamplingError
    from sampling.plan import check_config as check_sampling
    from scoring.config import TIERS, ScoringConfigError
    from scoring.config import check_config as check_scoring
    from scoring.model_config import ModelConfigError, check_model_config
    from tables.spec import TABLES

    _check_ranges(cfg, source)
    for table, mapping in cfg.headers.items():
        if table not in TABLES:
            raise ConfigError(
                f"配置项 'headers.{table}' 无效：没有这张表 (unknown table; expected one of "
                f"{', '.join(TABLES)})",
                file=source,
            )
        columns = [c.name for c in TABLES[table].columns]
        for header, column in mapping.items():
            if column not in columns:
                raise ConfigError(
                    f"配置项 'headers.{table}.{header}' 无效：{table} 没有列 {column!r} "
                    f"(unknown column; expected one of {', '.join(columns)})",
                    file=source,
                )
    from tables.check import VOCABULARIES, vocabulary_codes
    from tiered.workspace import rules_for

    for vocab, mapping in cfg.values.items():
        try:
            codes = vocabulary_codes(vocab, rules_for(cfg))
        except KeyError:
            raise ConfigError(
                f"配置项 'values.{vocab}' 无效：没有这个取值表 (unknown vocabulary; expected one "
                f"of {', '.join(VOCABULARIES)})",
                file=source,
            ) from None
        for spelling, code in mapping.items():
            if code not in codes:
                raise ConfigError(
                    f"配置项 'values.{vocab}.{spelling}' 无效：{code!r} 不是 {vocab} 的代码 "
                    f"(unknown code; expected one of {', '.join(codes)})",
                    file=source,
                )
    for key in ("holidays", "adjusted_workdays"):
        for i, day in enumerate(getattr(cfg.publish, key)):
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise ConfigError(
                    f"配置项 'publish.{key}[{i}]' 应为 YYYY-MM-DD 日期：{day!r} "
                    "(must be an ISO date)",
                    file=source,
                ) from None
    s = cfg.sampling
    for key, values, allowed in (
        ("sampling.tier_rates", s.tier_rates, TIERS),
        ("sampling.cooldown_months", s.cooldown_months, TIERS),
        ("sampling.must_inspect_tiers", s.must_inspect_tiers, TIERS),
        ("sampling.sector_multipliers", s.sector_multipliers, cfg.sectors),
    ):
        defaults = getattr(SamplingConfig(), key.split(".")[1])
        for k in values:
            if k not in allowed and k not in defaults:  # a default entry may outlive `sectors`
                raise ConfigError(
                    f"配置项 '{key}.{k}' 无效：应为 {', '.join(allowed)} 之一 "
                    f"(unknown key '{key}.{k}'; expected one of {', '.join(allowed)})",
                    file=source,
                )
    for key in s.stratum_rates:
        sector, _, tier = key.partition("/")
        if tier not in TIERS or (sector not in cfg.sectors):
            raise ConfigError(
                f"配置项 'sampling.stratum_rates.{key}' 无效：应为 行业/等级，如 food_drug/D "
                f"(unknown stratum '{key}'; expected sector/tier such as food_drug/D)",
                file=source,
            )
    from tables.spec import RESULT_CATEGORIES

    for k in cfg.result_categories:
        if k not in RESULT_CATEGORIES:
            raise ConfigError(
                f"配置项 'result_categories.{k}' 无效 (unknown result category '{k}'; expected "
                f"one of {', '.join(RESULT_CATEGORIES)})",
                file=source,
            )
    try:
        check_scoring(cfg.scoring)
        check_sampling(s)
        check_model_config(cfg.model)
    except (ScoringConfigError, SamplingError, ModelConfigError) as exc:
        raise ConfigError(f"配置有误 (invalid config): {exc}", file=source) from None


def _build(cls: type, data: dict, default: Any, prefix: str, source: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(
                f"未知配置项 '{prefix}{key}' (unknown key; known here: {known})", file=source
            )
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(
                hints[f.name], data[f.name], getattr(default, f.name), prefix + f.name, source
            )
    return dataclasses.replace(default, **values)


def _convert(tp: Any, value: Any, default: Any, key: str, source: str) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(
            f"配置项 '{key}' 类型错误：应为 {expected}，实际为 {value!r} "
            f"(wrong type for '{key}': expected {expected})",
            file=source,
        )

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, default, key, source)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise bad("a mapping")
        if default is None:  # a new entry of a mapping of sections: every field must be given
            required = [
                f.name
                for f in dataclasses.fields(tp)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            ]
            missing = [f for f in required if f not in value]
            if missing:
                raise ConfigError(
                    f"未知配置项 '{key}'，或缺少 {', '.join(missing)} "
                    f"(unknown key '{key}', or a new entry lacking {', '.join(missing)})",
                    file=source,
                )
            hints = typing.get_type_hints(tp)
            unknown = [k for k in value if k not in hints]
            if unknown:
                raise ConfigError(f"未知配置项 '{key}.{unknown[0]}' (unknown key)", file=source)
            return tp(
                **{k: _convert(hints[k], v, None, f"{key}.{k}", source) for k, v in value.items()}
            )
        return _build(tp, value, default, key + ".", source)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise bad("a list")
        return tuple(_convert(args[0], v, None, f"{key}[{i}]", source) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise bad("a mapping")
        merged = dict(default or {})
        for k, v in value.items():
            merged[str(k)] = _convert(args[1], v, (default or {}).get(str(k)), f"{key}.{k}", source)
        return merged
    if tp is bool:
        if not isinstance(value, bool):
            raise bad("true/false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number")
        if not math.isfinite(value):  # YAML's .nan / .inf: every comparison with it is False
            raise bad("a finite number")
        return float(value)
    if tp is str:
        if isinstance(value, dt.date):  # YAML reads an unquoted 2027-01-01 as a date
            return value.isoformat()
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad("text")
        return str(value)
    if typing.get_origin(tp) is typing.Literal:
        if value not in args:
            raise bad(" / ".join(map(str, args)))
        return value
    raise bad(str(tp))


def config_to_dict(cfg: Any) -> Any:
    """Plain JSON-able form of a config (for manifests, digests and the README reference)."""
    if dataclasses.is_dataclass(cfg):
        return {f.name: config_to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, tuple | list):
        return [config_to_dict(v) for v in cfg]
    if isinstance(cfg, dict):
        return {str(k): config_to_dict(v) for k, v in sorted(cfg.items())}
    return cfg


def config_digest(cfg: Any) -> str:
    text = json.dumps(
        config_to_dict(cfg), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reference_rows(cls: type = Config, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key, default, comment) for every leaf key: the README's config reference is built from it.

    Comments are the `# ...` lines written above each field in the dataclass source.
    """
    import inspect

    default = cls()
    comments = _field_comments(inspect.getsource(cls))
    rows: list[tuple[str, str, str]] = []
    for f in dataclasses.fields(cls):
        value = getattr(default, f.name)
        if dataclasses.is_dataclass(value):
            rows.append((prefix + f.name, "(section)", comments.get(f.name, "")))
            rows.extend(reference_rows(type(value), prefix + f.name + "."))
        else:
            shown = json.dumps(config_to_dict(value), ensure_ascii=False)
            rows.append((prefix + f.name, shown, comments.get(f.name, "")))
    return rows


def _field_comments(source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pending: list[str] = []
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("#"):
            pending.append(s.lstrip("# ").strip())
        elif ":" in s and not s.startswith(("def ", "class ", "@", '"')):
            name = s.split(":")[0].strip()
            trailing = s.split("  # ", 1)[1].strip() if "  # " in s else ""
            if name.isidentifier() and (pending or trailing):
                out[name] = " ".join([*pending, trailing]).strip()
            pending = []
        else:
            pending = []
    return out


def reference_markdown() -> str:
    """The README's config reference table (a test keeps the README equal to this)."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, comment in reference_rows():
        if key == "scoring.indicators":
            default = "(see the indicator table)"
        default = default.replace("|", "\\|")
        lines.append(f"| `{key}` | `{default}` | {comment.replace('|', '/')} |")
    return "\n".join(lines)


def readme_with_reference(readme: str) -> str:
    """`readme` with its generated tables (config reference, indicator table) brought up to
    date: the text between each pair of markers is replaced."""
    from scoring.config import indicator_table_markdown

    for name, table in (
        ("config-reference", reference_markdown()),
        ("indicator-table", indicator_table_markdown()),
    ):
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in readme:
            continue
        head, rest = readme.split(start, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{start}\n{table}\n{end}{tail}"
    return readme


if __name__ == "__main__":  # python -m tiered.config README.md  rewrites the README's table
    import sys

    if len(sys.argv) > 1:
        p = Path(sys.argv[1])
        p.write_text(readme_with_reference(p.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(reference_markdown())
