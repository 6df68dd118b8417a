"""Where a store keeps its things: one Delta table per name under the store's directory, and the
store's own files (the sync lock, each table's column kinds) under ``_cregis/``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["META_DIR", "Layout"]

META_DIR = "_cregis"
"""The store's own files: ``sync.lock``, ``callbacks.lock``, ``schema/<table>.json`` and the
Delta table ``tracked`` (the ids of tracked tables)."""


class Layout:
    """The paths of one store directory (created on first use)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.meta = self.root / META_DIR

    def create(self) -> None:
        (self.meta / "schema").mkdir(parents=True, exist_ok=True)

    def table(self, name: str) -> Path:
        return self.root / name

    def schema(self, name: str) -> Path:
        return self.meta / "schema" / f"{name}.json"

    @property
    def lock(self) -> Path:
        return self.meta / "sync.lock"

    @property
    def inbox_lock(self) -> Path:
        """Held while callbacks are written (a sync holds :attr:`lock`)."""
        return self.meta / "callbacks.lock"

    def size(self, name: str) -> int:
        """Bytes of every file under the table's directory."""
        return sum(p.stat().st_size for p in self.table(name).rglob("*") if p.is_file())
