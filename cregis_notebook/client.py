"""``Client`` and ``AsyncClient``: validate, sign, POST and wrap every answer in an ``Envelope``.

Both share one surface; the async twin's methods are coroutines. ``request`` never raises on an
error code (look at ``Envelope.ok``); the per-endpoint helpers (``client.trade_page(...)``)
return ``data`` and raise :class:`~cregis_notebook.errors.CregisAPIError` on an error code.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from ._config import Secret, settings_from_env
from ._helpers import AsyncHelpers, SyncHelpers
from ._retry import RetryPolicy
from ._signing import canonical_string, sign, wire_value
from ._validation import prepare_params
from ._version import __version__
from .envelope import Envelope
from .errors import (
    CregisConfigError,
    CregisConnectError,
    CregisHTTPError,
    CregisRateLimitError,
    CregisResponseError,
    CregisTimeoutError,
    CregisTransportError,
    CregisValidationError,
    UnknownEndpoint,
)
from .spec import Endpoint, registry

__all__ = ["AsyncClient", "Client", "PreparedRequest"]

log = logging.getLogger("cregis_notebook")

_NONCE_ALPHABET = string.ascii_lowercase + string.digits
_EXCERPT = 200
KEY_MASK = "<API_KEY>"
_HEADERS = {"Content-Type": "application/json", "User-Agent": f"cregis-notebook/{__version__}"}


def new_nonce() -> str:
    """A fresh random 6-character nonce (lowercase letters and digits).

    One read of the system's random source per nonce (``secrets.choice`` six times costs six or
    more), which matters when many pages are fetched at once.
    """
    number = int.from_bytes(secrets.token_bytes(8), "big")  # 2**64 >> 36**6: no visible bias
    chars = []
    for _ in range(6):
        number, digit = divmod(number, 36)
        chars.append(_NONCE_ALPHABET[digit])
    return "".join(chars)


@dataclass(frozen=True)
class PreparedRequest:
    """A validated, signed request that has not been sent.

    ``body`` is the exact JSON body (with ``sign``); ``canonical`` is the signed string with the
    API key replaced by ``<API_KEY>``.
    """

    endpoint: Endpoint = field(repr=False)
    url: str
    body: dict[str, Any]
    canonical: str = field(repr=False)

    @property
    def path(self) -> str:
        """The endpoint's path, e.g. ``/api/v1/trade/page``."""
        return self.endpoint.path


def _excerpt(content: bytes) -> str:
    text = content[:_EXCERPT].decode("utf-8", errors="replace")
    return text + ("..." if len(content) > _EXCERPT else "")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class _BaseClient:
    """What the sync and async clients share: configuration, preparation and parsing."""

    _is_async = False

    def __init__(
        self,
        base_url: str,
        pid: int | str,
        api_key: str,
        *,
        timeout: float = 30.0,
        transport: Any = None,
        strict: bool = False,
        retry: RetryPolicy | bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] | None = None,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        if not base_url or urlsplit(base_url).scheme not in ("http", "https"):
            raise CregisConfigError(
                f"base_url must start with http:// or https://, got {base_url!r} "
                "(each project has its own API domain, shown in the Cregis client)"
            )
        if isinstance(pid, str):
            if not pid.strip().isdigit():
                raise CregisConfigError(f"pid must be the numeric project id, got {pid!r}")
            pid = int(pid)
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise CregisConfigError(f"pid must be a positive integer, got {pid!r}")
        if not isinstance(api_key, str) or not api_key.strip():
            raise CregisConfigError("api_key must be the project's API key (a non-empty string)")
        self.base_url = base_url.rstrip("/")
        self.pid = pid
        self._key = Secret(api_key.strip())
        self.timeout = timeout
        self.strict = strict
        if retry is True:
            retry = RetryPolicy()
        elif retry is False:
            retry = RetryPolicy(attempts=1)
        self.retry = retry
        self._clock = clock
        self._nonce = nonce
        self._sleep: Any = sleep or (asyncio.sleep if self._is_async else time.sleep)
        self._sandbox: Any = None
        pool = {
            "base_url": self.base_url,
            "timeout": timeout,
            "transport": transport,
            "headers": _HEADERS,
            "limits": httpx.Limits(max_connections=32, max_keepalive_connections=32),
        }
        self._http: Any = httpx.AsyncClient(**pool) if self._is_async else httpx.Client(**pool)

    # -- configuration -----------------------------------------------------------------------

    @property
    def is_sandbox(self) -> bool:
        """True for the in-process sandbox or a server on this machine (never a live project)."""
        if self._sandbox is not None:
            return True
        host = urlsplit(self.base_url).hostname or ""
        return host in ("localhost", "::1") or host.startswith("127.")

    @property
    def sandbox_app(self) -> Any:
        """The in-process sandbox behind this client, or ``None`` for a real service."""
        return self._sandbox

    def __repr__(self) -> str:
        kind = "sandbox" if self.is_sandbox else "live"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, pid={self.pid}, "
            f"api_key='********', {kind})"
        )

    # -- preparation -------------------------------------------------------------------------

    @staticmethod
    def endpoint(key: str | Endpoint) -> Endpoint:
        """Look an endpoint up by registry name, helper name or path."""
        if isinstance(key, Endpoint):
            return key
        try:
            return registry().endpoint(key)
        except UnknownEndpoint as exc:
            raise CregisValidationError(str(exc), endpoint=str(key)) from None

    def prepare(self, endpoint: str | Endpoint, /, **params: Any) -> PreparedRequest:
        """Validate ``params``, add ``pid``, ``nonce``, ``timestamp`` and ``sign``; send nothing."""
        ep = self.endpoint(endpoint)
        business = prepare_params(ep, params, strict=self.strict)
        body: dict[str, Any] = {k: wire_value(v) for k, v in business.items()}
        body["pid"] = self.pid
        body["nonce"] = self._nonce()
        body["timestamp"] = int(self._clock() * 1000)
        key = self._key.reveal()
        body["sign"] = sign(body, key)
        masked = KEY_MASK + canonical_string(body, key)[len(key) :]
        return PreparedRequest(ep, self.base_url + ep.path, body, masked)

    # -- parsing -----------------------------------------------------------------------------

    @staticmethod
    def _check_http(ep: Endpoint, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        excerpt = _excerpt(response.content)
        text = f"{ep.name}: HTTP {status} from {ep.path}: {excerpt!r}"
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            raise CregisRateLimitError(
                text, endpoint=ep.name, body_excerpt=excerpt, retry_after=wait
            )
        raise CregisHTTPError(text, endpoint=ep.name, status=status, body_excerpt=excerpt)

    @staticmethod
    def _envelope(
        ep: Endpoint,
        prepared: PreparedRequest,
        response: httpx.Response,
        started: float,
        attempts: int,
    ) -> Envelope:
        content = response.content
        kind = response.headers.get("content-type", "unknown content type")
        try:
            parsed = response.json()
        except ValueError:
            excerpt = _excerpt(content)
            raise CregisResponseError(
                f"{ep.name}: HTTP {response.status_code} ({kind}) but the body is not JSON: "
                f"{excerpt!r}",
                endpoint=ep.name,
                status=response.status_code,
                body_excerpt=excerpt,
            ) from None
        if not isinstance(parsed, dict) or "code" not in parsed or "msg" not in parsed:
            excerpt = _excerpt(content)
            raise CregisResponseError(
                f"{ep.name}: HTTP {response.status_code}: the JSON body is not a "
                f"{{code, msg, data}} envelope: {excerpt!r}",
                endpoint=ep.name,
                status=response.status_code,
                body_excerpt=excerpt,
            )
        extra = {k: v for k, v in parsed.items() if k not in ("code", "msg", "data")}
        return Envelope(
            code=str(parsed["code"]),
            msg="" if parsed["msg"] is None else str(parsed["msg"]),
            data=parsed.get("data"),
            endpoint=ep.name,
            path=ep.path,
            body=prepared.body,
            elapsed=time.perf_counter() - started,
            http_status=response.status_code,
            attempts=attempts,
            extra=extra,
        )

    @staticmethod
    def _transport_error(ep: Endpoint, exc: httpx.HTTPError) -> CregisTransportError:
        advice = ""
        if not ep.is_read_only:
            advice = (
                " This call moves money or creates state and is never retried automatically: "
                "check whether it took effect (for example query by third_party_id or order_id) "
                "before sending it again."
            )
        if isinstance(exc, httpx.TimeoutException):
            return CregisTimeoutError(
                f"{ep.name}: no answer from {ep.path} in time ({type(exc).__name__}).{advice}",
                endpoint=ep.name,
            )
        return CregisConnectError(
            f"{ep.name}: could not reach {ep.path}: {type(exc).__name__}: {exc}.{advice}",
            endpoint=ep.name,
        )

    def _policy_for(self, ep: Endpoint) -> RetryPolicy:
        return self.retry if ep.is_read_only else RetryPolicy(attempts=1)

    def _answer(
        self, prepared: PreparedRequest, response: httpx.Response, started: float, attempt: int
    ) -> Envelope:
        """Turn one HTTP response into an Envelope, or raise the transport error it is."""
        ep = prepared.endpoint
        self._check_http(ep, response)
        envelope = self._envelope(ep, prepared, response, started, attempt)
        self._log(envelope)
        return envelope

    def _wait_before_retry(
        self, ep: Endpoint, exc: CregisTransportError, attempt: int, waited: float
    ) -> float:
        """Seconds to wait before the next attempt; re-raises ``exc`` when there is none."""
        wait = self._policy_for(ep).delay(exc, attempt, waited)
        if wait is None:
            raise exc
        log.info("%s: %s; retrying in %.2f s", ep.name, exc, wait)
        return wait

    @classmethod
    def from_env(cls: type[_C], *, env_file: str | None = ".env", **options: Any) -> _C:
        """Build a client from ``CREGIS_BASE_URL``, ``CREGIS_PID`` and ``CREGIS_API_KEY``.

        Values in the environment win over a ``.env`` file in the working directory. A missing
        variable raises :class:`CregisConfigError` naming it.
        """
        base_url, pid, key = settings_from_env(env_file=env_file)
        return cls(base_url, pid, key, **options)

    @classmethod
    def sandbox(cls: type[_C], seed: int = 0, **knobs: Any) -> _C:
        """A client wired to a fresh in-process sandbox (no sockets); knobs as for ``Sandbox``."""
        from .sandbox import Sandbox

        # the clock goes to the sandbox, and the client shares it (see _wired_to)
        options = {k: knobs.pop(k) for k in list(knobs) if k in _CLIENT_OPTIONS - {"clock"}}
        return cls._wired_to(Sandbox(seed=seed, **knobs), **options)

    @classmethod
    def _wired_to(cls: type[_C], box: Any, **options: Any) -> _C:
        """A client of this class talking to the in-process sandbox ``box``, on its clock."""
        options.setdefault("clock", box.clock)
        transport = box.async_transport() if cls._is_async else box.transport()
        client = cls(box.base_url, box.pid, box.api_key, transport=transport, **options)
        client._sandbox = box
        return client

    def _log(self, envelope: Envelope) -> None:
        log.debug(
            "POST %s -> %s %s in %.0f ms (%d attempt%s)",
            envelope.path,
            envelope.code,
            envelope.msg,
            envelope.elapsed * 1000,
            envelope.attempts,
            "" if envelope.attempts == 1 else "s",
        )


_C = TypeVar("_C", bound=_BaseClient)


class Client(SyncHelpers, _BaseClient):
    """A synchronous client for one Cregis project.

    Args:
        base_url: the project's API domain, e.g. ``https://t-xxxx.cregis.io``.
        pid: the project id.
        api_key: the project's API key; it is used for signing and never shown.
        timeout: seconds per HTTP attempt.
        transport: an ``httpx.BaseTransport`` to use instead of the network (tests, sandbox).
        strict: refuse undocumented parameters instead of warning about them.
        retry: a :class:`RetryPolicy`, ``True`` for the default one, ``False`` for none.
        clock: returns the current epoch time in seconds (for ``timestamp``).
        sleep: waits between retries; replace it in tests.
    """

    def __init__(
        self,
        base_url: str,
        pid: int | str,
        api_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        strict: bool = False,
        retry: RetryPolicy | bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        super().__init__(
            base_url,
            pid,
            api_key,
            timeout=timeout,
            transport=transport,
            strict=strict,
            retry=retry,
            clock=clock,
            sleep=sleep,
            nonce=nonce,
        )

    def send(self, prepared: PreparedRequest) -> Envelope:
        """Send a prepared request (retrying read-only calls per the policy)."""
        ep = prepared.endpoint
        started = time.perf_counter()
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                try:
                    response = self._http.post(ep.path, json=prepared.body)
                except httpx.HTTPError as exc:
                    raise self._transport_error(ep, exc) from exc
                return self._answer(prepared, response, started, attempt)
            except CregisTransportError as exc:
                wait = self._wait_before_retry(ep, exc, attempt, waited)
            self._sleep(wait)
            waited += wait

    def request(self, endpoint: str | Endpoint, /, **params: Any) -> Envelope:
        """Validate, sign and POST one call; returns the :class:`Envelope` whatever its code."""
        return self.send(self.prepare(endpoint, **params))

    def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        return self.request(name, **params).raise_for_code().data

    def iter_pages(self, endpoint: str | Endpoint, /, **options: Any) -> Iterator[Envelope]:
        """Yield each page's :class:`Envelope` of a paged endpoint, in order.

        Options and filters as for :func:`cregis_notebook.pagination.iter_pages`.
        """
        from .pagination import iter_pages

        return iter_pages(self, endpoint, **options)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(AsyncHelpers, _BaseClient):
    """The asynchronous twin of :class:`Client`: the same arguments, coroutine methods."""

    _is_async = True

    def __init__(
        self,
        base_url: str,
        pid: int | str,
        api_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        strict: bool = False,
        retry: RetryPolicy | bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] = asyncio.sleep,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        super().__init__(
            base_url,
            pid,
            api_key,
            timeout=timeout,
            transport=transport,
            strict=strict,
            retry=retry,
            clock=clock,
            sleep=sleep,
            nonce=nonce,
        )

    async def send(self, prepared: PreparedRequest) -> Envelope:
        """Send a prepared request (retrying read-only calls per the policy)."""
        ep = prepared.endpoint
        started = time.perf_counter()
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                try:
                    response = await self._http.post(ep.path, json=prepared.body)
                except httpx.HTTPError as exc:
                    raise self._transport_error(ep, exc) from exc
                return self._answer(prepared, response, started, attempt)
            except CregisTransportError as exc:
                wait = self._wait_before_retry(ep, exc, attempt, waited)
            await self._sleep(wait)
            waited += wait

    async def request(self, endpoint: str | Endpoint, /, **params: Any) -> Envelope:
        """Validate, sign and POST one call; returns the :class:`Envelope` whatever its code."""
        return await self.send(self.prepare(endpoint, **params))

    async def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        envelope = await self.request(name, **params)
        return envelope.raise_for_code().data

    def iter_pages(self, endpoint: str | Endpoint, /, **options: Any) -> AsyncIterator[Envelope]:
        """``async for`` each page's :class:`Envelope` of a paged endpoint, in order."""
        from .pagination import aiter_pages

        return aiter_pages(self, endpoint, **options)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


_CLIENT_OPTIONS = frozenset({"timeout", "strict", "retry", "clock", "sleep", "nonce"})
