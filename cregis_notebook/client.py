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
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from . import _retry
from ._config import (
    check_settings,
    check_team_settings,
    is_loopback,
    settings_from_env,
    team_settings_from_env,
    writes_from_env,
)
from ._helpers import AsyncHelpers, SyncHelpers, TeamAsyncHelpers, TeamSyncHelpers
from ._retry import RetryPolicy
from ._signing import Secret, signed_bytes, wire_value
from ._team_signing import canonical_team_body, sign_team, team_string_to_sign
from ._validation import prepare_params
from ._values import loads_exact
from ._version import __version__
from .envelope import SUCCESS, Envelope
from .errors import (
    CregisConfigError,
    CregisConnectError,
    CregisHTTPError,
    CregisRateLimitError,
    CregisResponseError,
    CregisTimeoutError,
    CregisTransportError,
    CregisValidationError,
    CregisWriteRefused,
    UnknownEndpoint,
)
from .spec import Endpoint, registry

__all__ = ["AsyncClient", "AsyncTeamClient", "Client", "PreparedRequest", "TeamClient"]

log = logging.getLogger("cregis_notebook")

_NONCE_ALPHABET = string.ascii_lowercase + string.digits
_EXCERPT = 200
KEY_MASK = "<API_KEY>"
SANDBOX_INFO_PATH = "/_sandbox/info"
SANDBOX_NAME = "cregis-notebook"
_HEADERS = {"Content-Type": "application/json", "User-Agent": f"cregis-notebook/{__version__}"}
_TEAM_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
SECRET_MASK = "********"


def new_team_nonce() -> str:
    """A fresh random Team API nonce: 32 lowercase hex characters (128 random bits)."""
    return secrets.token_hex(16)


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
    API key replaced by ``<API_KEY>``. A Team API request also has ``content``, the exact bytes
    sent (the RFC 8785 body that was signed), and ``headers``, its four ``Access-*`` headers;
    there ``body`` holds the business parameters and ``canonical`` the string that was signed
    (it holds no secret).
    """

    endpoint: Endpoint = field(repr=False)
    url: str
    body: dict[str, Any]
    canonical: str = field(repr=False)
    content: bytes | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def post_arguments(self) -> dict[str, Any]:
        """What ``httpx`` is given to POST this request (path aside)."""
        if self.content is None:
            return {"json": self.body}
        return {"content": self.content, "headers": dict(self.headers)}

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


def _uncertain(ep: Endpoint) -> str:
    """What to say when a call that is not read-only may or may not have taken effect."""
    if ep.is_read_only:
        return ""
    what = "moves money" if ep.moves_money else "creates state"
    return (
        f" It may have taken effect: this call {what} and is never retried automatically, so "
        "check whether it did (for example query by third_party_id or order_id) before "
        "sending it again."
    )


class _BaseClient:
    """What every client shares: the connection pool, retries, parsing and the write guard."""

    _is_async = False
    api = "project"
    """Which Cregis API this client speaks (``"project"``; the Team clients say ``"team"``)."""
    allow_writes = False

    def _connect(
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        strict: bool,
        retry: RetryPolicy | bool,
        clock: Callable[[], float],
        sleep: Callable[[float], Any] | None,
        nonce: Callable[[], str],
        headers: Mapping[str, str],
    ) -> None:
        """Set what every client has, and open its connection pool."""
        self.base_url = base_url
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
        self._transport = transport
        self._loopback = is_loopback(urlsplit(self.base_url).hostname or "")
        self._proven: bool | None = None  # the answer of probe_sandbox(), once there is one
        self._probe_lock = threading.Lock()
        pool: dict[str, Any] = {
            "base_url": self.base_url,
            "timeout": timeout,
            "transport": transport,
            "headers": headers,
            "limits": httpx.Limits(max_connections=32, max_keepalive_connections=32),
        }
        self._http: Any = httpx.AsyncClient(**pool) if self._is_async else httpx.Client(**pool)

    # -- configuration -----------------------------------------------------------------------

    @property
    def sandbox_app(self) -> Any:
        """The in-process sandbox behind this client's transport, or ``None`` for a server."""
        return getattr(self._transport, "sandbox", None)

    @property
    def is_sandbox(self) -> bool:
        """True for the in-process sandbox, or a server that :meth:`probe_sandbox` proved.

        Never by address alone: a server on this machine may forward to a live project.
        """
        return self.sandbox_app is not None or self._proven is True

    @property
    def _kind(self) -> str:
        return "sandbox" if self.is_sandbox else "live"

    # -- the live-write guard ------------------------------------------------------------------

    def _sends_freely(self, ep: Endpoint, confirmed: bool) -> bool:
        """True when ``ep`` may be sent now, without asking anything of the network."""
        return ep.is_read_only or confirmed or self.allow_writes or self.is_sandbox

    def _should_probe(self, ep: Endpoint, confirmed: bool) -> bool:
        """True when only a (first) probe of a server on this machine can allow ``ep``."""
        return not self._sends_freely(ep, confirmed) and self._loopback and self._proven is None

    def _check_write(self, ep: Endpoint, confirmed: bool) -> None:
        """Raise :class:`CregisWriteRefused` when ``ep`` may not be sent (nothing is sent)."""
        if self._sends_freely(ep, confirmed):
            return
        raise CregisWriteRefused(self._refusal(ep))

    def _refusal(self, ep: Endpoint) -> str:
        """Why ``ep`` was refused, and how to opt in."""
        return f"{ep.name} is not read-only and {self.base_url} is not a sandbox; nothing was sent"

    def _proves_sandbox(self, response: httpx.Response) -> bool:
        """True when ``response`` is a sandbox's ``/_sandbox/info`` answer for this client."""
        if response.status_code != 200:
            return False
        try:
            parsed = loads_exact(response.content)
        except (ValueError, RecursionError):
            return False
        if not isinstance(parsed, dict) or parsed.get("code") != SUCCESS:
            return False
        data = parsed.get("data")
        return isinstance(data, dict) and data.get("sandbox") == SANDBOX_NAME and self._owns(data)

    def _owns(self, info: Mapping[str, Any]) -> bool:
        """Whether a sandbox's info describes this client's project or team."""
        return False

    # -- preparation -------------------------------------------------------------------------

    @classmethod
    def endpoint(cls, key: str | Endpoint) -> Endpoint:
        """Look an endpoint of this client's API up by registry name, helper name or path."""
        if isinstance(key, Endpoint):
            ep = key
        else:
            try:
                ep = registry().endpoint(key)
            except UnknownEndpoint as exc:
                raise CregisValidationError(str(exc), endpoint=str(key)) from None
        if ep.api != cls.api:
            names = {"team": ("Team API", "TeamClient"), "project": ("project API", "Client")}
            theirs, other = names[ep.api]
            raise CregisValidationError(
                f"{ep.name} ({ep.path}) belongs to the {theirs}, not the {names[cls.api][0]} "
                f"that {cls.__name__} speaks; call it through {other}",
                endpoint=ep.name,
            )
        return ep

    def prepare(self, endpoint: str | Endpoint, /, **params: Any) -> PreparedRequest:
        """Validate and sign one call without sending it (each API signs its own way)."""
        raise NotImplementedError  # pragma: no cover - every client defines it

    def _wrap(self, ep: Endpoint, problem: CregisValidationError) -> CregisValidationError:
        return CregisValidationError(f"{ep.name}: {problem}", endpoint=ep.name, param=problem.param)

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
        if status >= 500:
            text += "." + _uncertain(ep)
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
        problem = None
        try:
            parsed = loads_exact(content)  # amounts sent as JSON numbers keep every digit
        except (ValueError, RecursionError):
            problem = "the body is not JSON"
        if problem is None and (
            not isinstance(parsed, dict) or "code" not in parsed or "msg" not in parsed
        ):
            problem = "the JSON body is not a {code, msg, data} envelope"
        if problem is not None:
            excerpt = _excerpt(content)
            raise CregisResponseError(
                f"{ep.name}: HTTP {response.status_code} ({kind}) but {problem}: "
                f"{excerpt!r}.{_uncertain(ep)}",
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
        advice = _uncertain(ep)
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
        if isinstance(exc, CregisRateLimitError):
            _retry.hear_rate_limit(exc)  # a fetch's rate control, if one listens
        wait = self._policy_for(ep).delay(exc, attempt, waited)
        if wait is None:
            raise exc
        log.info("%s: %s; retrying in %.2f s", ep.name, exc, wait)
        return wait

    def _for_retry(self, prepared: PreparedRequest) -> PreparedRequest:
        """What a retry sends: the same request here (the Team clients sign it afresh)."""
        return prepared

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


class _ProjectClient(_BaseClient):
    """A project API client's own part: pid and API key, MD5 signing in the body."""

    def __init__(
        self,
        base_url: str,
        pid: int | str,
        api_key: str | Secret,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        strict: bool = False,
        retry: RetryPolicy | bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] | None = None,
        nonce: Callable[[], str] = new_nonce,
        allow_writes: bool | None = None,
        allow_insecure: bool = False,
    ) -> None:
        in_process = getattr(transport, "sandbox", None) is not None  # nothing crosses a network
        found = check_settings(base_url, pid, api_key, allow_insecure=allow_insecure or in_process)
        del base_url, pid, api_key  # from here on the key is only inside a Secret
        if isinstance(found, str):
            raise CregisConfigError(found)
        self.pid = found.pid
        self._key = found.api_key
        self.allow_writes = writes_from_env() if allow_writes is None else bool(allow_writes)
        self._connect(
            found.base_url,
            timeout=timeout,
            transport=transport,
            strict=strict,
            retry=retry,
            clock=clock,
            sleep=sleep,
            nonce=nonce,
            headers=_HEADERS,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, pid={self.pid}, "
            f"api_key='{SECRET_MASK}', {self._kind})"
        )

    def _owns(self, info: Mapping[str, Any]) -> bool:
        projects = info.get("projects")
        pids = [info.get("pid"), *(projects if isinstance(projects, list) else [])]
        return any(type(p) is int and p == self.pid for p in pids)

    def _refusal(self, ep: Endpoint) -> str:
        what = "moves money" if ep.moves_money else "creates state"
        text = (
            f"{ep.name} {what}, and {self.base_url} is treated as a LIVE project: the call was "
            "refused and nothing was sent. To allow writes from this client, make it with "
            "allow_writes=True (or set CREGIS_ALLOW_WRITES=1); to send this one call, use "
            "client.send(client.prepare(...), confirmed=True)."
        )
        if self._loopback:
            text += (
                f" The server is on this machine but did not prove to be a {SANDBOX_NAME} "
                f"sandbox (GET {SANDBOX_INFO_PATH} must answer data.sandbox = "
                f"{SANDBOX_NAME!r} and pid {self.pid})."
            )
        return text

    def prepare(self, endpoint: str | Endpoint, /, **params: Any) -> PreparedRequest:
        """Validate ``params``, add ``pid``, ``nonce``, ``timestamp`` and ``sign``; send nothing.

        Everything is checked and rendered before the key is touched, so an error raised here
        (always a :class:`CregisValidationError`) never carries the key.
        """
        ep = self.endpoint(endpoint)
        business = prepare_params(ep, params, strict=self.strict)
        problem: CregisValidationError | None = None
        try:
            body: dict[str, Any] = {k: wire_value(v, k) for k, v in business.items()}
            body["pid"] = self.pid
            body["nonce"] = self._nonce()
            body["timestamp"] = int(self._clock() * 1000)
            payload = signed_bytes(body)
        except CregisValidationError as exc:
            problem = exc
        if problem is not None:  # raised outside the except block: one clean error
            raise self._wrap(ep, problem)
        body["sign"] = self._key.digest(payload)
        masked = KEY_MASK + payload.decode("utf-8")
        return PreparedRequest(ep, self.base_url + ep.path, body, masked)

    @classmethod
    def from_env(cls: type[_P], *, env_file: str | None = ".env", **options: Any) -> _P:
        """Build a client from ``CREGIS_BASE_URL``, ``CREGIS_PID`` and ``CREGIS_API_KEY``.

        Values in the environment win over a ``.env`` file in the working directory, and
        ``CREGIS_ALLOW_WRITES`` is read from either. A missing or malformed variable raises
        :class:`CregisConfigError` naming it.
        """
        found = settings_from_env(env_file=env_file)
        if found.allow_writes is not None:
            options.setdefault("allow_writes", found.allow_writes)
        return cls(found.base_url, found.pid, found.api_key, **options)

    @classmethod
    def sandbox(cls: type[_P], seed: int = 0, **knobs: Any) -> _P:
        """A client wired to a fresh in-process sandbox (no sockets); knobs as for ``Sandbox``.

        Client options (``timeout``, ``retry``, ...) go to the client; everything else,
        ``clock`` included, to the sandbox, whose clock the client then shares.
        """
        made: _P = _sandbox_client(cls, seed, knobs, _CLIENT_OPTIONS)
        return made


_P = TypeVar("_P", bound=_ProjectClient)
_S = TypeVar("_S", bound=_BaseClient)


class _SyncCalls(_BaseClient):
    """The synchronous calls every client shares (sending, retries, pages)."""

    def probe_sandbox(self) -> bool:
        """True when this client talks to a cregis-notebook sandbox (asked once, then cached).

        The in-process sandbox is one. A server on this machine is one only when
        ``GET /_sandbox/info`` answers ``data.sandbox == "cregis-notebook"`` for this client's
        project or team; a URL on another machine is never asked. A connection failure is not
        cached.
        """
        if self.sandbox_app is not None:
            return True
        if self._loopback and self._proven is None:
            with self._probe_lock:
                if self._proven is None:
                    try:
                        response = self._http.get(SANDBOX_INFO_PATH)
                    except httpx.HTTPError:
                        return False
                    self._proven = self._proves_sandbox(response)
        return self._proven is True

    def writes_allowed(self, endpoint: str | Endpoint) -> bool:
        """True when :meth:`send` would send ``endpoint`` without ``confirmed=True``."""
        ep = self.endpoint(endpoint)
        if self._should_probe(ep, False):
            self.probe_sandbox()
        return self._sends_freely(ep, False)

    def send(self, prepared: PreparedRequest, *, confirmed: bool = False) -> Envelope:
        """Send a prepared request (retrying read-only calls per the policy).

        A call that moves money or creates state on a live project raises
        :class:`CregisWriteRefused` (nothing sent) unless the client allows writes or
        ``confirmed`` is true. Before the first such call to a server on this machine, the
        client asks it once whether it is a sandbox (:meth:`probe_sandbox`).
        """
        ep = prepared.endpoint
        if self._should_probe(ep, confirmed):
            self.probe_sandbox()
        self._check_write(ep, confirmed)
        started = time.perf_counter()
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                try:
                    response = self._http.post(ep.path, **prepared.post_arguments())
                except httpx.HTTPError as exc:
                    raise self._transport_error(ep, exc) from exc
                return self._answer(prepared, response, started, attempt)
            except CregisTransportError as exc:
                wait = self._wait_before_retry(ep, exc, attempt, waited)
            self._sleep(wait)
            waited += wait
            prepared = self._for_retry(prepared)

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

        client: Any = self  # a Client or a TeamClient
        return iter_pages(client, endpoint, **options)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _AsyncCalls(_BaseClient):
    """The asynchronous twins of :class:`_SyncCalls`."""

    _is_async = True

    async def probe_sandbox(self) -> bool:
        """As :meth:`Client.probe_sandbox` (asked once, then cached)."""
        if self.sandbox_app is not None:
            return True
        if self._loopback and self._proven is None:
            try:
                response = await self._http.get(SANDBOX_INFO_PATH)
            except httpx.HTTPError:
                return False
            self._proven = self._proves_sandbox(response)
        return self._proven is True

    async def writes_allowed(self, endpoint: str | Endpoint) -> bool:
        """As :meth:`Client.writes_allowed`."""
        ep = self.endpoint(endpoint)
        if self._should_probe(ep, False):
            await self.probe_sandbox()
        return self._sends_freely(ep, False)

    async def send(self, prepared: PreparedRequest, *, confirmed: bool = False) -> Envelope:
        """Send a prepared request, as :meth:`Client.send`."""
        ep = prepared.endpoint
        if self._should_probe(ep, confirmed):
            await self.probe_sandbox()
        self._check_write(ep, confirmed)
        started = time.perf_counter()
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                try:
                    response = await self._http.post(ep.path, **prepared.post_arguments())
                except httpx.HTTPError as exc:
                    raise self._transport_error(ep, exc) from exc
                return self._answer(prepared, response, started, attempt)
            except CregisTransportError as exc:
                wait = self._wait_before_retry(ep, exc, attempt, waited)
            await self._sleep(wait)
            waited += wait
            prepared = self._for_retry(prepared)

    async def request(self, endpoint: str | Endpoint, /, **params: Any) -> Envelope:
        """Validate, sign and POST one call; returns the :class:`Envelope` whatever its code."""
        return await self.send(self.prepare(endpoint, **params))

    async def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        envelope = await self.request(name, **params)
        return envelope.raise_for_code().data

    def iter_pages(self, endpoint: str | Endpoint, /, **options: Any) -> AsyncIterator[Envelope]:
        """``async for`` each page's :class:`Envelope` of a paged endpoint, in order."""
        from .pagination import aiter_pages

        client: Any = self  # an AsyncClient or an AsyncTeamClient
        return aiter_pages(client, endpoint, **options)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self: _S) -> _S:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class Client(_SyncCalls, SyncHelpers, _ProjectClient):
    """A synchronous client for one Cregis project.

    Args:
        base_url: the project's API domain, e.g. ``https://t-xxxx.cregis.io``. Plain
            ``http://`` is refused unless the host is this machine (or ``allow_insecure``).
        pid: the project id.
        api_key: the project's API key; it is used for signing and never shown.
        timeout: seconds per HTTP attempt.
        transport: an ``httpx.BaseTransport`` to use instead of the network (tests, sandbox).
        strict: refuse undocumented parameters instead of warning about them.
        retry: a :class:`RetryPolicy`, ``True`` for the default one, ``False`` for none.
        clock: returns the current epoch time in seconds (for ``timestamp``).
        sleep: waits between retries; replace it in tests.
        nonce: makes the 6-character ``nonce`` of each request.
        allow_writes: send calls that move money or create state to a live project; ``None``
            reads ``CREGIS_ALLOW_WRITES`` (``1``, ``true`` or ``yes`` allow). A sandbox always
            takes them.
        allow_insecure: accept a plain ``http://`` URL to another machine.
    """


class AsyncClient(_AsyncCalls, AsyncHelpers, _ProjectClient):
    """The asynchronous twin of :class:`Client`: the same arguments, coroutine methods.

    ``probe_sandbox()``, ``writes_allowed()`` and ``send()`` are coroutines here.
    """


class _TeamClient(_BaseClient):
    """A Team API client's own part: Access Key and Secret, HMAC-SHA256 in four headers."""

    api = "team"

    def __init__(
        self,
        base_url: str,
        access_key: str,
        access_secret: str | Secret,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        strict: bool = False,
        retry: RetryPolicy | bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] | None = None,
        nonce: Callable[[], str] = new_team_nonce,
        allow_insecure: bool = False,
    ) -> None:
        in_process = getattr(transport, "sandbox", None) is not None
        found = check_team_settings(
            base_url, access_key, access_secret, allow_insecure=allow_insecure or in_process
        )
        del base_url, access_key, access_secret  # the secret is only inside a Secret now
        if isinstance(found, str):
            raise CregisConfigError(found)
        self.access_key = found.access_key
        self._secret = found.access_secret
        self._connect(
            found.base_url,
            timeout=timeout,
            transport=transport,
            strict=strict,
            retry=retry,
            clock=clock,
            sleep=sleep,
            nonce=nonce,
            headers={"User-Agent": _HEADERS["User-Agent"]},
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, access_key={self.access_key!r}, "
            f"access_secret='{SECRET_MASK}', {self._kind})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(f"a {type(self).__name__} holds the Access Secret and is not pickled")

    def _owns(self, info: Mapping[str, Any]) -> bool:
        return info.get("team_access_key") == self.access_key

    @classmethod
    def sandbox(cls: type[_T], seed: int = 0, **knobs: Any) -> _T:
        """A Team client wired to the team of a fresh in-process sandbox (no sockets).

        As :meth:`Client.sandbox`: client options (``timeout``, ``retry``, ...) go to the
        client, everything else (``clock`` and the ``team_*`` knobs included) to the sandbox;
        ``.sandbox_app`` is the sandbox.
        """
        made: _T = _sandbox_client(cls, seed, knobs, _TEAM_CLIENT_OPTIONS)
        return made

    @classmethod
    def from_env(cls: type[_T], *, env_file: str | None = ".env", **options: Any) -> _T:
        """Build a Team client from ``CREGIS_TEAM_BASE_URL``, ``CREGIS_ACCESS_KEY`` and
        ``CREGIS_ACCESS_SECRET`` (the environment wins over a ``.env`` file).

        A missing or malformed variable raises :class:`CregisConfigError` naming it.
        """
        found = team_settings_from_env(env_file=env_file)
        return cls(found.base_url, found.access_key, found.access_secret, **options)

    def prepare(self, endpoint: str | Endpoint, /, **params: Any) -> PreparedRequest:
        """Validate ``params``, make the RFC 8785 body and sign it into the ``Access-*`` headers.

        The body sent is the canonical text that was signed, byte for byte. An error raised here
        (always a :class:`CregisValidationError`, a wallet id beyond 2**53 - 1 for one) comes
        before anything is sent and never carries the secret.
        """
        ep = self.endpoint(endpoint)
        business = prepare_params(ep, params, strict=self.strict)
        problem: CregisValidationError | None = None
        try:
            body: dict[str, Any] = {k: wire_value(v, k) for k, v in business.items()}
        except CregisValidationError as exc:
            problem = exc
        if problem is not None:  # raised outside the except block: one clean error
            raise self._wrap(ep, problem)
        return self._signed(ep, body)

    def _for_retry(self, prepared: PreparedRequest) -> PreparedRequest:
        """A retry is signed afresh: a new timestamp and nonce over the same body, so that a
        server that refuses a reused nonce or a stale timestamp accepts it."""
        return self._signed(prepared.endpoint, prepared.body)

    def _signed(self, ep: Endpoint, body: dict[str, Any]) -> PreparedRequest:
        """``body`` (wire values) as canonical text, signed now with a fresh nonce."""
        auth = registry().team_auth
        problem: CregisValidationError | None = None
        try:
            text = canonical_team_body(body)
            stamp = str(int(self._clock() * 1000))
            nonce = self._nonce()
            signed = team_string_to_sign(ep.path, stamp, nonce, text)
        except CregisValidationError as exc:
            problem = exc
        if problem is not None:
            raise self._wrap(ep, problem)
        headers = {
            **_TEAM_HEADERS,
            auth.key_header: self.access_key,
            auth.timestamp_header: stamp,
            auth.nonce_header: nonce,
            auth.signature_header: sign_team(ep.path, stamp, nonce, text, self._secret),
        }
        content = text.encode("utf-8")
        return PreparedRequest(ep, self.base_url + ep.path, body, signed, content, headers)


class TeamClient(_SyncCalls, TeamSyncHelpers, _TeamClient):
    """A synchronous client for a Cregis team's Team API (``/openapi/v1``).

    Args:
        base_url: the team's API domain, e.g. ``https://t-xxxx.cregis.dev``; plain ``http://``
            only to this machine (or with ``allow_insecure``).
        access_key: the team's Access Key (a public identifier, sent in ``Access-Key``).
        access_secret: the Access Secret; it keys the HMAC and is never sent or shown.
        timeout, transport, strict, retry, clock, sleep: as for :class:`Client`.
        nonce: makes each request's ``Access-Nonce`` (default: 32 random lowercase hex).

    Every Team call reads, so every call is retried like a read. ``request``, ``prepare``,
    ``iter_pages`` and ``fetch_frame(team_client, ...)`` work as for the project client.
    """


class AsyncTeamClient(_AsyncCalls, TeamAsyncHelpers, _TeamClient):
    """The asynchronous twin of :class:`TeamClient`: the same arguments, coroutine methods."""


_T = TypeVar("_T", bound=_TeamClient)


_CLIENT_OPTIONS = frozenset(
    {"timeout", "strict", "retry", "sleep", "nonce", "allow_writes", "allow_insecure"}
)
_TEAM_CLIENT_OPTIONS = _CLIENT_OPTIONS - {"allow_writes"}


def _sandbox_client(
    cls: type[Any], seed: int, knobs: dict[str, Any], accepted: frozenset[str]
) -> Any:
    """A ``cls`` client of a new in-process sandbox: ``accepted`` options go to the client."""
    from .sandbox import Sandbox

    options = {k: knobs.pop(k) for k in list(knobs) if k in accepted}
    return Sandbox(seed=seed, **knobs).client(client_class=cls, **options)
