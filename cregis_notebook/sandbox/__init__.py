"""A local, seeded, stateful stand-in for the Cregis project API (issue 3).

Two ways in:

* in-process, no sockets: ``Client.sandbox(seed=0, **knobs)`` / ``AsyncClient.sandbox(...)``,
  or ``Sandbox(seed=0, **knobs).client()``;
* real HTTP: ``cregis-notebook sandbox --port 8600`` or, from Python,
  ``with SandboxServer(Sandbox()) as server: ...``.

Every endpoint of the registry answers as SPEC.md documents it; checks run in SPEC section
12's order with the documented codes (the ``A`` codes the sandbox chooses are listed in
:mod:`cregis_notebook.sandbox.checks`). Payouts, withdrawals, collections, orders and legacy
deposits move through their statuses as the clock advances and send signed callbacks.
See ``docs/sandbox.md``.
"""

from __future__ import annotations

from ..errors import SandboxError, SandboxRefusal
from .callbacks import CallbackAttempt
from .clock import FakeClock
from .core import Response, Sandbox
from .knobs import DEFAULT_API_KEY, DEFAULT_PID, FAILURE_KINDS, Knobs, ProjectSpec
from .server import SandboxServer

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_PID",
    "FAILURE_KINDS",
    "CallbackAttempt",
    "FakeClock",
    "Knobs",
    "ProjectSpec",
    "Response",
    "Sandbox",
    "SandboxError",
    "SandboxRefusal",
    "SandboxServer",
]
