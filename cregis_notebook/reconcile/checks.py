"""The reconciliation checks: each one's name, the kind of object it looks at, what it means
and what to do about it. The names are the vocabulary of ``Reconciliation.findings``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHECKS", "KINDS", "Check", "checks_for"]

KINDS = ("payouts", "withdrawals", "deposits", "balances", "orders")
"""The kinds of object reconciled, in the order of ``Reconciliation``'s frames."""


@dataclass(frozen=True)
class Check:
    """One check: ``name`` (as in ``findings``), ``kinds``, ``meaning`` and ``action``."""

    name: str
    kinds: tuple[str, ...]
    meaning: str
    action: str


_TRANSFERS = ("payouts", "withdrawals")

CHECKS: tuple[Check, ...] = (
    Check(
        "amount_mismatch",
        (*_TRANSFERS, "deposits"),
        "The amount differs between the request, Cregis, the on-chain row or the callback.",
        "Compare the on-chain transaction with what was asked; recover or top up the difference.",
    ),
    Check(
        "address_mismatch",
        (*_TRANSFERS, "deposits"),
        "The destination address differs between the request, Cregis, the chain or the callback.",
        "Treat as a possible tampering: stop paying to that address and investigate.",
    ),
    Check(
        "missing_onchain",
        _TRANSFERS,
        "Cregis says the transfer succeeded, but no on-chain row has its txid.",
        "Fetch the trades again (a later window); if it stays missing, ask Cregis support.",
    ),
    Check(
        "onchain_failed",
        _TRANSFERS,
        "Cregis says the transfer succeeded, but its on-chain row failed.",
        "Do not book it as paid; ask Cregis support and pay again only once it is settled.",
    ),
    Check(
        "callback_status_mismatch",
        _TRANSFERS,
        "The latest callback's status disagrees with the status the query gives.",
        "Trust the query; check that your callback handler records every callback.",
    ),
    Check(
        "callback_unverified",
        (*_TRANSFERS, "deposits"),
        "A callback's signature does not verify with the project key.",
        "Never act on it: it may be forged. Check the key and where the request came from.",
    ),
    Check(
        "stuck",
        _TRANSFERS,
        "Awaiting approval or signature for longer than stale_after.",
        "Approve or reject it in the Cregis console, or cancel and ask again.",
    ),
    Check(
        "duplicate_third_party_id",
        _TRANSFERS,
        "Your requests use the same third_party_id more than once.",
        "Check that each request was sent once; Cregis refuses the second one (E0009).",
    ),
    Check(
        "unknown_request",
        _TRANSFERS,
        "A request of yours that Cregis does not know (no payout or withdrawal has its id).",
        "Find out whether it was ever sent; send it again only if it was refused.",
    ),
    Check(
        "missing_callback",
        ("deposits", "orders"),
        "A final deposit or order without the callback that should announce it.",
        "Check your callback endpoint and its logs; book from the query, not the callback.",
    ),
    Check(
        "orphan_callback",
        ("deposits",),
        "A deposit callback whose transaction is not among the trades.",
        "Fetch the trades for its time; if it stays alone, the callback may be forged.",
    ),
    Check(
        "status_mismatch",
        ("deposits",),
        "A deposit callback's status differs from its on-chain row's.",
        "Trust the on-chain row; look for a later callback.",
    ),
    Check(
        "stale_pending",
        ("deposits",),
        "A deposit still pending on chain for longer than stale_after.",
        "Look the transaction up on a block explorer; ask Cregis support if it is confirmed.",
    ),
    Check(
        "ledger_drift",
        ("balances",),
        "The balance snapshot (total, available or processing) differs from the ledger.",
        "Look for a manual adjustment or a missing trade; fetch the trades again.",
    ),
    Check(
        "status_vs_paid",
        ("orders",),
        "The order's status disagrees with what its payments add up to (tolerances applied).",
        "Recompute what was paid; ask the payer for the rest or refund the excess.",
    ),
    Check(
        "refund_exceeds_paid",
        ("orders",),
        "A refund larger than what the order was paid.",
        "Stop the refund if it is still processing; recover the excess.",
    ),
    Check(
        "callback_mismatch",
        ("orders",),
        "The latest order callback disagrees with the order (status or amount).",
        "Trust the query; check what your handler did with the callback.",
    ),
)
"""Every check, in the order they are documented in docs/reconcile.md."""


def checks_for(kind: str) -> tuple[Check, ...]:
    """The checks that apply to ``kind`` (``payouts``, ``deposits``, ...)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return tuple(c for c in CHECKS if kind in c.kinds)
