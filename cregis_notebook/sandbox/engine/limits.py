"""A project's access rules and allowances: IP whitelist, unsupported calls, address and
withdrawal quotas (the return codes E0001, E0004, T0062, E0033 and E0034).

SPEC documents the codes but not when each is checked; the sandbox's choices, also in
docs/sandbox.md:

* the IP whitelist is checked right after the signature (E0001): the whitelist belongs to the
  project, so the ``pid`` and the key come first. Over HTTP the caller's IP is the connection's
  peer address; an in-process client calls from ``127.0.0.1``;
* an unsupported call (E0004) is refused after the project checks and before any parameter;
* quotas are checked last, after every parameter and business check, so a bad request still
  gets its own code and a refused one uses up nothing. ``address_quota`` counts the addresses
  created through the API (``address_create`` and the batch call); a project with a quota of 0
  has no API address allowance at all and gets T0062 ("expand the number of API addresses or
  upgrade the subscription first"), one that has used its allowance gets E0033 (the count is
  exceeded). A batch that does not fit is refused whole. ``withdrawal_quota`` counts
  ``sub_address_withdrawal_create`` calls, the one endpoint whose notes name E0034.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import CregisConfigError, UnknownEndpoint
from ...spec import registry
from .codes import documented

__all__ = ["LOCAL_IP", "Limits"]

LOCAL_IP = "127.0.0.1"
"""The caller's IP for a client wired to the sandbox in-process (there is no connection)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_QUOTA = 1_000_000_000


@dataclass(frozen=True)
class Limits:
    """The rules one project enforces; the defaults enforce nothing."""

    ip_whitelist: tuple[Network, ...] | None = None
    unsupported: frozenset[str] = frozenset()
    address_quota: int | None = None
    withdrawal_quota: int | None = None

    @classmethod
    def of(cls, settings: Any, owner: str) -> Limits:
        """Checked limits from ``settings`` (knobs or a project spec, which have the same four
        fields); ``owner`` names the project in error messages."""
        return cls(
            _networks(settings.ip_whitelist, owner),
            _endpoints(settings.unsupported, owner),
            _quota("address_quota", settings.address_quota, owner),
            _quota("withdrawal_quota", settings.withdrawal_quota, owner),
        )

    def check_caller(self, ip: str | None) -> None:
        """E0001 unless ``ip`` is on the whitelist (no whitelist: every caller is welcome)."""
        if self.ip_whitelist is None:
            return
        try:
            address = ipaddress.ip_address((ip or "").split("%", 1)[0])
        except ValueError:
            raise documented("E0001") from None
        if not any(address in net for net in self.ip_whitelist):
            raise documented("E0001")

    def check_endpoint(self, name: str) -> None:
        """E0004 when the project does not support the endpoint."""
        if name in self.unsupported:
            raise documented("E0004")

    def check_addresses(self, created: int, more: int) -> None:
        """T0062 with no allowance, E0033 when ``more`` new addresses would exceed it."""
        if self.address_quota is None:
            return
        if self.address_quota == 0:
            raise documented("T0062")
        if created + more > self.address_quota:
            raise documented("E0033")

    def check_withdrawals(self, made: int) -> None:
        """E0034 when the project has no withdrawal left."""
        if self.withdrawal_quota is not None and made >= self.withdrawal_quota:
            raise documented("E0034")


def _networks(value: Any, owner: str) -> tuple[Network, ...] | None:
    if value is None:
        return None
    items: Iterable[Any] = (value,) if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise CregisConfigError(
            f"{owner}: ip_whitelist must be an IP, a network or a list of them, got {value!r}"
        )
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            raise CregisConfigError(
                f"{owner}: ip_whitelist entry {item!r} is not an IP address or network "
                "(e.g. '203.0.113.7' or '10.0.0.0/8')"
            ) from None
    return tuple(out)


def _endpoints(value: Any, owner: str) -> frozenset[str]:
    items: Iterable[Any] = (value,) if isinstance(value, str) else value
    names = set()
    for item in items:
        try:
            names.add(registry().endpoint(str(item)).name)
        except UnknownEndpoint as exc:
            raise CregisConfigError(f"{owner}: unsupported: {exc}") from None
    return frozenset(names)


def _quota(name: str, value: Any, owner: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUOTA:
        raise CregisConfigError(
            f"{owner}: {name} must be None (no quota) or an integer from 0 to {MAX_QUOTA}, "
            f"got {value!r}"
        )
    return value
