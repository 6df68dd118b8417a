"""The endpoint registry: every fact about the Cregis API that the rest of the toolkit reads.

The facts live as package data in ``spec/data/`` and are loaded (and schema-checked) once by
:func:`registry`::

    from cregis_notebook.spec import registry
    ep = registry().endpoint("trade_page")       # by name, helper alias ("coins") or path
    ep.param("page_size").maximum                # 100

Schema, briefly:

``endpoints.json`` holds ``{"endpoints": [...], "callbacks": [...]}``.
  *Endpoint*: ``name`` (registry name), ``helper`` (Client method name, also a lookup alias),
  ``path``, ``group``, ``area`` (UI label), ``status`` (current / legacy / legacy-2023 /
  sdk-only), ``summary``, ``description``, ``data_kind`` (object / list / page / null),
  ``effect`` (read / creates_state / moves_money), ``row_key`` (fields identifying a page row),
  ``params`` (business parameters only; ``pid``, ``nonce``, ``timestamp`` and ``sign`` are
  implicit), ``response_fields`` (fields of one record of ``data``: the object, a list element
  or a page row), ``request_example`` / ``response_example`` (the documented bodies, verbatim)
  and ``notes`` (doc defects).
  *Param*: ``type`` from :data:`PARAM_TYPES`, ``required``, ``bits`` for ints, ``enum`` of
  ``{value, label}``, ``default``, length and value limits, ``unit`` (s / ms / min) and ``role``.
  *Field*: ``type`` from :data:`FIELD_TYPES`, ``unit``, ``enum``, ``optional`` and, on callback
  fields, ``events``; ``alias_of`` names the field of the same type that this key is another
  name for (a frame keeps one column). Nested fields are dotted, ``[]`` marking list elements.
  *Callback*: ``sent_to``, ``triggered_by`` (endpoint names), ``fields`` (the whole body),
  ``example`` and ``ack`` (the reply Cregis expects).
``return_codes.json`` holds ``{"codes": [...]}``: ``code``, English ``msg``, Chinese ``zh``,
  our ``meaning`` and ``hint``, ``category`` and ``status``; ``Axxxx`` stands for every A-code.
``team_endpoints.json`` holds the Team API (``/openapi/v1``, area ``Team``): ``{"api", "auth",
  "endpoints"}``; its endpoints follow the schema above (all read-only pages; every time in
  Unix seconds) and sit apart: :attr:`Registry.endpoints` is the project API,
  :attr:`Registry.team_endpoints` the Team API, :meth:`Registry.endpoint` finds either.
  ``auth`` (:class:`TeamAuth`) names the four ``Access-*`` headers and the signing limits.
``currencies.json`` holds the WaaS currency table (``waas``), ``chains``, inferred
  ``testnets``, ``order_currencies`` (fiat / crypto) and checkout ``pay_currencies``.

Examples are read-only dicts and lists (JSON-serialisable); ``copy.deepcopy`` gives an editable
copy.
"""

from __future__ import annotations

from ..errors import RegistryDataError, UnknownEndpoint
from ._load import Registry, load_registry, registry
from ._model import (
    ADDRESS_STYLES,
    API_PATH_PREFIXES,
    APIS,
    AREAS,
    CODE_CATEGORIES,
    DATA_KINDS,
    EFFECTS,
    FIELD_TYPES,
    PAGE_PARAMS,
    PARAM_TYPES,
    ROLES,
    STATUSES,
    SYSTEM_PARAMS,
    UNITS,
    Callback,
    Chain,
    Currency,
    Endpoint,
    EnumValue,
    Field,
    FrozenDict,
    FrozenList,
    OrderCurrency,
    Param,
    PayCurrency,
    ReturnCode,
    TeamAuth,
    thaw,
)

__all__ = [
    "ADDRESS_STYLES",
    "APIS",
    "API_PATH_PREFIXES",
    "AREAS",
    "CODE_CATEGORIES",
    "DATA_KINDS",
    "EFFECTS",
    "FIELD_TYPES",
    "PAGE_DEFAULT_SIZE",
    "PAGE_MAX_SIZE",
    "PAGE_PARAMS",
    "PARAM_TYPES",
    "ROLES",
    "STATUSES",
    "SYSTEM_PARAMS",
    "UNITS",
    "Callback",
    "Chain",
    "Currency",
    "Endpoint",
    "EnumValue",
    "Field",
    "FrozenDict",
    "FrozenList",
    "OrderCurrency",
    "Param",
    "PayCurrency",
    "Registry",
    "RegistryDataError",
    "ReturnCode",
    "TeamAuth",
    "UnknownEndpoint",
    "load_registry",
    "registry",
    "thaw",
]


def _page_limits() -> tuple[int, int]:
    size = registry().endpoint("trade_page").param("page_size")
    if size is None or not isinstance(size.maximum, int) or not isinstance(size.default, int):
        raise RegistryDataError("trade_page.page_size needs an integer maximum and default")
    return size.maximum, size.default


PAGE_MAX_SIZE, PAGE_DEFAULT_SIZE = _page_limits()
"""Largest and default ``page_size`` of the paged endpoints, read from the registry data."""
