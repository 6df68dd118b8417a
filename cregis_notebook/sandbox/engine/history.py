"""What the merchant holds about the seeded history: the callbacks it received and its requests.

The seeded history happened before the sandbox started, so its callbacks were never queued:
:func:`seeded_callbacks` builds them as the sandbox would have sent them (the same fields, the
same signature with the project key), one per final deposit, payout, withdrawal and order event,
at the time of the event. The rows of live mode (``live_rate``) come from the same world as the
seeded ones (their addresses have no ``callback_url`` either), so the same rule gives theirs.
:func:`requests` is the merchant's own record of every payout and withdrawal it asked for
(seeded, of live mode and made through the API). A :class:`Tampering` (the ``discrepancies``
knob) leaves some seeded callbacks out, signs some with the wrong key and adds duplicate
requests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from .amounts import format_units
from .deposits import deposit_callback_records
from .outbox import Outbox
from .payments import order_callback
from .project import Project
from .trades import DEPOSIT, PAYOUT, WITHDRAWAL
from .transfers import CALLBACK_STATUSES, transfer_callback

__all__ = ["KINDS", "Tampering", "requests", "seeded_callbacks"]

KINDS = {PAYOUT: "payouts", WITHDRAWAL: "withdrawals"}
"""The ``kind`` of a request, by trade kind."""

_REQUESTED_BEFORE_MS = 120_000
"""A seeded transfer on chain was requested this long before its block time."""
_REJECTED_AFTER_S = 600.0
"""A seeded transfer rejected before the chain was rejected this long after its request (or when
the history ends, if that is sooner)."""


@dataclass
class Tampering:
    """How the merchant's view differs from what the sandbox sent (the ``discrepancies`` knob).

    ``dropped``: txids of deposits whose callback never arrived; ``forged``: txids of deposits
    whose callback arrived signed with the wrong key; ``duplicates``: cids of payouts whose
    request the merchant sent twice (the second refused, so it has no cid).
    """

    dropped: set[str] = field(default_factory=set)
    forged: set[str] = field(default_factory=set)
    duplicates: list[int] = field(default_factory=list)


_Event = tuple[float, str, dict[str, Any], str | None]


def _merchant_rows(p: Project) -> np.ndarray:
    """The trade rows whose callbacks and requests are built here: the seeded history's, then
    those of live mode (``live_rate``), which follow the same rule."""
    return np.concatenate([np.arange(p.seeded_rows, dtype=np.int64), p.live.rows()])


def _events(p: Project, now: float) -> list[_Event]:
    """``(time, callback name, fields, order event)`` of every seeded callback due by ``now``,
    and of every callback of a row of live mode."""
    tr = p.trades
    out: list[_Event] = []
    rows = _merchant_rows(p)
    kinds, status = tr.cols["kind"][rows], tr.cols["status"][rows]
    final = rows[np.isin(kinds, (DEPOSIT, PAYOUT, WITHDRAWAL)) & (status != 0)]
    # a final row calls back at its block time (milliseconds: a row is never ahead of the
    # clock, so this compares exactly); a seeded row's block time is whole seconds, so its
    # callback is due by the end of the history; a row that was pending (at the end of the
    # history, or when it arrived in live mode) calls back when it settles (its plan's time)
    due = tr.cols["bt"][final] * 1000 + tr.cols["ms"][final]
    seeded = final < p.seeded_rows
    due[seeded] = np.minimum(due[seeded], p.history_end * 1000)
    settled = p.seeded.pending
    at_row = np.full(tr.size, -1, dtype=np.int64)
    kept = settled.rows < p.seeded_rows
    at_row[settled.rows[kept]] = settled.at[kept] * 1000
    live = p.live.settle_at
    at_row[list(live)] = np.round(np.array(list(live.values()), dtype=np.float64) * 1000)
    late = at_row[final] >= 0
    due[late] = at_row[final][late]
    on_time = due <= int(np.floor(now * 1000))
    final, due = final[on_time], due[on_time] / 1000
    deposit = tr.cols["kind"][final] == DEPOSIT
    records = deposit_callback_records(p, final[deposit])
    for at, record in zip(due[deposit].tolist(), records, strict=True):
        out.append((at, "callback_address_deposit", record, None))
    spent = final[~deposit]
    for at, row, txid in zip(due[~deposit].tolist(), spent.tolist(), tr.txids(spent), strict=True):
        name, record = transfer_callback(p, tr.value("cid", row), tr.value("kind", row), at, txid)
        out.append((at, name, record, None))
    for t in p.transfers.values():
        at = min(t.created + _REJECTED_AFTER_S, p.history_end)
        if t.fixed_status in CALLBACK_STATUSES and at <= now:
            name, record = transfer_callback(p, t.cid, t.kind, at)
            out.append((at, name, record, None))
    now_ms = int(now * 1000)
    for cregis_id in p.seeded_orders:
        order = p.orders[cregis_id]
        events: list[tuple[int, str]] = []
        if order.status(now_ms) == "expired":
            events.append((order.expire_ms, "expired"))
        if order.payments and order.confirm_ms is not None:
            events.append((order.confirm_ms, order.status(order.confirm_ms)))
        if order.refund is not None:
            events.append((order.refund.transact_ms, "refunded"))
        for when, event in events:
            made = order_callback(order, event, when) if when <= now_ms else None
            if made is not None:
                out.append((when / 1000, made[0], made[1], event))
    out.sort(key=lambda e: e[0])
    return out


def seeded_callbacks(
    p: Project, outbox: Outbox, now: float, seed: int, tampering: Tampering
) -> list[dict[str, Any]]:
    """The signed bodies of the seeded history's callbacks the merchant received, oldest first.

    Deterministic in ``seed`` (the nonces) and ``now``; ``tampering`` leaves some out and signs
    some with the wrong key.
    """
    rng = random.Random(f"{seed}:{p.pid}:history")
    bodies = []
    for at, name, record, event in _events(p, now):
        txid = record.get("txid") if name == "callback_address_deposit" else None
        if txid in tampering.dropped:
            continue
        key = p.api_key[::-1] if txid in tampering.forged else None
        bodies.append(outbox.body(p, name, record, at, event, rng, key))
    return bodies


def requests(p: Project, tampering: Tampering) -> list[dict[str, Any]]:
    """The merchant's record of each payout and withdrawal it asked for, oldest first: the
    seeded ones, those of live mode (``live_rate``) and those made through the API.

    Keys: ``kind`` (``payouts`` or ``withdrawals``), ``cid`` (the id the create call answered;
    ``None`` for a request Cregis refused), ``third_party_id``, ``currency``
    (``chain_id@token_id``), ``amount`` (a :class:`~decimal.Decimal`), ``address`` (where the
    money was to go) and ``created`` (when it was asked, epoch milliseconds).
    """
    tr, cat = p.trades, p.cat
    out: list[dict[str, Any]] = []
    rows = _merchant_rows(p)
    for row in rows[np.isin(tr.cols["kind"][rows], (PAYOUT, WITHDRAWAL))].tolist():
        cid = tr.value("cid", row)
        out.append(
            {
                "kind": KINDS[tr.value("kind", row)],
                "cid": cid,
                "third_party_id": p.seeded_third_party_id(cid),
                "currency": cat.currencies[tr.value("cur", row)].identifier,
                "amount": Decimal(p.stated_amount_text(cid, row)),
                "address": p.book.text(tr.value("to", row)),
                "created": tr.time_ms(row) - _REQUESTED_BEFORE_MS,
            }
        )
    for t in p.transfers.values():
        if t.kind in KINDS:
            out.append(
                {
                    "kind": KINDS[t.kind],
                    "cid": t.cid,
                    "third_party_id": t.third_party_id,
                    "currency": cat.currencies[t.cur].identifier,
                    "amount": Decimal(format_units(t.amount, cat.scale[t.cur])),
                    "address": p.book.text(t.to),
                    "created": int(t.created * 1000),
                }
            )
    by_cid = {r["cid"]: r for r in out}
    for cid in tampering.duplicates:
        first = by_cid[cid]
        out.append({**first, "cid": None, "created": first["created"] + 3_600_000})
    out.sort(key=lambda r: r["created"])
    return out
