"""A fetch's pages on disk, so that a fetch survives a kernel restart.

The file is JSON lines: a header naming the fetch (endpoint, base URL, pid, page size, the
filters as sent and the pinned time window), then one line per page as it arrived:
``{"page": n, "code": ..., "msg": ..., "data": ...}``. It never holds the API key, a signature
or a nonce. A torn last line (the kernel died while writing it) is ignored.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import CregisValidationError

__all__ = ["Checkpoint"]

MAGIC = "cregis_notebook_checkpoint"
VERSION = 1
_IDENTITY = ("endpoint", "base_url", "pid", "page_size", "filters")


class Checkpoint:
    """Append-only page store of one fetch (thread-safe writes)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: dict[str, Any] | None = None
        self.pages: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.path.exists() and self.path.stat().st_size > 0:
            self._load()

    def _load(self) -> None:
        with self.path.open(encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        try:
            header = json.loads(lines[0])
        except ValueError:
            raise CregisValidationError(
                f"{self.path} is not a fetch checkpoint (its first line is not JSON)"
            ) from None
        if not isinstance(header, dict) or header.get(MAGIC) != VERSION:
            raise CregisValidationError(f"{self.path} is not a cregis-notebook fetch checkpoint")
        self.header = header
        for line in lines[1:]:
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # torn write: that page is fetched again
            if isinstance(entry, dict) and isinstance(entry.get("page"), int):
                self.pages[entry["page"]] = entry

    def matches(self, identity: Mapping[str, Any]) -> bool:
        """Whether the stored header describes the same fetch as ``identity``."""
        if self.header is None:
            return True
        return all(self.header.get(k) == identity.get(k) for k in _IDENTITY)

    def check(self, identity: Mapping[str, Any]) -> None:
        """Raise when the file belongs to another fetch (never mix two fetches' pages)."""
        if self.matches(identity):
            return
        assert self.header is not None
        diff = [k for k in _IDENTITY if self.header.get(k) != identity.get(k)]
        raise CregisValidationError(
            f"checkpoint {self.path} belongs to another fetch (different {', '.join(diff)}); "
            "delete it or pass another checkpoint path"
        )

    def start(self, header: Mapping[str, Any]) -> None:
        """Write the header of a new checkpoint (no-op when the file already has one)."""
        with self._lock:
            if self.header is not None:
                return
            self.header = {MAGIC: VERSION, **header}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w", encoding="utf-8") as fh:
                fh.write(json.dumps(self.header, ensure_ascii=False) + "\n")

    def add(self, page: int, envelope: Mapping[str, Any]) -> None:
        """Append one page (``code``, ``msg``, ``data``) and flush it to the OS."""
        entry = {"page": page, **envelope}
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.pages[page] = entry
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()

    def remove(self) -> None:
        """Delete the file (after a complete fetch)."""
        with self._lock:
            self.path.unlink(missing_ok=True)
