"""The shape every check function returns: one row per object, its ``findings``, ``ok`` and
the exact amounts at stake; and the long ``findings`` frame built from such rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .checks import KINDS, checks_for
from .inputs import exact_column

__all__ = [
    "FINDINGS_COLUMNS",
    "disagree",
    "empty_findings",
    "findings_of",
    "finish",
    "known",
    "spread",
]

FINDINGS_COLUMNS = ("kind", "key", "check", "currency", "amount_at_stake")
"""The columns of the long findings frame (the reconciliation vocabulary)."""


def known(values: Iterable[Any]) -> list[Decimal | None]:
    """The exact decimals of a column, ``None`` where a value is missing (``NaN``, ``<NA>``)."""
    return [v if isinstance(v, Decimal) else None for v in values]


def disagree(columns: pd.DataFrame) -> np.ndarray:
    """Per row, whether the known (non-missing) values of ``columns`` are not all equal."""
    first = columns.iloc[:, 0]
    for name in columns.columns[1:]:
        first = first.fillna(columns[name])
    differs = np.zeros(len(columns), dtype=bool)
    for name in columns.columns:
        value = columns[name]
        differs |= (value.notna() & (value != first)).fillna(False).to_numpy(bool)
    return differs


def spread(*columns: Sequence[Decimal | None]) -> list[Decimal]:
    """Per row, the largest minus the smallest of the known values (0 when they agree)."""
    zero = Decimal(0)
    lists = [list(c) for c in columns]
    n = len(lists[0]) if lists else 0
    counts = np.zeros(n, dtype=np.int64)
    for values in lists:
        counts += np.fromiter((v is not None for v in values), dtype=bool, count=n)
    out = [zero] * n
    for i in np.flatnonzero(counts > 1).tolist():
        known = [v for v in (values[i] for values in lists) if v is not None]
        out[i] = max(known) - min(known)
    return out


def finish(
    frame: pd.DataFrame,
    kind: str,
    flags: Mapping[str, Sequence[bool] | np.ndarray | pd.Series],
    stakes: Mapping[str, Sequence[Decimal | None]],
) -> pd.DataFrame:
    """Add ``findings``, ``ok``, ``amount_at_stake`` and ``stakes`` to ``frame``.

    ``frame`` already has ``key`` and ``currency``; ``flags`` holds one boolean per row for
    each check that applies to ``kind``; ``stakes`` the amount each check puts at stake (the
    ``default`` entry for checks without their own). ``amount_at_stake`` is the largest of a
    row's stakes, so that two findings on one object never count its amount twice.
    """
    names = [c.name for c in checks_for(kind)]
    unknown = set(flags) - set(names)
    if unknown:  # pragma: no cover - a programming error in this package
        raise ValueError(f"checks {sorted(unknown)} do not apply to {kind}")
    n = len(frame)
    matrix = {name: np.asarray(flags.get(name, np.zeros(n, bool)), dtype=bool) for name in names}
    default = list(stakes["default"])
    found: list[list[str]] = [[] for _ in range(n)]
    owed: list[dict[str, Decimal]] = [{} for _ in range(n)]
    for name in names:
        own = stakes.get(name, default)
        for i in np.flatnonzero(matrix[name]).tolist():
            found[i].append(name)
            value = own[i] if own[i] is not None else default[i]
            owed[i][name] = value if value is not None else Decimal(0)
    bad = np.zeros(n, dtype=bool)
    for flagged in matrix.values():
        bad |= flagged
    at_stake = [Decimal(0)] * n
    for i in np.flatnonzero(bad).tolist():
        at_stake[i] = max(owed[i].values())
    out = frame.copy()
    out["ok"] = ~bad
    out["findings"] = exact_column(found, out.index)
    out["amount_at_stake"] = exact_column(at_stake, out.index)
    out["stakes"] = exact_column(owed, out.index)
    out.attrs["kind"] = kind
    return out


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows and the right columns."""
    return pd.DataFrame(
        {
            "kind": pd.Series(dtype="string"),
            "key": pd.Series(dtype="string"),
            "check": pd.Series(dtype="string"),
            "currency": pd.Series(dtype="string"),
            "amount_at_stake": pd.Series(dtype=object),
        }
    )


def findings_of(rows: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """The long findings frame (``kind``, ``key``, ``check``, ``currency``,
    ``amount_at_stake``) of one result of :func:`finish`: one row per object and check."""
    kind = kind or rows.attrs.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    bad = rows[~rows["ok"].astype(bool)]
    records = [
        (kind, key, name, currency, stake)
        for key, currency, owed in zip(bad["key"], bad["currency"], bad["stakes"], strict=True)
        for name, stake in owed.items()
    ]
    if not records:
        return empty_findings()
    out = pd.DataFrame.from_records(records, columns=list(FINDINGS_COLUMNS))
    for column in ("kind", "key", "check", "currency"):
        out[column] = out[column].astype("string")
    return out.drop_duplicates(["kind", "key", "check"]).reset_index(drop=True)
