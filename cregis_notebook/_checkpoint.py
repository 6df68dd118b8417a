"""A fetch's pages on disk, so that a fetch survives a kernel restart.

The file is JSON lines: a header naming the fetch (endpoint, base URL, pid, page size, the
filters as sent and the pinned time window), then one line per page as it arrived::

    {"page":3,"sha256":"<hex>","envelope":{"code":"00000","msg":"ok","data":{...}}}

``sha256`` is the digest of the ``envelope`` text exactly as written, so a page whose text
changed on disk (a flipped digit, a torn write) is ignored and fetched again, never trusted.
Amounts keep every digit: JSON numbers are written as their exact decimal text and read back
as :class:`~decimal.Decimal` (:func:`~cregis_notebook._values.loads_exact`). A page line that
is torn, not UTF-8, not JSON or fails its digest is ignored (that page is fetched again). The
file never holds the API key, a signature or a nonce.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._values import dumps_exact, loads_exact
from .errors import CregisValidationError

__all__ = ["Checkpoint"]

MAGIC = "cregis_notebook_checkpoint"
VERSION = 2
"""Version 2 adds the per-page digest; a version 1 file keeps its header (the pinned window)
and its pages, which carry no digest, are fetched again."""
_READABLE = (1, VERSION)
_IDENTITY = ("endpoint", "base_url", "pid", "access_key", "page_size", "filters")
_PAGE_LINE = re.compile(rb'\{"page":([0-9]{1,18}),"sha256":"([0-9a-f]{64})","envelope":(.*)\}')


def _line(value: Any) -> bytes:
    """One line of the file: exact JSON (a lone surrogate written as its ``\\u`` escape)."""
    return dumps_exact(value, keep_types=True).encode("utf-8", "backslashreplace")


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _page(line: bytes) -> tuple[int, dict[str, Any]] | None:
    """The page of one line, or ``None`` when the line cannot be trusted."""
    found = _PAGE_LINE.fullmatch(line.rstrip(b"\r"))
    if found is None:
        return None
    number, digest, body = found.groups()
    if _digest(body) != digest.decode("ascii"):
        return None
    try:
        envelope = loads_exact(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        return None
    if not isinstance(envelope, dict) or "code" not in envelope:
        return None
    return int(number), {k: envelope.get(k) for k in ("code", "msg", "data")}


class Checkpoint:
    """Append-only page store of one fetch (thread-safe writes)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: dict[str, Any] | None = None
        self.pages: dict[int, dict[str, Any]] = {}
        self.ignored = 0  # page lines that could not be trusted
        self._lock = threading.Lock()
        if self.path.exists() and self.path.stat().st_size > 0:
            self._load()

    def _load(self) -> None:
        first, *lines = self.path.read_bytes().split(b"\n")
        try:
            header = loads_exact(first.decode("utf-8"))
        except ValueError:
            raise CregisValidationError(
                f"{self.path} is not a fetch checkpoint (its first line is not JSON text); "
                "delete it or pass another checkpoint path"
            ) from None
        if not isinstance(header, dict) or header.get(MAGIC) not in _READABLE:
            raise CregisValidationError(f"{self.path} is not a cregis-notebook fetch checkpoint")
        self.header = header
        for line in lines:
            if not line.strip():
                continue
            page = _page(line)
            if page is None:
                self.ignored += 1  # torn, corrupted or unverifiable: fetched again
                continue
            self.pages[page[0]] = page[1]

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
            self.path.write_bytes(_line(self.header) + b"\n")

    def add(self, page: int, envelope: Mapping[str, Any]) -> None:
        """Append one page (``code``, ``msg``, ``data``) with its digest; flush it to the OS."""
        entry = {k: envelope.get(k) for k in ("code", "msg", "data")}
        body = _line(entry)
        line = b'{"page":%d,"sha256":"%s","envelope":%s}\n' % (
            page,
            _digest(body).encode("ascii"),
            body,
        )
        with self._lock:
            self.pages[page] = entry
            with self.path.open("ab") as fh:
                fh.write(line)
                fh.flush()

    def forget(self, page: int) -> None:
        """Stop trusting a stored page (it failed the fetch's checks): it is fetched again."""
        with self._lock:
            self.pages.pop(page, None)

    def remove(self) -> None:
        """Delete the file (after a complete fetch)."""
        with self._lock:
            self.path.unlink(missing_ok=True)
