"""One sync at a time on a store: an exclusive ``flock`` on ``_cregis/sync.lock``.

The operating system releases the lock when its holder dies, even by ``kill -9``, so a crashed
sync never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from ..errors import CregisStoreBusy

__all__ = ["SyncLock"]


class SyncLock:
    """Held while a sync writes; a second sync waits up to ``timeout`` seconds, then raises
    :class:`~cregis_notebook.errors.CregisStoreBusy` (``timeout=0``: refuses at once)."""

    def __init__(
        self,
        path: Path,
        timeout: float,
        *,
        poll: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.poll = poll
        self.clock = clock
        self.sleep = sleep
        self.fd: int | None = None

    def __enter__(self) -> SyncLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = self.clock() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if self.clock() >= deadline:
                    os.close(fd)
                    raise CregisStoreBusy(
                        f"another sync is writing to the store {self.path.parent.parent} "
                        f"(waited {self.timeout:g} s); let it finish, or pass a longer "
                        "lock_timeout="
                    ) from None
                self.sleep(self.poll)
                continue
            self.fd = fd
            return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
