"""The command line's allocator settings (tiered/memory.py)."""

from __future__ import annotations

import platform

import pytest

from tiered import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_every_setting(monkeypatch):
    for v in memory.ENV:
        monkeypatch.delenv(v, raising=False)
    assert memory.tune_malloc() is True


def test_the_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert memory.tune_malloc() is False
