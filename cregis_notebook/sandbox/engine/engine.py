"""The sandbox engine: projects, time, transfers, deposits, orders and callbacks.

:class:`Engine` holds every piece of state and composes the parts that change it as the clock
passes: :class:`~.scheduler.Scheduler` (timed actions), :class:`~.transfers.Transfers`
(payouts, withdrawals, collections), :class:`~.deposits.Deposits` (deposits and legacy deposit
orders), :class:`~.payments.Payments` (checkout orders), :class:`~.ledger.Ledger` (new trade
rows) and :class:`~.outbox.Outbox` (signed callbacks, delivered by the
:class:`~.callbacks.Dispatcher`). It knows nothing of requests: the API service asks it for
what :class:`~cregis_notebook.sandbox.api.port.EnginePort` lists. All state is guarded by one
lock, so an engine may be shared by threads, an event loop and the callback thread.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import numpy as np

from ...errors import CregisConfigError, SandboxError
from ...spec import registry
from .callbacks import CallbackAttempt, Dispatcher
from .catalog import Catalog, catalog
from .deposits import Deposits
from .discrepancies import Injected, inject
from .generate import LiveSource
from .history import requests, seeded_callbacks
from .knobs import Knobs
from .ledger import Ledger
from .orders import Order
from .outbox import Outbox
from .payments import Payments
from .project import DepositOrder, Project, Transfer
from .scheduler import Scheduler
from .settle import Settlements
from .shapes import Shape, endpoint_shape
from .team import Team
from .trades import DEPOSIT
from .transfers import Transfers

__all__ = ["Engine"]


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
            ep.name: endpoint_shape(ep) for ep in (*reg.endpoints, *reg.team_endpoints)
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
        self.outbox = Outbox(self.dispatcher, self._rng, self.scheduler.kick)
        self.ledger = Ledger(self.cat, self._rng)
        self.transfers = Transfers(self.cat, self.scheduler, self.ledger, self.outbox)
        self.deposits = Deposits(self.cat, self._rng, self.scheduler, self.ledger, self.outbox)
        self.payments = Payments(self.cat, self.scheduler, self.outbox, knobs.settle_seconds)
        self.settlements = Settlements(self.scheduler, self.deposits, seed)
        now = float(self.clock())
        self.started = now
        end = self.knobs.history_end
        # the last second of the history is the last whole second before the clock: a row's
        # time within its second (milliseconds) is then never ahead of the clock
        t_end = int(min(now, end) if end is not None else now - 1)
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
                stuck_pending=k.stuck_pending if index == 0 else 0,
            )
            self.projects[pid] = project
            self.settlements.add(project, project.seeded.pending)
        self.project = self.projects[k.pid]
        self.injected, self.tampering = inject(self.project, k.discrepancies, seed, t_end)
        self.team = Team(
            self.cat,
            seed,
            access_key=k.team_access_key,
            access_secret=k.team_access_secret,
            wallets=k.team_wallets,
            transfers=k.team_transactions,
            t_end=t_end,
            span_days=k.history_days,
            started=now,
            settle_seconds=k.team_settle_seconds,
            live_rate=k.team_live_rate,
        )
        self._live: LiveSource | None = None
        if k.live_rate > 0:
            self._live = LiveSource(
                self.cat, self.project.seeded, seed=seed, start=now, rate=k.live_rate
            )
        if k.deposit_rate > 0:
            rate = k.deposit_rate
            self.scheduler.schedule(
                now + 1 / rate, lambda at: self.deposits.stream(self.project, rate, at)
            )
        self.scheduler.release()  # everything the callback thread touches is built

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
    def team_access_key(self) -> str:
        """The team's Access Key (the Team API docs' example key: public)."""
        return self.knobs.team_access_key

    @property
    def team_access_secret(self) -> str:
        """The team's Access Secret (the Team API docs' example secret: public)."""
        return self.knobs.team_access_secret

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
        settle_at: dict[int, float] = {}
        for offset in np.flatnonzero(batch["status"] == 0).tolist():
            at, status = float(batch["settle_at"][offset]), int(batch["settle_status"][offset])
            settle_at[rows.start + offset] = at
            self.settlements.add_row(p, rows.start + offset, at, status)
        p.live.add(rows, settle_at)
        kinds = batch["kind"]
        for offset in np.flatnonzero(kinds == DEPOSIT).tolist():
            self.deposits.credit(p, rows.start + offset, float(times[offset]))

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

    # -- what the API service may ask (api.port.EnginePort) ---------------------------------------

    def shape(self, endpoint: str) -> Shape:
        """The record shape of an endpoint's ``data``."""
        return self._endpoint_shapes[endpoint]

    def fee_for(self, project: Project, cur: int) -> int:
        """A plausible network fee for a transfer of currency ``cur`` (native units)."""
        return self.ledger.fee_for(project, cur)

    def fee_in_amount_units(self, cur: int, fee: int) -> int:
        """A native fee expressed in the stored units of native currency ``cur``."""
        return self.ledger.fee_in_amount_units(cur, fee)

    def start_transfer(self, p: Project, t: Transfer, *, lock: int) -> None:
        """Record a new transfer, lock its funds and schedule its final state."""
        self.transfers.start(p, t, lock=lock)

    def start_order(self, p: Project, order: Order) -> None:
        """Schedule the expiry callback of a new checkout order."""
        self.payments.start(p, order)

    def start_deposit_order(self, p: Project, d: DepositOrder) -> None:
        """Schedule the timeout of a legacy deposit order."""
        self.deposits.start_order(p, d)

    def deposit_record(self, p: Project, d: DepositOrder) -> dict[str, Any]:
        """The ``deposit_query`` record of a legacy deposit order."""
        return self.deposits.record(p, d)

    # -- what happens in the world, on demand ---------------------------------------------------

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
        callback to the address's ``callback_url``; 0 (pending) settles later, like any pending
        row (see :mod:`.pending`), and then does the same.
        """
        with self.moment() as now:
            p = self._project(pid)
            row = self.deposits.simulate(
                p, address, currency, amount, status=status, txid=txid, at=now
            )
            if status == 0:
                self.settlements.add_drawn(p, row)
            self.scheduler.advance(now)
            return p.trades.record(row)

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
        with self.moment() as now:
            p, order = self._order(cregis_id, pid)
            self.payments.pay(p, order, amount, token, now)
            self.scheduler.advance(now)
            return self.shape("order_info_v2").render(order.info_record(int(now * 1000)))

    def simulate_refund(
        self, cregis_id: str, amount: str | Decimal | None = None, *, pid: int | None = None
    ) -> dict[str, Any]:
        """Refund a paid order once (default: everything paid); the refunded callback follows.

        The order keeps its paid status; the refund shows in ``refund_data``.
        """
        with self.moment() as now:
            p, order = self._order(cregis_id, pid)
            self.payments.refund(p, order, amount, now)
            self.scheduler.advance(now)
            return self.shape("order_info_v2").render(order.info_record(int(now * 1000)))

    def _order(self, cregis_id: str, pid: int | None) -> tuple[Project, Order]:
        """The project and its checkout order ``cregis_id`` (caller holds the lock)."""
        p = self._project(pid)
        order = p.orders.get(cregis_id)
        if order is None:
            raise SandboxError(f"no order {cregis_id!r} in project {p.pid}")
        return p, order

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

    # -- the merchant's side (reconciliation) ----------------------------------------------------

    def delivered_callbacks(self) -> list[dict[str, Any]]:
        """The callback bodies the default project's merchant received, oldest first.

        The seeded history's callbacks and those of the rows of live mode (as the sandbox signs
        them; the ``discrepancies`` knob leaves some seeded ones out and signs some with the
        wrong key), then every other callback of this project delivered since the start
        (acknowledged attempts of ``callback_log``).
        """
        with self.moment() as now:  # what is due by now (rows settling) is applied first
            p = self.project
            bodies = seeded_callbacks(p, self.outbox, now, self.seed, self.tampering)
            rows = np.concatenate([p.seeded.pending.rows, p.live.rows()])
            built = {int(c) for c in p.trades.cols["cid"][rows].tolist()}
            bodies += [  # a seeded row that settled, or a row of live mode, is built above
                dict(a.body)
                for a in self.dispatcher.log
                if a.ok and a.body.get("pid") == p.pid and _cid_of(a.body) not in built
            ]
            return bodies

    def payout_requests(self) -> list[dict[str, Any]]:
        """The default project's merchant's record of the payouts and withdrawals it asked for
        (see :func:`~.history.requests`)."""
        with self.lock:
            return requests(self.project, self.tampering)

    def injected_problems(self) -> list[Injected]:
        """The problems the ``discrepancies`` knob planted (empty without it)."""
        return list(self.injected)

    def sub_addresses(self, pid: int | None = None) -> list[str]:
        """The project's sub-addresses (seeded and created), oldest first."""
        with self.lock:
            p = self._project(pid)
            return [p.book.text(g) for g in sorted(p.book.info)]


def _cid_of(body: Mapping[str, Any]) -> int | None:
    """The trade ``cid`` a callback body is about, if it names one."""
    try:
        return int(body["cid"])
    except (KeyError, TypeError, ValueError):
        return None
