"""The :class:`Sandbox`: the public face of the three parts (engine, API service, HTTP).

It builds an :class:`~cregis_notebook.sandbox.engine.engine.Engine` and a
:class:`~cregis_notebook.sandbox.api.gateway.Gateway` over it, and hands out the ways in: httpx
transports, an ASGI app, and clients built through the client's public constructor. Everything
here forwards to one of the parts; behaviour lives in them (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..client import AsyncClient, AsyncTeamClient, Client, TeamClient
from .api.answers import Response
from .api.faults import Faults
from .api.gateway import Gateway
from .api.service import Service
from .engine.callbacks import CallbackAttempt, Dispatcher
from .engine.catalog import Catalog
from .engine.clock import Clock
from .engine.engine import Engine
from .engine.knobs import Knobs
from .engine.limits import LOCAL_IP
from .engine.project import Project
from .engine.team import Team
from .http.asgi import SandboxApp
from .http.transport import AsyncSandboxTransport, SandboxTransport

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Sandbox"]

_Made = TypeVar("_Made", Client, AsyncClient, TeamClient, AsyncTeamClient)


class Sandbox:
    """A seeded, stateful, local Cregis project API (no credentials, no network).

    ``Sandbox(seed=0, **knobs)`` builds the data at once. Keyword knobs (all optional):

    * ``transactions`` (2000): seeded transactions of the default project (up to 20 million;
      1,000,000 build in one to two seconds);
    * ``history_days`` (180), ``history_end`` (the clock's time at start): the span of history;
    * ``latency_ms``, ``jitter_ms``: added delay per request (uniform +-jitter);
    * ``rate_limit`` (requests per second, None = off), ``rate_burst``: a token bucket; an
      over-limit request gets HTTP 429 with ``Retry-After`` (seconds);
    * ``failure_rate`` (0..1) and ``failures`` (kinds ``"http_5xx"``, ``"drop"``,
      ``"malformed"``): injected failures;
    * ``clock``: a callable returning epoch seconds (e.g. a :class:`FakeClock`);
    * ``settle_seconds`` (10): how long a new payout, withdrawal, collection or payment takes
      to reach its final state;
    * ``live_rate``: new transactions per second that keep arriving (live mode);
    * ``deposit_rate``: simulated deposits per second into addresses created through the API;
    * ``stuck_pending`` (0): old incoming transfers of the default project that stay pending
      forever (every other pending row settles, see :mod:`.engine.pending`);
    * ``projects``: extra projects (a count, or :class:`ProjectSpec` items / mappings);
    * ``ip_whitelist`` (IPs or networks; others get E0001), ``unsupported`` (endpoint names
      answered with E0004), ``address_quota`` (addresses the API may create: then E0033, or
      T0062 for a quota of 0), ``withdrawal_quota`` (sub-address withdrawals: then E0034): the
      default project's limits (see :mod:`cregis_notebook.sandbox.engine.limits`);
    * ``callback_transport`` (an ``httpx.BaseTransport``), ``callback_timeout`` (5 s),
      ``callback_attempts`` (8), ``callback_backoff`` (1 s, doubling): callback delivery;
    * ``base_url``, ``pid``, ``api_key``: the default project's address and credentials (the
      docs' example pid and key);
    * ``discrepancies`` (0): plant that many known problems of each kind in the default
      project's seeded history, for reconciliation (see :meth:`injected`);
    * ``team_access_key``, ``team_access_secret``: the team's Team API credentials (the Team
      API docs' example key and secret); ``team_wallets`` (4), ``team_transactions`` (60 final
      transfers per wallet), ``team_settle_seconds`` (120: by then every transfer in flight at
      the start has settled), ``team_window_seconds`` (300: how far ``Access-Timestamp`` may be
      from the clock, and how long a nonce stays used), ``team_live_rate`` (0: new team
      transfers per second that keep arriving, at most 10). See :mod:`.engine.team`.

    The same seed and the same clock give the same data. With the real clock, the history ends
    "now" (in the last whole second before the clock, so no row is ahead of it), so
    identifiers, amounts and addresses repeat while times move with the start time.
    """

    def __init__(self, seed: int = 0, **knobs: Any) -> None:
        self.knobs = Knobs.build(**knobs)
        self.engine = Engine(seed, self.knobs)
        self.gateway = Gateway(self.engine, Faults(self.knobs, seed))

    # -- identity and state ----------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """The seed the data was built from."""
        return self.engine.seed

    @property
    def clock(self) -> Clock:
        """The sandbox's clock (epoch seconds); clients it builds share it."""
        return self.engine.clock

    @property
    def started(self) -> float:
        """The clock's time when the sandbox was built."""
        return self.engine.started

    @property
    def base_url(self) -> str:
        """The URL the in-process transports answer (any host works through them)."""
        return self.engine.base_url

    @property
    def pid(self) -> int:
        """The default project's id (the docs' example pid)."""
        return self.engine.pid

    @property
    def api_key(self) -> str:
        """The default project's API key (the docs' example key: public)."""
        return self.engine.api_key

    @property
    def team_access_key(self) -> str:
        """The team's Access Key (the Team API docs' example key: public)."""
        return self.engine.team_access_key

    @property
    def team_access_secret(self) -> str:
        """The team's Access Secret (the Team API docs' example secret: not a real secret)."""
        return self.engine.team_access_secret

    @property
    def team(self) -> Team:
        """The team behind the Team API: wallets, addresses, transfers."""
        return self.engine.team

    @property
    def public_url(self) -> str | None:
        """The URL the sandbox is served at over HTTP (set by the server), else None."""
        return self.engine.public_url

    @public_url.setter
    def public_url(self, url: str | None) -> None:
        self.engine.public_url = url

    @property
    def cat(self) -> Catalog:
        """The chains and currencies the sandbox knows."""
        return self.engine.cat

    @property
    def projects(self) -> dict[int, Project]:
        """Every project by pid."""
        return self.engine.projects

    @property
    def project(self) -> Project:
        """The default project."""
        return self.engine.project

    @property
    def dispatcher(self) -> Dispatcher:
        """The callback queue and its delivery log."""
        return self.engine.dispatcher

    @property
    def faults(self) -> Faults:
        """The latency, rate-limit and failure knobs at work."""
        return self.gateway.faults

    @property
    def service(self) -> Service:
        """The endpoint handlers."""
        return self.gateway.service

    @property
    def callback_log(self) -> list[CallbackAttempt]:
        """Every callback attempt so far, oldest first."""
        return self.engine.callback_log

    def __repr__(self) -> str:
        return (
            f"Sandbox(seed={self.seed}, pid={self.pid}, "
            f"transactions={self.project.trades.size}, projects={len(self.projects)})"
        )

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the callback thread and close the callback HTTP client."""
        self.engine.close()

    # -- ways in ---------------------------------------------------------------------------------

    def transport(self) -> SandboxTransport:
        """An httpx transport that answers from this sandbox in-process (no sockets)."""
        return SandboxTransport(self)

    def async_transport(self) -> AsyncSandboxTransport:
        """The asynchronous twin of :meth:`transport`."""
        return AsyncSandboxTransport(self)

    def asgi_app(self) -> SandboxApp:
        """An ASGI application serving this sandbox (what the HTTP server runs)."""
        return SandboxApp(self)

    @overload
    def client(self, *, client_class: None = None, **options: Any) -> Client: ...

    @overload
    def client(self, *, client_class: type[_Made], **options: Any) -> _Made: ...

    def client(self, *, client_class: type[Any] | None = None, **options: Any) -> Any:
        """A client of ``client_class`` (default :class:`~cregis_notebook.Client`) for this sandbox.

        Built through the public constructor with this sandbox's URL and credentials (pid and
        key; the team's Access Key and Secret for a :class:`~cregis_notebook.TeamClient` or
        :class:`~cregis_notebook.AsyncTeamClient` subclass), the in-process transport (the
        asynchronous one for an asynchronous client) and, unless ``options`` give one, this
        sandbox's clock.
        """
        cls: type[Any] = Client if client_class is None else client_class
        is_async = issubclass(cls, (AsyncClient, AsyncTeamClient))
        transport = self.async_transport() if is_async else self.transport()
        options.setdefault("clock", self.clock)
        if issubclass(cls, (TeamClient, AsyncTeamClient)):
            key, secret = self.team_access_key, self.team_access_secret
            return cls(self.base_url, key, secret, transport=transport, **options)
        return cls(self.base_url, self.pid, self.api_key, transport=transport, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An :class:`~cregis_notebook.AsyncClient` for this sandbox, sharing its clock."""
        return self.client(client_class=AsyncClient, **options)

    # -- requests --------------------------------------------------------------------------------

    def respond(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None,
        body: bytes,
        *,
        client: str | None = LOCAL_IP,
    ) -> tuple[float, Response | None]:
        """:meth:`handle` with the knobs applied: ``(delay seconds, response or None)``.

        ``None`` means "drop the connection without an answer"; ``client`` is the caller's IP.
        """
        return self.gateway.respond(method, path, headers, body, client=client)

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        client: str | None = LOCAL_IP,
    ) -> Response:
        """Answer one request, without the knobs. Never raises: every failure is an answer."""
        return self.gateway.handle(method, path, headers, body, client=client)

    # -- what happens in the world ---------------------------------------------------------------

    def simulate_deposit(
        self,
        address: str,
        currency: str,
        amount: str | Decimal | int,
        *,
        status: int = 1,
        txid: str | None = None,
        pid: int | None = None,
    ) -> dict[str, Any]:
        """Make a deposit arrive at a project address now; returns its ``trade_page`` row.

        ``status`` 1 (success) credits the balance; 1 and 2 (failed) send the address-deposit
        callback to the address's ``callback_url``; 0 (pending) stays pending.
        """
        return self.engine.simulate_deposit(
            address, currency, amount, status=status, txid=txid, pid=pid
        )

    def simulate_payment(
        self,
        cregis_id: str,
        amount: str | Decimal | None = None,
        *,
        token: str | None = None,
        pid: int | None = None,
    ) -> dict[str, Any]:
        """A payer pays order ``cregis_id`` now (default: the full amount in its first token).

        The payment confirms ``settle_seconds`` later; then the order is ``paid``,
        ``paid_partial`` or ``paid_over`` and the order callback goes out. Returns the
        ``order_info`` record as of now.
        """
        return self.engine.simulate_payment(cregis_id, amount, token=token, pid=pid)

    def simulate_refund(
        self, cregis_id: str, amount: str | Decimal | None = None, *, pid: int | None = None
    ) -> dict[str, Any]:
        """Refund a paid order once (default: everything paid); the refunded callback follows.

        The order keeps its paid status; the refund shows in ``refund_data``.
        """
        return self.engine.simulate_refund(cregis_id, amount, pid=pid)

    def examples(self, pid: int | None = None) -> dict[str, Any]:
        """Identifiers worth querying: cids by status, orders by status, a funded address."""
        return self.engine.examples(pid)

    def order_ids(self, pid: int | None = None) -> list[str]:
        """The ``cregis_id`` of every checkout order of the project (seeded and created)."""
        return self.engine.order_ids(pid)

    def sub_addresses(self, pid: int | None = None) -> list[str]:
        """The project's sub-addresses (seeded and created), oldest first."""
        return self.engine.sub_addresses(pid)

    # -- the merchant's side (reconciliation) ----------------------------------------------------

    def delivered_callbacks(self) -> list[dict[str, Any]]:
        """The raw callback bodies the merchant received, oldest first.

        One per final deposit, payout, withdrawal and order event of the seeded history and of
        the rows of live mode (``live_rate``), signed as the sandbox signs callbacks (the
        ``discrepancies`` knob leaves some seeded ones out and signs some with the wrong key),
        then the default project's other callbacks delivered since the start.
        """
        return self.engine.delivered_callbacks()

    def payout_requests(self) -> list[dict[str, Any]]:
        """The merchant's own record of the payouts and withdrawals it asked for (seeded, of
        live mode and made through the API).

        One dict per request, oldest first: ``kind`` (``"payouts"`` or ``"withdrawals"``),
        ``cid`` (what the create call answered; ``None`` for a request refused as a duplicate),
        ``third_party_id``, ``currency`` (``chain_id@token_id``), ``amount`` (``Decimal``),
        ``address`` and ``created`` (epoch milliseconds). ``pandas.DataFrame(records)`` makes
        it a frame.
        """
        return self.engine.payout_requests()

    def injected(self) -> pd.DataFrame:
        """The problems the ``discrepancies`` knob planted: one row each, with the columns
        ``kind``, ``key``, ``check`` and ``currency`` in the reconciliation vocabulary (empty
        without the knob). docs/sandbox.md ("Discrepancies") lists them."""
        import pandas as pd

        columns = ["kind", "key", "check", "currency"]
        rows = [[getattr(i, c) for c in columns] for i in self.engine.injected_problems()]
        return pd.DataFrame(rows, columns=columns, dtype="string")

    # -- callbacks -------------------------------------------------------------------------------

    def deliver_callbacks(self) -> list[CallbackAttempt]:
        """Apply what is due now and POST every callback that is due; returns the attempts.

        With a :class:`FakeClock` nothing happens by itself: advance the clock, then call this.
        With the real clock a background thread calls it (started when first needed).
        """
        return self.engine.deliver_callbacks()

    def wait_for_callbacks(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until ``callback_log`` holds ``count`` attempts (real clock); False on timeout."""
        return self.engine.wait_for_callbacks(count, timeout)
