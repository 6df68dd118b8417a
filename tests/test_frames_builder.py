"""FrameBuilder: answers added one by one or in runs give the frame of all of them at once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from test_frames import _many, page

from cregis_notebook import Envelope, to_frame, to_frames
from cregis_notebook.frames import FrameBuilder


def pages_of(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
    return [page(c, total=len(rows), num=n, size=size) for n, c in enumerate(chunks, 1)]


@pytest.mark.parametrize(
    "tweak",
    [
        None,
        lambda rows: rows[250].update(extra_field=7),  # an undocumented key in one late run
        lambda rows: rows[250].update(fee=None),  # an explicit null
        lambda rows: rows[250].update(cid=str(rows[250]["cid"])),  # one id as text
        lambda rows: rows[250].update(amount=0.5),  # a JSON number beside parsed decimals
        lambda rows: rows[250].pop("fee"),  # a missing amount
    ],
)
@pytest.mark.parametrize("run", [1, 4, 100])
def test_runs_give_the_frame_of_all_answers(
    tweak: Callable[[list[dict[str, Any]]], None] | None, run: int
) -> None:
    rows = _many(300)
    if tweak is not None:
        tweak(rows)
    envelopes = pages_of(rows, 20)
    builder = FrameBuilder("trade_page")
    for start in range(0, len(envelopes), run):
        builder.add_run(envelopes[start : start + run])  # flattened now, typed at the end
    pd.testing.assert_frame_equal(builder.finish(), to_frame(envelopes, "trade_page"))


def test_finish_consumes_nothing_and_copies_are_independent() -> None:
    envelopes = pages_of(_many(120), 20)
    builder = FrameBuilder("trade_page").add_run(envelopes[:2]).extend(envelopes[2:4])
    twin = builder.copy().add(envelopes[4])
    assert len(builder.finish()) == 80 and builder.answers == 4
    assert len(twin.finish()) == 100 and twin.answers == 5
    builder.add_run(envelopes[4:])
    pd.testing.assert_frame_equal(builder.finish(), to_frame(envelopes, "trade_page"))
    assert len(builder.finish()) == 120  # twice: the same frame


def test_endpoint_from_the_envelopes_and_companion_lists() -> None:
    env = Envelope("00000", "ok", {"total": 1, "rows": [{"cid": 1, "amount": "1.5"}]}, "trade_page")
    df = FrameBuilder().add(env).finish()
    assert df.attrs["endpoint"] == "trade_page" and df["amount"].tolist()[0] == Decimal("1.5")
    frames = to_frames(env)
    assert list(frames) == ["main"]


def test_an_empty_builder_gives_the_documented_columns() -> None:
    df = FrameBuilder("trade_page").finish()
    assert len(df) == 0 and {"cid", "amount", "code", "msg"} <= set(df.columns)
