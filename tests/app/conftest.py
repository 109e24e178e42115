"""A small demo workspace, accounts and data folder for the app tests, created once per session
and pointed to by the environment variables the app reads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # pages import `app_pages.common`
    sys.path.insert(0, str(ROOT))

ROLES_OF = {"staff": ["staff"], "analyst": ["analyst"], "leader": ["leader"], "admin": ["admin"]}


@pytest.fixture(scope="session")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app_support import bootstrap

    root = tmp_path_factory.mktemp("app")
    ws = root / "ws"
    old = {k: os.environ.get(k) for k in ("TIERED_WORKSPACE", "TIERED_DATA_DIR", "TIERED_ACCOUNTS")}
    os.environ["TIERED_WORKSPACE"] = str(ws)
    os.environ["TIERED_DATA_DIR"] = str(root / "data")
    os.environ.pop("TIERED_ACCOUNTS", None)
    bootstrap.create_demo(ws, n_entities=1500, seed=3)
    yield ws
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def page_test(path: str, role: str | None, lang: str = "zh"):
    """An AppTest of one page file with a signed-in user of `role` (None: nobody)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    if role is not None:
        at.session_state["user"] = {"username": role, "display": role, "roles": ROLES_OF[role]}
    at.session_state["lang"] = lang
    return at


def texts(at) -> str:
    """Everything the page says, as one string (for assertions)."""
    parts = []
    for kind in (
        "title",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "metric",
    ):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    return "\n".join(parts)
