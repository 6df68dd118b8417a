"""The :class:`Registry` that serves lookups, and loading it from the package data.

The documents are read and checked in :mod:`cregis_notebook.spec._parse`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import RegistryDataError, UnknownEndpoint
from ._model import (
    API_PATH_PREFIXES,
    AREAS,
    Callback,
    Chain,
    Currency,
    Endpoint,
    OrderCurrency,
    PayCurrency,
    ReturnCode,
    TeamAuth,
    freeze,
)
from ._parse import check_unique, parse_documents

_A_CODE = re.compile(r"A\d{4}")


# -- the registry --------------------------------------------------------------------------------


def _norm_key(key: str) -> str:
    text = str(key).strip()
    if "://" in text:
        text = urlsplit(text).path
    text = text.split("?", 1)[0].lower()
    if "/" in text:
        text = "/" + text.strip("/")
    return text


class Registry:
    """Every documented endpoint, callback, return code and currency, with lookups.

    Build it with :func:`registry` (the package data, loaded once) or :meth:`from_documents`.
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        callbacks: Sequence[Callback],
        return_codes: Sequence[ReturnCode],
        currencies: Sequence[Currency],
        chains: Sequence[Chain],
        order_currencies: Sequence[OrderCurrency],
        pay_currencies: Sequence[PayCurrency],
        testnets: Sequence[Mapping[str, Any]] = (),
        team_endpoints: Sequence[Endpoint] = (),
        team_auth: TeamAuth | None = None,
    ):
        self._endpoints = tuple(endpoints)
        self._team_endpoints = tuple(team_endpoints)
        self._team_auth = team_auth
        if any(ep.is_team for ep in self._endpoints) or not all(
            ep.is_team for ep in self._team_endpoints
        ):
            raise RegistryDataError("project and Team endpoints are kept apart")
        if self._team_endpoints and team_auth is None:
            raise RegistryDataError("Team endpoints need the Team API's auth facts")
        self._callbacks = tuple(callbacks)
        self._return_codes = tuple(return_codes)
        self._currencies = tuple(currencies)
        self._chains = tuple(chains)
        self._order_currencies = tuple(order_currencies)
        self._pay_currencies = tuple(pay_currencies)
        self._testnets = tuple(freeze(dict(t)) for t in testnets)

        self._by_key: dict[str, Endpoint] = {}
        for ep in (*self._endpoints, *self._team_endpoints):
            for key in dict.fromkeys((ep.name, ep.helper, ep.path)):
                norm = _norm_key(key)
                other = self._by_key.get(norm)
                if other is not None and other is not ep:
                    raise RegistryDataError(f"{key!r} names both {other.name} and {ep.name}")
                self._by_key[norm] = ep
        self._callback_by_name = {cb.name: cb for cb in self._callbacks}
        check_unique((cb.name for cb in self._callbacks), "callbacks", "name")
        clash = set(self._callback_by_name) & set(self._by_key)
        if clash:
            raise RegistryDataError(f"callback names reuse endpoint keys: {sorted(clash)}")
        for cb in self._callbacks:
            unknown = [n for n in cb.triggered_by if _norm_key(n) not in self._by_key]
            if unknown:
                raise RegistryDataError(f"callback {cb.name}: triggered_by unknown {unknown}")

        self._codes = {rc.code: rc for rc in self._return_codes}
        check_unique((rc.code for rc in self._return_codes), "return codes", "code")

        self._chain_by_id = {c.chain_id: c for c in self._chains}
        check_unique((c.chain_id for c in self._chains), "chains", "chain_id")
        self._currency_by_id: dict[str, Currency] = {}
        self._currency_by_folded: dict[str, Currency] = {}
        for cur in self._currencies:
            if cur.chain_id not in self._chain_by_id:
                raise RegistryDataError(f"currency {cur.name}: no chain {cur.chain_id}")
            if cur.chain_name != self._chain_by_id[cur.chain_id].name:
                raise RegistryDataError(f"currency {cur.name}: chain_name disagrees with chains")
            if cur.identifier in self._currency_by_id:
                raise RegistryDataError(f"duplicate currency identifier {cur.identifier}")
            self._currency_by_id[cur.identifier] = cur
            for key in (cur.identifier.casefold(), cur.name.casefold()):
                self._currency_by_folded.setdefault(key, cur)
        self._order_by_code = {oc.code.upper(): oc for oc in self._order_currencies}
        self._pay_by_name = {pc.token_name.casefold(): pc for pc in self._pay_currencies}

    def __repr__(self) -> str:
        return (
            f"<Registry: {len(self._endpoints)} endpoints, "
            f"{len(self._team_endpoints)} Team endpoints, {len(self._callbacks)} callbacks, "
            f"{len(self._return_codes)} return codes, {len(self._currencies)} currencies>"
        )

    @classmethod
    def from_documents(
        cls,
        endpoints_doc: Mapping[str, Any],
        return_codes_doc: Mapping[str, Any],
        currencies_doc: Mapping[str, Any],
        team_doc: Mapping[str, Any] | None = None,
    ) -> Registry:
        """Build a registry from the parsed JSON documents, checking them on the way.

        ``team_doc`` (``team_endpoints.json``) adds the Team API; without it there is none.
        """
        return cls(*parse_documents(endpoints_doc, return_codes_doc, currencies_doc, team_doc))

    # -- endpoints and callbacks -----------------------------------------------------------------

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """The project API's request endpoints, in file order (the Team API's are apart)."""
        return self._endpoints

    @property
    def team_endpoints(self) -> tuple[Endpoint, ...]:
        """The Team API's endpoints (``/openapi/v1/...``), in file order."""
        return self._team_endpoints

    @property
    def team_auth(self) -> TeamAuth:
        """How Team API requests are signed: header names, nonce and integer limits."""
        if self._team_auth is None:
            raise RegistryDataError("this registry was built without the Team API")
        return self._team_auth

    def endpoints_of(self, api: str) -> tuple[Endpoint, ...]:
        """The endpoints of ``api`` (one of :data:`APIS`: ``"project"`` or ``"team"``)."""
        if api == "team":
            return self._team_endpoints
        if api == "project":
            return self._endpoints
        raise UnknownEndpoint(str(api), list(API_PATH_PREFIXES), kind="API")

    @property
    def callbacks(self) -> tuple[Callback, ...]:
        """All callbacks Cregis may post, in file order."""
        return self._callbacks

    def endpoint(self, key: str) -> Endpoint:
        """The endpoint named ``key``: registry name, helper alias or path (a full URL works).

        Both APIs are searched (their names never clash); :attr:`Endpoint.api` tells which one
        an endpoint belongs to. Raises :class:`UnknownEndpoint` (a ``KeyError``) listing the
        closest names.
        """
        hit = self._by_key.get(_norm_key(key))
        if hit is not None:
            return hit
        candidates = {
            c: ep.name
            for ep in (*self._endpoints, *self._team_endpoints)
            for c in (ep.name, ep.helper, ep.path)
        }
        raise UnknownEndpoint(str(key), _suggest(_norm_key(key), candidates))

    def get_endpoint(self, key: str) -> Endpoint | None:
        """Like :meth:`endpoint`, but ``None`` for an unknown key."""
        return self._by_key.get(_norm_key(key))

    def callback(self, name: str) -> Callback:
        """The callback called ``name`` (the ``callback_`` prefix may be left out)."""
        key = str(name).strip().lower()
        hit = self._callback_by_name.get(key) or self._callback_by_name.get(f"callback_{key}")
        if hit is not None:
            return hit
        names = {n: n for n in self._callback_by_name}
        raise UnknownEndpoint(str(name), _suggest(key, names), kind="callback")

    def callbacks_for(self, endpoint: str) -> tuple[Callback, ...]:
        """Callbacks that a call to ``endpoint`` (any key :meth:`endpoint` accepts) can cause."""
        name = self.endpoint(endpoint).name
        return tuple(cb for cb in self._callbacks if name in cb.triggered_by)

    def by_area(self) -> dict[str, tuple[Endpoint, ...]]:
        """Project endpoints grouped by UI area, areas in display order (empty areas left out)."""
        groups = {area: tuple(ep for ep in self._endpoints if ep.area == area) for area in AREAS}
        return {area: eps for area, eps in groups.items() if eps}

    # -- return codes ----------------------------------------------------------------------------

    @property
    def return_codes(self) -> tuple[ReturnCode, ...]:
        """Every documented return code (``Axxxx`` stands for all A-codes)."""
        return self._return_codes

    def return_code(self, code: str) -> ReturnCode | None:
        """The entry for ``code``; any ``A`` + 4 digits gets the Axxxx entry under its own code."""
        text = str(code).strip()
        hit = self._codes.get(text) or self._codes.get(text.upper())
        if hit is not None:
            return hit
        if _A_CODE.fullmatch(text.upper()) and "Axxxx" in self._codes:
            return dataclasses.replace(self._codes["Axxxx"], code=text.upper())
        return None

    # -- currencies ------------------------------------------------------------------------------

    @property
    def currencies(self) -> tuple[Currency, ...]:
        """The WaaS currency table."""
        return self._currencies

    def currency(self, key: str) -> Currency | None:
        """A WaaS coin by ``chain_id@token_id`` or by name (case-insensitive), else ``None``."""
        text = str(key).strip()
        return self._currency_by_id.get(text) or self._currency_by_folded.get(text.casefold())

    @property
    def chains(self) -> tuple[Chain, ...]:
        """The chains of the WaaS currency table."""
        return self._chains

    def chain(self, chain_id: str | int) -> Chain | None:
        """The chain with this id (``"60"`` or ``60``), else ``None``."""
        return self._chain_by_id.get(str(chain_id).strip())

    @property
    def testnets(self) -> tuple[Mapping[str, Any], ...]:
        """Test-network chain ids seen in doc examples (inferred, not in the published table)."""
        return self._testnets

    @property
    def fiat_currencies(self) -> tuple[str, ...]:
        """Fiat codes an order may be priced in."""
        return tuple(oc.code for oc in self._order_currencies if oc.kind == "fiat")

    @property
    def crypto_order_currencies(self) -> tuple[str, ...]:
        """Crypto codes an order may be priced in."""
        return tuple(oc.code for oc in self._order_currencies if oc.kind == "crypto")

    @property
    def order_currencies(self) -> tuple[OrderCurrency, ...]:
        """Every order currency, fiat first, with decimals."""
        return self._order_currencies

    def order_currency_decimals(self, code: str) -> int | None:
        """Decimals of an order currency code (``"HKD"`` -> 2), else ``None``."""
        hit = self._order_by_code.get(str(code).strip().upper())
        return None if hit is None else hit.decimals

    @property
    def pay_currencies(self) -> tuple[PayCurrency, ...]:
        """Tokens a checkout payer can use."""
        return self._pay_currencies

    def pay_currency(self, token_name: str) -> PayCurrency | None:
        """A pay currency by token name (``"USDT-TRC20"``, case-insensitive), else ``None``."""
        return self._pay_by_name.get(str(token_name).strip().casefold())


def _suggest(key: str, candidates: Mapping[str, str]) -> list[str]:
    """Up to five candidate keys close to ``key``, at most one per target (``candidates`` maps
    each spelling to what it names)."""
    close = difflib.get_close_matches(key, list(candidates), n=10, cutoff=0.6)
    if key:
        close += [c for c in candidates if key in c and c not in close]
    seen: set[str] = set()
    out: list[str] = []
    for spelling in close:
        if candidates[spelling] not in seen:
            seen.add(candidates[spelling])
            out.append(spelling)
    return out[:5]


# -- loading the package data --------------------------------------------------------------------

_FILES = ("endpoints.json", "return_codes.json", "currencies.json", "team_endpoints.json")
_PACKAGE = __name__.rpartition(".")[0]


def load_registry(directory: str | Path | None = None) -> Registry:
    """Read the four JSON files from ``directory`` (default: the package data) into a Registry."""
    docs: list[Any] = []
    for name in _FILES:
        if directory is None:
            data = resources.files(_PACKAGE).joinpath("data", name)
            text = data.read_text(encoding="utf-8")
        else:
            text = Path(directory, name).read_text(encoding="utf-8")
        try:
            docs.append(json.loads(text))
        except ValueError as exc:
            raise RegistryDataError(f"{name}: not valid JSON: {exc}") from None
    for name, doc in zip(_FILES, docs, strict=True):
        if not isinstance(doc, dict):
            raise RegistryDataError(f"{name}: the top level must be an object")
    return Registry.from_documents(*docs)


@functools.cache
def registry() -> Registry:
    """The registry built from the package data, loaded on first use and shared afterwards."""
    return load_registry()
