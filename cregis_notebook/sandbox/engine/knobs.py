"""The sandbox's settings ("knobs"), checked once with messages that say what is allowed."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import httpx

from ...errors import CregisConfigError
from .clock import Clock
from .limits import Limits

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_PID",
    "FAILURE_KINDS",
    "Knobs",
    "ProjectSpec",
]

DEFAULT_PID = 1382528827416576
"""The docs' example project id, used for the sandbox's default project."""

DEFAULT_API_KEY = "f502a9ac9ca54327986f29c03b271491"
"""The docs' example API key (public; the signature worked example uses it)."""

FAILURE_KINDS = ("http_5xx", "drop", "malformed")
"""What an injected failure can be: an HTTP 500/503 page, a dropped connection, a cut body."""

MAX_TRANSACTIONS = 20_000_000
MAX_DISCREPANCIES = 1_000
"""At most this many problems of each kind (see ``discrepancies.inject``)."""


@dataclass(frozen=True)
class ProjectSpec:
    """An extra sandbox project.

    ``transactions`` defaults to a tenth of the main project's; ``disabled`` makes every call
    answer ``E0003`` (a project in an abnormal state). ``ip_whitelist``, ``unsupported``,
    ``address_quota`` and ``withdrawal_quota`` are as for the default project (see
    :class:`~cregis_notebook.sandbox.Sandbox`).
    """

    pid: int
    api_key: str
    transactions: int | None = None
    disabled: bool = False
    name: str = ""
    ip_whitelist: str | Sequence[str] | None = None
    unsupported: str | Sequence[str] = ()
    address_quota: int | None = None
    withdrawal_quota: int | None = None

    def limits(self) -> Limits:
        """This project's checked :class:`~cregis_notebook.sandbox.engine.limits.Limits`."""
        return Limits.of(self, f"project {self.pid}")


@dataclass(frozen=True)
class Knobs:
    """Every setting of a :class:`~cregis_notebook.sandbox.Sandbox` (see its docstring)."""

    transactions: int = 2_000
    history_days: float = 180.0
    history_end: float | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit: float | None = None
    rate_burst: int | None = None
    failure_rate: float = 0.0
    failures: tuple[str, ...] = FAILURE_KINDS
    clock: Clock = time.time
    settle_seconds: float = 10.0
    live_rate: float = 0.0
    deposit_rate: float = 0.0
    projects: tuple[ProjectSpec, ...] = ()
    callback_transport: httpx.BaseTransport | None = None
    callback_timeout: float = 5.0
    callback_attempts: int = 8
    callback_backoff: float = 1.0
    base_url: str = "http://sandbox.cregis.invalid"
    pid: int = DEFAULT_PID
    api_key: str = DEFAULT_API_KEY
    ip_whitelist: str | Sequence[str] | None = None
    unsupported: str | Sequence[str] = ()
    address_quota: int | None = None
    withdrawal_quota: int | None = None
    discrepancies: int = 0

    def limits(self) -> Limits:
        """The default project's checked :class:`~cregis_notebook.sandbox.engine.limits.Limits`."""
        return Limits.of(self, "the sandbox")

    @classmethod
    def build(cls, **given: Any) -> Knobs:
        """Check ``given`` and return the knobs; unknown names are refused with a suggestion."""
        names = [f.name for f in fields(cls)]
        unknown = [k for k in given if k not in names]
        if unknown:
            import difflib

            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, names, n=1)
                hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise CregisConfigError(
                f"unknown sandbox knob(s): {', '.join(hints)}; the knobs are {', '.join(names)}"
            )
        if "projects" in given:
            given["projects"] = _projects(given["projects"])
        if "failures" in given:
            kinds = given["failures"]
            given["failures"] = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        knobs = cls(**given)
        knobs._check()
        return knobs

    def _check(self) -> None:
        _int("transactions", self.transactions, 0, MAX_TRANSACTIONS)
        _number("history_days", self.history_days, 1 / 24, 3650)
        if self.history_end is not None:
            _number("history_end", self.history_end, 0, 4_102_444_800)
        _number("latency_ms", self.latency_ms, 0, 600_000)
        _number("jitter_ms", self.jitter_ms, 0, 600_000)
        if self.rate_limit is not None:
            _number("rate_limit", self.rate_limit, 0.001, 1e9, low_open=True)
        if self.rate_burst is not None:
            _int("rate_burst", self.rate_burst, 1, 1_000_000)
        _number("failure_rate", self.failure_rate, 0, 1)
        bad = [k for k in self.failures if k not in FAILURE_KINDS]
        if bad or (self.failure_rate and not self.failures):
            raise CregisConfigError(
                f"failures must be a non-empty selection of {', '.join(FAILURE_KINDS)}; "
                f"got {self.failures!r}"
            )
        if not callable(self.clock):
            raise CregisConfigError("clock must be a callable returning epoch seconds")
        _number("settle_seconds", self.settle_seconds, 0, 86_400 * 30)
        _number("live_rate", self.live_rate, 0, 100_000)
        _number("deposit_rate", self.deposit_rate, 0, 100_000)
        _number("callback_timeout", self.callback_timeout, 0.001, 600, low_open=True)
        _int("callback_attempts", self.callback_attempts, 1, 1000)
        _int("discrepancies", self.discrepancies, 0, MAX_DISCREPANCIES)
        _number("callback_backoff", self.callback_backoff, 0, 3600)
        if self.callback_transport is not None and not isinstance(
            self.callback_transport, httpx.BaseTransport
        ):
            raise CregisConfigError("callback_transport must be an httpx.BaseTransport")
        if not self.base_url.startswith(("http://", "https://")):
            raise CregisConfigError(
                f"base_url must start with http:// or https://: {self.base_url!r}"
            )
        pids = [self.pid, *(p.pid for p in self.projects)]
        if len(set(pids)) != len(pids):
            raise CregisConfigError(f"project ids must be distinct, got {pids}")
        self.limits()  # refuses a bad whitelist, endpoint name or quota now, with the reason


def _projects(value: Any) -> tuple[ProjectSpec, ...]:
    """``projects=2`` (two generated projects) or a list of ProjectSpec / mappings."""
    if isinstance(value, bool):
        raise CregisConfigError("projects must be a count or a list of projects")
    if isinstance(value, int):
        if not 0 <= value <= 100:
            raise CregisConfigError(f"projects must be 0..100 extra projects, got {value}")
        return tuple(
            ProjectSpec(pid=DEFAULT_PID + 1_048_576 * (i + 1), api_key=f"{i + 1:02d}" + "0" * 30)
            for i in range(value)
        )
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise CregisConfigError("projects must be a count or a list of projects")
    out = []
    for item in value:
        if isinstance(item, ProjectSpec):
            out.append(item)
        elif isinstance(item, Mapping):
            try:
                out.append(ProjectSpec(**item))
            except TypeError as exc:
                raise CregisConfigError(f"bad project {dict(item)!r}: {exc}") from None
        else:
            raise CregisConfigError(f"a project is a ProjectSpec or a mapping, got {item!r}")
    for spec in out:
        if isinstance(spec.pid, bool) or not isinstance(spec.pid, int) or spec.pid <= 0:
            raise CregisConfigError(f"a project pid must be a positive integer, got {spec.pid!r}")
        if not isinstance(spec.api_key, str) or not spec.api_key:
            raise CregisConfigError(f"project {spec.pid} needs a non-empty api_key")
        if spec.transactions is not None:
            _int("transactions", spec.transactions, 0, MAX_TRANSACTIONS)
        spec.limits()
    return tuple(out)


def _number(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value > low if low_open else value >= low) and value <= high:
        return
    bound = f"more than {low}" if low_open else f"at least {low}"
    raise CregisConfigError(f"{name} must be a number {bound} and at most {high}, got {value!r}")


def _int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return
    raise CregisConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")
