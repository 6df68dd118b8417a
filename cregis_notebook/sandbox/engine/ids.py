"""Identifiers: snowflake-like ``cid`` numbers, payment ``cregis_id`` texts, reversible hashes."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = [
    "CID_BASE",
    "CID_STRIDE",
    "KeyMixer",
    "digest",
    "hex_id",
    "mix_array",
    "random_words",
]

CID_BASE = 1_383_000_000_000_000
"""Seeded serial numbers start here (the docs' cids are int64s of about 1.38e15 to 1.42e15)."""

CID_STRIDE = 1 << 14
"""Gap between consecutive seeded cids; each seeded row takes a random cid inside its gap."""

_MASK = (1 << 64) - 1
_MULT = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_MULT_INV = pow(_MULT, -1, 1 << 64)


class KeyMixer:
    """A keyed, invertible scrambling of 64-bit numbers (so hashes can carry a row number)."""

    def __init__(self, salt: int) -> None:
        self.salt = salt & _MASK

    def mix(self, number: int) -> int:
        """Scramble ``number`` into a random-looking 64-bit value."""
        x = ((number ^ self.salt) * _MULT) & _MASK
        return x ^ (x >> 32)

    def unmix(self, value: int) -> int:
        """Undo :meth:`mix`."""
        x = value ^ (value >> 32)
        return ((x * _MULT_INV) & _MASK) ^ self.salt


def digest(*parts: object, size: int = 32) -> bytes:
    """Deterministic pseudo-random bytes from ``parts`` (BLAKE2b)."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return hashlib.blake2b(text, digest_size=size).digest()


def hex_id(*parts: object) -> str:
    """A 32-character lowercase hex id (like the docs' ``third_party_id`` values)."""
    return digest(*parts, size=16).hex()


_NP_MULT = np.uint64(_MULT)
_NP_SHIFT = np.uint64(32)


def mix_array(numbers: np.ndarray, salt: int | np.uint64) -> np.ndarray:
    """:meth:`KeyMixer.mix` over a uint64 array (the arithmetic wraps modulo 2**64)."""
    x = (numbers ^ np.uint64(salt)) * _NP_MULT
    return x ^ (x >> _NP_SHIFT)


def random_words(numbers: np.ndarray, salts: np.ndarray) -> bytes:
    """For each number, ``len(salts)`` scrambled 64-bit words, big-endian, back to back."""
    values = numbers.astype(np.uint64)
    words = np.empty((len(values), len(salts)), dtype=">u8")
    for k, salt in enumerate(salts.tolist()):
        words[:, k] = mix_array(values, salt)
    return words.tobytes()
