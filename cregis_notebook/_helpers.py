"""One typed helper per endpoint, written by scripts/generate_helpers.py: do not edit.

Each helper validates its keyword arguments against the registry, signs and sends the call,
and returns ``data`` (raising ``CregisAPIError`` on an error code). The Team API's helpers
(``TeamSyncHelpers``, ``TeamAsyncHelpers``) refuse a wallet id beyond 2**53 - 1 before sending,
as every Team call does.
"""

# ruff: noqa: E501

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["AsyncHelpers", "SyncHelpers", "TeamAsyncHelpers", "TeamSyncHelpers"]


class SyncHelpers:
    """Helpers of :class:`~cregis_notebook.Client`."""

    def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def coins(
        self,
    ) -> Any:
        """Coins this project may use, grouped by purpose.

        ``project_coins``: POST ``/api/v1/coins``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.
        """
        return self._call_helper("project_coins", {})

    def trade_page(
        self,
        *,
        cid: int | None = None,
        tx_id: str | None = None,
        status: int | None = None,
        trade_type: int | None = None,
        business_type: int | None = None,
        blocktime_start: int | datetime.datetime | datetime.date | None = None,
        blocktime_end: int | datetime.datetime | datetime.date | None = None,
        chain_id: str | None = None,
        token_id: str | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through the project's on-chain transactions.

        ``trade_page``: POST ``/api/v1/trade/page``. Read-only, retried on transient failures.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            cid: Only the transaction with this Cregis serial number.
            tx_id: Only the transaction with this hash. Rows spell the field txid.
            status: Only transactions in this state. One of ``0`` (pending), ``1`` (success),
                ``2`` (failed).
            trade_type: Direction: funds coming in or going out. One of ``1`` (in), ``2`` (out).
            business_type: What kind of business produced the transaction. One of ``0``
                (normal), ``2`` (approval), ``3`` (address_deposit), ``4`` (collection_fee),
                ``5`` (collection).
            blocktime_start: Earliest block time to include, Unix seconds (10 digits). Unit: s.
            blocktime_end: Latest block time to include, Unix seconds (10 digits). Unit: s.
            chain_id: Only this chain.
            token_id: Only this token (contract or mint address, or the chain id for the native
                coin).
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "trade_page",
            dict(
                cid=cid,
                tx_id=tx_id,
                status=status,
                trade_type=trade_type,
                business_type=business_type,
                blocktime_start=blocktime_start,
                blocktime_end=blocktime_end,
                chain_id=chain_id,
                token_id=token_id,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def address_create(
        self,
        *,
        chain_id: str,
        alias: str | None = None,
        callback_url: str | None = None,
    ) -> Any:
        """Open one new deposit address on a chain.

        ``address_create``: POST ``/api/v1/address/create``. Creates state, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            chain_id: Chain to create the address on.
            alias: Label shown for the address in the Cregis client, at most 40 characters
                (E0002).
            callback_url: Where deposit notifications for this address are posted. Mandatory in
                the 2023 docs, optional now.
        """
        return self._call_helper(
            "address_create",
            dict(
                chain_id=chain_id,
                alias=alias,
                callback_url=callback_url,
            ),
        )

    def address_batch_create(
        self,
        *,
        chain_id: str,
        number: int | str,
        alias: str | None = None,
        callback_url: str | None = None,
    ) -> Any:
        """Open between 1 and 100 deposit addresses in one call.

        ``address_batch_create``: POST ``/api/v1/batch/address/create``. Creates state, never retried automatically.
        Returns the ``data`` list; raises ``CregisAPIError`` on an error code.

        Args:
            chain_id: Chain to create the addresses on.
            alias: Label given to every new address, 1 to 40 characters.
            callback_url: Where deposit notifications for these addresses are posted.
            number: How many addresses to create, 1 to 100. Typed as text in the docs although
                the example sends a JSON number; either form is accepted.
        """
        return self._call_helper(
            "address_batch_create",
            dict(
                chain_id=chain_id,
                alias=alias,
                callback_url=callback_url,
                number=number,
            ),
        )

    def address_inner(
        self,
        *,
        address: str,
        chain_id: str,
    ) -> Any:
        """Tell whether an address belongs to this project.

        ``address_inner``: POST ``/api/v1/address/inner``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            address: Address to test.
            chain_id: Chain the address lives on.
        """
        return self._call_helper(
            "address_inner",
            dict(
                address=address,
                chain_id=chain_id,
            ),
        )

    def address_update(
        self,
        *,
        address: str,
        callback_url: str | None = None,
        alias: str | None = None,
        status: str | None = None,
    ) -> Any:
        """Change an address's callback URL, label or enabled state.

        ``address_update``: POST ``/api/v1/address/update``. Creates state, never retried automatically.
        Returns ``None`` (the service answers ``data: null``); raises ``CregisAPIError`` on an error code.

        Args:
            address: Project address to change.
            callback_url: New deposit notification URL.
            alias: New label, at most 40 characters (E0002).
            status: Switch the address on or off, as the text "0" or "1". One of ``'0'``
                (enabled), ``'1'`` (disabled).
        """
        return self._call_helper(
            "address_update",
            dict(
                address=address,
                callback_url=callback_url,
                alias=alias,
                status=status,
            ),
        )

    def address_collection(
        self,
        *,
        currency: str,
        from_address: str,
        to_address: str,
        amount: str | Decimal | int | None = None,
    ) -> Any:
        """Sweep a coin from a project address to the bound wallet.

        ``address_collection``: POST ``/api/v1/collection``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to sweep, as chain_id@token_id.
            from_address: Project address to sweep from; must be enabled.
            to_address: Destination; must belong to the wallet bound to the project.
            amount: How much to sweep; omit to take everything.
        """
        return self._call_helper(
            "address_collection",
            dict(
                currency=currency,
                from_address=from_address,
                to_address=to_address,
                amount=amount,
            ),
        )

    def sub_address_balance(
        self,
        *,
        currency: str,
        address: str | None = None,
        maximum_balance: str | Decimal | int | None = None,
        minimum_balance: str | Decimal | int | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through project address balances for one coin.

        ``sub_address_balance``: POST ``/api/v1/sub_address_balance``. Read-only, retried on transient failures.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to report, as chain_id@token_id.
            address: A single address; leave empty for all addresses with a balance.
            maximum_balance: Only balances up to this value (inclusive).
            minimum_balance: Only balances of at least this value (inclusive).
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "sub_address_balance",
            dict(
                currency=currency,
                address=address,
                maximum_balance=maximum_balance,
                minimum_balance=minimum_balance,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def sub_address_balance_v2(
        self,
        *,
        address: str,
        currency: str | None = None,
        maximum_balance: str | Decimal | int | None = None,
        minimum_balance: str | Decimal | int | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through one address's balances across coins (SDK only).

        ``sub_address_balance_v2``: POST ``/api/v2/sub_address_balance``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            address: Address to report.
            currency: Restrict to one coin, chain_id@token_id; omit for all.
            maximum_balance: Only balances up to this value (inclusive).
            minimum_balance: Only balances of at least this value (inclusive).
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "sub_address_balance_v2",
            dict(
                address=address,
                currency=currency,
                maximum_balance=maximum_balance,
                minimum_balance=minimum_balance,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def payout_v1(
        self,
        *,
        currency: str,
        address: str,
        amount: str | Decimal | int,
        third_party_id: str,
        callback_url: str | None = None,
        remark: str | None = None,
        memo: str | None = None,
    ) -> Any:
        """Pay out from the project's default payout wallet (first version).

        ``payout_create_v1``: POST ``/api/v1/payout``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to send: its name or chain_id@token_id.
            address: Receiving address.
            amount: Amount as decimal text; it must be positive (E0006) and fit the coin's
                decimals (E0007).
            third_party_id: Your own reference for this payout. It must never repeat within the
                project; a reused value is refused with E0009, which makes it the idempotency
                key.
            callback_url: Where the payout's final state is posted. Was mandatory in 2023.
            remark: Free text kept with the payout. Was mandatory in 2023.
            memo: Destination tag or memo; only TON and XRP transfers use it. An XRP tag must be
                digits below 4294967295 (E0032).
        """
        return self._call_helper(
            "payout_create_v1",
            dict(
                currency=currency,
                address=address,
                amount=amount,
                third_party_id=third_party_id,
                callback_url=callback_url,
                remark=remark,
                memo=memo,
            ),
        )

    def payout(
        self,
        *,
        currency: str,
        to_address: str,
        amount: str | Decimal | int,
        third_party_id: str,
        wallet_id: int | None = None,
        from_address: str | None = None,
        callback_url: str | None = None,
        remark: str | None = None,
        memo: str | None = None,
    ) -> Any:
        """Pay out, optionally choosing the wallet and the sending address.

        ``payout_create_v2``: POST ``/api/v2/payout``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Payout wallet to use; omit for the project default (unknown wallet:
                E0010).
            currency: Coin to send: its name or chain_id@token_id.
            from_address: Sending address inside that wallet; omit for its default payout
                address.
            to_address: Receiving address.
            amount: Amount as decimal text; positive (E0006) and within the coin's decimals
                (E0007).
            third_party_id: Your own reference for this payout. It must never repeat within the
                project; a reused value is refused with E0009, which makes it the idempotency
                key.
            callback_url: Where the payout's final state is posted.
            remark: Free text kept with the payout, at most 256 characters.
            memo: Destination tag or memo; only TON and XRP transfers use it. An XRP tag must be
                digits below 4294967295 (E0032).
        """
        return self._call_helper(
            "payout_create_v2",
            dict(
                wallet_id=wallet_id,
                currency=currency,
                from_address=from_address,
                to_address=to_address,
                amount=amount,
                third_party_id=third_party_id,
                callback_url=callback_url,
                remark=remark,
                memo=memo,
            ),
        )

    def address_legal(
        self,
        *,
        address: str,
        chain_id: str,
    ) -> Any:
        """Check that an address is well formed for a chain.

        ``address_legal``: POST ``/api/v1/address/legal``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            address: Address to check.
            chain_id: Chain whose address rules apply.
        """
        return self._call_helper(
            "address_legal",
            dict(
                address=address,
                chain_id=chain_id,
            ),
        )

    def payout_query(
        self,
        *,
        cid: int,
    ) -> Any:
        """Fetch the current state of a payout.

        ``payout_query``: POST ``/api/v1/payout/query``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the payout was created.
        """
        return self._call_helper(
            "payout_query",
            dict(
                cid=cid,
            ),
        )

    def withdrawal(
        self,
        *,
        currency: str,
        to_address: str,
        amount: str | Decimal | int,
        third_party_id: str,
        from_address: str | None = None,
        callback_url: str | None = None,
        remark: str | None = None,
        memo: str | None = None,
    ) -> Any:
        """Send funds straight out of one of the project's addresses.

        ``sub_address_withdrawal_create``: POST ``/api/v1/sub_address_withdrawal``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to send: its name or chain_id@token_id.
            from_address: Project address to spend from. The docs mark it optional, but a
                withdrawal needs a source and the SDK requires it.
            to_address: Receiving address.
            amount: Amount as decimal text.
            callback_url: Where the withdrawal's final state is posted.
            third_party_id: Your own reference for this withdrawal. It must never repeat within
                the project; a reused value is refused with E0009, which makes it the
                idempotency key.
            remark: Free text, at most 256 characters.
            memo: Destination tag or memo; only TON and XRP transfers use it. An XRP tag must be
                digits below 4294967295 (E0032).
        """
        return self._call_helper(
            "sub_address_withdrawal_create",
            dict(
                currency=currency,
                from_address=from_address,
                to_address=to_address,
                amount=amount,
                callback_url=callback_url,
                third_party_id=third_party_id,
                remark=remark,
                memo=memo,
            ),
        )

    def withdrawal_query(
        self,
        *,
        cid: int,
    ) -> Any:
        """Fetch the current state of a sub-address withdrawal.

        ``sub_address_withdrawal_query``: POST ``/api/v1/sub_address_withdrawal/info``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the withdrawal was created.
        """
        return self._call_helper(
            "sub_address_withdrawal_query",
            dict(
                cid=cid,
            ),
        )

    def checkout(
        self,
        *,
        order_id: str,
        order_amount: str | Decimal | int,
        order_currency: str,
        payer_id: str,
        valid_time: int,
        success_url: str,
        cancel_url: str,
        order_details: Mapping[str, Any] | str | None = None,
        sub_merchant: Mapping[str, Any] | str | None = None,
        payer_name: str | None = None,
        payer_email: str | None = None,
        tokens: Sequence[Any] | str | None = None,
        stablecoin_realtime_rate: bool | str | None = None,
        underpaid_tolerance: float | Decimal | str | None = None,
        overpaid_tolerance: float | Decimal | str | None = None,
        accept_partial_payment: bool | str | None = None,
        accept_over_payment: bool | str | None = None,
        language: str | None = None,
        callback_url: str | None = None,
        remark: str | None = None,
    ) -> Any:
        """Create a hosted checkout for a fiat or crypto priced order.

        ``checkout_create_v2``: POST ``/api/v2/checkout``. Creates state, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            order_id: Your order number, at most 128 characters (E0019), unique per project
                (E0018).
            order_amount: Price in order_currency; positive (E0022) with the currency's decimals
                (E0023).
            order_currency: Price currency: a fiat ISO 4217 code or a crypto code from the
                order-currency list (otherwise E0020).
            order_details: JSON text, not an object: items (item_id, item_name, item_price,
                item_quantity, price_currency) plus shopping_cost and tax_cost, shown on the
                checkout page.
            sub_merchant: JSON text with sub_merchant_id and sub_merchant_name.
            payer_id: Your identifier for the payer.
            payer_name: Payer's name.
            payer_email: Payer's e-mail. Needed when partial or over payment is refused (either
                accept flag "false"); bad payer data gives E0025.
            tokens: JSON text listing the pay-currency names on offer, e.g. ["USDT-TRC20"];
                empty offers them all.
            stablecoin_realtime_rate: "true" prices USDT and USDC at the live market rate;
                "false" pegs them 1:1 to USD. One of ``'true'`` (true), ``'false'`` (false).
                Default: ``'false'``.
            underpaid_tolerance: Shortfall, in order_currency, still accepted as full payment.
                Default: ``0.0``.
            overpaid_tolerance: Excess, in order_currency, still accepted as exact payment.
                Default: ``0.0``.
            accept_partial_payment: "true" settles an underpayment as final; "false" asks the
                payer to top up or be refunded. One of ``'true'`` (true), ``'false'`` (false).
                Default: ``'true'``.
            accept_over_payment: "true" keeps an overpayment; "false" refunds the excess. One of
                ``'true'`` (true), ``'false'`` (false). Default: ``'true'``.
            language: Language of the checkout page and e-mails. One of ``'en'`` (English),
                ``'tc'`` (Traditional Chinese), ``'sc'`` (Simplified Chinese). Default:
                ``'en'``.
            callback_url: Where order events are posted. One English page version marks it
                mandatory.
            remark: Note kept with the order, at most 256 characters (E0021).
            valid_time: Minutes the order stays payable. We accept 10 to 60: the English pages
                and E0026 say so, while the Chinese page allows up to 1440 (SPEC 13.4); we chose
                the stricter range. Unit: min.
            success_url: Where the payer returns after paying; must start with http:// or
                https://.
            cancel_url: Where the payer goes on cancelling or not paying; must start with
                http:// or https://.
        """
        return self._call_helper(
            "checkout_create_v2",
            dict(
                order_id=order_id,
                order_amount=order_amount,
                order_currency=order_currency,
                order_details=order_details,
                sub_merchant=sub_merchant,
                payer_id=payer_id,
                payer_name=payer_name,
                payer_email=payer_email,
                tokens=tokens,
                stablecoin_realtime_rate=stablecoin_realtime_rate,
                underpaid_tolerance=underpaid_tolerance,
                overpaid_tolerance=overpaid_tolerance,
                accept_partial_payment=accept_partial_payment,
                accept_over_payment=accept_over_payment,
                language=language,
                callback_url=callback_url,
                remark=remark,
                valid_time=valid_time,
                success_url=success_url,
                cancel_url=cancel_url,
            ),
        )

    def order_info(
        self,
        *,
        cregis_id: str,
    ) -> Any:
        """Fetch everything known about a payment order.

        ``order_info_v2``: POST ``/api/v2/order/info``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cregis_id: Cregis order id returned by checkout.
        """
        return self._call_helper(
            "order_info_v2",
            dict(
                cregis_id=cregis_id,
            ),
        )

    def order_v1(
        self,
        *,
        order_id: str,
        order_amount: str | Decimal | int,
        order_currency: str,
        callback_url: str | None = None,
        remark: str | None = None,
        valid_time: int | None = None,
        payer_id: str | None = None,
        payer_name: str | None = None,
        payer_email: str | None = None,
    ) -> Any:
        """Create a payment order the older way (fiat price, no checkout options).

        ``order_create_v1``: POST ``/api/v1/order``. Creates state, never retried automatically. Status: legacy.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            order_id: Your order number, at most 64 characters.
            order_amount: Price, with the fiat currency's decimals.
            order_currency: ISO 4217 fiat code such as CNY or HKD.
            callback_url: Where order events are posted, at most 256 characters.
            remark: Note kept with the order, at most 256 characters.
            valid_time: Minutes the order stays payable; at least 10. Unit: min. Default:
                ``30``.
            payer_id: Your payer identifier, at most 32 characters.
            payer_name: Payer's name, at most 32 characters.
            payer_email: Payer's e-mail.
        """
        return self._call_helper(
            "order_create_v1",
            dict(
                order_id=order_id,
                order_amount=order_amount,
                order_currency=order_currency,
                callback_url=callback_url,
                remark=remark,
                valid_time=valid_time,
                payer_id=payer_id,
                payer_name=payer_name,
                payer_email=payer_email,
            ),
        )

    def order_info_v1(
        self,
        *,
        cregis_id: str,
    ) -> Any:
        """Fetch a payment order the older way.

        ``order_info_v1``: POST ``/api/v1/order/info``. Read-only, retried on transient failures. Status: legacy.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cregis_id: Cregis order id.
        """
        return self._call_helper(
            "order_info_v1",
            dict(
                cregis_id=cregis_id,
            ),
        )

    def deposit(
        self,
        *,
        currency: str,
        amount: str | Decimal | int,
        callback_url: str,
        third_party_id: str,
        timeout: int | None = None,
        remark: str | None = None,
    ) -> Any:
        """Open an order deposit: an address expecting an amount within a time limit (2023 only).

        ``deposit_create``: POST ``/api/v1/deposit``. Creates state, never retried automatically. Status: legacy-2023.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin expected.
            amount: Amount expected.
            callback_url: Where the deposit result is posted.
            third_party_id: Your own reference for this deposit order, echoed by the query and
                the callback.
            timeout: Minutes to wait for the funds. Unit: min. Default: ``10``.
            remark: Free text.
        """
        return self._call_helper(
            "deposit_create",
            dict(
                currency=currency,
                amount=amount,
                callback_url=callback_url,
                third_party_id=third_party_id,
                timeout=timeout,
                remark=remark,
            ),
        )

    def deposit_query(
        self,
        *,
        cid: int,
    ) -> Any:
        """Fetch an order deposit (2023 only).

        ``deposit_query``: POST ``/api/v1/deposit/query``. Read-only, retried on transient failures. Status: legacy-2023.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the deposit was created.
        """
        return self._call_helper(
            "deposit_query",
            dict(
                cid=cid,
            ),
        )

    def deposit_cancel(
        self,
        *,
        cid: int,
    ) -> Any:
        """Cancel an order deposit (2023 only).

        ``deposit_cancel``: POST ``/api/v1/deposit/cancel``. Creates state, never retried automatically. Status: legacy-2023.
        Returns ``None`` (the service answers ``data: null``); raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the deposit was created.
        """
        return self._call_helper(
            "deposit_cancel",
            dict(
                cid=cid,
            ),
        )


class AsyncHelpers:
    """Helpers of :class:`~cregis_notebook.AsyncClient` (coroutines)."""

    async def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    async def coins(
        self,
    ) -> Any:
        """Coins this project may use, grouped by purpose.

        ``project_coins``: POST ``/api/v1/coins``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.
        """
        return await self._call_helper("project_coins", {})

    async def trade_page(
        self,
        *,
        cid: int | None = None,
        tx_id: str | None = None,
        status: int | None = None,
        trade_type: int | None = None,
        business_type: int | None = None,
        blocktime_start: int | datetime.datetime | datetime.date | None = None,
        blocktime_end: int | datetime.datetime | datetime.date | None = None,
        chain_id: str | None = None,
        token_id: str | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through the project's on-chain transactions.

        ``trade_page``: POST ``/api/v1/trade/page``. Read-only, retried on transient failures.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            cid: Only the transaction with this Cregis serial number.
            tx_id: Only the transaction with this hash. Rows spell the field txid.
            status: Only transactions in this state. One of ``0`` (pending), ``1`` (success),
                ``2`` (failed).
            trade_type: Direction: funds coming in or going out. One of ``1`` (in), ``2`` (out).
            business_type: What kind of business produced the transaction. One of ``0``
                (normal), ``2`` (approval), ``3`` (address_deposit), ``4`` (collection_fee),
                ``5`` (collection).
            blocktime_start: Earliest block time to include, Unix seconds (10 digits). Unit: s.
            blocktime_end: Latest block time to include, Unix seconds (10 digits). Unit: s.
            chain_id: Only this chain.
            token_id: Only this token (contract or mint address, or the chain id for the native
                coin).
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "trade_page",
            dict(
                cid=cid,
                tx_id=tx_id,
                status=status,
                trade_type=trade_type,
                business_type=business_type,
                blocktime_start=blocktime_start,
                blocktime_end=blocktime_end,
                chain_id=chain_id,
                token_id=token_id,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def address_create(
        self,
        *,
        chain_id: str,
        alias: str | None = None,
        callback_url: str | None = None,
    ) -> Any:
        """Open one new deposit address on a chain.

        ``address_create``: POST ``/api/v1/address/create``. Creates state, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            chain_id: Chain to create the address on.
            alias: Label shown for the address in the Cregis client, at most 40 characters
                (E0002).
            callback_url: Where deposit notifications for this address are posted. Mandatory in
                the 2023 docs, optional now.
        """
        return await self._call_helper(
            "address_create",
            dict(
                chain_id=chain_id,
                alias=alias,
                callback_url=callback_url,
            ),
        )

    async def address_batch_create(
        self,
        *,
        chain_id: str,
        number: int | str,
        alias: str | None = None,
        callback_url: str | None = None,
    ) -> Any:
        """Open between 1 and 100 deposit addresses in one call.

        ``address_batch_create``: POST ``/api/v1/batch/address/create``. Creates state, never retried automatically.
        Returns the ``data`` list; raises ``CregisAPIError`` on an error code.

        Args:
            chain_id: Chain to create the addresses on.
            alias: Label given to every new address, 1 to 40 characters.
            callback_url: Where deposit notifications for these addresses are posted.
            number: How many addresses to create, 1 to 100. Typed as text in the docs although
                the example sends a JSON number; either form is accepted.
        """
        return await self._call_helper(
            "address_batch_create",
            dict(
                chain_id=chain_id,
                alias=alias,
                callback_url=callback_url,
                number=number,
            ),
        )

    async def address_inner(
        self,
        *,
        address: str,
        chain_id: str,
    ) -> Any:
        """Tell whether an address belongs to this project.

        ``address_inner``: POST ``/api/v1/address/inner``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            address: Address to test.
            chain_id: Chain the address lives on.
        """
        return await self._call_helper(
            "address_inner",
            dict(
                address=address,
                chain_id=chain_id,
            ),
        )

    async def address_update(
        self,
        *,
        address: str,
        callback_url: str | None = None,
        alias: str | None = None,
        status: str | None = None,
    ) -> Any:
        """Change an address's callback URL, label or enabled state.

        ``address_update``: POST ``/api/v1/address/update``. Creates state, never retried automatically.
        Returns ``None`` (the service answers ``data: null``); raises ``CregisAPIError`` on an error code.

        Args:
            address: Project address to change.
            callback_url: New deposit notification URL.
            alias: New label, at most 40 characters (E0002).
            status: Switch the address on or off, as the text "0" or "1". One of ``'0'``
                (enabled), ``'1'`` (disabled).
        """
        return await self._call_helper(
            "address_update",
            dict(
                address=address,
                callback_url=callback_url,
                alias=alias,
                status=status,
            ),
        )

    async def address_collection(
        self,
        *,
        currency: str,
        from_address: str,
        to_address: str,
        amount: str | Decimal | int | None = None,
    ) -> Any:
        """Sweep a coin from a project address to the bound wallet.

        ``address_collection``: POST ``/api/v1/collection``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to sweep, as chain_id@token_id.
            from_address: Project address to sweep from; must be enabled.
            to_address: Destination; must belong to the wallet bound to the project.
            amount: How much to sweep; omit to take everything.
        """
        return await self._call_helper(
            "address_collection",
            dict(
                currency=currency,
                from_address=from_address,
                to_address=to_address,
                amount=amount,
            ),
        )

    async def sub_address_balance(
        self,
        *,
        currency: str,
        address: str | None = None,
        maximum_balance: str | Decimal | int | None = None,
        minimum_balance: str | Decimal | int | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through project address balances for one coin.

        ``sub_address_balance``: POST ``/api/v1/sub_address_balance``. Read-only, retried on transient failures.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to report, as chain_id@token_id.
            address: A single address; leave empty for all addresses with a balance.
            maximum_balance: Only balances up to this value (inclusive).
            minimum_balance: Only balances of at least this value (inclusive).
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "sub_address_balance",
            dict(
                currency=currency,
                address=address,
                maximum_balance=maximum_balance,
                minimum_balance=minimum_balance,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def sub_address_balance_v2(
        self,
        *,
        address: str,
        currency: str | None = None,
        maximum_balance: str | Decimal | int | None = None,
        minimum_balance: str | Decimal | int | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through one address's balances across coins (SDK only).

        ``sub_address_balance_v2``: POST ``/api/v2/sub_address_balance``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            address: Address to report.
            currency: Restrict to one coin, chain_id@token_id; omit for all.
            maximum_balance: Only balances up to this value (inclusive).
            minimum_balance: Only balances of at least this value (inclusive).
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "sub_address_balance_v2",
            dict(
                address=address,
                currency=currency,
                maximum_balance=maximum_balance,
                minimum_balance=minimum_balance,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def payout_v1(
        self,
        *,
        currency: str,
        address: str,
        amount: str | Decimal | int,
        third_party_id: str,
        callback_url: str | None = None,
        remark: str | None = None,
        memo: str | None = None,
    ) -> Any:
        """Pay out from the project's default payout wallet (first version).

        ``payout_create_v1``: POST ``/api/v1/payout``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to send: its name or chain_id@token_id.
            address: Receiving address.
            amount: Amount as decimal text; it must be positive (E0006) and fit the coin's
                decimals (E0007).
            third_party_id: Your own reference for this payout. It must never repeat within the
                project; a reused value is refused with E0009, which makes it the idempotency
                key.
            callback_url: Where the payout's final state is posted. Was mandatory in 2023.
            remark: Free text kept with the payout. Was mandatory in 2023.
            memo: Destination tag or memo; only TON and XRP transfers use it. An XRP tag must be
                digits below 4294967295 (E0032).
        """
        return await self._call_helper(
            "payout_create_v1",
            dict(
                currency=currency,
                address=address,
                amount=amount,
                third_party_id=third_party_id,
                callback_url=callback_url,
                remark=remark,
                memo=memo,
            ),
        )

    async def payout(
        self,
        *,
        currency: str,
        to_address: str,
        amount: str | Decimal | int,
        third_party_id: str,
        wallet_id: int | None = None,
        from_address: str | None = None,
        callback_url: str | None = None,
        remark: str | None = None,
        memo: str | None = None,
    ) -> Any:
        """Pay out, optionally choosing the wallet and the sending address.

        ``payout_create_v2``: POST ``/api/v2/payout``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Payout wallet to use; omit for the project default (unknown wallet:
                E0010).
            currency: Coin to send: its name or chain_id@token_id.
            from_address: Sending address inside that wallet; omit for its default payout
                address.
            to_address: Receiving address.
            amount: Amount as decimal text; positive (E0006) and within the coin's decimals
                (E0007).
            third_party_id: Your own reference for this payout. It must never repeat within the
                project; a reused value is refused with E0009, which makes it the idempotency
                key.
            callback_url: Where the payout's final state is posted.
            remark: Free text kept with the payout, at most 256 characters.
            memo: Destination tag or memo; only TON and XRP transfers use it. An XRP tag must be
                digits below 4294967295 (E0032).
        """
        return await self._call_helper(
            "payout_create_v2",
            dict(
                wallet_id=wallet_id,
                currency=currency,
                from_address=from_address,
                to_address=to_address,
                amount=amount,
                third_party_id=third_party_id,
                callback_url=callback_url,
                remark=remark,
                memo=memo,
            ),
        )

    async def address_legal(
        self,
        *,
        address: str,
        chain_id: str,
    ) -> Any:
        """Check that an address is well formed for a chain.

        ``address_legal``: POST ``/api/v1/address/legal``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            address: Address to check.
            chain_id: Chain whose address rules apply.
        """
        return await self._call_helper(
            "address_legal",
            dict(
                address=address,
                chain_id=chain_id,
            ),
        )

    async def payout_query(
        self,
        *,
        cid: int,
    ) -> Any:
        """Fetch the current state of a payout.

        ``payout_query``: POST ``/api/v1/payout/query``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the payout was created.
        """
        return await self._call_helper(
            "payout_query",
            dict(
                cid=cid,
            ),
        )

    async def withdrawal(
        self,
        *,
        currency: str,
        to_address: str,
        amount: str | Decimal | int,
        third_party_id: str,
        from_address: str | None = None,
        callback_url: str | None = None,
        remark: str | None = None,
        memo: str | None = None,
    ) -> Any:
        """Send funds straight out of one of the project's addresses.

        ``sub_address_withdrawal_create``: POST ``/api/v1/sub_address_withdrawal``. Moves money, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin to send: its name or chain_id@token_id.
            from_address: Project address to spend from. The docs mark it optional, but a
                withdrawal needs a source and the SDK requires it.
            to_address: Receiving address.
            amount: Amount as decimal text.
            callback_url: Where the withdrawal's final state is posted.
            third_party_id: Your own reference for this withdrawal. It must never repeat within
                the project; a reused value is refused with E0009, which makes it the
                idempotency key.
            remark: Free text, at most 256 characters.
            memo: Destination tag or memo; only TON and XRP transfers use it. An XRP tag must be
                digits below 4294967295 (E0032).
        """
        return await self._call_helper(
            "sub_address_withdrawal_create",
            dict(
                currency=currency,
                from_address=from_address,
                to_address=to_address,
                amount=amount,
                callback_url=callback_url,
                third_party_id=third_party_id,
                remark=remark,
                memo=memo,
            ),
        )

    async def withdrawal_query(
        self,
        *,
        cid: int,
    ) -> Any:
        """Fetch the current state of a sub-address withdrawal.

        ``sub_address_withdrawal_query``: POST ``/api/v1/sub_address_withdrawal/info``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the withdrawal was created.
        """
        return await self._call_helper(
            "sub_address_withdrawal_query",
            dict(
                cid=cid,
            ),
        )

    async def checkout(
        self,
        *,
        order_id: str,
        order_amount: str | Decimal | int,
        order_currency: str,
        payer_id: str,
        valid_time: int,
        success_url: str,
        cancel_url: str,
        order_details: Mapping[str, Any] | str | None = None,
        sub_merchant: Mapping[str, Any] | str | None = None,
        payer_name: str | None = None,
        payer_email: str | None = None,
        tokens: Sequence[Any] | str | None = None,
        stablecoin_realtime_rate: bool | str | None = None,
        underpaid_tolerance: float | Decimal | str | None = None,
        overpaid_tolerance: float | Decimal | str | None = None,
        accept_partial_payment: bool | str | None = None,
        accept_over_payment: bool | str | None = None,
        language: str | None = None,
        callback_url: str | None = None,
        remark: str | None = None,
    ) -> Any:
        """Create a hosted checkout for a fiat or crypto priced order.

        ``checkout_create_v2``: POST ``/api/v2/checkout``. Creates state, never retried automatically.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            order_id: Your order number, at most 128 characters (E0019), unique per project
                (E0018).
            order_amount: Price in order_currency; positive (E0022) with the currency's decimals
                (E0023).
            order_currency: Price currency: a fiat ISO 4217 code or a crypto code from the
                order-currency list (otherwise E0020).
            order_details: JSON text, not an object: items (item_id, item_name, item_price,
                item_quantity, price_currency) plus shopping_cost and tax_cost, shown on the
                checkout page.
            sub_merchant: JSON text with sub_merchant_id and sub_merchant_name.
            payer_id: Your identifier for the payer.
            payer_name: Payer's name.
            payer_email: Payer's e-mail. Needed when partial or over payment is refused (either
                accept flag "false"); bad payer data gives E0025.
            tokens: JSON text listing the pay-currency names on offer, e.g. ["USDT-TRC20"];
                empty offers them all.
            stablecoin_realtime_rate: "true" prices USDT and USDC at the live market rate;
                "false" pegs them 1:1 to USD. One of ``'true'`` (true), ``'false'`` (false).
                Default: ``'false'``.
            underpaid_tolerance: Shortfall, in order_currency, still accepted as full payment.
                Default: ``0.0``.
            overpaid_tolerance: Excess, in order_currency, still accepted as exact payment.
                Default: ``0.0``.
            accept_partial_payment: "true" settles an underpayment as final; "false" asks the
                payer to top up or be refunded. One of ``'true'`` (true), ``'false'`` (false).
                Default: ``'true'``.
            accept_over_payment: "true" keeps an overpayment; "false" refunds the excess. One of
                ``'true'`` (true), ``'false'`` (false). Default: ``'true'``.
            language: Language of the checkout page and e-mails. One of ``'en'`` (English),
                ``'tc'`` (Traditional Chinese), ``'sc'`` (Simplified Chinese). Default:
                ``'en'``.
            callback_url: Where order events are posted. One English page version marks it
                mandatory.
            remark: Note kept with the order, at most 256 characters (E0021).
            valid_time: Minutes the order stays payable. We accept 10 to 60: the English pages
                and E0026 say so, while the Chinese page allows up to 1440 (SPEC 13.4); we chose
                the stricter range. Unit: min.
            success_url: Where the payer returns after paying; must start with http:// or
                https://.
            cancel_url: Where the payer goes on cancelling or not paying; must start with
                http:// or https://.
        """
        return await self._call_helper(
            "checkout_create_v2",
            dict(
                order_id=order_id,
                order_amount=order_amount,
                order_currency=order_currency,
                order_details=order_details,
                sub_merchant=sub_merchant,
                payer_id=payer_id,
                payer_name=payer_name,
                payer_email=payer_email,
                tokens=tokens,
                stablecoin_realtime_rate=stablecoin_realtime_rate,
                underpaid_tolerance=underpaid_tolerance,
                overpaid_tolerance=overpaid_tolerance,
                accept_partial_payment=accept_partial_payment,
                accept_over_payment=accept_over_payment,
                language=language,
                callback_url=callback_url,
                remark=remark,
                valid_time=valid_time,
                success_url=success_url,
                cancel_url=cancel_url,
            ),
        )

    async def order_info(
        self,
        *,
        cregis_id: str,
    ) -> Any:
        """Fetch everything known about a payment order.

        ``order_info_v2``: POST ``/api/v2/order/info``. Read-only, retried on transient failures.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cregis_id: Cregis order id returned by checkout.
        """
        return await self._call_helper(
            "order_info_v2",
            dict(
                cregis_id=cregis_id,
            ),
        )

    async def order_v1(
        self,
        *,
        order_id: str,
        order_amount: str | Decimal | int,
        order_currency: str,
        callback_url: str | None = None,
        remark: str | None = None,
        valid_time: int | None = None,
        payer_id: str | None = None,
        payer_name: str | None = None,
        payer_email: str | None = None,
    ) -> Any:
        """Create a payment order the older way (fiat price, no checkout options).

        ``order_create_v1``: POST ``/api/v1/order``. Creates state, never retried automatically. Status: legacy.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            order_id: Your order number, at most 64 characters.
            order_amount: Price, with the fiat currency's decimals.
            order_currency: ISO 4217 fiat code such as CNY or HKD.
            callback_url: Where order events are posted, at most 256 characters.
            remark: Note kept with the order, at most 256 characters.
            valid_time: Minutes the order stays payable; at least 10. Unit: min. Default:
                ``30``.
            payer_id: Your payer identifier, at most 32 characters.
            payer_name: Payer's name, at most 32 characters.
            payer_email: Payer's e-mail.
        """
        return await self._call_helper(
            "order_create_v1",
            dict(
                order_id=order_id,
                order_amount=order_amount,
                order_currency=order_currency,
                callback_url=callback_url,
                remark=remark,
                valid_time=valid_time,
                payer_id=payer_id,
                payer_name=payer_name,
                payer_email=payer_email,
            ),
        )

    async def order_info_v1(
        self,
        *,
        cregis_id: str,
    ) -> Any:
        """Fetch a payment order the older way.

        ``order_info_v1``: POST ``/api/v1/order/info``. Read-only, retried on transient failures. Status: legacy.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cregis_id: Cregis order id.
        """
        return await self._call_helper(
            "order_info_v1",
            dict(
                cregis_id=cregis_id,
            ),
        )

    async def deposit(
        self,
        *,
        currency: str,
        amount: str | Decimal | int,
        callback_url: str,
        third_party_id: str,
        timeout: int | None = None,
        remark: str | None = None,
    ) -> Any:
        """Open an order deposit: an address expecting an amount within a time limit (2023 only).

        ``deposit_create``: POST ``/api/v1/deposit``. Creates state, never retried automatically. Status: legacy-2023.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            currency: Coin expected.
            amount: Amount expected.
            callback_url: Where the deposit result is posted.
            third_party_id: Your own reference for this deposit order, echoed by the query and
                the callback.
            timeout: Minutes to wait for the funds. Unit: min. Default: ``10``.
            remark: Free text.
        """
        return await self._call_helper(
            "deposit_create",
            dict(
                currency=currency,
                amount=amount,
                callback_url=callback_url,
                third_party_id=third_party_id,
                timeout=timeout,
                remark=remark,
            ),
        )

    async def deposit_query(
        self,
        *,
        cid: int,
    ) -> Any:
        """Fetch an order deposit (2023 only).

        ``deposit_query``: POST ``/api/v1/deposit/query``. Read-only, retried on transient failures. Status: legacy-2023.
        Returns the ``data`` object; raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the deposit was created.
        """
        return await self._call_helper(
            "deposit_query",
            dict(
                cid=cid,
            ),
        )

    async def deposit_cancel(
        self,
        *,
        cid: int,
    ) -> Any:
        """Cancel an order deposit (2023 only).

        ``deposit_cancel``: POST ``/api/v1/deposit/cancel``. Creates state, never retried automatically. Status: legacy-2023.
        Returns ``None`` (the service answers ``data: null``); raises ``CregisAPIError`` on an error code.

        Args:
            cid: The Cregis serial number returned when the deposit was created.
        """
        return await self._call_helper(
            "deposit_cancel",
            dict(
                cid=cid,
            ),
        )


class TeamSyncHelpers:
    """Helpers of :class:`~cregis_notebook.TeamClient`."""

    def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def list_wallets(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        wallet_type: str | None = None,
    ) -> Any:
        """Page through the team's wallets, optionally filtered by wallet type.

        ``list_wallets``: POST ``/openapi/v1/wallets``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
            wallet_type: Filter by wallet kind; omit to list every kind. One of
                ``'single_sign'`` (single_signature), ``'multi_sign'`` (multi_signature).
        """
        return self._call_helper(
            "list_wallets",
            dict(
                page_num=page_num,
                page_size=page_size,
                wallet_type=wallet_type,
            ),
        )

    def list_wallet_addresses(
        self,
        *,
        wallet_id: int,
        chain_id: str,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through the addresses of one wallet on one chain.

        ``list_wallet_addresses``: POST ``/openapi/v1/wallet_address``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Chain whose addresses to list (e.g. "195" TRON). Required here, unlike the
                other wallet calls.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "list_wallet_addresses",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def query_wallet_balance(
        self,
        *,
        wallet_id: int,
        chain_id: str | None = None,
        token_id: str | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Per-token balance totals for a wallet.

        ``query_wallet_balance``: POST ``/openapi/v1/wallet_balance``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Restrict to one chain. If chain_id/token_id are omitted, every chain/token
                in the wallet that holds a balance is returned.
            token_id: Restrict to one token. Same omission rule as chain_id.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "query_wallet_balance",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                token_id=token_id,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def query_wallet_address_balance(
        self,
        *,
        wallet_id: int,
        address: str | None = None,
        chain_id: str | None = None,
        token_id: str | None = None,
        minimum_balance: str | Decimal | int | None = None,
        maximum_balance: str | Decimal | int | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Per-address, per-token balances inside a wallet, with optional address and balance-range filters.

        ``query_wallet_address_balance``: POST ``/openapi/v1/wallet_address_balance``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            address: Only this address.
            chain_id: Restrict to one chain; omitted = every chain/token with a balance on the
                address(es).
            token_id: Restrict to one token; same omission rule.
            minimum_balance: Lower bound on the address's available balance, inclusive.
            maximum_balance: Upper bound on the address's available balance, inclusive.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "query_wallet_address_balance",
            dict(
                wallet_id=wallet_id,
                address=address,
                chain_id=chain_id,
                token_id=token_id,
                minimum_balance=minimum_balance,
                maximum_balance=maximum_balance,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def query_history_transactions(
        self,
        *,
        wallet_id: int,
        chain_id: str | None = None,
        token_id: str | None = None,
        txid: str | None = None,
        transaction_type: int | None = None,
        transaction_status: int | None = None,
        blocktime_start: int | datetime.datetime | datetime.date | None = None,
        blocktime_end: int | datetime.datetime | datetime.date | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Completed (final) transactions of a wallet.

        ``query_history_transactions``: POST ``/openapi/v1/wallet_history_transaction_info``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Filter by chain.
            token_id: Filter by token.
            txid: Filter by transaction hash.
            transaction_type: Direction filter. One of ``1`` (receive), ``2`` (send).
            transaction_status: Outcome filter. One of ``1`` (success), ``2`` (failed).
            blocktime_start: Earliest block time, 10-digit Unix timestamp. Unit: s.
            blocktime_end: Latest block time, 10-digit Unix timestamp. Unit: s.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "query_history_transactions",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                token_id=token_id,
                txid=txid,
                transaction_type=transaction_type,
                transaction_status=transaction_status,
                blocktime_start=blocktime_start,
                blocktime_end=blocktime_end,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    def query_processing_transactions(
        self,
        *,
        wallet_id: int,
        chain_id: str | None = None,
        token_id: str | None = None,
        txid: str | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """In-flight (not yet final) transactions of a wallet.

        ``query_processing_transactions``: POST ``/openapi/v1/wallet_processing_transaction_info``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Filter by chain.
            token_id: Filter by token.
            txid: Filter by transaction hash.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return self._call_helper(
            "query_processing_transactions",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                token_id=token_id,
                txid=txid,
                page_num=page_num,
                page_size=page_size,
            ),
        )


class TeamAsyncHelpers:
    """Helpers of :class:`~cregis_notebook.AsyncTeamClient` (coroutines)."""

    async def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    async def list_wallets(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        wallet_type: str | None = None,
    ) -> Any:
        """Page through the team's wallets, optionally filtered by wallet type.

        ``list_wallets``: POST ``/openapi/v1/wallets``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
            wallet_type: Filter by wallet kind; omit to list every kind. One of
                ``'single_sign'`` (single_signature), ``'multi_sign'`` (multi_signature).
        """
        return await self._call_helper(
            "list_wallets",
            dict(
                page_num=page_num,
                page_size=page_size,
                wallet_type=wallet_type,
            ),
        )

    async def list_wallet_addresses(
        self,
        *,
        wallet_id: int,
        chain_id: str,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Page through the addresses of one wallet on one chain.

        ``list_wallet_addresses``: POST ``/openapi/v1/wallet_address``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Chain whose addresses to list (e.g. "195" TRON). Required here, unlike the
                other wallet calls.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "list_wallet_addresses",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def query_wallet_balance(
        self,
        *,
        wallet_id: int,
        chain_id: str | None = None,
        token_id: str | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Per-token balance totals for a wallet.

        ``query_wallet_balance``: POST ``/openapi/v1/wallet_balance``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Restrict to one chain. If chain_id/token_id are omitted, every chain/token
                in the wallet that holds a balance is returned.
            token_id: Restrict to one token. Same omission rule as chain_id.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "query_wallet_balance",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                token_id=token_id,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def query_wallet_address_balance(
        self,
        *,
        wallet_id: int,
        address: str | None = None,
        chain_id: str | None = None,
        token_id: str | None = None,
        minimum_balance: str | Decimal | int | None = None,
        maximum_balance: str | Decimal | int | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Per-address, per-token balances inside a wallet, with optional address and balance-range filters.

        ``query_wallet_address_balance``: POST ``/openapi/v1/wallet_address_balance``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            address: Only this address.
            chain_id: Restrict to one chain; omitted = every chain/token with a balance on the
                address(es).
            token_id: Restrict to one token; same omission rule.
            minimum_balance: Lower bound on the address's available balance, inclusive.
            maximum_balance: Upper bound on the address's available balance, inclusive.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "query_wallet_address_balance",
            dict(
                wallet_id=wallet_id,
                address=address,
                chain_id=chain_id,
                token_id=token_id,
                minimum_balance=minimum_balance,
                maximum_balance=maximum_balance,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def query_history_transactions(
        self,
        *,
        wallet_id: int,
        chain_id: str | None = None,
        token_id: str | None = None,
        txid: str | None = None,
        transaction_type: int | None = None,
        transaction_status: int | None = None,
        blocktime_start: int | datetime.datetime | datetime.date | None = None,
        blocktime_end: int | datetime.datetime | datetime.date | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """Completed (final) transactions of a wallet.

        ``query_history_transactions``: POST ``/openapi/v1/wallet_history_transaction_info``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Filter by chain.
            token_id: Filter by token.
            txid: Filter by transaction hash.
            transaction_type: Direction filter. One of ``1`` (receive), ``2`` (send).
            transaction_status: Outcome filter. One of ``1`` (success), ``2`` (failed).
            blocktime_start: Earliest block time, 10-digit Unix timestamp. Unit: s.
            blocktime_end: Latest block time, 10-digit Unix timestamp. Unit: s.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "query_history_transactions",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                token_id=token_id,
                txid=txid,
                transaction_type=transaction_type,
                transaction_status=transaction_status,
                blocktime_start=blocktime_start,
                blocktime_end=blocktime_end,
                page_num=page_num,
                page_size=page_size,
            ),
        )

    async def query_processing_transactions(
        self,
        *,
        wallet_id: int,
        chain_id: str | None = None,
        token_id: str | None = None,
        txid: str | None = None,
        page_num: int | None = None,
        page_size: int | None = None,
    ) -> Any:
        """In-flight (not yet final) transactions of a wallet.

        ``query_processing_transactions``: POST ``/openapi/v1/wallet_processing_transaction_info``. Read-only, retried on transient failures. Status: sdk-only.
        Returns the ``data`` page ``{total, rows, pageNum, pageSize}``; raises ``CregisAPIError`` on an error code.

        Args:
            wallet_id: Team wallet to query (shown in the Cregis client under Wallet >
                Settings). Sent as a JSON number. SDKs other than Java refuse values outside
                +/-9007199254740991 because RFC 8785 cannot represent them exactly.
            chain_id: Filter by chain.
            token_id: Filter by token.
            txid: Filter by transaction hash.
            page_num: Which page to return, counting from 1. Default: ``1``.
            page_size: Rows per page, 1 to 100. Default: ``10``.
        """
        return await self._call_helper(
            "query_processing_transactions",
            dict(
                wallet_id=wallet_id,
                chain_id=chain_id,
                token_id=token_id,
                txid=txid,
                page_num=page_num,
                page_size=page_size,
            ),
        )
