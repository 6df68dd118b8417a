"""Reports of a project's money: exact tables, and charts drawn from them.

* :mod:`cregis_notebook.reports.tables`: the exact totals (``flows_table``, ``volume_table``,
  ``fees_table``, ``status_table``, ``top_addresses_table``, ``funnel_table``,
  ``order_value_table``, ``totals_by_currency``, ``reconciliation_table``; for a team
  ``team_balances_table`` and ``team_flows_table``), pure pandas with ``Decimal`` sums; it
  imports no plotting library.
* :mod:`cregis_notebook.reports.charts`: one matplotlib chart per table (``flows``,
  ``volume_by_token``, ``status_breakdown``, ``fees_by_chain``, ``top_addresses``,
  ``order_funnel``, ``order_value``, ``reconciliation``), the one-page ``report``, and
  ``team_chart`` (a team's balances per wallet and chain beside its flows over time). Each chart
  takes ``ax=None`` and returns the Axes it drew on; ``report`` and ``team_chart`` return their
  figure.

Every public name of both is available here, as ``reports.flows`` or ``reports.flows_table``.
"""

from __future__ import annotations

from . import charts, tables
from .charts import (
    NO_DATA,
    fees_by_chain,
    flows,
    order_funnel,
    order_value,
    reconciliation,
    report,
    status_breakdown,
    team_chart,
    top_addresses,
    volume_by_token,
)
from .tables import (
    AUTO_WEEKLY_DAYS,
    FUNNEL_OUTCOMES,
    PAID_STATUSES,
    chain_label,
    currency_label,
    currency_name,
    currency_names,
    exact_text,
    fees_table,
    flows_table,
    funnel_table,
    is_balances,
    order_value_table,
    reconciliation_table,
    resolve_freq,
    short_id,
    status_table,
    team_balances_table,
    team_flows_table,
    time_span,
    top_addresses_table,
    top_currency,
    totals_by_currency,
    volume_table,
)

__all__ = [
    "AUTO_WEEKLY_DAYS",
    "FUNNEL_OUTCOMES",
    "NO_DATA",
    "PAID_STATUSES",
    "chain_label",
    "charts",
    "currency_label",
    "currency_name",
    "currency_names",
    "exact_text",
    "fees_by_chain",
    "fees_table",
    "flows",
    "flows_table",
    "funnel_table",
    "is_balances",
    "order_funnel",
    "order_value",
    "order_value_table",
    "reconciliation",
    "reconciliation_table",
    "report",
    "resolve_freq",
    "short_id",
    "status_breakdown",
    "status_table",
    "tables",
    "team_balances_table",
    "team_chart",
    "team_flows_table",
    "time_span",
    "top_addresses",
    "top_addresses_table",
    "top_currency",
    "totals_by_currency",
    "volume_by_token",
    "volume_table",
]
