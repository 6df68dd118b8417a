"""The answer to every call: ``{"code", "msg", "data"}`` plus what the client knows about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import CregisAPIError
from .spec import ReturnCode, registry

__all__ = ["SUCCESS", "Envelope"]

SUCCESS = "00000"


@dataclass(frozen=True)
class Envelope:
    """One API answer. ``ok`` is true only for code ``"00000"``; nothing raises on an error code.

    ``body`` is the JSON body that was sent (with ``pid``, ``nonce``, ``timestamp`` and ``sign``,
    never the API key); ``elapsed`` is the time of the whole call in seconds, retries included.
    """

    code: str
    msg: str
    data: Any
    endpoint: str
    path: str = ""
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)
    elapsed: float = 0.0
    http_status: int = 200
    attempts: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when ``code`` is ``"00000"``."""
        return self.code == SUCCESS

    @property
    def return_code(self) -> ReturnCode | None:
        """The documented entry of ``code`` (meaning, hint, Chinese text), if it is documented."""
        return registry().return_code(self.code)

    def raise_for_code(self) -> Envelope:
        """Return ``self`` when ``ok``; otherwise raise :class:`CregisAPIError`."""
        if self.ok:
            return self
        doc = self.return_code
        raise CregisAPIError(
            self.code,
            self.msg,
            endpoint=self.endpoint,
            meaning=doc.meaning if doc else "an undocumented return code",
            hint=doc.hint if doc else None,
            envelope=self,
        )

    def to_dict(self) -> dict[str, Any]:
        """The envelope as the service sent it: ``{"code", "msg", "data", ...}``."""
        return {"code": self.code, "msg": self.msg, "data": self.data, **self.extra}

    def _repr_html_(self) -> str:
        import html

        colour = "#1a7f37" if self.ok else "#cf222e"
        doc = self.return_code
        meaning = "" if self.ok or doc is None else f" &mdash; {html.escape(doc.meaning)}"
        return (
            f"<div><b>{html.escape(self.endpoint)}</b> "
            f"<span style='color:{colour}'>{html.escape(self.code)} "
            f"{html.escape(self.msg)!s}</span>{meaning} "
            f"<small>({self.elapsed * 1000:.0f} ms)</small></div>"
        )
