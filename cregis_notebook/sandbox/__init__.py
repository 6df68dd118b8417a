"""A local, seeded, stateful stand-in for the Cregis project API (issue 3).

Two ways in:

* in-process, no sockets: ``Client.sandbox(seed=0, **knobs)`` / ``AsyncClient.sandbox(...)``,
  or ``Sandbox(seed=0, **knobs).client()``;
* real HTTP: ``cregis-notebook sandbox --port 8600`` or, from Python,
  ``with SandboxServer(Sandbox()) as server: ...``.

Every endpoint of the registry answers as SPEC.md documents it; checks run in SPEC section
12's order with the documented codes (the ``A`` codes the sandbox chooses are listed in
:mod:`cregis_notebook.sandbox.engine.codes`). Payouts, withdrawals, collections, orders and
legacy deposits move through their statuses as the clock advances and send signed callbacks.
See ``docs/sandbox.md``.

Layout: three parts, each importing only the parts below it (a test checks this).

* ``engine/`` (lowest): the state and everything that happens over time. ``engine.Engine``
  holds the projects and the lock and composes ``scheduler`` (timed actions, the callback
  thread), ``transfers`` (payouts, withdrawals, collections), ``deposits`` (deposits, legacy
  deposit orders), ``payments`` (checkout orders, refunds), ``ledger`` (new trade rows, fees)
  and ``outbox`` (signed callbacks, delivered by ``callbacks``). Beside them: ``clock``,
  ``knobs``, the seeded data (``project``, ``trades``, ``book``, ``orders``, ``generate``),
  ``limits`` and ``codes`` (return codes and the refusals that carry them), ``amounts``,
  ``shapes``, ``catalog``, ``market``, ``ids``, ``addresses``; for reconciliation ``history``
  (the merchant's callbacks and requests) and ``discrepancies`` (the knob that plants known
  problems). It knows nothing of requests.
* ``api/``: the API service. ``gateway`` routes, checks and answers one request
  (``answers.Response``), ``checks`` reads the body and the parameters, ``service`` holds one
  handler per endpoint and reaches the engine only through ``port.EnginePort``, ``faults``
  (latency, rate limit, injected failures) and ``control`` (the ``/_sandbox/...`` endpoints).
* ``http/``: the adapters. ``transport`` (httpx, in-process), ``asgi`` and ``server``
  (uvicorn); they wrap anything that matches ``port.Answering``.
* ``facade.Sandbox`` (top) builds an engine and a gateway and hands out the ways in; it builds
  clients only through the client's public constructor and a transport.

A new behaviour of the world (a status, an event, a callback) goes in ``engine/``; a new
endpoint or request check goes in ``api/`` (plus the registry); a new way to reach the sandbox
goes in ``http/``.
"""

from __future__ import annotations

from ..errors import SandboxError, SandboxRefusal
from .api.answers import Response
from .engine.callbacks import CallbackAttempt
from .engine.clock import FakeClock
from .engine.knobs import DEFAULT_API_KEY, DEFAULT_PID, FAILURE_KINDS, Knobs, ProjectSpec
from .facade import Sandbox
from .http.server import SandboxServer

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
