"""Write ``cregis_notebook/_helpers.py``: one typed helper per endpoint, from the registry.

Run ``python scripts/generate_helpers.py`` after changing ``spec/data/endpoints.json`` or
``spec/data/team_endpoints.json``; ``tests/test_public_api.py`` fails while the generated file
is out of date. The project API's helpers go to ``SyncHelpers`` / ``AsyncHelpers`` (mixed into
``Client`` / ``AsyncClient``), the Team API's to ``TeamSyncHelpers`` / ``TeamAsyncHelpers``
(mixed into ``TeamClient`` / ``AsyncTeamClient``).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "cregis_notebook" / "_helpers.py"
if not TARGET.exists():  # the package imports this module: bootstrap empty mixins first
    TARGET.write_text(
        "".join(
            f"class {name}:\n    pass\n\n\n"
            for name in ("SyncHelpers", "AsyncHelpers", "TeamSyncHelpers", "TeamAsyncHelpers")
        )
    )

from cregis_notebook.spec import Endpoint, Param, registry  # noqa: E402

_TYPES = {
    "int": "int",
    "string": "str",
    "decimal": "str | Decimal | int",
    "float": "float | Decimal | str",
    "bool_string": "bool | str",
    "json_object": "Mapping[str, Any] | str",
    "json_array": "Sequence[Any] | str",
    "int_string": "int | str",
}

_DATA = {
    "object": "the ``data`` object",
    "list": "the ``data`` list",
    "page": "the ``data`` page ``{total, rows, pageNum, pageSize}``",
    "null": "``None`` (the service answers ``data: null``)",
}


def _annotation(param: Param) -> str:
    text = _TYPES[param.type]
    if param.unit in ("s", "ms"):
        text += " | datetime.datetime | datetime.date"
    return text


def _arg_doc(param: Param) -> str:
    parts = [param.description.rstrip(".") + "."]
    if param.enum:
        parts.append(
            "One of " + ", ".join(f"``{e.value!r}`` ({e.label})" for e in param.enum) + "."
        )
    if param.unit:
        parts.append(f"Unit: {param.unit}.")
    if param.default is not None:
        parts.append(f"Default: ``{param.default!r}``.")
    text = " ".join(parts)
    return textwrap.fill(
        f"{param.name}: {text}", width=88, initial_indent=" " * 4, subsequent_indent=" " * 8
    )


def _method(ep: Endpoint, is_async: bool) -> str:
    required = [p for p in ep.params if p.required]
    optional = [p for p in ep.params if not p.required]
    args = ["self"]
    if ep.params:
        args.append("*")
    args += [f"{p.name}: {_annotation(p)}" for p in required]
    args += [f"{p.name}: {_annotation(p)} | None = None" for p in optional]
    signature = ",\n        ".join(args)
    effect = {"read": "Read-only", "creates_state": "Creates state", "moves_money": "Moves money"}
    status = "" if ep.status == "current" else f" Status: {ep.status}."
    retry = "retried on transient failures" if ep.is_read_only else "never retried automatically"
    lines = [
        f'"""{ep.summary.rstrip(".")}.',
        "",
        f"``{ep.name}``: POST ``{ep.path}``. {effect[ep.effect]}, {retry}.{status}",
        f"Returns {_DATA[ep.data_kind]}; raises ``CregisAPIError`` on an error code.",
    ]
    if ep.params:
        lines += ["", "Args:"]
        lines += [_arg_doc(p).replace("\n", "\n        ") for p in ep.params]
    doc = "\n        ".join(line if line else "" for line in lines).replace("\n        \n", "\n\n")
    if ep.params:
        items = "".join(f"                {p.name}={p.name},\n" for p in ep.params)
        call = (
            f'self._call_helper(\n            "{ep.name}",\n'
            f"            dict(\n{items}            ),\n        )"
        )
    else:
        call = f'self._call_helper("{ep.name}", {{}})'
    prefix = "async " if is_async else ""
    ret = f"return await {call}" if is_async else f"return {call}"
    return (
        f"    {prefix}def {ep.helper}(\n        {signature},\n    ) -> Any:\n"
        f'        {doc}\n        """\n        {ret}\n'
    )


def _mixin(name: str, owner: str, endpoints: Sequence[Endpoint], is_async: bool) -> str:
    """One helper class: a method per endpoint, for ``owner`` (the client class)."""
    what = " (coroutines)" if is_async else ""
    prefix = "async " if is_async else ""
    head = (
        f'class {name}:\n    """Helpers of :class:`~cregis_notebook.{owner}`{what}."""\n\n'
        f"    {prefix}def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:\n"
        "        raise NotImplementedError\n\n"
    )
    return head + "\n".join(_method(ep, is_async) for ep in endpoints)


def render() -> str:
    """The full text of ``_helpers.py``."""
    reg = registry()
    head = '''"""One typed helper per endpoint, written by scripts/generate_helpers.py: do not edit.

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


'''
    classes = [
        _mixin("SyncHelpers", "Client", reg.endpoints, False),
        _mixin("AsyncHelpers", "AsyncClient", reg.endpoints, True),
        _mixin("TeamSyncHelpers", "TeamClient", reg.team_endpoints, False),
        _mixin("TeamAsyncHelpers", "AsyncTeamClient", reg.team_endpoints, True),
    ]
    return head + "\n\n".join(classes)


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
