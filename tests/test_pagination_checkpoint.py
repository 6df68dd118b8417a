"""Checkpoints survive torn writes and bad bytes, and never hand back a changed page.

Every page line carries the sha256 of its envelope text: a page whose text changed on disk is
fetched again; a line torn inside a multi-byte character, or holding a byte that is not UTF-8,
is ignored (that page is fetched again); amounts keep every digit through the file.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from test_pagination import NO_WAIT, FakeAPI

from cregis_notebook import CregisFetchError, CregisValidationError
from cregis_notebook._checkpoint import Checkpoint
from cregis_notebook._values import dumps_exact
from cregis_notebook.fetch import fetch_frame


def interrupted_fetch(tmp_path: Path) -> tuple[FakeAPI, Path]:
    """A checkpoint of 10 pages but page 7 (which kept failing); rows carry Chinese text."""
    api = FakeAPI(1000)
    for row in api.rows:
        row["memo"] = "工资 for March"
    api.error_pages = {7}
    ckpt = tmp_path / "t.jsonl"
    with pytest.raises(CregisFetchError):
        fetch_frame(
            api.client(retry=False), "trade_page", progress=False, checkpoint=ckpt, timing=NO_WAIT
        )
    api.error_pages = set()
    api.asked.clear()
    return api, ckpt


def page_line(lines: list[bytes], page: int) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(b'{"page":%d,' % page))


def finish(api: FakeAPI, ckpt: Path) -> list[int]:
    """Run the fetch again from the checkpoint; the pages it asked for but the end check.

    The last page (10) is full, so the fetch asks page 11 once to see that ``total`` holds.
    Whether the interrupted fetch got that far depends on its workers' timing: a page 11
    already in the checkpoint is never asked again, and one missing is asked exactly once.
    """
    checked = Checkpoint(ckpt).pages.get(11) is not None
    df = fetch_frame(api.client(), "trade_page", progress=False, checkpoint=ckpt)
    assert api.asked.get(11, 0) == (0 if checked else 1)
    assert len(df) == 1000 and df["cid"].is_unique and df.attrs["complete"]
    by_cid = {r["cid"]: Decimal(r["amount"]) for r in api.rows}
    assert dict(zip(df["cid"], df["amount"], strict=True)) == by_cid  # every amount as served
    assert set(df["memo"]) == {"工资 for March"}
    return sorted(set(api.asked) - {11})


def test_a_last_line_torn_inside_a_character_is_fetched_again(tmp_path: Path) -> None:
    api, ckpt = interrupted_fetch(tmp_path)
    lines = ckpt.read_bytes().split(b"\n")
    # the last line with rows (an end check's empty page 11 may follow it: it moves after)
    last = max(i for i, line in enumerate(lines) if "工".encode() in line)
    page = int(lines[last].split(b",", 1)[0].split(b":")[1])
    cut = lines[last].index("工".encode()) + 1  # inside the three bytes of one character
    kept = [line for line in lines[:last] + lines[last + 1 :] if line]
    ckpt.write_bytes(b"\n".join(kept) + b"\n" + lines[last][:cut])
    assert finish(api, ckpt) == sorted({7, page} - {11})


def test_a_byte_that_is_not_utf8_loses_only_its_page(tmp_path: Path) -> None:
    api, ckpt = interrupted_fetch(tmp_path)
    lines = ckpt.read_bytes().split(b"\n")
    i = page_line(lines, 2)
    at = lines[i].index("工".encode())
    lines[i] = lines[i][:at] + b"\xff" + lines[i][at + 1 :]
    ckpt.write_bytes(b"\n".join(lines))
    assert finish(api, ckpt) == [2, 7]


@pytest.mark.parametrize("page", [1, 5])
def test_a_changed_digit_is_never_trusted(tmp_path: Path, page: int) -> None:
    api, ckpt = interrupted_fetch(tmp_path)
    lines = ckpt.read_bytes().split(b"\n")
    i = page_line(lines, page)
    at = lines[i].index(b'"amount":"') + len(b'"amount":"')
    digit = lines[i][at : at + 1]
    lines[i] = lines[i][:at] + (b"8" if digit != b"8" else b"9") + lines[i][at + 1 :]
    ckpt.write_bytes(b"\n".join(lines))
    assert finish(api, ckpt) == sorted({page, 7} - {11})


def test_amounts_keep_every_digit_through_the_file(tmp_path: Path) -> None:
    exact = Decimal("0.123456789012345678901234567890")
    big = Decimal("12345678901234567890.5E+3")
    entry = {"code": "00000", "msg": "ok", "data": {"total": 2, "rows": [{"a": exact, "b": big}]}}
    store = Checkpoint(tmp_path / "c.jsonl")
    store.start({"endpoint": "trade_page"})
    store.add(1, entry)
    again = Checkpoint(tmp_path / "c.jsonl").pages[1]
    row = again["data"]["rows"][0]
    assert str(row["a"]) == str(exact) and str(row["b"]) == str(big)
    assert dumps_exact([exact, 1, "x", None, True], keep_types=True) == f'[{exact},1,"x",null,true]'


def test_a_header_that_is_not_text_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"cregis_notebook_checkpoint": 2, "endpoint": "\xff"}\n')
    with pytest.raises(CregisValidationError, match="not a fetch checkpoint"):
        Checkpoint(path)


def test_wrong_pages_in_a_checkpoint_are_fetched_again(tmp_path: Path) -> None:
    api, ckpt = interrupted_fetch(tmp_path)
    store = Checkpoint(ckpt)
    short = dict(store.pages[3])
    short["data"] = {**short["data"], "rows": short["data"]["rows"][:40]}
    store.add(3, short)  # a page kept short, with a good digest: checked, not trusted
    store.add(4, {"code": "00000", "msg": "ok", "data": None})
    store.add(5, {"code": "00000", "msg": "ok", "data": {"total": 1000, "rows": []}})
    assert finish(api, ckpt) == [3, 4, 5, 7]


def test_a_checkpoint_without_digests_is_read_and_its_pages_fetched_again(
    tmp_path: Path,
) -> None:
    api, ckpt = interrupted_fetch(tmp_path)
    header = ckpt.read_bytes().split(b"\n")[0]
    old = header.replace(b'"cregis_notebook_checkpoint":2', b'"cregis_notebook_checkpoint":1')
    page = b'{"page":2,"code":"00000","msg":"ok","data":{"total":1000,"rows":[]}}'
    ckpt.write_bytes(old + b"\n" + page + b"\n")  # the format before digests
    assert finish(api, ckpt) == list(range(1, 11))  # every page again, none trusted
