"""Tables by name, each made into a pandas frame on first use, once, safe across threads.

The app caches one loaded workspace for all its sessions, and Streamlit runs each session's
script in its own thread. Two sessions asking for the same table at once must both get it: the
maker is called under a lock, and the table is listed as made before it is struck from the
makers, so `name in frames` never turns False while another thread is making it (it did: the
task page said the workspace had no tasks table while a second session was loading it).
A maker that raises leaves the table unmade, to be tried again by the next caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping

import pandas as pd

Maker = Callable[[], pd.DataFrame]


class LazyFrames(MutableMapping[str, pd.DataFrame]):
    def __init__(
        self,
        made: Mapping[str, pd.DataFrame] | None = None,
        makers: Mapping[str, Maker] | None = None,
    ) -> None:
        self._made: dict[str, pd.DataFrame] = dict(made or {})
        self._makers: dict[str, Maker] = dict(makers or {})
        self._lock = threading.RLock()

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self._made[name]
        except KeyError:
            pass
        with self._lock:
            if name in self._made:  # made by another thread while this one waited
                return self._made[name]
            maker = self._makers.get(name)
            if maker is None:
                raise KeyError(name)
            df = maker()
            self._made[name] = df
            self._makers.pop(name, None)
            return df

    def __setitem__(self, name: str, df: pd.DataFrame) -> None:
        with self._lock:
            self._made[name] = df
            self._makers.pop(name, None)

    def __delitem__(self, name: str) -> None:
        with self._lock:
            if self._makers.pop(name, None) is None:
                del self._made[name]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(dict.fromkeys([*self._made, *self._makers])))

    def __len__(self) -> int:
        with self._lock:
            return len(self._made.keys() | self._makers.keys())

    def __contains__(self, name: object) -> bool:
        # Makers first: a table leaves them only after it is made, so one of the two holds it.
        return name in self._makers or name in self._made

    def is_made(self, name: str) -> bool:
        return name in self._made

    def made(self) -> dict[str, pd.DataFrame]:
        with self._lock:
            return dict(self._made)

    def pending(self) -> dict[str, Maker]:
        """The makers of the tables not made yet (handed on unmade)."""
        with self._lock:
            return {n: m for n, m in self._makers.items() if n not in self._made}

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_lock")
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
