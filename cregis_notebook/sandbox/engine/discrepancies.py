"""The ``discrepancies`` knob: known problems planted in a project's seeded history.

:func:`inject` plants ``count`` problems of each kind, each on its own object (so that no
problem causes any finding but its own), chosen deterministically from the seed, and returns the
ground truth in the reconciliation vocabulary (``kind``, ``key``, ``check``, ``currency``):

========================================  =====================================================
problem                                   truth
========================================  =====================================================
a deposit's callback never arrived        ``deposits``, its txid, ``missing_callback``
a deposit's callback has a bad signature  ``deposits``, its txid, ``callback_unverified``
a payout's on-chain amount differs        ``payouts``, its cid, ``amount_mismatch``
a payout stuck in approval over a day     ``payouts``, its cid, ``stuck``
a balance drifts from its ledger          ``balances``, ``address@currency``, ``ledger_drift``
an underpaid order reported as paid       ``orders``, its cregis_id, ``status_vs_paid``
a payout's request sent twice             ``payouts``, its cid, ``duplicate_third_party_id``
========================================  =====================================================

docs/sandbox.md ("Discrepancies") says how each is made.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import numpy as np

from ...errors import CregisConfigError
from .history import Tampering
from .project import Project, Transfer, wallet_of
from .trades import DEPOSIT, PAYOUT

__all__ = ["CHECKS", "Injected", "inject"]

CHECKS = (
    ("deposits", "missing_callback"),
    ("deposits", "callback_unverified"),
    ("payouts", "amount_mismatch"),
    ("payouts", "stuck"),
    ("balances", "ledger_drift"),
    ("orders", "status_vs_paid"),
    ("payouts", "duplicate_third_party_id"),
)
"""``(kind, check)`` of each problem the knob plants, in the order of the table above."""

_DAY = 86_400.0
_UNDERPAID = Decimal("0.6")  # an injected underpaid order received this share of its price


@dataclass(frozen=True)
class Injected:
    """One planted problem, as reconciliation names it."""

    kind: str
    key: str
    check: str
    currency: str


def inject(p: Project, count: int, seed: int, now: float) -> tuple[list[Injected], Tampering]:
    """Plant ``count`` problems of each kind in ``p`` (at history end ``now``).

    Returns the truth (``count`` rows per kind, in :data:`CHECKS` order) and the tampering of the
    merchant's view (callbacks dropped or badly signed, duplicate requests).
    """
    truth: list[Injected] = []
    tampering = Tampering()
    if count <= 0:
        return truth, tampering
    rng = random.Random(f"{seed}:{p.pid}:discrepancies")
    tr, cat = p.trades, p.cat
    kinds = tr.cols["kind"][: p.seeded_rows]
    ok = tr.cols["status"][: p.seeded_rows] == 1

    def pick(candidates: list[int] | np.ndarray, wanted: int, what: str) -> list[int]:
        pool = [int(c) for c in candidates]
        if len(pool) < wanted:
            raise CregisConfigError(
                f"discrepancies={count} needs {wanted} {what}; this sandbox has {len(pool)}: "
                "ask for fewer discrepancies or more transactions"
            )
        return rng.sample(pool, wanted)

    def cur_id(cur: int) -> str:
        return cat.currencies[cur].identifier

    deposits = pick(np.flatnonzero((kinds == DEPOSIT) & ok), 2 * count, "successful deposits")
    for row in deposits[:count]:
        tampering.dropped.add(tr.txid(row))
    for row in deposits[count:]:
        tampering.forged.add(tr.txid(row))
    for rows, check in (
        (deposits[:count], "missing_callback"),
        (deposits[count:], "callback_unverified"),
    ):
        for row in rows:
            truth.append(Injected("deposits", tr.txid(row), check, cur_id(_cur(p, row))))

    payouts = pick(np.flatnonzero((kinds == PAYOUT) & ok), 3 * count, "successful payouts")
    mismatched, duplicated, copied = (payouts[i * count : (i + 1) * count] for i in range(3))
    for row in mismatched:
        cid, units = tr.value("cid", row), tr.value("amount", row)
        p.stated_amounts[cid] = units + max(1, units // 20)
        truth.append(Injected("payouts", str(cid), "amount_mismatch", cur_id(_cur(p, row))))
    for row in copied:  # a stuck payout like a seeded one, asked for one to four days ago
        cur = _cur(p, row)
        t = Transfer(
            cid=p.next_cid(),
            kind=PAYOUT,
            cur=cur,
            frm=wallet_of(p, cur),
            to=tr.value("to", row),
            amount=tr.value("amount", row),
            fee=0,
            created=now - _DAY * (1.25 + 3 * rng.random()),
            remark="payout",
            fixed_status=0,
        )
        t.third_party_id = p.seeded_third_party_id(t.cid)
        p.transfers[t.cid] = t
        p.third_party_ids.add(t.third_party_id)
        truth.append(Injected("payouts", str(t.cid), "stuck", cur_id(cur)))

    funded = sorted(k for k, (available, _) in p.balances.items() if available > 0)
    for key in pick(list(range(len(funded))), count, "funded balances"):
        gid, cur = funded[key]
        balance = p.balances[(gid, cur)]
        balance[0] += max(1, balance[0] // 50)  # a manual adjustment, not on chain
        truth.append(
            Injected("balances", f"{p.book.text(gid)}@{cur_id(cur)}", "ledger_drift", cur_id(cur))
        )

    now_ms = int(now * 1000)
    paid = [
        i
        for i, cregis_id in enumerate(p.seeded_orders)
        if (order := p.orders[cregis_id]).status(now_ms) == "paid"
        and order.refund is None
        and len(order.payments) == 1
    ]
    for i in pick(paid, count, "paid orders"):
        order = p.orders[p.seeded_orders[i]]
        payment = order.payments[0]
        step = Decimal(1).scaleb(-min(payment.token.decimals, 6))
        payment.amount = max(step, (payment.amount * _UNDERPAID).quantize(step, ROUND_DOWN))
        order.reported = "paid"
        truth.append(Injected("orders", order.cregis_id, "status_vs_paid", order.currency))

    for row in duplicated:
        cid = tr.value("cid", row)
        tampering.duplicates.append(cid)
        truth.append(
            Injected("payouts", str(cid), "duplicate_third_party_id", cur_id(_cur(p, row)))
        )
    return truth, tampering


def _cur(p: Project, row: int) -> int:
    return p.trades.value("cur", row)
