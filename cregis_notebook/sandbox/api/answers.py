"""One HTTP answer of the sandbox, and the ``{code, msg, data}`` envelope it carries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["JSON_HEADERS", "Response", "envelope", "error", "ok"]

JSON_HEADERS = (("content-type", "application/json"),)


@dataclass(frozen=True)
class Response:
    """One HTTP answer of the sandbox."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def envelope(code: str, msg: str, data: str = "null") -> bytes:
    """The envelope as UTF-8 JSON, with ``data`` already JSON text."""
    head = json.dumps({"code": code, "msg": msg}, ensure_ascii=False, separators=(",", ":"))
    return (head[:-1] + ',"data":' + data + "}").encode("utf-8")


def error(status: int, code: str, msg: str, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    """An answer with ``data: null``."""
    return Response(status, JSON_HEADERS + extra, envelope(code, msg))


def ok(data: Any, msg: str = "ok") -> Response:
    """A ``00000`` answer carrying ``data`` (encoded here)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(200, JSON_HEADERS, envelope("00000", msg, text))
