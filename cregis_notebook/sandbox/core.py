"""The :class:`Sandbox`: a local stand-in for the Cregis project API, pure of any transport.

``Sandbox.handle(method, path, headers, body)`` answers one HTTP request with a
:class:`Response`; the httpx transports, the ASGI app and the CLI server are thin wrappers
around it (plus :meth:`Sandbox.respond`, which applies the latency, rate-limit and failure
knobs). All state lives here and is guarded by one lock, so a sandbox may be shared by
threads, an event loop and the callback thread at once.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import math
import random
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from .._signing import sign
from ..errors import AmountError, CregisConfigError, SandboxError
from ..spec import Endpoint, registry
from .amounts import decimal_places, parse_amount, to_units
from .book import SUB
from .callbacks import CallbackAttempt, Delivery, Dispatcher
from .catalog import Catalog, catalog
from .checks import (
    A_BODY,
    A_METHOD,
    A_PATH,
    A_VALUE,
    SandboxRefusal,
    check_sign,
    check_system,
    documented,
    read_params,
    read_pid,
)
from .clock import FakeClock
from .faults import HTML_5XX, Decision, Faults
from .generate import LiveSource
from .knobs import Knobs
from .limits import LOCAL_IP
from .market import block_height, chain_params
from .orders import Order, make_payment, make_refund, receive_amount
from .project import FAILED, SUCCESS, DepositOrder, Project, Transfer, ceil_second
from .service import Raw, Service
from .shapes import Shape, callback_shape, endpoint_shape
from .trades import DEPOSIT, PAYOUT, SWEEP, WITHDRAWAL

if TYPE_CHECKING:  # pragma: no cover
    from ..client import AsyncClient

__all__ = ["Response", "Sandbox", "SandboxError"]

log = logging.getLogger("cregis_notebook.sandbox")

_JSON = (("content-type", "application/json"),)
_NONCE = string.ascii_lowercase + string.digits
_TXID = frozenset(string.ascii_letters + string.digits + "_-")


@dataclass(frozen=True)
class Response:
    """One HTTP answer of the sandbox."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _envelope(code: str, msg: str, data: str = "null") -> bytes:
    head = json.dumps({"code": code, "msg": msg}, ensure_ascii=False, separators=(",", ":"))
    return (head[:-1] + ',"data":' + data + "}").encode("utf-8")


def _error(status: int, code: str, msg: str, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, _JSON + extra, _envelope(code, msg))


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
    * ``projects``: extra projects (a count, or :class:`ProjectSpec` items / mappings);
    * ``ip_whitelist`` (IPs or networks; others get E0001), ``unsupported`` (endpoint names
      answered with E0004), ``address_quota`` (addresses the API may create: then E0033, or
      T0062 for a quota of 0), ``withdrawal_quota`` (sub-address withdrawals: then E0034): the
      default project's limits (see :mod:`cregis_notebook.sandbox.limits`);
    * ``callback_transport`` (an ``httpx.BaseTransport``), ``callback_timeout`` (5 s),
      ``callback_attempts`` (8), ``callback_backoff`` (1 s, doubling): callback delivery;
    * ``base_url``, ``pid``, ``api_key``: the default project's address and credentials (the
      docs' example pid and key).

    The same seed and the same clock give the same data. With the real clock, the history ends
    "now", so identifiers, amounts and addresses repeat while times move with the start time.
    """

    def __init__(self, seed: int = 0, **knobs: Any) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise CregisConfigError(f"seed must be an integer, got {seed!r}")
        self.seed = seed
        self.knobs = Knobs.build(**knobs)
        self.clock = self.knobs.clock
        self.cat: Catalog = catalog()
        reg = registry()
        self._routes: dict[str, Endpoint] = {ep.path: ep for ep in reg.endpoints}
        self._endpoint_shapes: dict[str, Shape] = {
            ep.name: endpoint_shape(ep) for ep in reg.endpoints
        }
        self._callback_shapes: dict[str, Shape] = {
            cb.name: callback_shape(cb) for cb in reg.callbacks
        }
        self._float_params = {
            ep.name: tuple(p.name for p in ep.params if p.type == "float") for ep in reg.endpoints
        }
        self._lock = threading.RLock()
        self._logged = threading.Condition(self._lock)
        self._events: list[tuple[float, int, Callable[[float], None]]] = []
        self._seq = itertools.count()
        self._rng = random.Random(f"{seed}:runtime")
        self.dispatcher = Dispatcher(
            transport=self.knobs.callback_transport,
            timeout=self.knobs.callback_timeout,
            attempts=self.knobs.callback_attempts,
            backoff=self.knobs.callback_backoff,
        )
        self.faults = Faults(self.knobs, seed)
        self.service = Service(self)
        self.public_url: str | None = None  # set when served over HTTP
        self._closed = False
        self._pump: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        now = float(self.clock())
        self.started = now
        end = self.knobs.history_end
        t_end = int(min(now, end) if end is not None else now)
        self.projects: dict[int, Project] = {}
        k = self.knobs
        specs = [(k.pid, k.api_key, k.transactions, False, k.limits())] + [
            (
                s.pid,
                s.api_key,
                s.transactions if s.transactions is not None else k.transactions // 10,
                s.disabled,
                s.limits(),
            )
            for s in k.projects
        ]
        trade_shape = self._endpoint_shapes["trade_page"]
        for index, (pid, key, count, disabled, limits) in enumerate(specs):
            project = Project(
                pid=pid,
                api_key=key,
                salt=f"{seed}:{pid}",
                cat=self.cat,
                disabled=disabled,
                limits=limits,
            )
            project.build(
                seed=seed * 1_000_003 + index,
                transactions=count,
                t_end=t_end,
                span_days=k.history_days,
                trade_shape=trade_shape,
                base_url=k.base_url,
                settle_seconds=k.settle_seconds,
            )
            self.projects[pid] = project
        self.project = self.projects[k.pid]
        self._live: LiveSource | None = None
        if k.live_rate > 0:
            self._live = LiveSource(
                self.cat, self.project.seeded, seed=seed, start=now, rate=k.live_rate
            )
        if k.deposit_rate > 0:
            self._schedule(now + 1 / k.deposit_rate, self._stream_deposit)

    # -- identity ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL the in-process transports answer (any host works through them)."""
        return self.knobs.base_url

    @property
    def pid(self) -> int:
        """The default project's id (the docs' example pid)."""
        return self.knobs.pid

    @property
    def api_key(self) -> str:
        """The default project's API key (the docs' example key: public)."""
        return self.knobs.api_key

    @property
    def callback_log(self) -> list[CallbackAttempt]:
        """Every callback attempt so far, oldest first."""
        return self.dispatcher.log

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
        self._closed = True
        self._stop.set()
        self._wake.set()
        pump = self._pump
        if pump is not None and pump is not threading.current_thread():
            pump.join(timeout=5)
        self.dispatcher.close()

    # -- ways in ---------------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that answers from this sandbox in-process (no sockets)."""
        from .transport import SandboxTransport

        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The asynchronous twin of :meth:`transport`."""
        from .transport import AsyncSandboxTransport

        return AsyncSandboxTransport(self)

    def asgi_app(self) -> Any:
        """An ASGI application serving this sandbox (what the HTTP server runs)."""
        from .asgi import SandboxApp

        return SandboxApp(self)

    def client(self, *, client_class: type[Any] | None = None, **options: Any) -> Any:
        """A client wired to this sandbox through its public transport, sharing its clock.

        ``client_class`` defaults to :class:`~cregis_notebook.Client`; an
        :class:`~cregis_notebook.AsyncClient` (or subclass) gets the asynchronous transport.
        """
        from ..client import AsyncClient, Client

        cls = Client if client_class is None else client_class
        is_async = issubclass(cls, AsyncClient)
        transport = self.async_transport() if is_async else self.transport()
        options.setdefault("clock", self.clock)
        return cls(self.base_url, self.pid, self.api_key, transport=transport, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An :class:`~cregis_notebook.AsyncClient` wired to this sandbox, sharing its clock."""
        from ..client import AsyncClient

        client: AsyncClient = self.client(client_class=AsyncClient, **options)
        return client

    # -- the core --------------------------------------------------------------------------------

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
        if path.startswith("/_sandbox/"):
            return 0.0, self.handle(method, path, headers, body, client=client)
        decision: Decision = self.faults.decide(self.clock())
        if decision.action == "limit":
            extra = (("retry-after", str(decision.retry_after)),)
            return decision.delay, _error(
                429, "A0429", f"Too Many Requests: retry after {decision.retry_after} s", extra
            )
        if decision.action == "http_5xx":
            html = (("content-type", "text/html"),)
            return decision.delay, Response(decision.status, html, HTML_5XX[decision.status])
        if decision.action == "drop":
            return decision.delay, None
        response = self.handle(method, path, headers, body, client=client)
        if decision.action == "malformed":
            cut = response.body[: max(1, len(response.body) // 2)]
            response = Response(200, response.headers, cut)
        return decision.delay, response

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        client: str | None = LOCAL_IP,
    ) -> Response:
        """Answer one request. Never raises: every failure is an HTTP response.

        ``client`` is the caller's IP address (for a project's ``ip_whitelist``).
        """
        path = path.split("?", 1)[0]
        try:
            if path.startswith("/_sandbox/"):
                return self._control(method.upper(), path, body)
            ep = self._routes.get(path)
            if ep is None:
                return _error(
                    404,
                    A_PATH,
                    f"Param Error: path {path} is not an endpoint "
                    "(registry().endpoints lists them)",
                )
            if method.upper() != "POST":
                return _error(
                    405,
                    A_METHOD,
                    f"Param Error: method {method.upper()} is not "
                    f"allowed; {path} takes POST with a JSON body",
                    (("allow", "POST"),),
                )
            try:
                payload = json.loads(body or b"", parse_float=Decimal)
            except (ValueError, UnicodeDecodeError) as exc:
                return _error(400, A_BODY, f"Param Error: the body is not JSON ({exc})")
            if not isinstance(payload, dict):
                return _error(400, A_BODY, "Param Error: the body must be a JSON object")
            with self._lock:
                now = float(self.clock())
                self._advance(now)
                try:
                    data = self._call(ep, payload, now, client)
                except SandboxRefusal as exc:
                    return _error(exc.status, exc.code, exc.msg)
                self._advance(now)
            msg = str(ep.response_example.get("msg") or "ok")
            text = (
                data.text
                if isinstance(data, Raw)
                else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            )
            return Response(200, _JSON, _envelope("00000", msg, text))
        except Exception as exc:  # a sandbox bug must still be an answer, not a crash
            log.exception("sandbox error on %s %s", method, path)
            return _error(500, "S0500", f"Sandbox internal error: {type(exc).__name__}: {exc}")

    def _call(self, ep: Endpoint, body: dict[str, Any], now: float, client: str | None) -> Any:
        given = body.get("sign")
        if not isinstance(given, str) or not given.strip():
            raise documented("B0001")
        pid = read_pid(body)
        project = self.projects.get(pid)
        if project is None:
            raise documented("E0003")
        floats = self._float_params.get(ep.name, ())
        if not check_sign(body, project.api_key, floats):
            raise documented("B0001")
        project.limits.check_caller(client)
        check_system(body)
        if project.disabled:
            raise documented("E0003")
        project.limits.check_endpoint(ep.name)
        params = read_params(ep, body)
        return self.service.handlers[ep.name](project, params, now)

    # -- shapes and small helpers used by the service --------------------------------------------

    def shape(self, endpoint: str) -> Shape:
        """The record shape of an endpoint's ``data``."""
        return self._endpoint_shapes[endpoint]

    def render_rows(self, project: Project, rows: Any) -> list[str]:
        """JSON text of trade rows."""
        return project.trades.render(rows)

    def fee_for(self, project: Project, cur: int) -> int:
        """A plausible network fee for a transfer of currency ``cur`` (native units)."""
        chain = int(self.cat.cur_chain[cur])
        params = chain_params(self.cat.chains[chain].chain_id)
        native = self.cat.native[chain]
        dec = self.cat.currencies[native].decimals
        typical = (
            params.native_fee
            if self.cat.currencies[cur].native
            else (params.token_fee or params.native_fee)
        )
        raw = typical * math.exp(self._rng.gauss(0, 0.3)) * 10**dec
        quantum = 10 ** (dec - self.cat.scale[native])
        return max(1, round(raw / quantum)) * quantum

    def fee_in_amount_units(self, cur: int, fee: int) -> int:
        """A native fee expressed in the stored units of native currency ``cur``."""
        dec = self.cat.currencies[cur].decimals
        return fee // 10 ** (dec - self.cat.scale[cur])

    # -- time ------------------------------------------------------------------------------------

    def _schedule(self, when: float, action: Callable[[float], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), action))
        self._kick()

    def _advance(self, now: float) -> None:
        """Apply everything that has happened up to ``now`` (lock held)."""
        while True:
            due = self._events[0][0] if self._events and self._events[0][0] <= now else None
            if self._live is not None:
                self._flush_live(now if due is None else due)
            if due is None:
                return
            when, _, action = heapq.heappop(self._events)
            action(when)

    def _flush_live(self, until: float) -> None:
        assert self._live is not None
        times = self._live.arrivals(until)
        if not len(times):
            return
        p = self.project
        batch = self._live.batch(times)
        batch["cid"] = np.array([p.next_cid() for _ in range(len(times))], dtype=np.int64)
        rows = p.trades.append(batch)
        kinds = batch["kind"]
        for offset in np.flatnonzero(kinds == DEPOSIT).tolist():
            self._after_deposit(p, rows.start + offset, float(times[offset]))

    def _kick(self) -> None:
        """Make sure the background thread runs (real clock only)."""
        if self._closed or isinstance(self.clock, FakeClock):
            return
        if self._pump is None:
            self._pump = threading.Thread(
                target=self._run_pump, name="cregis-sandbox-callbacks", daemon=True
            )
            self._pump.start()
        self._wake.set()

    def _run_pump(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_callbacks()
            except Exception:  # keep the thread alive; the log says what happened
                log.exception("sandbox callback thread")
            with self._lock:
                times = [
                    t
                    for t in (
                        self.dispatcher.next_due(),
                        self._events[0][0] if self._events else None,
                    )
                    if t is not None
                ]
            wait = 0.5 if not times else min(0.5, max(0.01, min(times) - self.clock()))
            self._wake.wait(wait)
            self._wake.clear()

    def deliver_callbacks(self) -> list[CallbackAttempt]:
        """Apply what is due now and POST every callback that is due; returns the attempts.

        With a :class:`FakeClock` nothing happens by itself: advance the clock, then call this.
        With the real clock a background thread calls it (started when first needed).
        """
        with self._lock:
            now = float(self.clock())
            self._advance(now)
            due = self.dispatcher.pop_due(now)
        attempts = [self.dispatcher.post(d, now) for d in due]
        with self._lock:
            self.dispatcher.log.extend(attempts)
            for delivery, attempt in zip(due, attempts, strict=True):
                if not attempt.ok:
                    self.dispatcher.retry_later(delivery, now)
            if attempts:
                self._logged.notify_all()
        return attempts

    def wait_for_callbacks(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until ``callback_log`` holds ``count`` attempts (real clock); False on timeout."""
        with self._logged:
            return self._logged.wait_for(lambda: len(self.dispatcher.log) >= count, timeout)

    # -- callbacks -------------------------------------------------------------------------------

    def _nonce(self) -> str:
        return "".join(self._rng.choice(_NONCE) for _ in range(6))

    def _callback(
        self,
        p: Project,
        name: str,
        url: str,
        record: dict[str, Any],
        at: float,
        event: str | None = None,
    ) -> None:
        if not url:
            return
        cb = registry().callback(name)
        full = {
            **record,
            "pid": p.pid,
            "nonce": self._nonce(),
            "timestamp": int(at * 1000),
            "sign": "",
        }
        body = self._callback_shapes[cb.name].render(full, event)
        body.pop("sign", None)
        body["sign"] = sign(body, p.api_key)
        self.dispatcher.queue(Delivery(kind=cb.name, url=url, body=body, due=at, ack=cb.ack))
        self._kick()

    # -- transfers (payouts, withdrawals, collections) -------------------------------------------

    def start_transfer(self, p: Project, t: Transfer, *, lock: int) -> None:
        """Record a new transfer, lock its funds and schedule its final state."""
        p.transfers[t.cid] = t
        if lock:
            balance = p.balance(t.frm, t.cur)
            balance[0] -= lock
            balance[1] += lock
            t.locked = lock
        self._schedule(t.final_time, lambda at: self._finish_transfer(p, t, at))

    def _finish_transfer(self, p: Project, t: Transfer, at: float) -> None:
        if t.locked:
            balance = p.balance(t.frm, t.cur)
            balance[1] -= t.locked
            if t.outcome == FAILED and self.cat.currencies[t.cur].native:
                balance[0] += t.locked - self.fee_in_amount_units(t.cur, t.fee)
            elif t.outcome != SUCCESS:
                balance[0] += t.locked
        if t.goes_on_chain:
            bt = ceil_second(at)
            kind = t.kind
            batch = {
                "cid": [t.cid],
                "bt": [bt],
                "ms": [self._rng.randrange(1000)],
                "cur": [t.cur],
                "status": [1 if t.outcome == SUCCESS else 2],
                "ttype": [2],
                "btype": [5 if kind == SWEEP else 0],
                "kind": [kind],
                "frm": [t.frm],
                "to": [t.to],
                "amount": [t.amount],
                "fee": [t.fee],
                "height": [self._height(t.cur, bt)],
                "memo": [p.trades.text_id(t.memo)],
                "remark": [p.trades.text_id(t.remark)],
            }
            row = p.trades.append({k: np.asarray(v) for k, v in batch.items()}).start
            p.trades.set_txid(row, t.txid)
            t.row = row
        if t.kind in (PAYOUT, WITHDRAWAL) and t.callback_url and not t.callback_sent:
            status = t.status_at(at)
            if status in (2, 4, 6, 7):
                t.callback_sent = True
                record = p.transfer_record(t.cid, t.kind, at) or {}
                record["cid"] = t.cid
                name = "callback_payout" if t.kind == PAYOUT else "callback_sub_address_withdrawal"
                self._callback(p, name, t.callback_url, record, at)

    def _height(self, cur: int, bt: int) -> int:
        return block_height(self.cat.currencies[cur].chain_id, bt)

    # -- deposits --------------------------------------------------------------------------------

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
        if status not in (0, 1, 2):
            raise SandboxError(
                f"status must be 0 (pending), 1 (success) or 2 (failed), got {status!r}"
            )
        with self._lock:
            now = float(self.clock())
            self._advance(now)
            p = self._project(pid)
            gid = p.sub_address(address)
            if gid is None:
                raise SandboxError(f"{address!r} is not an address of project {p.pid}")
            cur = self.cat.currency_index(currency)
            if cur is None:
                raise SandboxError(
                    f"unknown currency {currency!r} (use chain_id@token_id or a name)"
                )
            if int(self.cat.cur_chain[cur]) != p.book.chain_of(gid):
                raise SandboxError(f"{currency} is not on the chain of {address}")
            units = self._units(cur, amount)
            if txid is not None and (not txid or not set(txid) <= _TXID):
                raise SandboxError("txid must be letters, digits, '_' or '-'")
            row = self._deposit(p, gid, cur, units, status, now, txid)
            self._advance(now)
            return p.trades.record(row)

    def _units(self, cur: int, amount: str | Decimal | int) -> int:
        try:
            number = parse_amount(amount)
        except AmountError as exc:
            raise SandboxError(str(exc)) from None
        if number <= 0:
            raise SandboxError(f"amount must be positive, got {amount!r}")
        if decimal_places(number) > self.cat.scale[cur]:
            raise SandboxError(f"amount {amount} has more than {self.cat.scale[cur]} decimals")
        return to_units(number, self.cat.scale[cur])

    def _deposit(
        self,
        p: Project,
        gid: int,
        cur: int,
        units: int,
        status: int,
        at: float,
        txid: str | None = None,
    ) -> int:
        chain = int(self.cat.cur_chain[cur])
        externals = p.seeded.externals[chain]
        bt = ceil_second(at)
        batch = {
            "cid": [p.next_cid()],
            "bt": [bt],
            "ms": [self._rng.randrange(1000)],
            "cur": [cur],
            "status": [status],
            "ttype": [1],
            "btype": [3],
            "kind": [DEPOSIT],
            "frm": [externals[self._rng.randrange(len(externals))]],
            "to": [gid],
            "amount": [units],
            "fee": [self.fee_for(p, cur)],
            "height": [self._height(cur, bt)],
            "memo": [0],
            "remark": [0],
        }
        row = p.trades.append({k: np.asarray(v) for k, v in batch.items()}).start
        if txid:
            p.trades.set_txid(row, txid)
        self._after_deposit(p, row, at)
        return row

    def _after_deposit(self, p: Project, row: int, at: float) -> None:
        """Credit the balance and send the callbacks a new deposit row causes."""
        tr = p.trades
        gid, cur, status = tr.value("to", row), tr.value("cur", row), tr.value("status", row)
        if status == 1:
            p.balance(gid, cur)[0] += tr.value("amount", row)
        info = p.book.info.get(gid)
        if status in (1, 2) and info is not None and info.callback_url:
            record = {
                "cid": tr.value("cid", row),
                "chain_id": self.cat.currencies[cur].chain_id,
                "token_id": self.cat.currencies[cur].token_id,
                "currency": self.cat.currencies[cur].symbol,
                "address": p.book.text(gid),
                "amount": tr.amount_text(row),
                "status": status,
                "txid": tr.txid(row),
                "block_height": tr.value("height", row),
                "block_time": tr.time_ms(row),
                "memo": tr.text(tr.value("memo", row)),
            }
            self._callback(p, "callback_address_deposit", info.callback_url, record, at)
        cid = p.deposit_by_gid.get(gid)
        if cid is not None and status in (1, 2):
            d = p.deposits[cid]
            if d.status == 0 and d.cur == cur:
                d.status = 1 if status == 1 else 2
                d.row = row
                d.closed_at = at
                if status == 1:
                    d.real_amount = Decimal(tr.amount_text(row))
                record = self.deposit_record(p, d)
                record["cid"] = d.cid
                record["status"] = 2 if status == 1 else 3  # the callback's own numbering
                self._callback(p, "callback_order_deposit", d.callback_url, record, at)

    def _stream_deposit(self, at: float) -> None:
        p = self.project
        if p.created_subs:
            gid = p.created_subs[self._rng.randrange(len(p.created_subs))]
            if p.book.info[gid].status == "0":
                coins = self.cat.of_chain(p.book.chain_of(gid))
                cur = coins[self._rng.randrange(len(coins))]
                usd = min(50_000.0, math.exp(self._rng.gauss(math.log(80), 1.2)))
                price = float(self.cat.price[cur])
                scale = self.cat.scale[cur]
                units = max(1, round(usd / price * 10 ** min(scale, 6))) * 10 ** (
                    scale - min(scale, 6)
                )
                self._deposit(p, gid, cur, units, 1, at)
        self._schedule(at + 1 / self.knobs.deposit_rate, self._stream_deposit)

    # -- legacy deposit orders -------------------------------------------------------------------

    def start_deposit_order(self, p: Project, d: DepositOrder) -> None:
        """Schedule the timeout of a legacy deposit order."""

        def expire(at: float) -> None:
            if d.status == 0:
                d.status = 3
                d.closed_at = at
                record = self.deposit_record(p, d)
                record["cid"] = d.cid
                record["status"] = 4
                self._callback(p, "callback_order_deposit", d.callback_url, record, at)

        self._schedule(d.created + d.timeout_min * 60, expire)

    def deposit_record(self, p: Project, d: DepositOrder) -> dict[str, Any]:
        """The ``deposit_query`` record of a legacy deposit order."""
        c = self.cat.currencies[d.cur]
        record: dict[str, Any] = {
            "pid": p.pid,
            "address": p.book.text(d.gid),
            "chain_id": c.chain_id,
            "token_id": c.token_id,
            "currency": c.symbol,
            "amount": d.amount,
            "real_amount": d.real_amount,
            "status": d.status,
            "third_party_id": d.third_party_id,
            "txid": "",
            "block_height": "",
            "block_time": None,
        }
        if d.row is not None:
            tr = p.trades
            record.update(
                txid=tr.txid(d.row),
                block_height=tr.value("height", d.row),
                block_time=tr.time_ms(d.row),
            )
        return record

    # -- payment orders --------------------------------------------------------------------------

    def start_order(self, p: Project, order: Order) -> None:
        """Schedule the expiry callback of a new order."""
        self._schedule(order.expire_ms / 1000, lambda at: self._order_event(p, order, at, None))

    def _order_event(self, p: Project, order: Order, at: float, event: str | None) -> None:
        now_ms = int(at * 1000)
        status = order.status(now_ms)
        if event is None:
            if status != "expired":
                return
            event = "expired"
        if event != "paid_remain" and event in order.events_sent:
            return
        order.events_sent.add(event)
        name = "callback_payment_order" if order.version == 2 else "callback_payment_v1"
        cb = registry().callback(name)
        allowed = {v for f in cb.fields if f.name == "event_type" for v in f.enum_values}
        if event not in allowed:
            return
        record = {
            "event_name": "order",
            "event_type": event,
            "data": order.callback_data(event, now_ms),
        }
        self._callback(p, name, order.callback_url, record, at, event)

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
        with self._lock:
            now = float(self.clock())
            self._advance(now)
            p, order = self._order(cregis_id, pid)
            now_ms = int(now * 1000)
            status = order.status(now_ms)
            remain = status == "paid_partial" and not order.accept_partial
            if status != "new" and not remain:
                raise SandboxError(f"order {cregis_id} is {status}; only a new order can be paid")
            if order.payments and not remain:
                raise SandboxError(f"order {cregis_id} already has a payment confirming")
            chosen = order.tokens[0]
            if token is not None:
                matches = [t for t in order.tokens if t.token_name.lower() == token.lower()]
                if not matches:
                    names = ", ".join(t.token_name for t in order.tokens)
                    raise SandboxError(f"order {cregis_id} takes {names}, not {token!r}")
                chosen = matches[0]
            if amount is None:
                due = receive_amount(order.amount, order.rate(chosen), chosen)
                paid = sum((x.amount for x in order.payments if x.token == chosen), Decimal(0))
                value = max(due - paid, Decimal(0)) or due
            else:
                value = _sandbox_amount(amount)
                if value <= 0 or decimal_places(value) > chosen.decimals:
                    raise SandboxError(f"bad amount {amount!r} for {chosen.token_name}")
            chain = self.cat.chain_index(chosen.chain_id)
            payer = p.pay_book.text(p.pay_book.new_address(chain or 0, SUB))
            order.payments.append(make_payment(order, chosen, value, now_ms, payer, remain))
            order.confirm_ms = now_ms + int(self.knobs.settle_seconds * 1000)

            def confirm(at: float) -> None:
                event = "paid_remain" if remain else order.outcome()
                self._order_event(p, order, at, event)

            self._schedule(order.confirm_ms / 1000, confirm)
            self._advance(now)
            return self.shape("order_info_v2").render(order.info_record(now_ms))

    def _order(self, cregis_id: str, pid: int | None) -> tuple[Project, Order]:
        """The project and its checkout order ``cregis_id`` (caller holds the lock)."""
        p = self._project(pid)
        order = p.orders.get(cregis_id)
        if order is None:
            raise SandboxError(f"no order {cregis_id!r} in project {p.pid}")
        return p, order

    def simulate_refund(
        self, cregis_id: str, amount: str | Decimal | None = None, *, pid: int | None = None
    ) -> dict[str, Any]:
        """Refund a paid order now (default: everything paid); the refunded callback follows."""
        with self._lock:
            now = float(self.clock())
            self._advance(now)
            p, order = self._order(cregis_id, pid)
            now_ms = int(now * 1000)
            status = order.status(now_ms)
            if status not in ("paid", "paid_partial", "paid_over"):
                raise SandboxError(f"order {cregis_id} is {status}; only a paid order is refunded")
            value = None
            if amount is not None:
                value = _sandbox_amount(amount)
            settle_ms = int(self.knobs.settle_seconds * 1000)
            order.refund = make_refund(order, value, now_ms, settle_ms)
            self._schedule(
                now + self.knobs.settle_seconds,
                lambda at: self._order_event(p, order, at, "refunded"),
            )
            self._advance(now)
            return self.shape("order_info_v2").render(order.info_record(now_ms))

    # -- helpers ---------------------------------------------------------------------------------

    def _project(self, pid: int | None) -> Project:
        if pid is None:
            return self.project
        project = self.projects.get(pid)
        if project is None:
            raise SandboxError(f"no project {pid}; the sandbox has {sorted(self.projects)}")
        return project

    def examples(self, pid: int | None = None) -> dict[str, Any]:
        """Identifiers worth querying: cids by status, orders by status, a funded address."""
        with self._lock:
            return self._project(pid).examples(float(self.clock()))

    def order_ids(self, pid: int | None = None) -> list[str]:
        """The ``cregis_id`` of every checkout order of the project (seeded and created)."""
        with self._lock:
            return list(self._project(pid).orders)

    def sub_addresses(self, pid: int | None = None) -> list[str]:
        """The project's sub-addresses (seeded and created), oldest first."""
        with self._lock:
            p = self._project(pid)
            return [p.book.text(g) for g in sorted(p.book.info)]

    # -- sandbox-only HTTP endpoints -------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Response:
        name = path[len("/_sandbox/") :]
        if name == "ping":
            return Response(200, _JSON, _envelope("00000", "ok"))
        try:
            args = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return _error(400, A_BODY, "Param Error: the body is not JSON")
        if not isinstance(args, dict):
            return _error(400, A_BODY, "Param Error: the body must be a JSON object")
        try:
            if name == "info":
                data: Any = {
                    "sandbox": "cregis-notebook",  # how a client proves it talks to a sandbox
                    "base_url": self.public_url or self.base_url,
                    "pid": self.pid,
                    "api_key": self.api_key,
                    "projects": sorted(self.projects),
                    "transactions": self.project.trades.size,
                    "examples": self.examples(),
                }
            elif name == "callbacks":
                data = [
                    {k: getattr(a, k) for k in ("kind", "url", "attempt", "at", "status", "ok")}
                    for a in self.callback_log
                ]
            elif method != "POST":
                return _error(
                    405, A_METHOD, f"Param Error: {path} takes POST", (("allow", "POST"),)
                )
            elif name == "deposit":
                data = self.simulate_deposit(
                    str(args.get("address", "")),
                    str(args.get("currency", "")),
                    str(args.get("amount", "")),
                    status=int(args.get("status", 1)),
                    txid=args.get("txid"),
                    pid=args.get("pid"),
                )
            elif name == "pay":
                data = self.simulate_payment(
                    str(args.get("cregis_id", "")),
                    None if args.get("amount") is None else str(args["amount"]),
                    token=args.get("token"),
                    pid=args.get("pid"),
                )
            elif name == "refund":
                data = self.simulate_refund(
                    str(args.get("cregis_id", "")),
                    None if args.get("amount") is None else str(args["amount"]),
                    pid=args.get("pid"),
                )
            elif name == "advance":
                if not isinstance(self.clock, FakeClock):
                    return _error(400, A_VALUE, "Param Error: advance needs a FakeClock")
                self.clock.advance(float(args.get("seconds", 0)))
                self.deliver_callbacks()
                data = {"now": self.clock()}
            else:
                return _error(404, A_PATH, f"Param Error: no sandbox control endpoint {path}")
        except (SandboxError, ValueError, TypeError) as exc:
            return _error(400, A_VALUE, f"Param Error: {exc}")
        return Response(
            200,
            _JSON,
            _envelope("00000", "ok", json.dumps(data, ensure_ascii=False, separators=(",", ":"))),
        )


def _sandbox_amount(amount: str | Decimal) -> Decimal:
    """An amount given to a ``simulate_*`` call, or a :class:`SandboxError` saying why not."""
    try:
        return parse_amount(amount)
    except AmountError as exc:
        raise SandboxError(str(exc)) from None
