"""The store's partition month of a time, against Arrow's own formatting of every row."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from cregis_notebook.store.schema import month_of

TIMES = st.lists(st.one_of(st.none(), st.integers(0, 253_402_300_799_999)), max_size=60)
"""Times in ms from 1970 to the end of 9999, some missing."""


def reference(times: pa.Array) -> pa.Array:
    return pc.strftime(times, format="%Y-%m", locale="C")


@given(TIMES, st.sampled_from(["ms", "us", "s"]))
def test_month_of_is_the_utc_month_of_each_time(values: list[int | None], unit: str) -> None:
    ms = pa.array(values, pa.timestamp("ms", tz="UTC"))
    times = ms.cast(pa.timestamp(unit, tz="UTC"), safe=False)
    assert month_of(times).equals(reference(times.cast(pa.timestamp("ms", tz="UTC"))))


@given(st.lists(TIMES, max_size=4))
def test_month_of_keeps_the_chunks_of_a_column(chunks: list[list[int | None]]) -> None:
    column = pa.chunked_array([pa.array(c, pa.timestamp("ms", tz="UTC")) for c in chunks],
                              pa.timestamp("ms", tz="UTC"))  # fmt: skip
    got = month_of(column)
    assert isinstance(got, pa.ChunkedArray)
    assert [len(c) for c in got.chunks] == [len(c) for c in chunks]
    assert got.combine_chunks().equals(reference(column).combine_chunks())
