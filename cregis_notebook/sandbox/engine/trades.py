"""One project's on-chain transactions as numpy columns: filter, page and render quickly.

Rows are stored in ``block_time`` order and never change once written, except the status of a
pending row, once, when it settles (:meth:`TradeTable.settle`); new rows (live mode, deposits,
settled payouts) are appended with a ``block_time`` no earlier than any stored row.
So the newest-first order of ``trade_page`` is simply the row number descending, a
``blocktime_start``/``blocktime_end`` filter is a binary search, and other filters are
vectorised masks whose results are cached per filter and extended, not recomputed, when rows
arrive. Only the rows of the requested page are turned into JSON text.
"""

from __future__ import annotations

import binascii
import itertools
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .addresses import tx_key, txid_from_bytes
from .amounts import format_units
from .book import AddressBook
from .catalog import Catalog
from .ids import KeyMixer, digest, random_words
from .shapes import Shape

__all__ = [
    "COLUMNS",
    "DEPOSIT",
    "FEE",
    "INCOMING",
    "PAYOUT",
    "SWEEP",
    "WITHDRAWAL",
    "TradeFilter",
    "TradeTable",
    "block_moment",
]

# what a row is, beyond its business_type (kept for payout/withdrawal lookups)
INCOMING, DEPOSIT, SWEEP, FEE, WITHDRAWAL, PAYOUT = range(6)

COLUMNS: dict[str, type] = {
    "cid": np.int64,
    "bt": np.int64,  # block_time, epoch seconds
    "ms": np.int16,  # milliseconds within block_time, for the ms timestamps of records
    "cur": np.int16,  # currency index (Catalog)
    "status": np.int8,
    "ttype": np.int8,  # trade_type
    "btype": np.int8,  # business_type
    "kind": np.int8,
    "frm": np.int32,  # address numbers (AddressBook)
    "to": np.int32,
    "amount": np.int64,  # units of 10**-Catalog.scale[cur]
    "fee": np.int64,  # units of 10**-native decimals of the chain
    "height": np.int64,
    "memo": np.int32,  # index into TradeTable.texts ("" = 0)
    "remark": np.int32,
}


def block_moment(times: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """The ``bt`` (epoch seconds) and ``ms`` columns of rows that happen at ``times``.

    A new row's block time is the moment it happens, to the millisecond below: never ahead of
    the clock that made it, and in the whole second the clock is in.
    """
    millis = np.floor(np.asarray(times, dtype=np.float64) * 1000).astype(np.int64)
    return millis // 1000, millis % 1000


# how a hash is written, by address style: 64 hex digits, with 0x, in upper case, or encoded
_TX_HEX, _TX_0X, _TX_UPPER, _TX_ENCODED = range(4)
_TX_KIND = {
    "evm": _TX_0X,
    "ethereum_classic": _TX_0X,
    "xrp": _TX_UPPER,
    "tron": _TX_HEX,
    "bitcoin": _TX_HEX,
    "litecoin": _TX_HEX,
    "dogecoin": _TX_HEX,
    "bitcoincash": _TX_HEX,
    "ton": _TX_HEX,
}

_ROW_CACHE = 100_000  # rendered rows kept (about 50 MB at most)
_CACHE_LIMIT = 64
_CACHE_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class TradeFilter:
    """The ``trade_page`` filters, already converted (``None`` = not given)."""

    cid: int | None = None
    tx_id: str | None = None
    status: int | None = None
    trade_type: int | None = None
    business_type: int | None = None
    blocktime_start: int | None = None
    blocktime_end: int | None = None
    currencies: tuple[int, ...] | None = None  # from chain_id / token_id


class TradeTable:
    """Append-only column store of one project's transactions."""

    def __init__(self, pid: int, salt: str, book: AddressBook, cat: Catalog, shape: Shape):
        self.pid = pid
        self.book = book
        self.cat = cat
        self.size = 0
        self.cols: dict[str, np.ndarray] = {k: np.zeros(0, dtype=t) for k, t in COLUMNS.items()}
        self.texts: list[str] = [""]  # JSON-escaped memo and remark texts
        self._text_index: dict[str, int] = {"": 0}
        self._mixer = KeyMixer(int.from_bytes(digest(salt, "tx-salt", size=8), "big"))
        # the first 8 bytes of a hash carry the row (reversibly), 56 more look random
        fill = [int.from_bytes(digest(salt, "tx-fill", k, size=8), "big") for k in range(7)]
        self._tx_salts = np.array([self._mixer.salt, *fill], dtype=np.uint64)
        self._txid_override: dict[int, str] = {}
        self._row_by_txid: dict[str, int] = {}
        self._seeded_cids = 0  # rows [0, n) have ascending cids
        self._row_by_cid: dict[int, int] = {}
        self._cache: OrderedDict[tuple[object, ...], tuple[int, int, np.ndarray]] = OrderedDict()
        self._cache_bytes = 0
        self._chain_id = [c.chain_id for c in cat.currencies]
        self._token_id = [c.token_id for c in cat.currencies]
        self._symbol = [c.symbol for c in cat.currencies]
        self._scale = list(cat.scale)
        natives = cat.native
        self._fee_scale = [
            cat.currencies[natives[int(ch)]].decimals for ch in cat.cur_chain.tolist()
        ]
        self._style = [cat.chains[int(ch)].address_style for ch in cat.cur_chain.tolist()]
        self._scale_np = np.array(self._scale, dtype=np.int64)
        self._tx_kind = np.array([_TX_KIND.get(st, _TX_ENCODED) for st in self._style])
        self._fee_scale_np = np.array(self._fee_scale, dtype=np.int64)
        self._rendered: dict[int, str] = {}
        self._template, self._providers = self._compile(shape)

    # -- writing --------------------------------------------------------------------------------

    def text_id(self, text: str) -> int:
        """Index of ``text`` in the memo/remark table (added if new)."""
        found = self._text_index.get(text)
        if found is None:
            found = len(self.texts)
            self.texts.append(json.dumps(text, ensure_ascii=False)[1:-1])
            self._text_index[text] = found
        return found

    def text(self, index: int) -> str:
        """The memo/remark text stored at ``index``."""
        return json.loads(f'"{self.texts[index]}"') if index else ""

    def append(self, batch: dict[str, np.ndarray], *, seeded: bool = False) -> range:
        """Append rows (one array per column, all the same length); returns their numbers.

        Rows are sorted by ``block_time`` and never placed before the newest stored row.
        """
        count = len(batch["cid"])
        if count == 0:
            return range(self.size, self.size)
        order = np.argsort(batch["bt"], kind="stable")
        if self.size:
            floor = self.cols["bt"][self.size - 1]
            batch = {**batch, "bt": np.maximum(batch["bt"], floor)}
        start, stop = self.size, self.size + count
        for name, dtype in COLUMNS.items():
            column = self.cols[name]
            if len(column) < stop:
                grown: np.ndarray = np.zeros(max(stop, int(len(column) * 1.5) + 1024), dtype=dtype)
                grown[: self.size] = column[: self.size]
                self.cols[name] = column = grown
            column[start:stop] = np.asarray(batch[name], dtype=dtype)[order]
        self.size = stop
        if seeded and start == self._seeded_cids:
            self._seeded_cids = stop
        else:
            for offset, cid in enumerate(self.cols["cid"][start:stop].tolist()):
                self._row_by_cid[cid] = start + offset
        return range(start, stop)

    def set_txid(self, row: int, txid: str) -> None:
        """Give ``row`` a caller-chosen transaction hash."""
        self._rendered.pop(row, None)
        self._txid_override[row] = txid
        self._row_by_txid[txid] = row

    def settle(self, row: int, status: int) -> None:
        """Give pending ``row`` its final ``status`` (its rendering and the status filters'
        cached rows are dropped; nothing else about the row changes)."""
        self.cols["status"][row] = status
        self._rendered.pop(row, None)
        for key in [k for k in self._cache if k[2] is not None]:  # (cid, tx_id, status, ...)
            self._cache_bytes -= self._cache.pop(key)[2].nbytes

    # -- reading single rows --------------------------------------------------------------------

    def txid(self, row: int) -> str:
        """The transaction hash of ``row``."""
        return self.txids(np.array([row], dtype=np.int64))[0]

    def txids(self, rows: np.ndarray, curs: Sequence[int] | None = None) -> list[str]:
        """Transaction hashes of ``rows`` (vectorised: the hot path of every page)."""
        cur = np.asarray(self.cols["cur"][rows] if curs is None else curs, dtype=np.int64)
        blob = random_words(rows, self._tx_salts)
        hexes = binascii.hexlify(blob).decode("ascii")
        out = [hexes[j : j + 64] for j in range(0, len(hexes), 128)]
        kinds = self._tx_kind[cur].tolist()
        styles = self._style
        for i, (code, c) in enumerate(zip(kinds, cur.tolist(), strict=True)):
            if code == _TX_HEX:
                continue
            if code == _TX_0X:
                out[i] = "0x" + out[i]
            elif code == _TX_UPPER:
                out[i] = out[i].upper()
            else:
                out[i] = txid_from_bytes(styles[c], blob[i * 64 : i * 64 + 64])
        if self._txid_override:
            for i, row in enumerate(rows.tolist()):
                given = self._txid_override.get(row)
                if given is not None:
                    out[i] = given
        return out

    def row_of_txid(self, txid: str) -> int | None:
        """The row whose hash is ``txid``, or ``None``."""
        row = self._row_by_txid.get(txid)
        if row is not None:
            return row
        key = tx_key(txid)
        if key is None:
            return None
        row = self._mixer.unmix(key)
        if row < self.size and self.txid(row) == txid:
            return row
        return None

    def row_of_cid(self, cid: int) -> int | None:
        """The row with serial number ``cid``, or ``None``."""
        seeded = self.cols["cid"][: self._seeded_cids]
        pos = int(np.searchsorted(seeded, cid))
        if pos < self._seeded_cids and int(seeded[pos]) == cid:
            return pos
        return self._row_by_cid.get(cid)

    def value(self, name: str, row: int) -> int:
        """One cell as a Python int."""
        return int(self.cols[name][row])

    def amount_text(self, row: int) -> str:
        """The row's amount as decimal text."""
        return format_units(self.value("amount", row), self._scale[self.value("cur", row)])

    def fee_text(self, row: int) -> str:
        """The row's network fee as decimal text (native coin)."""
        return format_units(self.value("fee", row), self._fee_scale[self.value("cur", row)])

    def time_ms(self, row: int) -> int:
        """The row's block time in milliseconds."""
        return self.value("bt", row) * 1000 + self.value("ms", row)

    # -- filtering and paging -------------------------------------------------------------------

    def select(self, f: TradeFilter) -> np.ndarray | range:
        """Row numbers matching ``f``, newest first (a range when no mask is needed)."""
        size = self.size
        bt = self.cols["bt"][:size]
        lo = 0 if f.blocktime_start is None else int(np.searchsorted(bt, f.blocktime_start))
        hi = size if f.blocktime_end is None else int(np.searchsorted(bt, f.blocktime_end, "right"))
        if hi <= lo:
            return range(0)
        key = (f.cid, f.tx_id, f.status, f.trade_type, f.business_type, f.currencies)
        if key == (None,) * 6:
            return range(hi - 1, lo - 1, -1)
        cache_key = (*key, lo)
        hit = self._cache.get(cache_key)
        if hit is not None:
            _, done, rows = hit
            self._cache.move_to_end(cache_key)
        else:
            done, rows = lo, np.zeros(0, dtype=np.int64)
        if done < hi:
            fresh = self._match(f, done, hi)
            rows = np.concatenate([fresh[::-1], rows]) if len(rows) else fresh[::-1]
            self._remember(cache_key, lo, hi, rows)
        elif done > hi:  # cached up to a later row: drop the rows at or after ``hi``
            keep = int(np.searchsorted(rows[::-1], hi))
            rows = rows[len(rows) - keep :]
        return rows

    def _match(self, f: TradeFilter, lo: int, hi: int) -> np.ndarray:
        """Ascending row numbers in ``[lo, hi)`` that pass every non-time filter."""
        candidates: np.ndarray | None = None
        if f.cid is not None:
            row = self.row_of_cid(f.cid)
            candidates = np.array([row] if row is not None and lo <= row < hi else [], np.int64)
        if f.tx_id is not None:
            row = self.row_of_txid(f.tx_id)
            found = np.array([row] if row is not None and lo <= row < hi else [], np.int64)
            candidates = found if candidates is None else np.intersect1d(candidates, found)
        if candidates is not None:
            mask = np.ones(len(candidates), dtype=bool)
            sel: np.ndarray | slice = candidates
        else:
            mask = np.ones(hi - lo, dtype=bool)
            sel = slice(lo, hi)
        c = self.cols
        if f.status is not None:
            mask &= c["status"][sel] == f.status
        if f.trade_type is not None:
            mask &= c["ttype"][sel] == f.trade_type
        if f.business_type is not None:
            mask &= c["btype"][sel] == f.business_type
        if f.currencies is not None:
            mask &= np.isin(c["cur"][sel], np.array(f.currencies, dtype=np.int16))
        if candidates is not None:
            return candidates[mask]
        return np.flatnonzero(mask).astype(np.int64) + lo

    def _remember(self, key: tuple[object, ...], lo: int, hi: int, rows: np.ndarray) -> None:
        old = self._cache.pop(key, None)
        if old is not None:
            self._cache_bytes -= old[2].nbytes
        self._cache[key] = (lo, hi, rows)
        self._cache_bytes += rows.nbytes
        while len(self._cache) > _CACHE_LIMIT or self._cache_bytes > _CACHE_BYTES:
            _, (_, _, dropped) = self._cache.popitem(last=False)
            self._cache_bytes -= dropped.nbytes

    # -- rendering ------------------------------------------------------------------------------

    def render(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """The JSON text of each row (fields, order and types from the registry).

        A row's text is kept in a bounded cache (dropped when its status settles).
        """
        wanted = rows.tolist() if isinstance(rows, np.ndarray) else list(rows)
        cache = self._rendered
        missing = [r for r in wanted if r not in cache]
        if missing:
            texts = self._render(np.asarray(missing, dtype=np.int64))
            if len(cache) + len(missing) > _ROW_CACHE:
                for key in list(itertools.islice(cache, len(cache) // 2 + len(missing))):
                    del cache[key]
            cache.update(zip(missing, texts, strict=True))
            if len(missing) == len(wanted):
                return texts
        return [cache[r] for r in wanted]

    def _render(self, idx: np.ndarray) -> list[str]:
        page = _Page(self, idx)
        columns = [provide(page) for provide in self._providers]
        template = self._template
        return [template % values for values in zip(*columns, strict=True)]

    def record(self, row: int) -> dict[str, object]:
        """One row as a plain dict (same values as :meth:`render`)."""
        return json.loads(self.render([row])[0])

    def _compile(self, shape: Shape) -> tuple[str, list[Callable[[_Page], list[object]]]]:
        parts: list[str] = []
        providers: list[Callable[[_Page], list[object]]] = []
        for key in shape.keys:
            provider = _PROVIDERS.get(key)
            if provider is None:
                raise ValueError(f"the sandbox cannot fill the trade_page field {key!r}")
            wire = shape.wire[key]
            parts.append(f'"{key}":' + ('"%s"' if wire == "str" else "%d"))
            providers.append(provider)
        return "{" + ",".join(parts) + "}", providers


class _Page:
    """Columns of the rows being rendered, fetched once."""

    def __init__(self, table: TradeTable, idx: np.ndarray) -> None:
        self.t = table
        self.idx = idx
        self._cache: dict[str, list[int]] = {}

    def col(self, name: str) -> list[int]:
        found = self._cache.get(name)
        if found is None:
            found = self._cache[name] = self.t.cols[name][self.idx].tolist()
        return found


def _addresses(page: _Page, name: str) -> list[object]:
    return list(page.t.book.texts(page.col(name)))


def _per_currency(values_name: str) -> Callable[[_Page], list[object]]:
    def provide(page: _Page) -> list[object]:
        table = getattr(page.t, values_name)
        return [table[c] for c in page.col("cur")]

    return provide


_POW10 = np.array([10**i for i in range(19)], dtype=np.int64)


def _decimals(units: np.ndarray, scales: np.ndarray) -> list[object]:
    """Decimal texts of ``units * 10**-scales`` (vectorised division, no trailing zeros)."""
    power = _POW10[scales]
    whole, frac = (units // power).tolist(), (units % power).tolist()
    return [
        f"{w}.{str(f).rjust(s, '0').rstrip('0')}" if f else str(w)
        for w, f, s in zip(whole, frac, scales.tolist(), strict=True)
    ]


def _amounts(page: _Page) -> list[object]:
    cur = page.t.cols["cur"][page.idx]
    return _decimals(page.t.cols["amount"][page.idx], page.t._scale_np[cur])


def _fees(page: _Page) -> list[object]:
    cur = page.t.cols["cur"][page.idx]
    return _decimals(page.t.cols["fee"][page.idx], page.t._fee_scale_np[cur])


def _texts(name: str) -> Callable[[_Page], list[object]]:
    def provide(page: _Page) -> list[object]:
        texts = page.t.texts
        return [texts[i] for i in page.col(name)]

    return provide


_PROVIDERS: dict[str, Callable[[_Page], list[object]]] = {
    "pid": lambda p: [p.t.pid] * len(p.idx),
    "cid": lambda p: list(p.col("cid")),
    "chain_id": _per_currency("_chain_id"),
    "token_id": _per_currency("_token_id"),
    "currency": _per_currency("_symbol"),
    "to_address": lambda p: _addresses(p, "to"),
    "from_address": lambda p: _addresses(p, "frm"),
    "amount": _amounts,
    "fee": _fees,
    "status": lambda p: list(p.col("status")),
    "txid": lambda p: list(p.t.txids(p.idx, p.col("cur"))),
    "block_height": lambda p: list(p.col("height")),
    "block_time": lambda p: list(p.col("bt")),
    "business_type": lambda p: list(p.col("btype")),
    "trade_type": lambda p: list(p.col("ttype")),
    "memo": _texts("memo"),
    "remark": _texts("remark"),
}
