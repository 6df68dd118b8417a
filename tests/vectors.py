"""SPEC §4.2's worked example, shared by the signing tests: the docs' key, payout body and sign."""

from __future__ import annotations

DOC_KEY = "f502a9ac9ca54327986f29c03b271491"
DOC_PARAMS = {
    "pid": 1382528827416576,
    "currency": "195@195",
    "address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
    "amount": "1.1",
    "remark": "payout",
    "third_party_id": "c9231e604da54469a735af3f449c880f",
    "callback_url": "http://192.168.2.29:9099/callback",
    "nonce": "hwlkk6",
    "timestamp": 1688004243314,
}
DOC_SIGN = "d6eef2de79e39f434a38efb910213ba6"
