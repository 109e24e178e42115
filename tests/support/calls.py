"""Counting calls of a module's function in a test (the real function still runs)."""

from __future__ import annotations

from types import ModuleType

import pytest


def count_calls(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> list[int]:
    """A list that gets one item per call of `module.name` while the test runs."""
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls
