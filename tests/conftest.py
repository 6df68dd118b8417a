"""Shared fixtures: a sandbox served over real loopback HTTP, and clients for it.

* ``sandbox_server``: a :class:`~cregis_notebook.sandbox.SandboxServer` on an ephemeral
  ``127.0.0.1`` port serving ``Sandbox(seed=0, transactions=3000)`` (session scope: built once);
* ``sandbox_http``: ``(base_url, pid, api_key)`` of that server;
* ``http_client``: a ``Client`` for it with retries off (closed after the test);
* ``box``: a private in-process sandbox on a :class:`FakeClock`.

Plain helpers (import them with ``from conftest import call``): :func:`call` signs and POSTs
a request by hand, bypassing the client's own validation, to a ``Sandbox`` or a base URL.

The server is shared: tests that change state on it should use fresh ids (third_party_id,
order_id) and must not depend on totals that other tests could change; tests that need a
private sandbox build their own (``Sandbox(...)`` is cheap at a few thousand transactions).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cregis_notebook import Client, sign
from cregis_notebook.sandbox import DEFAULT_API_KEY, DEFAULT_PID, FakeClock, Sandbox, SandboxServer
from cregis_notebook.spec import registry

SERVER_TRANSACTIONS = 3_000


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """A sandbox on an ephemeral loopback port, started once and stopped at the end."""
    box = Sandbox(seed=0, transactions=SERVER_TRANSACTIONS)
    server = SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True)
    with server:
        yield server


@pytest.fixture(scope="session")
def sandbox_http(sandbox_server: SandboxServer) -> tuple[str, int, str]:
    """``(base_url, pid, api_key)`` of :func:`sandbox_server`."""
    return sandbox_server.base_url, sandbox_server.pid, sandbox_server.api_key


@pytest.fixture
def http_client(sandbox_server: SandboxServer) -> Iterator[Client]:
    """A ``Client`` talking to :func:`sandbox_server` over HTTP, without retries."""
    client = Client(
        sandbox_server.base_url, sandbox_server.pid, sandbox_server.api_key, retry=False
    )
    try:
        yield client
    finally:
        client.close()


# -- raw calls: sign a body by hand and send it as is (no client-side validation) -----------------

Target = Sandbox | str  # an in-process sandbox, or the base URL of a served one


def signed_body(
    params: dict[str, Any],
    *,
    pid: int,
    key: str,
    sign_it: bool = True,
    timestamp: int = 1_735_689_600_000,
    nonce: str = "abc123",
) -> dict[str, Any]:
    """``params`` plus pid, nonce, timestamp and (unless ``sign_it`` is false) a valid sign."""
    body = {**params, "pid": pid, "nonce": nonce, "timestamp": timestamp}
    if sign_it:
        body["sign"] = sign(body, key)
    return body


def raw_post(target: Target, path: str, body: bytes, method: str = "POST") -> tuple[int, Any]:
    """Send ``body`` to ``path``; returns ``(HTTP status, parsed JSON or the raw text)``."""
    if isinstance(target, Sandbox):
        response = target.handle(method, path, {"content-type": "application/json"}, body)
        status, content = response.status, response.body
    else:
        with httpx.Client(base_url=target, timeout=30, trust_env=False) as http:
            reply = http.request(
                method, path, content=body, headers={"content-type": "application/json"}
            )
        status, content = reply.status_code, reply.content
    try:
        return status, json.loads(content)
    except ValueError:
        return status, content.decode("utf-8", "replace")


def call(
    target: Target,
    endpoint: str,
    params: dict[str, Any] | None = None,
    *,
    pid: int = DEFAULT_PID,
    key: str = DEFAULT_API_KEY,
    sign_it: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """POST a signed request for ``endpoint`` (any registry key) and return the envelope."""
    ep = registry().endpoint(endpoint)
    body = signed_body(dict(params or {}), pid=pid, key=key, sign_it=sign_it, **extra)
    status, envelope = raw_post(target, ep.path, json.dumps(body).encode("utf-8"))
    assert status == 200, (status, envelope)
    assert isinstance(envelope, dict) and set(envelope) == {"code", "msg", "data"}, envelope
    return envelope


@pytest.fixture
def box() -> Iterator[Sandbox]:
    """A private in-process sandbox on a FakeClock (2025-01-01), 1500 transactions."""
    sandbox = Sandbox(seed=0, transactions=1_500, clock=FakeClock())
    try:
        yield sandbox
    finally:
        sandbox.close()
