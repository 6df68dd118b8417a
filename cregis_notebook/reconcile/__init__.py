"""Reconciliation: payouts, withdrawals, deposits, balances and orders checked against the
chain, the callbacks and your own requests.

Each check function takes typed frames (from ``fetch_frame`` or a local store) and returns one
row per object checked, with the facts side by side, ``ok``, ``findings`` (the names of the
checks it failed, see :data:`CHECKS`) and the exact ``amount_at_stake`` in its ``currency``.
:func:`run` does it all from a client or a store. See docs/reconcile.md.

Parts: ``checks`` (the registry of checks), ``inputs`` (what the checks read), ``results``
(the row and findings shapes), ``transfers`` (payouts, withdrawals), ``deposits``,
``balances``, ``orders``, ``summary`` and ``run``.
"""

from __future__ import annotations

from .balances import balances, ledger
from .checks import CHECKS, KINDS, Check, checks_for
from .deposits import deposits
from .orders import orders, payment_details
from .results import findings_of
from .run import Reconciliation, run
from .summary import as_findings, summary
from .transfers import payouts, withdrawals

__all__ = [
    "CHECKS",
    "KINDS",
    "Check",
    "Reconciliation",
    "as_findings",
    "balances",
    "checks_for",
    "deposits",
    "findings_of",
    "ledger",
    "orders",
    "payment_details",
    "payouts",
    "run",
    "summary",
    "withdrawals",
]
