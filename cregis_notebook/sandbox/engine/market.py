"""Invented market and chain figures that make the sandbox's data plausible.

None of this is a Cregis fact (the registry holds those): USD prices per symbol, USD rates of
the order currencies, and per chain a block interval, a reference block height and a typical
network fee. Prices are fixed so that seeded data and exchange rates are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "CHAIN_PARAMS",
    "REFERENCE_TIME",
    "ChainParams",
    "block_height",
    "usd_price",
]

REFERENCE_TIME = 1_735_689_600
"""2025-01-01T00:00:00Z: the moment the reference block heights below belong to."""

# USD per unit, by symbol (coins and tokens) and by order-currency code (fiat).
_USD: dict[str, str] = {
    "USDT": "1",
    "USDC": "1",
    "BTC": "95210.55",
    "ETH": "3318.42",
    "BNB": "702.15",
    "TRX": "0.2531",
    "SOL": "189.73",
    "XRP": "2.3312",
    "TON": "5.412",
    "SUI": "4.183",
    "DOGE": "0.3237",
    "LTC": "103.84",
    "BCH": "442.9",
    "POL": "0.4721",
    "AVAX": "36.52",
    "ETC": "26.11",
    "FIL": "4.962",
    "UNI": "13.21",
    "LINK": "21.87",
    "SHIB": "0.00002145",
    # order currencies (fiat)
    "USD": "1",
    "HKD": "0.1286",
    "TWD": "0.03048",
    "AED": "0.2723",
    "SGD": "0.7338",
    "PHP": "0.01721",
    "CNY": "0.1369",
    "GBP": "1.2524",
    "EUR": "1.0412",
    "MYR": "0.2229",
    "BRL": "0.1617",
    "AUD": "0.6221",
    "BGN": "0.5323",
    "DKK": "0.1396",
    "CAD": "0.6954",
    "SEK": "0.0907",
    "CHF": "1.1031",
    "INR": "0.01168",
}


def usd_price(symbol: str) -> Decimal:
    """USD value of one unit of ``symbol`` (a coin symbol or an order-currency code)."""
    try:
        return Decimal(_USD[symbol.upper()])
    except KeyError:
        return Decimal(1)


@dataclass(frozen=True)
class ChainParams:
    """Block cadence and fee size of one chain (invented but of the right order)."""

    block_seconds: float
    reference_height: int
    native_fee: float  # typical fee of a native transfer, in native units
    token_fee: float  # typical fee of a token transfer, in native units


CHAIN_PARAMS: dict[str, ChainParams] = {
    "0": ChainParams(600, 877_250, 0.00002800, 0.0),
    "2": ChainParams(150, 2_821_400, 0.00001500, 0.0),
    "3": ChainParams(60, 5_532_100, 0.0112, 0.0),
    "5": ChainParams(600, 878_010, 0.00000450, 0.0),
    "60": ChainParams(12, 21_525_890, 0.00042, 0.00135),
    "61": ChainParams(13, 21_403_200, 0.00031, 0.00090),
    "62": ChainParams(2, 66_301_500, 0.0061, 0.0142),
    "63": ChainParams(0.25, 290_114_000, 0.0000021, 0.0000058),
    "64": ChainParams(2, 130_203_300, 0.00000072, 0.0000019),
    "65": ChainParams(2, 55_004_100, 0.00058, 0.00149),
    "66": ChainParams(2, 24_606_400, 0.00000061, 0.0000017),
    "67": ChainParams(1, 45_008_800, 0.0000009, 0.0000021),
    "144": ChainParams(3.8, 93_204_000, 0.000012, 0.0),
    "195": ChainParams(3, 68_012_300, 0.268, 13.74),
    "2510": ChainParams(3, 45_302_600, 0.000021, 0.000052),
    "2307": ChainParams(30, 4_580_200, 0.000061, 0.0),
    "1000": ChainParams(0.4, 311_004_000, 0.000005, 0.0000203),
    "2000": ChainParams(5, 44_001_200, 0.0041, 0.0372),
    "3000": ChainParams(0.3, 95_020_000, 0.00199, 0.0),
}
"""Per chain id. A chain missing here gets :data:`_DEFAULT_CHAIN`."""

_DEFAULT_CHAIN = ChainParams(3, 10_000_000, 0.001, 0.003)


def chain_params(chain_id: str) -> ChainParams:
    """The figures for ``chain_id`` (a generic set for a chain this module does not know)."""
    return CHAIN_PARAMS.get(chain_id, _DEFAULT_CHAIN)


def block_height(chain_id: str, when: float) -> int:
    """The chain's block height at epoch second ``when`` (monotonic in ``when``)."""
    params = chain_params(chain_id)
    return max(1, params.reference_height + int((when - REFERENCE_TIME) // params.block_seconds))
