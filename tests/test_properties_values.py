"""Properties: validation refuses only with CregisValidationError; to_frame is exact or warns."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cregis_notebook import CregisValidationError, to_frame
from cregis_notebook._signing import sign
from cregis_notebook._validation import prepare_params
from cregis_notebook._values import EPOCH_MS_MAX, EPOCH_MS_MIN, epoch_unit, loads_exact
from cregis_notebook.errors import CregisDataWarning
from cregis_notebook.spec import registry

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# -- any value a notebook user might pass ----------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-(10**30), max_value=10**30, places=12),
    st.text(alphabet=st.characters(codec=None)),  # any code point, lone surrogates too
    st.text(alphabet="0123456789-+._ e١٢", max_size=8),
    st.binary(max_size=4),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.dates(),
    st.just(pd.NaT),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        | st.tuples(inner)
    ),
    max_leaves=6,
)


def _nested(depth: int, leaf: Any) -> Any:
    """``leaf`` inside ``depth`` lists: deeper than Python's recursion limit for large depths."""
    for _ in range(depth):
        leaf = [leaf]
    return leaf


extremes = st.one_of(
    st.integers(min_value=4_300, max_value=6_000).map(lambda n: 10**n),  # too long to write
    st.tuples(st.integers(min_value=1, max_value=3_000), scalars).map(lambda t: _nested(*t)),
    st.integers(min_value=1, max_value=3_000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=3_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
"""Values at the edges: integers Python will not write as text, nesting past the recursion
limit (as values and as JSON text)."""
targets = st.sampled_from(
    [(ep.name, p.name) for ep in registry().endpoints for p in ep.params if p.name != "pid"]
)


@FAST
@given(target=targets, value=values | extremes)
def test_validation_refuses_only_with_a_validation_error(
    target: tuple[str, str], value: Any
) -> None:
    endpoint = registry().endpoint(target[0])
    try:
        body = prepare_params(endpoint, {target[1]: value})
    except CregisValidationError as exc:
        assert exc.endpoint == endpoint.name
        return
    # what passed is sendable as it is: signable, and UTF-8 all through
    sign(body, "k" * 32).encode("ascii")
    for item in body.values():
        if isinstance(item, str):
            item.encode("utf-8")


@FAST
@given(amount=st.decimals(allow_nan=False, allow_infinity=False) | st.integers())
def test_exact_amounts_are_sent_with_every_digit(amount: Decimal | int) -> None:
    endpoint = registry().endpoint("payout_create_v1")
    params = {"currency": "195@195", "address": "T", "third_party_id": "x", "amount": amount}
    try:
        body = prepare_params(endpoint, params)
    except CregisValidationError as exc:
        assert "at most" in str(exc) or "characters" in str(exc)  # only the documented limits
        return
    assert Decimal(body["amount"]) == amount


# -- to_frame: a value is kept exactly, or the column keeps its text and a warning says so ---------

ints = st.integers(min_value=-(2**70), max_value=2**70)
received = st.one_of(  # what a parsed answer holds: loads_exact gives int, Decimal, str, ...
    st.none(),
    st.booleans(),
    ints,
    st.decimals(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{1,25})?", fullmatch=True),
)
rows = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "cid": received,
            "amount": received,
            "block_time": received | st.integers(min_value=-(10**16), max_value=10**16),
            "remark": received,
            "extra": received,
        },
    ),
    min_size=1,
    max_size=70,  # across the fast path's threshold (64 records)
)


def _warned(record: list[warnings.WarningMessage], column: str) -> bool:
    return any(
        issubclass(w.category, CregisDataWarning) and f"'{column}'" in str(w.message)
        for w in record
    )


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@settings(FAST, max_examples=60)
@given(records=rows)
def test_to_frame_is_exact_or_warns(records: list[dict[str, Any]]) -> None:
    envelope = {"code": "00000", "msg": "ok", "data": {"total": len(records), "rows": records}}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        df = to_frame(envelope, "trade_page")
    assert len(df) == len(records)
    for column in ("cid", "amount", "block_time", "remark", "extra"):
        given_values = [r.get(column) for r in records]
        if column not in df.columns:
            assert all(v is None for v in given_values)
            continue
        got = df[column].tolist()
        dtype = df[column].dtype
        for value, out in zip(given_values, got, strict=True):
            text_column = isinstance(dtype, pd.StringDtype)
            if value is None or (value == "" and not text_column and column != "extra"):
                assert out is None or pd.isna(out), (column, value, out)
                continue
            if isinstance(dtype, pd.StringDtype):
                if column in ("cid", "amount", "block_time"):
                    assert _warned(record, column), (column, value)
                assert out == _text_of(value), (column, value, out)
            elif isinstance(dtype, pd.DatetimeTZDtype):
                number = int(value.strip() if isinstance(value, str) else value)
                assert number == value or isinstance(value, str), (value, out)
                ms = number if epoch_unit(number) == "ms" else number * 1000
                seconds = int(out.asm8.view("i8"))  # the column's unit is ms
                assert seconds in (ms, number * 1000, number), (value, out)
                assert EPOCH_MS_MIN <= seconds <= EPOCH_MS_MAX
                if seconds != number * 1000:  # read in ms: the documented unit is seconds
                    assert _warned(record, column)
            elif column == "amount":
                assert out == Decimal(_text_of(value).strip()), (value, out)
            elif isinstance(dtype, pd.Int64Dtype):
                assert out == value or out == int(value.strip()), (value, out)  # 2.0 is 2
            else:  # an undocumented column: exactly what was given
                assert _same(value, out) or (
                    isinstance(out, float) and isinstance(value, int) and out == value
                ), (column, value, out)


@FAST
@given(number=st.decimals(allow_nan=False, allow_infinity=False), whole=ints)
def test_exactly_parsed_answers_keep_every_digit(number: Decimal, whole: int) -> None:
    text = (
        '{"code": "00000", "msg": "ok", "data": {"total": 1, "rows": [{"cid": 1, '
        f'"amount": {format(number, "f")}, "extra": {whole}'
        "}]}}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = to_frame(loads_exact(text), "trade_page")
    assert df["amount"][0] == number
    assert df["extra"][0] == whole
