"""The public bundle: `public/` in every draw folder, enough to re-derive the draw without us.

An observer (a journalist, an inspected firm, the discipline-inspection office) gets the
eligible frame (uscc, sector, tier, stratum: no names, so nothing personal), the commitment
published before the seed (when there was one), the manifest with the rules in words, every
drawn entity's full ticket, each stratum's replacement order, and `verify_draw.py`, which
re-derives all of it with Python's standard library and the public `consistent-sampler`
package alone. Values are written exactly (no formula escaping: a changed uscc would change
its ticket), CSV as UTF-8 with BOM and CRLF.

Both the monthly draw and task draws call `public_files` from their one draw-folder writer;
the frame file is built in Arrow without a Python loop over rows (cheap at a million).
"""

from __future__ import annotations

import csv
import io
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sampling.draw import DrawOutcome
from sampling.rules import MUST_SUFFIX, rules_for
from sampling.tickets import full_fraction
from tiered.files import sha256_bytes

PUBLIC_DIR = "public"
FRAME_NAME = "frame.csv"
TICKETS_NAME = "tickets.csv"
REPLACEMENTS_NAME = "replacements.csv"
VERIFIER_NAME = "verify_draw.py"
COMMITMENT_NAME = "commitment.json"
MANIFEST_NAME = "manifest.json"
FRAME_COLUMNS = ("uscc", "sector", "tier", "stratum")
TICKET_COLUMNS = ("uscc", "ticket")
REPLACEMENT_COLUMNS = ("stratum", "sector", "tier", "rank", "uscc", "ticket")
BOM = b"\xef\xbb\xbf"
_UNSAFE = '[,"\r\n]'  # a value with one of these needs CSV quoting: take the slow path


def _csv_text(rows: list[tuple]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _csv_rows(header: tuple[str, ...], rows: list[tuple]) -> bytes:
    """A small CSV (BOM, CRLF, minimal quoting) from Python rows."""
    return BOM + _csv_text([header, *rows]).encode("utf-8")


def stratum_label(sector: str, tier: str, must: bool = False) -> str:
    return f"{sector}/{tier}" + (MUST_SUFFIX if must else "")


def frame_csv(
    uscc: np.ndarray | pd.Series,
    eligible: np.ndarray,
    must: np.ndarray,
    code: np.ndarray,
    strata: pd.DataFrame,
    order: np.ndarray | None = None,
) -> bytes:
    """frame.csv: the eligible entities sorted by uscc, with sector, tier and stratum label.

    Each row is the uscc joined to a per-(stratum, must) suffix in Arrow; the joined strings'
    data buffer is the file body, so no Python code runs per row. `uscc`: the frame's ids
    (text, or the draw's Arrow array); `order`: the rows in uscc order when the draw has it
    (`DrawOutcome.order`; else sorted here).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(uscc, pa.Array):
        uscc = pa.array(pd.Series(uscc).astype(str).to_numpy(dtype=object), type=pa.string())
    if order is not None:
        sel = order[np.asarray(eligible, bool)[order]]
        ids = uscc.take(pa.array(sel))
    else:
        rows = np.flatnonzero(eligible)
        ids = uscc.take(pa.array(rows))
        by_uscc = pc.sort_indices(ids)
        ids = ids.take(by_uscc)
        sel = rows[by_uscc.to_numpy()]
    sectors, tiers = strata["sector"].astype(str).tolist(), strata["tier"].astype(str).tolist()
    # suffix index: 2 * stratum + must
    tails = []
    for s, t in zip(sectors, tiers, strict=True):
        for m in (False, True):
            tails.append(_csv_text([(s, t, stratum_label(s, t, m))]).encode("utf-8"))
    unsafe = len(ids) and pc.any(pc.match_substring_regex(ids, _UNSAFE)).as_py()
    if unsafe or any(t.count(b",") != 2 for t in tails):
        body = [
            (u, sectors[c], tiers[c], stratum_label(sectors[c], tiers[c], bool(m)))
            for u, c, m in zip(ids.to_pylist(), code[sel], must[sel], strict=True)
        ]
        return _csv_rows(FRAME_COLUMNS, body)
    idx = 2 * np.asarray(code, dtype=np.int64)[sel] + np.asarray(must, dtype=np.int64)[sel]
    suffix = pa.array([b"," + t for t in tails], type=pa.binary()).take(pa.array(idx))
    lines = pc.binary_join_element_wise(ids.cast(pa.binary()), suffix, b"")
    head = BOM + (",".join(FRAME_COLUMNS) + "\r\n").encode()
    if not len(lines):
        return head
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    lo, hi = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return head + memoryview(lines.buffers()[2])[lo:hi].tobytes()


def tickets_csv(usccs: list[str], seed: str) -> bytes:
    """tickets.csv: each drawn entity's full ticket (first_fraction, all 77-78 digits)."""
    return _csv_rows(TICKET_COLUMNS, [(u, full_fraction(u, seed)) for u in usccs])


def replacements_csv(replacements: pd.DataFrame, seed: str) -> bytes:
    """replacements.csv: per stratum, the next pool entities in ticket order, ranked from 1."""
    rows = [
        (stratum_label(s, t), s, t, int(r), u, full_fraction(u, seed))
        for s, t, r, u in zip(
            replacements["sector"].astype(str),
            replacements["tier"].astype(str),
            replacements["rank"],
            replacements["uscc"].astype(str),
            strict=True,
        )
    ]
    return _csv_rows(REPLACEMENT_COLUMNS, rows)


def verifier_bytes() -> bytes:
    """The standalone verifier shipped in every bundle, byte for byte as in this package."""
    return resources.files("tiered.draws").joinpath(VERIFIER_NAME).read_bytes()


def public_files(
    outcome: DrawOutcome, frame: pd.DataFrame, rounding: str, commitment: bytes | None = None
) -> tuple[dict[str, bytes], dict]:
    """(bundle files but the manifest, the fields the manifest gains).

    The manifest gains the rules in words, the commitment it used (by digest) and every
    bundle file's digest; the caller writes the manifest itself to `public/manifest.json` too.
    """
    if outcome.eligible is None or outcome.replacements is None:
        raise ValueError("the draw outcome lacks the bundle's inputs (sampling.draw makes them)")
    seed = outcome.manifest["seed"]
    files = {
        FRAME_NAME: frame_csv(
            frame["uscc"] if outcome.uscc is None else outcome.uscc,
            outcome.eligible,
            outcome.must_inspect,
            outcome.stratum,
            outcome.strata,
            outcome.order,
        ),
        TICKETS_NAME: tickets_csv(outcome.selected["uscc"].astype(str).tolist(), seed),
        REPLACEMENTS_NAME: replacements_csv(outcome.replacements, seed),
        VERIFIER_NAME: verifier_bytes(),
    }
    fields: dict = dict(rules_for(rounding))
    fields["commitment"] = None
    if commitment is not None:
        files[COMMITMENT_NAME] = commitment
        fields["commitment"] = {"file": COMMITMENT_NAME, "sha256": sha256_bytes(commitment)}
    fields["public_files"] = {name: sha256_bytes(data) for name, data in sorted(files.items())}
    return files, fields


def zip_bytes(public_dir: Path, prefix: str = PUBLIC_DIR) -> bytes:
    """The bundle folder as one zip to publish (fixed entry times: same files, same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in public_dir.iterdir() if p.is_file()):
            info = zipfile.ZipInfo(f"{prefix}/{path.name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, path.read_bytes())
    return out.getvalue()
