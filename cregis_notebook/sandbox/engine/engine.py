"""The sandbox engine: projects, time, transfers, deposits, orders and callbacks.

:class:`Engine` holds every piece of state and changes it as the clock passes: payouts,
withdrawals and collections reach their final state, deposits arrive, orders are paid, expire
and are refunded, and signed callbacks are queued for delivery. It knows nothing of requests:
the API service (:mod:`cregis_notebook.sandbox.api`) asks it to start things through the
methods it lists in :class:`~cregis_notebook.sandbox.api.port.EnginePort`. All state is guarded
by one lock, so an engine may be shared by threads, an event loop and the callback thread.
"""

from __future__ import annotations

import math
import random
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import numpy as np

from ..._signing import sign
from ...errors import AmountError, CregisConfigError, SandboxError
from ...spec import registry
from .amounts import decimal_places, parse_amount, to_units
from .book import SUB
from .callbacks import CallbackAttempt, Delivery, Dispatcher
from .catalog import Catalog, catalog
from .generate import LiveSource
from .knobs import Knobs
from .market import block_height, chain_params
from .orders import Order, make_payment, make_refund, receive_amount
from .project import FAILED, SUCCESS, DepositOrder, Project, Transfer, ceil_second
from .scheduler import Scheduler
from .shapes import Shape, callback_shape, endpoint_shape
from .trades import DEPOSIT, PAYOUT, SWEEP, WITHDRAWAL

__all__ = ["Engine"]

_NONCE = string.ascii_lowercase + string.digits
_TXID = frozenset(string.ascii_letters + string.digits + "_-")


class Engine:
    """The state and the behaviour of a sandbox, seeded by ``seed`` and set up by ``knobs``.

    The same seed and the same clock give the same data. Build one through
    :class:`~cregis_notebook.sandbox.Sandbox`, which documents the knobs.
    """

    def __init__(self, seed: int, knobs: Knobs) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise CregisConfigError(f"seed must be an integer, got {seed!r}")
        self.seed = seed
        self.knobs = knobs
        self.clock = knobs.clock
        self.cat: Catalog = catalog()
        reg = registry()
        self._endpoint_shapes: dict[str, Shape] = {
            ep.name: endpoint_shape(ep) for ep in reg.endpoints
        }
        self._callback_shapes: dict[str, Shape] = {
            cb.name: callback_shape(cb) for cb in reg.callbacks
        }
        self.lock = threading.RLock()
        self._logged = threading.Condition(self.lock)
        self._rng = random.Random(f"{seed}:runtime")
        self.dispatcher = Dispatcher(
            transport=self.knobs.callback_transport,
            timeout=self.knobs.callback_timeout,
            attempts=self.knobs.callback_attempts,
            backoff=self.knobs.callback_backoff,
        )
        self.public_url: str | None = None  # set when served over HTTP
        self.scheduler = Scheduler(
            self.clock,
            self.lock,
            work=self.deliver_callbacks,
            next_due=self.dispatcher.next_due,
            catch_up=self._flush_live if knobs.live_rate > 0 else None,
        )
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
            self.scheduler.schedule(now + 1 / k.deposit_rate, self._stream_deposit)

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

    def close(self) -> None:
        """Stop the callback thread and close the callback HTTP client."""
        self.scheduler.close()
        self.dispatcher.close()

    def order_base_url(self) -> str:
        """Where checkout pages point: the served URL, else the configured base URL."""
        return self.public_url or self.base_url

    @property
    def settle_seconds(self) -> float:
        """How long a new transfer or payment takes to reach its final state."""
        return self.knobs.settle_seconds

    # -- shapes and fees ---------------------------------------------------------------------------

    def shape(self, endpoint: str) -> Shape:
        """The record shape of an endpoint's ``data``."""
        return self._endpoint_shapes[endpoint]

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

    @contextmanager
    def moment(self) -> Iterator[float]:
        """Hold the lock at the clock's current time, with everything due so far applied.

        Yields the time; what the body starts that is already due is applied on the way out.
        """
        with self.lock:
            now = float(self.clock())
            self.scheduler.advance(now)
            yield now
            self.scheduler.advance(now)

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

    def deliver_callbacks(self) -> list[CallbackAttempt]:
        """Apply what is due now and POST every callback that is due; returns the attempts.

        With a :class:`FakeClock` nothing happens by itself: advance the clock, then call this.
        With the real clock a background thread calls it (started when first needed).
        """
        with self.lock:
            now = float(self.clock())
            self.scheduler.advance(now)
            due = self.dispatcher.pop_due(now)
        attempts = [self.dispatcher.post(d, now) for d in due]
        with self.lock:
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
        self.scheduler.kick()

    # -- transfers (payouts, withdrawals, collections) -------------------------------------------

    def start_transfer(self, p: Project, t: Transfer, *, lock: int) -> None:
        """Record a new transfer, lock its funds and schedule its final state."""
        p.transfers[t.cid] = t
        if lock:
            balance = p.balance(t.frm, t.cur)
            balance[0] -= lock
            balance[1] += lock
            t.locked = lock
        self.scheduler.schedule(t.final_time, lambda at: self._finish_transfer(p, t, at))

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
        with self.lock:
            now = float(self.clock())
            self.scheduler.advance(now)
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
            self.scheduler.advance(now)
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
        self.scheduler.schedule(at + 1 / self.knobs.deposit_rate, self._stream_deposit)

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

        self.scheduler.schedule(d.created + d.timeout_min * 60, expire)

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
        self.scheduler.schedule(
            order.expire_ms / 1000, lambda at: self._order_event(p, order, at, None)
        )

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
        with self.lock:
            now = float(self.clock())
            self.scheduler.advance(now)
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

            self.scheduler.schedule(order.confirm_ms / 1000, confirm)
            self.scheduler.advance(now)
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
        with self.lock:
            now = float(self.clock())
            self.scheduler.advance(now)
            p, order = self._order(cregis_id, pid)
            now_ms = int(now * 1000)
            status = order.status(now_ms)
            if status not in ("paid", "paid_partial", "paid_over"):
                raise SandboxError(f"order {cregis_id} is {status}; only a paid order is refunded")
            if order.refund is not None:
                raise SandboxError(f"order {cregis_id} is already refunded")
            value = None
            if amount is not None:
                value = _sandbox_amount(amount)
            settle_ms = int(self.knobs.settle_seconds * 1000)
            order.refund = make_refund(order, value, now_ms, settle_ms)
            self.scheduler.schedule(
                now + self.knobs.settle_seconds,
                lambda at: self._order_event(p, order, at, "refunded"),
            )
            self.scheduler.advance(now)
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
        with self.lock:
            return self._project(pid).examples(float(self.clock()))

    def order_ids(self, pid: int | None = None) -> list[str]:
        """The ``cregis_id`` of every checkout order of the project (seeded and created)."""
        with self.lock:
            return list(self._project(pid).orders)

    def sub_addresses(self, pid: int | None = None) -> list[str]:
        """The project's sub-addresses (seeded and created), oldest first."""
        with self.lock:
            p = self._project(pid)
            return [p.book.text(g) for g in sorted(p.book.info)]


def _sandbox_amount(amount: str | Decimal) -> Decimal:
    """An amount given to a ``simulate_*`` call, or a :class:`SandboxError` saying why not."""
    try:
        return parse_amount(amount)
    except AmountError as exc:
        raise SandboxError(str(exc)) from None
