"""What each endpoint does: the business checks in SPEC section 12's order, then the work.

Every registry endpoint has a handler here (current, legacy and SDK-only); a handler gets the
project, the checked parameters and the clock, and returns ``data`` (or raises
:class:`~cregis_notebook.errors.SandboxRefusal`). It reaches the engine only through
:class:`~cregis_notebook.sandbox.api.port.EnginePort`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...spec import PayCurrency, registry
from ..engine.addresses import is_valid_address
from ..engine.amounts import decimal_places, format_units, to_units
from ..engine.book import EXTERNAL, SUB
from ..engine.codes import A_VALUE, documented, param_error
from ..engine.orders import Order, cregis_id_for, new_order_addresses
from ..engine.project import (
    APPROVAL_REJECTED,
    CANCELLED,
    FAILED,
    SIGN_REJECTED,
    SUCCESS,
    DepositOrder,
    Project,
    Transfer,
)
from ..engine.trades import PAYOUT, SWEEP, WITHDRAWAL, TradeFilter
from .checks import check_amount
from .port import EnginePort

__all__ = ["Raw", "Service"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MEMO_MAX = 4_294_967_295
_OUTCOME_WORDS = {
    "[fail]": FAILED,
    "[reject]": APPROVAL_REJECTED,
    "[sign-reject]": SIGN_REJECTED,
    "[cancel]": CANCELLED,
}
"""Words in a payout or withdrawal ``remark`` that choose how it ends (sandbox only)."""


class Raw:
    """``data`` that is already JSON text (used for pages of trades)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


Handler = Callable[[Project, dict[str, Any], float], Any]


class Service:
    """The endpoint handlers of one sandbox."""

    def __init__(self, engine: EnginePort) -> None:
        self.engine = engine
        self.cat = engine.cat
        self.handlers: dict[str, Handler] = {
            "project_coins": self.project_coins,
            "trade_page": self.trade_page,
            "address_create": self.address_create,
            "address_batch_create": self.address_batch_create,
            "address_inner": self.address_inner,
            "address_update": self.address_update,
            "address_collection": self.address_collection,
            "sub_address_balance": self.sub_address_balance,
            "sub_address_balance_v2": self.sub_address_balance_v2,
            "payout_create_v1": self.payout_v1,
            "payout_create_v2": self.payout_v2,
            "address_legal": self.address_legal,
            "payout_query": self.payout_query,
            "sub_address_withdrawal_create": self.withdrawal,
            "sub_address_withdrawal_query": self.withdrawal_query,
            "checkout_create_v2": self.checkout,
            "order_info_v2": self.order_info_v2,
            "order_create_v1": self.order_v1,
            "order_info_v1": self.order_info_v1,
            "deposit_create": self.deposit_create,
            "deposit_query": self.deposit_query,
            "deposit_cancel": self.deposit_cancel,
        }
        missing = [ep.name for ep in registry().endpoints if ep.name not in self.handlers]
        if missing:
            raise RuntimeError(f"the sandbox has no handler for {missing}")

    # -- shared checks ---------------------------------------------------------------------------

    def _currency(self, p: Project, key: str) -> int:
        index = self.cat.currency_index(key)
        if index is None or index not in p.coins:
            raise documented("E0005")
        return index

    def _chain(self, key: str) -> int:
        chain = self.cat.chain_index(key)
        if chain is None:
            raise documented("E0005")
        return chain

    def _style(self, chain: int) -> str:
        return self.cat.chains[chain].address_style

    def _address(self, chain: int, text: str) -> None:
        if not is_valid_address(self._style(chain), text):
            raise documented("E0008")

    def _amount(self, cur: int, value: Any) -> int:
        decimals = self.cat.currencies[cur].decimals
        number = check_amount(value, decimals, zero="E0006", precision="E0007")
        scale = self.cat.scale[cur]
        if decimal_places(number) > scale:
            raise documented("E0016")  # finer than the sandbox stores: refuse rather than round
        units = to_units(number, scale)
        if units.bit_length() > 62:
            raise documented("E0016")
        return units

    def _memo(self, cur: int, memo: str | None) -> str:
        if not memo:
            return ""
        chain = self.cat.currencies[cur].chain_id
        if chain == "144" and (not memo.isdigit() or int(memo) >= _MEMO_MAX):
            raise documented("E0032")
        return memo

    def _third_party_id(self, p: Project, value: str) -> None:
        if value in p.third_party_ids:
            raise documented("E0009")

    @staticmethod
    def _outcome(remark: str) -> int:
        lowered = remark.lower()
        for word, outcome in _OUTCOME_WORDS.items():
            if word in lowered:
                return outcome
        return SUCCESS

    def _page(self, a: dict[str, Any]) -> tuple[int, int]:
        return int(a["page_num"]), int(a["page_size"])

    # -- WaaS project ----------------------------------------------------------------------------

    def project_coins(self, p: Project, a: dict[str, Any], now: float) -> Any:
        coins = [
            {
                "coin_name": c.name,
                "chain_id": c.chain_id,
                "token_id": c.token_id,
                "decimals": c.decimals,
            }
            for c in (self.cat.currencies[i] for i in p.coins)
        ]
        return {"payout_coins": coins, "address_coins": coins}

    def trade_page(self, p: Project, a: dict[str, Any], now: float) -> Any:
        currencies: tuple[int, ...] | None = None
        chain_id, token_id = a.get("chain_id"), a.get("token_id")
        if chain_id is not None or token_id is not None:
            currencies = tuple(
                i
                for i, c in enumerate(self.cat.currencies)
                if (chain_id is None or c.chain_id == chain_id)
                and (token_id is None or c.token_id == token_id)
            )
        f = TradeFilter(
            cid=a.get("cid"),
            tx_id=a.get("tx_id"),
            status=a.get("status"),
            trade_type=a.get("trade_type"),
            business_type=a.get("business_type"),
            blocktime_start=a.get("blocktime_start"),
            blocktime_end=a.get("blocktime_end"),
            currencies=currencies,
        )
        page_num, page_size = self._page(a)
        rows = p.trades.select(f)
        start = (page_num - 1) * page_size
        chosen = rows[start : start + page_size] if start < len(rows) else range(0)
        body = ",".join(p.trades.render(chosen))
        return Raw(
            f'{{"total":{len(rows)},"rows":[{body}],"pageNum":{page_num},"pageSize":{page_size}}}'
        )

    # -- addresses -------------------------------------------------------------------------------

    def _new_sub(self, p: Project, chain: int, a: dict[str, Any], now: float) -> str:
        gid = p.book.new_address(chain, SUB)
        info = p.book.info[gid]
        info.alias = a.get("alias") or ""
        info.callback_url = a.get("callback_url") or ""
        info.created_ms = int(now * 1000)
        p.created_subs.append(gid)
        return p.book.text(gid)

    def address_create(self, p: Project, a: dict[str, Any], now: float) -> Any:
        chain = self._chain(a["chain_id"])
        p.limits.check_addresses(len(p.created_subs), 1)
        return {"address": self._new_sub(p, chain, a, now)}

    def address_batch_create(self, p: Project, a: dict[str, Any], now: float) -> Any:
        chain = self._chain(a["chain_id"])
        p.limits.check_addresses(len(p.created_subs), a["number"])  # the whole batch, or none
        return [{"address": self._new_sub(p, chain, a, now)} for _ in range(a["number"])]

    def address_inner(self, p: Project, a: dict[str, Any], now: float) -> Any:
        chain = self._chain(a["chain_id"])
        gid = p.book.owned(a["address"])
        return {"result": gid is not None and p.book.chain_of(gid) == chain}

    def address_legal(self, p: Project, a: dict[str, Any], now: float) -> Any:
        chain = self._chain(a["chain_id"])
        return {"result": is_valid_address(self._style(chain), a["address"])}

    def address_update(self, p: Project, a: dict[str, Any], now: float) -> Any:
        changes = {k: a[k] for k in ("callback_url", "alias", "status") if k in a}
        if not changes:
            raise documented("E0029")
        gid = p.sub_address(a["address"])
        if gid is None:
            raise documented("E0030")
        info = p.book.info[gid]
        info.callback_url = changes.get("callback_url", info.callback_url)
        info.alias = changes.get("alias", info.alias)
        info.status = changes.get("status", info.status)
        return None

    def address_collection(self, p: Project, a: dict[str, Any], now: float) -> Any:
        cur = self._currency(p, a["currency"])
        chain = int(self.cat.cur_chain[cur])
        self._address(chain, a["from_address"])
        self._address(chain, a["to_address"])
        frm = p.sub_address(a["from_address"], chain)
        if frm is None or p.book.info[frm].status == "1":
            raise documented("E0008")
        to = p.book.owned(a["to_address"])
        if to is None or to != p.wallet(chain):
            raise documented("E0008")
        balance = p.balance(frm, cur)
        native = self.cat.currencies[cur].native
        fee = self.engine.fee_for(p, cur)
        fee_units = self.engine.fee_in_amount_units(cur, fee) if native else 0
        if "amount" in a:
            amount = self._amount(cur, a["amount"])
            if amount + fee_units > balance[0]:
                raise documented("E0016")
        else:
            amount = balance[0] - fee_units
            if amount <= 0:
                raise documented("E0016")
        t = Transfer(
            cid=p.next_cid(),
            kind=SWEEP,
            cur=cur,
            frm=frm,
            to=to,
            amount=amount,
            fee=fee,
            created=now,
            settle=self.engine.settle_seconds,
        )
        t.txid = p.new_txid(cur, "sweep", t.cid)
        self.engine.start_transfer(p, t, lock=amount + fee_units)
        return {"cid": t.cid}

    def _balance_rows(
        self, p: Project, gids: list[int], curs: list[int], a: dict[str, Any], keep_zero: bool
    ) -> list[tuple[int, int, list[int]]]:
        low, high = a.get("minimum_balance"), a.get("maximum_balance")
        rows = []
        for gid in gids:
            for cur in curs:
                entry = p.balances.get((gid, cur)) or [0, 0]
                total = entry[0] + entry[1]
                if not total and not keep_zero:
                    continue
                if low is not None or high is not None:
                    value = Decimal(format_units(total, self.cat.scale[cur]))
                    if (low is not None and value < low) or (high is not None and value > high):
                        continue
                rows.append((gid, cur, entry))
        return rows

    def _balance_page(
        self, p: Project, rows: list[tuple[int, int, list[int]]], a: dict[str, Any], v2: bool
    ) -> Any:
        page_num, page_size = self._page(a)
        start = (page_num - 1) * page_size
        out = []
        for gid, cur, (available, processing) in rows[start : start + page_size]:
            c = self.cat.currencies[cur]
            scale = self.cat.scale[cur]
            record: dict[str, Any] = {
                "pid": p.pid,
                "currency": c.identifier,
                "address": p.book.text(gid),
                "chain_id": c.chain_id,
                "token_id": c.token_id,
                "total": format_units(available + processing, scale),
                "available": format_units(available, scale),
                "processing": format_units(processing, scale),
            }
            name = "sub_address_balance_v2" if v2 else "sub_address_balance"
            out.append(self.engine.shape(name).render(record))
        return {"total": len(rows), "rows": out, "pageNum": page_num, "pageSize": page_size}

    def sub_address_balance(self, p: Project, a: dict[str, Any], now: float) -> Any:
        cur = self._currency(p, a["currency"])
        chain = int(self.cat.cur_chain[cur])
        if "address" in a:
            gid = p.sub_address(a["address"], chain)
            rows = [] if gid is None else self._balance_rows(p, [gid], [cur], a, True)
        else:
            rows = self._balance_rows(p, p.subs_of_chain(chain), [cur], a, False)
        return self._balance_page(p, rows, a, v2=False)

    def sub_address_balance_v2(self, p: Project, a: dict[str, Any], now: float) -> Any:
        gid = p.sub_address(a["address"])
        if "currency" in a:
            cur = self._currency(p, a["currency"])
            if gid is None or p.book.chain_of(gid) != int(self.cat.cur_chain[cur]):
                rows = []
            else:
                rows = self._balance_rows(p, [gid], [cur], a, True)
        elif gid is None:
            rows = []
        else:
            curs = self.cat.of_chain(p.book.chain_of(gid))
            rows = self._balance_rows(p, [gid], curs, a, False)
        return self._balance_page(p, rows, a, v2=True)

    # -- payouts and withdrawals -----------------------------------------------------------------

    def _payout(
        self, p: Project, a: dict[str, Any], now: float, to_key: str, from_key: str | None
    ) -> Any:
        if "wallet_id" in a and a["wallet_id"] not in p.wallet_ids:
            raise documented("E0010")
        cur = self._currency(p, a["currency"])
        chain = int(self.cat.cur_chain[cur])
        if from_key and from_key in a:
            self._address(chain, a[from_key])
        self._address(chain, a[to_key])
        amount = self._amount(cur, a["amount"])
        memo = self._memo(cur, a.get("memo"))
        self._third_party_id(p, a["third_party_id"])
        frm = p.wallet(chain)
        if from_key and from_key in a:
            frm = p.book.owned(a[from_key]) or p.book.add_text(chain, EXTERNAL, a[from_key])
        t = self._transfer(p, PAYOUT, cur, frm, a[to_key], amount, a, memo, now)
        self.engine.start_transfer(p, t, lock=0)
        return {"cid": t.cid}

    def _transfer(
        self,
        p: Project,
        kind: int,
        cur: int,
        frm: int,
        to_text: str,
        amount: int,
        a: dict[str, Any],
        memo: str,
        now: float,
    ) -> Transfer:
        chain = int(self.cat.cur_chain[cur])
        to = p.book.owned(to_text)
        if to is None:
            to = p.book.add_text(chain, EXTERNAL, to_text)
        remark = a.get("remark") or ""
        outcome = self._outcome(remark)
        if kind == WITHDRAWAL and outcome == CANCELLED:
            outcome = SUCCESS  # withdrawals have no "approval cancelled" status (SPEC 8.14)
        t = Transfer(
            cid=p.next_cid(),
            kind=kind,
            cur=cur,
            frm=frm,
            to=to,
            amount=amount,
            fee=self.engine.fee_for(p, cur),
            created=now,
            third_party_id=a["third_party_id"],
            remark=remark,
            memo=memo,
            callback_url=a.get("callback_url") or "",
            outcome=outcome,
            settle=self.engine.settle_seconds,
        )
        t.txid = p.new_txid(cur, "transfer", t.cid)
        p.third_party_ids.add(t.third_party_id)
        return t

    def payout_v1(self, p: Project, a: dict[str, Any], now: float) -> Any:
        return self._payout(p, a, now, "address", None)

    def payout_v2(self, p: Project, a: dict[str, Any], now: float) -> Any:
        return self._payout(p, a, now, "to_address", "from_address")

    def withdrawal(self, p: Project, a: dict[str, Any], now: float) -> Any:
        cur = self._currency(p, a["currency"])
        chain = int(self.cat.cur_chain[cur])
        if "from_address" in a:
            self._address(chain, a["from_address"])
        self._address(chain, a["to_address"])
        amount = self._amount(cur, a["amount"])
        memo = self._memo(cur, a.get("memo"))
        self._third_party_id(p, a["third_party_id"])
        native = self.cat.currencies[cur].native
        fee = self.engine.fee_for(p, cur)
        fee_units = self.engine.fee_in_amount_units(cur, fee) if native else 0
        need = amount + fee_units
        if "from_address" in a:
            frm = p.sub_address(a["from_address"], chain)
            if frm is None or p.book.info[frm].status == "1":
                raise documented("E0008")
        else:  # the docs let it out: take the sub-address with the most available
            candidates = [(p.balance(g, cur)[0], -g) for g in p.subs_of_chain(chain)]
            best = max(candidates, default=(0, 0))
            frm = -best[1]
            if best[0] < need:
                raise documented("E0016")
        if p.balance(frm, cur)[0] < need:
            raise documented("E0016")
        p.limits.check_withdrawals(p.withdrawals_made)
        p.withdrawals_made += 1
        t = self._transfer(p, WITHDRAWAL, cur, frm, a["to_address"], amount, a, memo, now)
        t.fee = fee
        self.engine.start_transfer(p, t, lock=need)
        return {"cid": t.cid}

    def _transfer_query(
        self, p: Project, a: dict[str, Any], now: float, kind: int, name: str
    ) -> Any:
        record = p.transfer_record(a["cid"], kind, now)
        if record is None:
            raise documented("E0014")
        return self.engine.shape(name).render(record)

    def payout_query(self, p: Project, a: dict[str, Any], now: float) -> Any:
        return self._transfer_query(p, a, now, PAYOUT, "payout_query")

    def withdrawal_query(self, p: Project, a: dict[str, Any], now: float) -> Any:
        return self._transfer_query(p, a, now, WITHDRAWAL, "sub_address_withdrawal_query")

    # -- payment engine --------------------------------------------------------------------------

    def _order_amount(self, a: dict[str, Any], fiat_only: bool) -> tuple[str, Decimal]:
        reg = registry()
        code = str(a["order_currency"]).strip().upper()
        decimals = reg.order_currency_decimals(code)
        if decimals is None or (fiat_only and code not in reg.fiat_currencies):
            raise documented("E0020")
        amount = check_amount(a["order_amount"], decimals, zero="E0022", precision="E0023")
        return code, amount

    def _tokens(self, a: dict[str, Any]) -> tuple[PayCurrency, ...]:
        reg = registry()
        names = a.get("tokens") or []
        if not names:
            return tuple(
                p for p in reg.pay_currencies if self.cat.chain_index(p.chain_id) is not None
            )
        out = []
        for name in names:
            token = reg.pay_currency(str(name)) if isinstance(name, str) else None
            if token is None:
                raise param_error(A_VALUE, "tokens", f"names an unknown pay currency {name!r}")
            if token not in out:
                out.append(token)
        return tuple(out)

    def _new_order(
        self, p: Project, a: dict[str, Any], now: float, version: int, fiat_only: bool
    ) -> Order:
        for url_param in ("success_url", "cancel_url"):
            if url_param in a and not str(a[url_param]).startswith(("http://", "https://")):
                raise param_error(A_VALUE, url_param, "must start with http:// or https://")
        tokens = self._tokens(a)
        code, amount = self._order_amount(a, fiat_only)
        accept_partial = a.get("accept_partial_payment", "true") == "true"
        accept_over = a.get("accept_over_payment", "true") == "true"
        email = a.get("payer_email") or ""
        if version == 2 and (not accept_partial or not accept_over) and not email:
            raise documented("E0025")
        if email and not _EMAIL.fullmatch(email):
            raise documented("E0025")
        if a["order_id"] in p.order_ids:
            raise documented("E0018")
        now_ms = int(now * 1000)
        serial = len(p.orders)
        url = self.engine.order_base_url()
        order = Order(
            cregis_id=cregis_id_for(p.salt, "order", serial, a["order_id"]),
            order_id=a["order_id"],
            amount=amount,
            currency=code,
            created_ms=now_ms,
            valid_time=int(a["valid_time"]),
            version=version,
            payer_id=a.get("payer_id") or "",
            payer_name=a.get("payer_name") or "",
            payer_email=email,
            remark=a.get("remark") or "",
            callback_url=a.get("callback_url") or "",
            success_url=a.get("success_url") or "",
            cancel_url=a.get("cancel_url") or "",
            language=a.get("language") or "en",
            tokens=tokens,
            addresses=new_order_addresses(p.pay_book, self.cat, tokens),
            underpaid=Decimal(a.get("underpaid_tolerance") or 0),
            overpaid=Decimal(a.get("overpaid_tolerance") or 0),
            accept_partial=accept_partial,
            accept_over=accept_over,
            realtime=a.get("stablecoin_realtime_rate") == "true",
            order_details=a.get("order_details"),
            sub_merchant=a.get("sub_merchant"),
            checkout_url=f"{url}/checkout?cid={p.new_txid(0, 'co', serial)[:32]}",
            settle_ms=int(self.engine.settle_seconds * 1000),
            merchant_wallet={
                self.cat.chains[ch].chain_id: p.book.text(gid)
                for ch, gid in p.seeded.wallets.items()
            },
        )
        p.orders[order.cregis_id] = order
        p.order_ids.add(order.order_id)
        self.engine.start_order(p, order)
        return order

    def checkout(self, p: Project, a: dict[str, Any], now: float) -> Any:
        order = self._new_order(p, a, now, 2, fiat_only=False)
        return self.engine.shape("checkout_create_v2").render(order.created_record())

    def order_v1(self, p: Project, a: dict[str, Any], now: float) -> Any:
        order = self._new_order(p, a, now, 1, fiat_only=True)
        return self.engine.shape("order_create_v1").render(order.created_record())

    def _order(self, p: Project, a: dict[str, Any]) -> Order:
        order = p.orders.get(a["cregis_id"])
        if order is None:
            raise documented("E0024")
        return order

    def order_info_v2(self, p: Project, a: dict[str, Any], now: float) -> Any:
        record = self._order(p, a).info_record(int(now * 1000))
        return self.engine.shape("order_info_v2").render(record)

    def order_info_v1(self, p: Project, a: dict[str, Any], now: float) -> Any:
        record = self._order(p, a).info_record(int(now * 1000))
        record.pop("remark", None)  # the v1 table spells it "reamrk"
        return self.engine.shape("order_info_v1").render(record)

    # -- legacy order deposit (2023) -------------------------------------------------------------

    def deposit_create(self, p: Project, a: dict[str, Any], now: float) -> Any:
        cur = self._currency(p, a["currency"])
        decimals = self.cat.currencies[cur].decimals
        amount = check_amount(a["amount"], decimals, zero="E0006", precision="E0007")
        self._third_party_id(p, a["third_party_id"])
        timeout = int(a.get("timeout") or 10)
        if timeout <= 0:
            raise param_error(
                A_VALUE, "timeout", f"must be a positive number of minutes, got {timeout}"
            )
        chain = int(self.cat.cur_chain[cur])
        gid = p.book.new_address(chain, SUB)
        p.book.info[gid].created_ms = int(now * 1000)
        d = DepositOrder(
            cid=p.next_cid(),
            cur=cur,
            gid=gid,
            amount=amount,
            callback_url=a["callback_url"],
            third_party_id=a["third_party_id"],
            timeout_min=timeout,
            remark=a.get("remark") or "",
            created=now,
        )
        p.third_party_ids.add(d.third_party_id)
        p.deposits[d.cid] = d
        p.deposit_by_gid[gid] = d.cid
        self.engine.start_deposit_order(p, d)
        return {"cid": d.cid, "address": p.book.text(gid)}

    def _deposit(self, p: Project, a: dict[str, Any]) -> DepositOrder:
        d = p.deposits.get(a["cid"])
        if d is None:
            raise documented("E0015")
        return d

    def deposit_query(self, p: Project, a: dict[str, Any], now: float) -> Any:
        d = self._deposit(p, a)
        return self.engine.shape("deposit_query").render(self.engine.deposit_record(p, d))

    def deposit_cancel(self, p: Project, a: dict[str, Any], now: float) -> Any:
        d = self._deposit(p, a)
        if d.status == 0:
            d.status = 4
            d.closed_at = now
        return None
