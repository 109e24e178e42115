"""glibc's allocator tuned for a command that works on million-row arrays.

By default glibc serves any block above a *dynamic* threshold (128 KiB at start) with its own
`mmap` and gives it back with `munmap` when freed, so every new 8 MB NumPy or pandas array of a
million values faults in 2,048 fresh pages: at 1M entities a warm `tiered score` spent 3.4–4.7 s
of system time, most of it such page faults. A fixed threshold of 32 MiB (glibc's own maximum
for the dynamic one) lets those blocks come from the heap and be reused, and a high trim
threshold keeps freed heap for the next array. Measured through the CLI at 1M, warm score,
alternating runs: 14.2, 12.9, 15.5, 14.4 s CPU before, 12.6, 12.3, 14.3, 14.3 s after (system
time 3.4–4.8 s -> 3.0–3.8 s), peak RSS 2.07 -> 2.07–2.19 GB; `benchmarks/cli_scale.py` gave
score cold 21.3 -> 20.7 s CPU. Outputs do not depend on it. Only the command line calls it
(a long-lived app process should give memory back); anywhere but glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
SETTINGS = {M_MMAP_THRESHOLD: 32 * 2**20, M_TRIM_THRESHOLD: 2**31 - 1, M_TOP_PAD: 256 * 2**20}
# The environment's MALLOC_*_ variables are glibc's own way to choose: they win.
ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def tune_malloc() -> bool:
    """Apply SETTINGS with mallopt; True when glibc took all of them."""
    if any(v in os.environ for v in ENV):
        return False
    try:  # the process's own symbols: no `ldconfig` run (find_library's 5 ms) at every start
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all(mallopt(param, value) == 1 for param, value in SETTINGS.items())


def release() -> bool:
    """Give the heap's free pages back to the system (glibc's `malloc_trim`), at the end of a
    stage that freed large arrays: with the settings above freed heap is kept for reuse, but
    Arrow allocates elsewhere (jemalloc) and a block over the mmap threshold never comes from
    the heap, so what the indicators and features freed would otherwise stay resident while
    the next stage allocates anew (3M entities: ~1.8 GB at the scores file). True when done."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    return bool(trim(0))
