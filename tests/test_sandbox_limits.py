"""A project's limits: IP whitelist (E0001), unsupported calls (E0004), quotas (T0062, E0033,
E0034), each in the place docs/sandbox.md gives it in the order of checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import call, signed_body
from test_sandbox_errors import PAYEE, code_of

from cregis_notebook import Client
from cregis_notebook.cli import build_parser, sandbox_knobs
from cregis_notebook.errors import CregisConfigError
from cregis_notebook.sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_PID,
    FakeClock,
    ProjectSpec,
    Sandbox,
    SandboxServer,
)

OTHER = ProjectSpec(pid=1_400_000_000_000_011, api_key="o" * 32, transactions=20)


@pytest.fixture
def make() -> Iterator[Any]:
    """Sandboxes built with the given knobs, closed after the test."""
    built: list[Sandbox] = []

    def build(**knobs: Any) -> Sandbox:
        box = Sandbox(seed=3, transactions=50, clock=FakeClock(), **knobs)
        built.append(box)
        return box

    yield build
    for box in built:
        box.close()


def test_no_limits_by_default(make: Any) -> None:
    box = make()
    for _ in range(3):
        assert call(box, "address_create", {"chain_id": "195"})["code"] == "00000"


# -- E0001 -----------------------------------------------------------------------------------------


def test_ip_whitelist_in_process_caller_is_loopback(make: Any) -> None:
    assert code_of(make(ip_whitelist="203.0.113.7"), "coins", {}) == "E0001"
    assert call(make(ip_whitelist=["203.0.113.7", "127.0.0.0/8"]), "coins")["code"] == "00000"


def test_ip_whitelist_comes_after_the_signature_and_before_parameters(make: Any) -> None:
    box = make(ip_whitelist=["10.0.0.0/8"])
    assert code_of(box, "payout", {}, key="0" * 32) == "B0001"  # sign first
    assert code_of(box, "payout", {}) == "E0001"  # then the caller, before A0001


def test_ip_whitelist_uses_the_connection_peer_over_http() -> None:
    box = Sandbox(seed=3, transactions=30, ip_whitelist=["127.0.0.2"])
    with SandboxServer(box, close_sandbox=True) as server:

        def code_from(source: str) -> str:
            transport = httpx.HTTPTransport(local_address=source)  # any 127.x is loopback
            with Client(server.base_url, server.pid, server.api_key, transport=transport) as c:
                return c.request("coins").code

        assert code_from("127.0.0.2") == "00000"
        assert code_from("127.0.0.1") == "E0001"


def test_ip_whitelist_is_per_project(make: Any) -> None:
    fenced = ProjectSpec(pid=OTHER.pid, api_key=OTHER.api_key, ip_whitelist=("192.0.2.1",))
    box = make(projects=[fenced])
    assert call(box, "coins")["code"] == "00000"
    assert code_of(box, "coins", {}, pid=fenced.pid, key=fenced.api_key) == "E0001"


def test_caller_without_an_ip_is_refused_by_a_whitelist(make: Any) -> None:
    box = make(ip_whitelist="127.0.0.1")
    body = json.dumps(signed_body({}, pid=DEFAULT_PID, key=DEFAULT_API_KEY)).encode()
    headers = {"content-type": "application/json"}
    assert box.handle("POST", "/api/v1/coins", headers, body, client=None).json()["code"] == (
        "E0001"
    )
    assert box.handle("POST", "/api/v1/coins", headers, body).json()["code"] == "00000"


# -- E0004 -----------------------------------------------------------------------------------------


def test_unsupported_endpoint_is_e0004_before_its_parameters(make: Any) -> None:
    box = make(unsupported=["payout", "checkout"])  # helper or registry names
    assert code_of(box, "payout", {}) == "E0004"
    assert code_of(box, "checkout", {}) == "E0004"
    assert code_of(box, "payout", {}, key="0" * 32) == "B0001"
    assert call(box, "coins")["code"] == "00000"


def test_a_disabled_project_is_e0003_before_e0004(make: Any) -> None:
    spec = ProjectSpec(pid=OTHER.pid, api_key=OTHER.api_key, disabled=True, unsupported="coins")
    box = make(projects=[spec])
    assert code_of(box, "coins", {}, pid=spec.pid, key=spec.api_key) == "E0003"


# -- T0062 and E0033 -------------------------------------------------------------------------------


def test_address_quota_then_e0033(make: Any) -> None:
    box = make(address_quota=3)
    assert code_of(box, "address_create", {"chain_id": "999"}) == "E0005"  # checks come first
    assert call(box, "address_create", {"chain_id": "195"})["code"] == "00000"
    assert code_of(box, "address_batch_create", {"chain_id": "60", "number": 3}) == "E0033"
    assert len(box.project.created_subs) == 1  # a batch that does not fit creates nothing
    assert len(call(box, "address_batch_create", {"chain_id": "60", "number": 2})["data"]) == 2
    assert code_of(box, "address_create", {"chain_id": "195"}) == "E0033"
    assert len(box.project.created_subs) == 3


def test_no_address_allowance_is_t0062(make: Any) -> None:
    box = make(address_quota=0)
    assert code_of(box, "address_create", {"chain_id": "195"}) == "T0062"
    assert code_of(box, "address_batch_create", {"chain_id": "60", "number": 1}) == "T0062"


# -- E0034 -----------------------------------------------------------------------------------------


def test_withdrawal_quota_then_e0034(make: Any) -> None:
    box = make(withdrawal_quota=1)
    address = call(box, "address_create", {"chain_id": "195"})["data"]["address"]
    box.simulate_deposit(address, "195@195", "50")
    params = {"currency": "195@195", "from_address": address, "to_address": PAYEE, "amount": "1"}
    refused = {**params, "amount": "1000"}
    assert code_of(box, "withdrawal", {**refused, "third_party_id": "w-0"}) == "E0016"
    assert call(box, "withdrawal", {**params, "third_party_id": "w-1"})["code"] == "00000"
    assert code_of(box, "withdrawal", {**params, "third_party_id": "w-2"}) == "E0034"
    assert code_of(box, "withdrawal", {**params, "third_party_id": "w-1"}) == "E0009"
    assert box.project.withdrawals_made == 1


# -- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("knobs", "words"),
    [
        ({"ip_whitelist": "10.0.0.300"}, "ip_whitelist entry '10.0.0.300'"),
        ({"ip_whitelist": 7}, "ip_whitelist must be"),
        ({"unsupported": ["payuot"]}, "did you mean 'payout'"),
        ({"address_quota": -1}, "address_quota must be"),
        ({"withdrawal_quota": 2.5}, "withdrawal_quota must be"),
        ({"projects": [{"pid": 5, "api_key": "k", "address_quota": "3"}]}, "project 5:"),
    ],
)
def test_bad_limits_are_refused_with_what_to_fix(knobs: dict[str, Any], words: str) -> None:
    with pytest.raises(CregisConfigError, match=words):
        Sandbox(seed=0, transactions=10, **knobs)


def test_command_line_flags_become_knobs() -> None:
    args = build_parser().parse_args(
        [
            "sandbox",
            "--ip-whitelist",
            "127.0.0.1, 10.0.0.0/8",
            "--unsupported",
            "payout,checkout",
            "--address-quota",
            "5",
            "--withdrawal-quota",
            "0",
        ]
    )
    knobs = sandbox_knobs(args)
    assert knobs["ip_whitelist"] == ("127.0.0.1", "10.0.0.0/8")
    assert knobs["unsupported"] == ("payout", "checkout")
    assert knobs["address_quota"] == 5 and knobs["withdrawal_quota"] == 0
    limits = Sandbox(seed=0, transactions=10, **knobs).project.limits
    assert limits.withdrawal_quota == 0 and len(limits.ip_whitelist or ()) == 2
