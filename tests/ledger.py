"""The Ledger rule of docs/sandbox.md, written again from the rule for the tests.

For each address and currency, from ``trade_page`` rows alone: successful rows into the address
add their amount; rows out of it take their amount away once successful and hold it as
``processing`` while pending; their network fee (in the chain's native coin) is taken away when
the row succeeded or failed and held as ``processing`` while pending. ``available`` is
``total - processing``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from cregis_notebook.spec import registry

Entry = tuple[Decimal, Decimal, Decimal]  # total, available, processing


def ledger(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Entry]:
    """``(address, chain_id@token_id) -> (total, available, processing)`` from trade rows."""
    reg = registry()
    total: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        chain, status = str(r["chain_id"]), int(r["status"])
        cur = f"{chain}@{r['token_id']}"
        native = f"{chain}@{chain}"
        assert reg.currency(cur) is not None and reg.currency(native) is not None
        amount, fee = Decimal(str(r["amount"])), Decimal(str(r["fee"]))
        into, out = (r["to_address"], cur), (r["from_address"], cur)
        if status == 1:
            total[into] += amount
            total[out] -= amount
        elif status == 0:
            held[out] += amount
        payer = (r["from_address"], native)
        if status in (1, 2):
            total[payer] -= fee
        else:
            held[payer] += fee
        for key in (into, out, payer):
            total[key] += 0  # every address the rows touch has an entry
    return {k: (t, t - held[k], held[k]) for k, t in total.items()}


def balance_entry(row: Mapping[str, Any]) -> Entry:
    """``(total, available, processing)`` of a ``sub_address_balance`` row."""
    return (Decimal(row["total"]), Decimal(row["available"]), Decimal(row["processing"]))
