"""The Team API in the registry: six read-only paged endpoints, kept apart from the project API."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from cregis_notebook import Client, to_frame
from cregis_notebook import spec as spec_package
from cregis_notebook.errors import CregisValidationError, RegistryDataError
from cregis_notebook.spec import load_registry, registry

SHARED = Path(__file__).parents[1].parent / "shared/cregis-api/team-endpoints.json"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="shared/cregis-api not beside clone")
DATA_DIR = Path(spec_package.__file__).parent / "data"

NAMES = (
    "list_wallets",
    "list_wallet_addresses",
    "query_wallet_balance",
    "query_wallet_address_balance",
    "query_history_transactions",
    "query_processing_transactions",
)
REG = registry()
TEAM = {ep.name: ep for ep in REG.team_endpoints}


def test_the_six_team_endpoints_are_an_area_of_their_own() -> None:
    assert tuple(TEAM) == NAMES
    for ep in TEAM.values():
        assert ep.is_team and ep.api == "team" and ep.area == "Team"
        assert ep.path.startswith("/openapi/v1/")
        assert ep.is_paged and ep.is_read_only and ep.row_key
        assert {"page_num", "page_size"} <= set(ep.param_names)
        assert REG.endpoint(ep.name) is ep is REG.endpoint(ep.path)
    assert REG.endpoints_of("team") == REG.team_endpoints
    assert REG.endpoints_of("project") == REG.endpoints


def test_the_project_registry_lists_no_team_endpoint() -> None:
    assert not any(ep.is_team for ep in REG.endpoints)
    assert "Team" not in REG.by_area()
    assert not set(NAMES) & {ep.name for ep in REG.endpoints}


def test_every_team_time_is_in_seconds() -> None:
    times = [(ep.name, f.name, f.unit) for ep in TEAM.values() for f in ep.response_fields]
    times = [t for t in times if t[1].endswith("_time")]
    params = [
        (ep.name, p.name, p.unit) for ep in TEAM.values() for p in ep.params if p.role == "time"
    ]
    assert len(times) == 3 and len(params) == 2
    assert {unit for *_, unit in times + params} == {"s"}
    fields = [f for ep in TEAM.values() for f in ep.response_fields if f.type == "timestamp"]
    assert {f.unit for f in fields} == {"s"}


def test_team_enums_and_the_two_status_keys() -> None:
    history = TEAM["query_history_transactions"]
    assert history.param("transaction_type").label_for(1) == "receive"  # type: ignore[union-attr]
    processing = TEAM["query_processing_transactions"]
    assert processing.field("transaction_type").label_for(1) == "send"  # type: ignore[union-attr]
    assert processing.field("status").enum_values == (0,)  # type: ignore[union-attr]
    for key in ("transaction_status", "status"):  # older and newer SDK models; either may come
        field = history.field(key)
        assert field is not None and field.optional and field.enum_values == (1, 2)
    wallets = TEAM["list_wallets"]
    assert wallets.field("walletType").enum_values == ("single_sign", "multi_sign")  # type: ignore[union-attr]
    assert wallets.param("wallet_type").enum_values == ("single_sign", "multi_sign")  # type: ignore[union-attr]
    assert REG.team_auth.headers == (
        "Access-Key",
        "Access-Timestamp",
        "Access-Nonce",
        "Access-Signature",
    )


def test_example_rows_are_unique_by_row_key() -> None:
    for ep in TEAM.values():
        rows = ep.response_example["data"]["rows"]
        keys = [tuple(r.get(k) for k in ep.row_key) for r in rows]
        assert len(set(keys)) == len(keys) == ep.response_example["data"]["total"], ep.name


def test_team_example_pages_type_like_the_others() -> None:
    history = to_frame(
        copy.deepcopy(TEAM["query_history_transactions"].response_example),
        "query_history_transactions",
    )
    row = history.iloc[0]
    assert str(history["wallet_id"].dtype) == "Int64" and row["wallet_id"] == 1385412968038400
    assert str(row["block_time"]) == "2025-12-31 11:20:00+00:00"  # 1767180000 read as seconds
    assert row["transaction_type_label"] == "receive"
    assert str(row["amount"]) == "250"
    wallets = to_frame(copy.deepcopy(TEAM["list_wallets"].response_example), "list_wallets")
    assert str(wallets["create_time"].iloc[0]) == "2025-01-01 00:00:00+00:00"
    assert list(wallets["walletType_label"]) == ["single_signature", "single_signature"]


def test_the_project_client_refuses_team_endpoints() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    client = Client("https://api.example.test", 1, "k" * 32, transport=transport)
    for key in ("list_wallets", "/openapi/v1/wallets", TEAM["list_wallets"]):
        with pytest.raises(CregisValidationError, match="Team API"):
            client.request(key)
    assert sent == []
    assert not any(hasattr(Client, name) for name in NAMES)  # no generated helper either


@needs_shared
def test_team_endpoints_match_the_shared_facts() -> None:
    doc = json.loads(SHARED.read_text(encoding="utf-8"))
    entries = doc["endpoints"]
    assert [e["name"] for e in entries] == list(NAMES)
    for entry in entries:
        ep = TEAM[entry["name"]]
        assert ep.path == entry["path"]
        assert {p.name: p.required for p in ep.params} == {
            p["name"]: p["required"] for p in entry["params"]
        }
        for p in entry["params"]:
            ours = ep.param(p["name"])
            assert ours is not None
            assert list(ours.enum_values) == p.get("enum", [])
            assert (ours.minimum, ours.maximum, ours.default) == (
                p.get("minimum"),
                p.get("maximum"),
                p.get("default"),
            )
            assert ours.unit == p.get("unit")
        assert list(ep.field_names) == [f["name"] for f in entry["response_fields"]]
        for f in entry["response_fields"]:
            ours_f = ep.field(f["name"])
            assert ours_f is not None
            assert list(ours_f.enum_values) == f.get("enum", [])
            assert ours_f.unit == ("s" if f.get("unit") == "s" else None)
            if f.get("alias_of") is None and f["name"] not in ("transaction_status",):
                assert ours_f.optional == (not f["required"]) or "[]." in f["name"]
        assert ep.request_example == json.loads(entry["example_request"]["body"])
        assert ep.response_example == entry["example_response"]
    assert list(REG.team_auth.headers) == [h["name"] for h in doc["auth"]["headers"]]


def _copy_data(tmp_path: Path) -> Path:
    for source in DATA_DIR.glob("*.json"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["endpoints"][0].update(path="/api/v1/wallets"), "/openapi/"),
        (lambda d: d["endpoints"][0].update(area="Payouts"), "Team"),
        (lambda d: d["endpoints"][1].update(effect="creates_state"), "reads and pages"),
        (lambda d: d["endpoints"][2].update(name="trade_page"), "names both"),
        (lambda d: d["auth"].update(headers=["Access-Key"]), "headers"),
        (lambda d: d["auth"].update(nonce_min_length=0), "nonce"),
        (lambda d: d.pop("auth"), "missing key"),
    ],
)
def test_bad_team_data_is_rejected(tmp_path: Path, change: Any, message: str) -> None:
    path = _copy_data(tmp_path) / "team_endpoints.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RegistryDataError, match=message):
        load_registry(tmp_path)


def test_a_project_endpoint_may_not_claim_the_team_area(tmp_path: Path) -> None:
    path = _copy_data(tmp_path) / "endpoints.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["endpoints"][0]["area"] = "Team"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RegistryDataError, match="Team"):
        load_registry(tmp_path)
