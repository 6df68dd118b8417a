"""Addresses and transaction hashes that look real for each chain's address style.

The registry says which style a chain uses (``Chain.address_style``); this module knows what
those styles look like: it encodes 20 or 32 random bytes into an address with a valid
checksum, checks addresses for ``address_legal`` and ``E0008``, and renders transaction hashes
whose first eight bytes carry a number, so the sandbox can find a row from its ``txid``.

Formats (public chain conventions, not Cregis facts): EVM ``0x`` + 40 hex; TRON base58check with
version ``0x41``; Bitcoin base58check (``1``/``3``) or bech32 ``bc1``; Litecoin ``L``/``M``/
``ltc1``; Dogecoin ``D``; Bitcoin Cash cashaddr; XRP base58check in the Ripple alphabet; Solana
base58 of 32 bytes; TON user-friendly base64url with CRC16; SUI ``0x`` + 64 hex; Filecoin
``f1`` base32 with a blake2b checksum.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable

__all__ = [
    "address_from_bytes",
    "is_valid_address",
    "tx_key",
    "txid_from_bytes",
]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_RIPPLE = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_RIPPLE_INDEX = {c: i for i, c in enumerate(_RIPPLE)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}

_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX64_0X = re.compile(r"0x[0-9a-fA-F]{64}")
_TON_RAW = re.compile(r"-?\d+:[0-9a-fA-F]{64}")


# -- base58 -------------------------------------------------------------------------------------


_PAIRS = {
    alphabet: tuple(a + b for a in alphabet for b in alphabet) for alphabet in (_B58, _RIPPLE)
}  # two base58 digits per division: half the big-integer work


_CHUNK = 58**10  # ten base58 digits fit in 64 bits: one big-integer division per ten digits


def _b58encode(data: bytes, alphabet: str = _B58) -> str:
    number = int.from_bytes(data, "big")
    pairs = _PAIRS[alphabet]
    out: list[str] = []
    while number:
        number, chunk = divmod(number, _CHUNK)
        for _ in range(5):
            chunk, rest = divmod(chunk, 3364)
            out.append(pairs[rest])
    text = "".join(reversed(out)).lstrip(alphabet[0])
    pad = len(data) - len(data.lstrip(b"\0"))
    return alphabet[0] * pad + text


def _b58decode(text: str, index: dict[str, int] = _B58_INDEX) -> bytes | None:
    if not text:
        return None
    number = 0
    for char in text:
        digit = index.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    zero = next(iter(index))
    pad = len(text) - len(text.lstrip(zero))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * pad + body


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def _b58check(payload: bytes, alphabet: str = _B58) -> str:
    return _b58encode(payload + _checksum(payload), alphabet)


def _b58check_decode(text: str, index: dict[str, int] = _B58_INDEX) -> bytes | None:
    raw = _b58decode(text, index)
    if raw is None or len(raw) < 5 or _checksum(raw[:-4]) != raw[-4:]:
        return None
    return raw[:-4]


# -- bech32 / cashaddr --------------------------------------------------------------------------


def _generator_table(generators: tuple[int, ...]) -> tuple[int, ...]:
    """XOR of the generators selected by each 5-bit value (one lookup instead of 5 tests)."""
    return tuple(
        _xor_all(gen for i, gen in enumerate(generators) if (top >> i) & 1) for top in range(32)
    )


def _xor_all(values: Iterable[int]) -> int:
    out = 0
    for value in values:
        out ^= value
    return out


_BECH32_TABLE = _generator_table((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3))
_CASHADDR_TABLE = _generator_table(
    (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
)


def _bech32_polymod(values: list[int]) -> int:
    table = _BECH32_TABLE
    chk = 1
    for value in values:
        chk = ((chk & 0x1FFFFFF) << 5) ^ value ^ table[chk >> 25]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convertbits(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


def _segwit_encode(hrp: str, program: bytes) -> str:
    data = [0, *_convertbits(program, 8, 5, True)]
    polymod = _bech32_polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def _segwit_valid(hrp: str, text: str) -> bool:
    text = text.lower()
    if not text.startswith(hrp + "1") or not 14 <= len(text) <= 90:
        return False
    try:
        data = [_BECH32_INDEX[c] for c in text[len(hrp) + 1 :]]
    except KeyError:
        return False
    const = _bech32_polymod(_hrp_expand(hrp) + data)
    version = data[0] if data else -1
    if (version == 0 and const != 1) or (version > 0 and const != 0x2BC830A3):
        return False
    program = _convertbits(data[1:-6], 5, 8, False)
    if not 0 <= version <= 16 or not 2 <= len(program) <= 40:
        return False
    return version != 0 or len(program) in (20, 32)


def _cashaddr_polymod(values: list[int]) -> int:
    table = _CASHADDR_TABLE
    chk = 1
    for value in values:
        chk = ((chk & 0x07FFFFFFFF) << 5) ^ value ^ table[chk >> 35]
    return chk ^ 1


def _cashaddr_prefix(prefix: str) -> list[int]:
    return [ord(c) & 31 for c in prefix] + [0]


def _cashaddr_encode(payload: bytes, version: int = 0, prefix: str = "bitcoincash") -> str:
    data = _convertbits(bytes([version]) + payload, 8, 5, True)
    polymod = _cashaddr_polymod(_cashaddr_prefix(prefix) + data + [0] * 8)
    checksum = [(polymod >> 5 * (7 - i)) & 31 for i in range(8)]
    return prefix + ":" + "".join(_BECH32[d] for d in data + checksum)


def _cashaddr_valid(text: str, prefix: str = "bitcoincash") -> bool:
    text = text.lower()
    if ":" in text:
        head, _, text = text.partition(":")
        if head != prefix:
            return False
    if len(text) != 42:
        return False
    try:
        data = [_BECH32_INDEX[c] for c in text]
    except KeyError:
        return False
    return _cashaddr_polymod(_cashaddr_prefix(prefix) + data) == 0


# -- TON, Filecoin ------------------------------------------------------------------------------


def _crc16(data: bytes) -> bytes:
    return binascii.crc_hqx(data, 0).to_bytes(2, "big")


def _ton_encode(account: bytes, bounceable: bool) -> str:
    body = bytes([0x11 if bounceable else 0x51, 0x00]) + account
    return base64.urlsafe_b64encode(body + _crc16(body)).decode("ascii")


def _ton_valid(text: str) -> bool:
    if _TON_RAW.fullmatch(text):
        return True
    if len(text) != 48:
        return False
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 36 and raw[0] & 0x3F == 0x11 and _crc16(raw[:34]) == raw[34:]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _filecoin_checksum(protocol: int, payload: bytes) -> bytes:
    return hashlib.blake2b(bytes([protocol]) + payload, digest_size=4).digest()


def _filecoin_encode(payload: bytes) -> str:
    return "f1" + _b32(payload + _filecoin_checksum(1, payload))


def _filecoin_valid(text: str) -> bool:
    if len(text) < 3 or text[0] not in "ft":
        return False
    protocol, rest = text[1], text[2:]
    if protocol == "0":
        return rest.isdigit() and len(rest) <= 20
    sizes = {"1": 20, "2": 20, "3": 48}
    if protocol not in sizes:
        return False
    padded = rest.upper() + "=" * (-len(rest) % 8)
    try:
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError):
        return False
    size = sizes[protocol]
    payload, check = raw[:size], raw[size:]
    return len(raw) == size + 4 and _filecoin_checksum(int(protocol), payload) == check


# -- public API ---------------------------------------------------------------------------------


def address_from_bytes(style: str, seed: bytes) -> str:
    """A valid-looking address of ``style`` made from 32 pseudo-random bytes ``seed``."""
    head, flag = seed[:20], seed[20]
    if style in ("evm", "ethereum_classic"):
        return "0x" + head.hex()
    if style == "tron":
        return _b58check(b"\x41" + head)
    if style == "bitcoin":
        if flag % 10 < 6:
            return _segwit_encode("bc", head)
        return _b58check((b"\x00" if flag % 10 < 8 else b"\x05") + head)
    if style == "litecoin":
        if flag % 10 < 4:
            return _segwit_encode("ltc", head)
        return _b58check((b"\x30" if flag % 10 < 8 else b"\x32") + head)
    if style == "dogecoin":
        return _b58check(b"\x1e" + head)
    if style == "bitcoincash":
        return _cashaddr_encode(head)
    if style == "xrp":
        return _b58check(b"\x00" + head, _RIPPLE)
    if style == "solana":
        return _b58encode(seed[:32])
    if style == "ton":
        return _ton_encode(seed[:32], bounceable=flag % 3 != 0)
    if style == "sui":
        return "0x" + seed[:32].hex()
    if style == "filecoin":
        return _filecoin_encode(head)
    raise ValueError(f"unknown address style {style!r}")


def is_valid_address(style: str, address: str) -> bool:
    """True when ``address`` is well formed (checksum included) for a chain of ``style``."""
    if not isinstance(address, str) or not address or address != address.strip():
        return False
    if style in ("evm", "ethereum_classic"):
        return bool(_HEX40.fullmatch(address))
    if style == "sui":
        return bool(_HEX64_0X.fullmatch(address))
    if style == "tron":
        raw = _b58check_decode(address)
        return raw is not None and len(raw) == 21 and raw[0] == 0x41
    if style in ("bitcoin", "litecoin", "dogecoin"):
        hrp, versions = {
            "bitcoin": ("bc", (0x00, 0x05)),
            "litecoin": ("ltc", (0x30, 0x32, 0x05)),
            "dogecoin": ("", (0x1E, 0x16)),
        }[style]
        if hrp and address.lower().startswith(hrp + "1"):
            return _segwit_valid(hrp, address)
        raw = _b58check_decode(address)
        return raw is not None and len(raw) == 21 and raw[0] in versions
    if style == "bitcoincash":
        if _cashaddr_valid(address):
            return True
        raw = _b58check_decode(address)
        return raw is not None and len(raw) == 21 and raw[0] in (0x00, 0x05)
    if style == "xrp":
        raw = _b58check_decode(address, _RIPPLE_INDEX)
        return raw is not None and len(raw) == 21 and raw[0] == 0x00
    if style == "solana":
        raw = _b58decode(address)
        return raw is not None and len(raw) == 32 and 32 <= len(address) <= 44
    if style == "ton":
        return _ton_valid(address)
    if style == "filecoin":
        return _filecoin_valid(address)
    return False


def txid_from_bytes(style: str, data: bytes) -> str:
    """A transaction hash of the chain's usual shape from 64 bytes ``data``.

    The first eight bytes of ``data`` can be read back with :func:`tx_key`.
    """
    if style in ("evm", "ethereum_classic"):
        return "0x" + data[:32].hex()
    if style == "xrp":
        return data[:32].hex().upper()
    if style == "solana":
        return _b58encode(data[:64])
    if style == "sui":
        return _b58encode(data[:32])
    if style == "filecoin":
        return "bafy2bzace" + _b32(data[:32])
    return data[:32].hex()  # bitcoin family, tron, ton


def tx_key(txid: str) -> int | None:
    """The number hidden in the first eight bytes of a hash made by :func:`txid_from_bytes`."""
    text = txid.strip()
    raw: bytes | None = None
    if text.startswith("bafy2bzace"):
        rest = text[10:].upper()
        try:
            raw = base64.b32decode(rest + "=" * (-len(rest) % 8))
        except (binascii.Error, ValueError):
            return None
    else:
        hexpart = text[2:] if text[:2].lower() == "0x" else text
        if len(hexpart) == 64:
            try:
                raw = bytes.fromhex(hexpart)
            except ValueError:
                raw = None
        if raw is None:
            decoded = _b58decode(text)
            if decoded is not None and len(decoded) in (32, 64):
                raw = decoded
    if raw is None or len(raw) < 8:
        return None
    return int.from_bytes(raw[:8], "big")
