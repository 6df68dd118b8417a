"""What each Team API endpoint does, after the header checks: parameters, the work, the page.

Parameters are checked as for the project API (:func:`~.checks.read_params`: A0001 missing,
A0002 wrong type, A0003 out of range), with the Team API's stricter JSON types first: an
integer must be a JSON number and a decimal a JSON string (A0002). A ``wallet_id`` the team does
not hold is ``E0010``. Then the page: ``{total, rows, pageNum, pageSize}``, rows newest first
for the transaction lists, in creation order otherwise.

Choices where the API is silent (see ``docs/sandbox.md``): the balance calls list only coins
with a non-zero total unless ``chain_id`` or ``token_id`` is given, in which case every matching
coin the wallet holds is listed, zero or not; ``minimum_balance`` and ``maximum_balance``
compare with ``available`` and both bounds are inclusive, as are ``blocktime_start`` and
``blocktime_end``. A history row carries its status under both keys, ``transaction_status`` and
``status``, with the same value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ...spec import Endpoint, registry
from ..engine.codes import A_TYPE, documented, param_error
from ..engine.shapes import Shape, endpoint_shape
from ..engine.team import RECEIVE, SEND, Team, TeamTransfer, TeamWallet
from .checks import read_params

__all__ = ["TeamService"]

_TYPE = {RECEIVE: 1, SEND: 2}
"""History ``transaction_type``: 1 receive, 2 send."""

_PROCESSING_SEND = 1
"""Processing ``transaction_type``: its only documented value, 1, means send there."""

TeamHandler = Callable[[Team, dict[str, Any], float], dict[str, Any]]


def _strict_types(ep: Endpoint, body: dict[str, Any]) -> None:
    """Integers must be JSON numbers, decimals JSON strings (as every SDK sends them)."""
    for p in ep.params:
        value = body.get(p.name)
        if value is None:
            continue
        if p.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            shown = json.dumps(value, default=str)
            raise param_error(A_TYPE, p.name, f"must be a JSON integer, got {shown}")
        if p.type == "decimal" and not isinstance(value, str):
            shown = json.dumps(value, default=str)
            raise param_error(A_TYPE, p.name, f"must be a decimal string, got {shown}")


class TeamService:
    """The six Team API handlers of one sandbox."""

    def __init__(self) -> None:
        reg = registry()
        self.endpoints = {ep.path: ep for ep in reg.team_endpoints}
        self.shapes: dict[str, Shape] = {ep.name: endpoint_shape(ep) for ep in reg.team_endpoints}
        self.handlers: dict[str, TeamHandler] = {
            "list_wallets": self.list_wallets,
            "list_wallet_addresses": self.list_wallet_addresses,
            "query_wallet_balance": self.query_wallet_balance,
            "query_wallet_address_balance": self.query_wallet_address_balance,
            "query_history_transactions": self.query_history_transactions,
            "query_processing_transactions": self.query_processing_transactions,
        }
        missing = [ep.name for ep in reg.team_endpoints if ep.name not in self.handlers]
        if missing:
            raise RuntimeError(f"the sandbox has no Team handler for {missing}")

    def call(self, ep: Endpoint, team: Team, body: dict[str, Any], now: float) -> dict[str, Any]:
        """Check ``body``'s parameters for ``ep`` and answer with the page."""
        _strict_types(ep, body)
        params = read_params(ep, body)
        return self.handlers[ep.name](team, params, now)

    # -- shared ----------------------------------------------------------------------------------

    def _page(self, name: str, a: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
        page_num, page_size = int(a["page_num"]), int(a["page_size"])
        start = (page_num - 1) * page_size
        shape = self.shapes[name]
        rows = [shape.render(r) for r in records[start : start + page_size]]
        return {"total": len(records), "rows": rows, "pageNum": page_num, "pageSize": page_size}

    @staticmethod
    def _wallet(team: Team, a: dict[str, Any]) -> TeamWallet:
        wallet = team.wallets.get(a["wallet_id"])
        if wallet is None:
            raise documented("E0010")
        return wallet

    @staticmethod
    def _coin_matches(team: Team, cur: int, a: dict[str, Any]) -> bool:
        c = team.cat.currencies[cur]
        chain_id, token_id = a.get("chain_id"), a.get("token_id")
        return (chain_id is None or c.chain_id == chain_id) and (
            token_id is None or c.token_id == token_id
        )

    @staticmethod
    def _amount(team: Team, cur: int, units: int) -> tuple[int, int]:
        """``(units, scale)``: the shape writes it as exact decimal text."""
        return (units, team.scale(cur))

    # -- wallets and addresses -------------------------------------------------------------------

    def list_wallets(self, team: Team, a: dict[str, Any], now: float) -> dict[str, Any]:
        cat = team.cat
        kind = a.get("wallet_type")
        records = [
            {
                "wallet_id": w.wallet_id,
                "walletType": w.kind,
                "alias": w.alias,
                "wallet_status": "normal",
                "create_time": w.created,
                "tokens": [
                    {
                        "chain_id": cat.currencies[c].chain_id,
                        "chain_name": cat.currencies[c].chain_name,
                        "token_id": cat.currencies[c].token_id,
                        "token_name": cat.currencies[c].symbol,
                    }
                    for c in w.tokens
                ],
            }
            for w in team.wallets.values()
            if kind is None or w.kind == kind
        ]
        return self._page("list_wallets", a, records)

    def list_wallet_addresses(self, team: Team, a: dict[str, Any], now: float) -> dict[str, Any]:
        wallet = self._wallet(team, a)
        records = []
        for addr in wallet.addresses:
            if team.cat.chains[addr.chain].chain_id != a["chain_id"]:
                continue
            record: dict[str, Any] = {
                "address": addr.address,
                "address_status": "enable" if addr.enabled else "disable",
                "create_time": addr.created,
            }
            if addr.alias is not None:
                record["alias"] = addr.alias
            records.append(record)
        return self._page("list_wallet_addresses", a, records)

    # -- balances --------------------------------------------------------------------------------

    def _balance_rows(
        self, team: Team, wallet: TeamWallet, a: dict[str, Any], now: float
    ) -> Iterable[tuple[str, int, int, int]]:
        """``(address, currency, total, processing)`` of the coins the filters choose."""
        filtered = a.get("chain_id") is not None or a.get("token_id") is not None
        for (address, cur), (total, processing) in team.balances(wallet, now).items():
            if not self._coin_matches(team, cur, a):
                continue
            if total == 0 and processing == 0 and not filtered:
                continue
            yield address, cur, total, processing

    def _balance_record(self, team: Team, cur: int, total: int, processing: int) -> dict[str, Any]:
        c = team.cat.currencies[cur]
        return {
            "chain_id": c.chain_id,
            "token_id": c.token_id,
            "total": self._amount(team, cur, total),
            "available": self._amount(team, cur, total - processing),
            "processing": self._amount(team, cur, processing),
        }

    def query_wallet_balance(self, team: Team, a: dict[str, Any], now: float) -> dict[str, Any]:
        wallet = self._wallet(team, a)
        sums: dict[int, list[int]] = {}
        for _address, cur, total, processing in self._balance_rows(team, wallet, a, now):
            cell = sums.setdefault(cur, [0, 0])
            cell[0] += total
            cell[1] += processing
        records = [
            self._balance_record(team, cur, total, processing)
            for cur, (total, processing) in sorted(
                sums.items(), key=lambda kv: wallet.tokens.index(kv[0])
            )
        ]
        return self._page("query_wallet_balance", a, records)

    def query_wallet_address_balance(
        self, team: Team, a: dict[str, Any], now: float
    ) -> dict[str, Any]:
        wallet = self._wallet(team, a)
        low, high = a.get("minimum_balance"), a.get("maximum_balance")
        records = []
        for address, cur, total, processing in self._balance_rows(team, wallet, a, now):
            if a.get("address") is not None and address != a["address"]:
                continue
            available = Decimal(total - processing).scaleb(-team.scale(cur))
            if (low is not None and available < low) or (high is not None and available > high):
                continue
            records.append(
                {"address": address, **self._balance_record(team, cur, total, processing)}
            )
        return self._page("query_wallet_address_balance", a, records)

    # -- transactions ----------------------------------------------------------------------------

    def _transfer_record(self, team: Team, t: TeamTransfer) -> dict[str, Any]:
        c = team.cat.currencies[t.cur]
        sender, receiver = (t.other, t.address) if t.direction == RECEIVE else (t.address, t.other)
        return {
            "wallet_id": t.wallet_id,
            "chain_id": c.chain_id,
            "token_id": c.token_id,
            "amount": self._amount(team, t.cur, t.units),
            "from_address": sender,
            "to_address": receiver,
            "txid": t.txid,
        }

    def _transfer_matches(self, team: Team, t: TeamTransfer, a: dict[str, Any]) -> bool:
        return self._coin_matches(team, t.cur, a) and (a.get("txid") in (None, t.txid))

    def query_history_transactions(
        self, team: Team, a: dict[str, Any], now: float
    ) -> dict[str, Any]:
        wallet = self._wallet(team, a)
        start, end = a.get("blocktime_start"), a.get("blocktime_end")
        kind, status = a.get("transaction_type"), a.get("transaction_status")
        records = []
        for t in team.history(wallet, now):
            outcome = 1 if t.ok else 2
            block_time = int(t.at)
            if not self._transfer_matches(team, t, a):
                continue
            if (kind is not None and _TYPE[t.direction] != kind) or (
                status is not None and outcome != status
            ):
                continue
            if (start is not None and block_time < start) or (end is not None and block_time > end):
                continue
            native = team.cat.native[int(team.cat.cur_chain[t.cur])]
            records.append(
                {
                    **self._transfer_record(team, t),
                    "transaction_type": _TYPE[t.direction],
                    "transaction_status": outcome,
                    "status": outcome,
                    "block_height": str(t.height),
                    "block_time": block_time,
                    "fee": self._amount(team, native, t.fee),
                }
            )
        return self._page("query_history_transactions", a, records)

    def query_processing_transactions(
        self, team: Team, a: dict[str, Any], now: float
    ) -> dict[str, Any]:
        wallet = self._wallet(team, a)
        records = [
            {**self._transfer_record(team, t), "transaction_type": _PROCESSING_SEND, "status": 0}
            for t in team.processing(wallet, now)
            if self._transfer_matches(team, t, a)
        ]
        return self._page("query_processing_transactions", a, records)
