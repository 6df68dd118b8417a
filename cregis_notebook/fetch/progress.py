"""The progress bar of a paged fetch: rows, with pages in its postfix."""

from __future__ import annotations

from typing import Any

from ..pagination import page_rows
from .state import FetchState

__all__ = ["Progress"]


class Progress:
    """A tqdm bar of rows, with pages in its postfix (``tqdm.auto``); a no-op when disabled."""

    def __init__(self, enabled: bool, name: str) -> None:
        self.enabled = enabled
        self.name = name
        self.bar: Any = None
        self.pages: int | None = None

    def start(self, fetch: FetchState) -> None:
        self.pages = fetch.last
        if self.enabled:
            from tqdm.auto import tqdm

            done = sum(len(page_rows(e) or ()) for e in fetch.pages.values())
            self.bar = tqdm(total=fetch.total, initial=done, unit=" rows", desc=self.name)
            self._post(len(fetch.pages))

    def _post(self, done_pages: int) -> None:
        if self.bar is not None:
            of = "" if self.pages is None else f"/{self.pages}"
            self.bar.set_postfix_str(f"{done_pages}{of} pages", refresh=False)

    def advance(self, rows: int, done_pages: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)
            self._post(done_pages)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
