#!/usr/bin/env python3
"""Re-derive a tiered-supervision draw from its public bundle and the seed read out at the draw.

Run it inside the bundle's folder (the draw's `public/`):

    python verify_draw.py --seed "THE SEED AS READ OUT"

It needs only Python's standard library and R. L. Rivest's public `consistent-sampler` package
(`pip install consistent-sampler==1.0.10`); it does not use the product that made the draw. It
re-derives, from `frame.csv`, the manifest's per-stratum targets and the seed: every stratum's
quota (by the rounding rule written in words in `manifest.json`), every entity's ticket, the
drawn entities and the replacement order; then compares them with `tickets.csv`,
`replacements.csv` and `manifest.json`, and, when the draw was committed before the seed,
checks `commitment.json` against the frame and the manifest; when entities were replaced after
the draw (`replacements_made.csv`), it checks that each replacement took the next entity of the
replaced one's stratum in the published order, for a reason from the fixed list. Exit 0 when
everything agrees, 1 otherwise, with one line per difference naming the entity or stratum.

The method, in words (the same text as the manifest's `ticket_rule`, `rounding_rule`,
`replacement_rule`):

* The seed is text, used byte for byte as its UTF-8 encoding (surrounding white space removed,
  as at the draw); it is never read as a number.
* An entity's ticket is `consistent_sampler.first_fraction(uscc, seed)`: SHA-256 of the hex
  SHA-256 of the seed followed by the uscc, read as a 256-bit number, written in decimal
  (zero-padded to 64 digits), digits reversed, with "0." in front. Tickets are compared at full
  length as text (which orders them as numbers), then by uscc.
* A stratum is one (sector, tier) pair; strata are ordered by sector, then tier, as text
  (Unicode code points). Entities whose `stratum` ends in `/must_inspect` are always drawn;
  the others form the stratum's pool, from which the `quota` entities with the smallest
  tickets are drawn.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import sys

try:
    import consistent_sampler
except ImportError:  # pragma: no cover - the observer's machine
    sys.exit(
        "verify_draw.py needs the consistent-sampler package: "
        "pip install consistent-sampler==1.0.10"
    )

MUST_SUFFIX = "/must_inspect"
REPLACEMENT_MIN = 10
REASONS = (  # the fixed list of reasons a drawn entity may be replaced
    "deregistered",
    "unreachable",
    "recusal_leaves_too_few",
    "duplicate_task",
    "out_of_scope",
)
SHOWN = 40  # differences printed (all of them with --json)


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV (with or without BOM) as dicts of text."""
    with open(name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sha256_file(name: str) -> str:
    h = hashlib.sha256()
    with open(name, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def unit_fraction(text: str) -> float:
    """First 8 bytes of SHA-256(text), big-endian, as a double, divided by 2**64."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2.0**64


def round_quotas(targets: list[float], method: str, seed: str) -> list[int]:
    """Whole quotas from the targets (strata in order), by the manifest's rounding rule."""
    whole = [math.floor(t + 1e-9) for t in targets]
    frac = [max(t - w, 0.0) for t, w in zip(targets, whole)]  # noqa: B905 (Python 3.8+)
    extra = [0] * len(targets)
    if method == "largest_remainder":
        k = math.floor(math.fsum(frac) + 0.5 + 1e-9)
        order = sorted(range(len(frac)), key=lambda i: (-frac[i], i))
        for i in order[:k]:
            extra[i] = 1
    elif method == "systematic":
        u = unit_fraction("quota|" + seed)
        hi = 0.0
        for i, f in enumerate(frac):
            hi = hi + f
            lo = hi - f
            extra[i] = min(max(math.floor(hi - u) - math.floor(lo - u), 0), 1)
    else:
        raise SystemExit(f"unknown rounding method in the manifest: {method!r}")
    return [w + e for w, e in zip(whole, extra)]  # noqa: B905


def target_of(stratum: dict, pool: int, config: dict) -> float:
    """min(annual x base / 12, pool); annual = min(1, max(rate, floor)) (the target rule)."""
    own = (config.get("stratum_rates") or {}).get(f"{stratum['sector']}/{stratum['tier']}")
    if own is not None:
        rate = own
    else:
        rate = config["tier_rates"].get(stratum["tier"], 0.0) * config["sector_multipliers"].get(
            stratum["sector"], config["default_multiplier"]
        )
    annual = min(1.0, max(rate, config["floor_rate"]))
    return min(annual * stratum["base"] / 12.0, float(pool))


class Check:
    """Collects differences; each is one line naming what differs."""

    def __init__(self) -> None:
        self.differences: list[str] = []

    def differ(self, text: str) -> None:
        self.differences.append(text)


def load_bundle(check: Check) -> tuple[dict, list[dict[str, str]]] | None:
    for name in ("manifest.json", "frame.csv", "tickets.csv", "replacements.csv"):
        if not os.path.isfile(name):
            check.differ(f"missing file: {name} (run this inside the draw's public/ folder)")
    if check.differences:
        return None
    with open("manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    return manifest, read_csv("frame.csv")


def check_files(manifest: dict, check: Check) -> None:
    """Each public file named in the manifest still has the digest the draw wrote."""
    for name, digest in sorted((manifest.get("public_files") or {}).items()):
        if not os.path.isfile(name):
            check.differ(f"missing file: {name}")
        elif sha256_file(name) != digest:
            check.differ(f"{name} was changed after the draw (sha256 differs from the manifest)")


def check_commitment(manifest: dict, strata: list[dict], check: Check) -> None:
    """The draw used the commitment published before the seed, and nothing committed moved."""
    named = manifest.get("commitment")
    present = os.path.isfile("commitment.json")
    if not named:
        if present:
            check.differ("commitment.json is present but the manifest does not name it")
        return
    if not present:
        check.differ("the manifest names a commitment but commitment.json is missing")
        return
    if sha256_file("commitment.json") != named.get("sha256"):
        check.differ("commitment.json differs from the commitment the manifest names (sha256)")
    with open("commitment.json", encoding="utf-8") as f:
        com = json.load(f)
    for key in ("frame_sha256", "config_sha256", "tool_version"):
        if com.get(key) != manifest.get(key):
            check.differ(f"commitment {key} {com.get(key)} != manifest {manifest.get(key)}")
    if com.get("public_frame_sha256") != sha256_file("frame.csv"):
        check.differ("frame.csv is not the frame that was committed (sha256 differs)")
    if str(com.get("created_at", "")) > str(manifest.get("created_at", "")):
        check.differ("the commitment was made after the draw")
    committed = {(s["sector"], s["tier"]): s for s in com.get("strata", [])}
    for s in strata:
        c = committed.pop((s["sector"], s["tier"]), None)
        if c is None:
            check.differ(f"stratum {s['sector']}/{s['tier']} was not committed")
            continue
        for key in ("eligible", "must_inspect", "pool", "base", "annual_rate", "target"):
            if c.get(key) != s.get(key):
                check.differ(
                    f"stratum {s['sector']}/{s['tier']}: committed {key} {c.get(key)!r}, "
                    f"drawn with {s.get(key)!r}"
                )
    for sector, tier in sorted(committed):
        check.differ(f"committed stratum {sector}/{tier} is missing from the manifest")


def check_replacements_made(
    drawn: dict[str, tuple[str, str]], order: list[tuple[str, int, str]], ticket, check: Check
) -> None:
    """Replacements made after the draw (replacements_made.csv) followed the published order:
    each replaced an entity then on the list, by the lowest-ranked entity of its stratum's
    order not yet on the list, for a reason from the fixed list."""
    by_stratum: dict[str, list[tuple[int, str]]] = {}
    for name, rank, uscc in order:
        by_stratum.setdefault(name, []).append((rank, uscc))
    home = {u: f"{k[0]}/{k[1]}" for u, k in drawn.items()}
    replaced: set[str] = set()
    rows = sorted(read_csv("replacements_made.csv"), key=lambda r: int(r["seq"]))
    for row in rows:
        seq, u, new, name = row["seq"], row["uscc"], row["replacement"], row["stratum"]
        where = f"replacements_made.csv #{seq}"
        if u not in home:
            check.differ(f"{where}: {u} was not on the list when it was replaced")
            continue
        if u in replaced:
            check.differ(f"{where}: {u} was already replaced")
        if home[u] != name:
            check.differ(f"{where}: {u} is in stratum {home[u]}, not {name}")
        if row["reason"] not in REASONS:
            check.differ(f"{where}: reason {row['reason']!r} is not one of {', '.join(REASONS)}")
        expected = next((x for _, x in sorted(by_stratum.get(home[u], [])) if x not in home), None)
        if new != expected:
            check.differ(
                f"{where}: {u} was replaced by {new}, but the next in {home[u]}'s published "
                f"order is {expected}"
            )
        if row.get("ticket") and row["ticket"] != ticket(new):
            check.differ(f"{where}: ticket of {new} is not re-derived")
        replaced.add(u)
        home[new] = home[u]


def verify(seed: str, list_file: str | None = None) -> list[str]:
    check = Check()
    loaded = load_bundle(check)
    if loaded is None:
        return check.differences
    manifest, frame = loaded
    seed = seed.strip()
    if seed != str(manifest.get("seed")):
        check.differ(
            f"the seed given ({seed!r}) is not the manifest's seed ({manifest.get('seed')!r})"
        )
    check_files(manifest, check)
    config = manifest["sampling_config"]
    strata = sorted(manifest["strata"], key=lambda s: (s["sector"], s["tier"]))
    check_commitment(manifest, strata, check)

    # members of each stratum, from the published frame
    pools: dict[tuple[str, str], list[str]] = {}
    must: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for row in frame:
        key = (row["sector"], row["tier"])
        uscc = row["uscc"]
        if uscc in seen:
            check.differ(f"frame.csv lists {uscc} twice")
        seen.add(uscc)
        base = f"{row['sector']}/{row['tier']}"
        if row["stratum"] == base + MUST_SUFFIX:
            must.setdefault(key, []).append(uscc)
        elif row["stratum"] == base:
            pools.setdefault(key, []).append(uscc)
        else:
            check.differ(f"frame.csv: {uscc} has stratum {row['stratum']!r}, expected {base!r}")
    listed = {(s["sector"], s["tier"]) for s in strata}
    for key in sorted((set(pools) | set(must)) - listed):
        check.differ(f"stratum {key[0]}/{key[1]} is in frame.csv but not in the manifest")

    # quotas: targets (checked against the rates when there is no budget), then rounding
    targets = []
    for s in strata:
        key = (s["sector"], s["tier"])
        pool, n_must = len(pools.get(key, [])), len(must.get(key, []))
        for name, value in (("eligible", pool + n_must), ("must_inspect", n_must), ("pool", pool)):
            if s.get(name) != value:
                check.differ(
                    f"stratum {key[0]}/{key[1]}: manifest {name} {s.get(name)}, frame {value}"
                )
        target = float(s["target"])
        if config.get("monthly_budget") is None and not manifest.get("size"):
            expect = target_of(s, pool, config)
            if expect != target:
                check.differ(
                    f"stratum {key[0]}/{key[1]}: target {target!r}, the rates give {expect!r}"
                )
        targets.append(target)
    rounded = round_quotas(targets, config["rounding"], seed)

    drawn: dict[str, tuple[str, str]] = {}  # uscc -> its stratum, recomputed
    replacements: list[tuple[str, int, str]] = []  # (stratum, rank, uscc)
    for s, q in zip(strata, rounded):  # noqa: B905
        key = (s["sector"], s["tier"])
        name = f"{key[0]}/{key[1]}"
        members = pools.get(key, [])
        quota = min(q, len(members))
        n_drawn = quota + len(must.get(key, []))
        more = min(len(members) - quota, max(REPLACEMENT_MIN, n_drawn)) if n_drawn else 0
        take = quota + more
        order = (
            list(consistent_sampler.sampler(members, seed, take=take, output="id")) if take else []
        )
        for u in must.get(key, []) + order[:quota]:
            drawn[u] = key
        replacements += [(name, r, u) for r, u in enumerate(order[quota:], start=1)]
        prob = quota / len(members) if members else (1.0 if must.get(key) else 0.0)
        for label, mine, theirs in (
            ("quota", quota, s.get("quota")),
            ("drawn", n_drawn, s.get("drawn")),
            ("inclusion_probability", prob, s.get("inclusion_probability")),
        ):
            if theirs != mine:
                check.differ(f"stratum {name}: manifest {label} {theirs}, re-derived {mine}")
    if manifest.get("drawn") != len(drawn):
        check.differ(f"manifest drawn {manifest.get('drawn')}, re-derived {len(drawn)}")

    seed_hash = consistent_sampler.sha256_hex(seed)

    def ticket(u: str) -> str:
        return consistent_sampler.first_fraction(u, seed, seed_hash)

    published = {}
    for row in read_csv("tickets.csv"):
        if row["uscc"] in published:
            check.differ(f"tickets.csv lists {row['uscc']} twice")
        published[row["uscc"]] = row["ticket"]
    for u in sorted(set(drawn) - set(published)):
        check.differ(f"{u} should be drawn ({'/'.join(drawn[u])}) but is not in tickets.csv")
    for u in sorted(set(published) - set(drawn)):
        check.differ(f"{u} is in tickets.csv but the seed does not draw it")
    for u in sorted(set(published) & set(drawn)):
        if published[u] != ticket(u):
            check.differ(f"{u}: ticket in tickets.csv is {published[u]}, re-derived {ticket(u)}")

    got = [(r["stratum"], int(r["rank"]), r["uscc"]) for r in read_csv("replacements.csv")]
    if sorted(got) != sorted(replacements):
        mine, theirs = set(replacements), set(got)
        for s, r, u in sorted(mine - theirs):
            check.differ(f"replacements.csv lacks {u} as replacement {r} of stratum {s}")
        for s, r, u in sorted(theirs - mine):
            check.differ(f"replacements.csv has {u} as replacement {r} of {s}: not re-derived")
    for row in read_csv("replacements.csv"):
        if row.get("ticket") and row["ticket"] != ticket(row["uscc"]):
            check.differ(f"{row['uscc']}: replacement ticket {row['ticket']} is not re-derived")

    if os.path.isfile("replacements_made.csv"):
        check_replacements_made(drawn, replacements, ticket, check)

    if list_file:
        listed_ids = {r["uscc"]: r.get("ticket", "") for r in read_csv(list_file)}
        for u in sorted(set(drawn) - set(listed_ids)):
            check.differ(f"{u} should be drawn but is not in {list_file}")
        for u in sorted(set(listed_ids) - set(drawn)):
            check.differ(f"{u} is in {list_file} but the seed does not draw it")
        for u in sorted(set(listed_ids) & set(drawn)):
            shown = listed_ids[u]
            if shown and not ticket(u).startswith(shown):
                check.differ(f"{u}: ticket {shown} in {list_file} is not a prefix of {ticket(u)}")
    return check.differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", required=True, help="the seed text, exactly as read out")
    parser.add_argument("--list", help="also compare an inspection list CSV (uscc, ticket)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):  # a console that cannot show Chinese shows '?'
        sys.stdout.reconfigure(errors="replace")
    differences = verify(args.seed, args.list)
    if args.json:
        print(json.dumps({"ok": not differences, "differences": differences}, ensure_ascii=False))
    elif differences:
        print(f"DIFFERS 核验不通过: {len(differences)} difference(s)")
        for line in differences[:SHOWN]:
            print("  " + line)
        if len(differences) > SHOWN:
            print(f"  ... and {len(differences) - SHOWN} more (--json lists them all)")
    else:
        print("OK 核验通过: the bundle and the seed re-derive the draw exactly")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
