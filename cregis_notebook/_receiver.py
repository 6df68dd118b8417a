"""A loopback HTTP server that collects callbacks while you explore (for notebooks and tests).

::

    with CallbackReceiver(api_key=client_key) as inbox:
        client.payout(..., callback_url=inbox.url_for("payout"))
        inbox.wait(1, timeout=10)
        inbox.frame()

It listens on ``127.0.0.1`` on a free port, accepts a POST on any path, keeps the body and
replies what Cregis expects: ``success``, or for a payout external verification ``ok`` (or
``deny`` when made with ``approve=False``). A body that is not a JSON object gets HTTP 400.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ._signing import Secret
from .callbacks import ReceivedCallback, callbacks_frame, detect_kind, load_body
from .errors import CallbackError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CallbackReceiver", "ReceivedCallback"]

_MAX_BODY = 1_000_000


def _reply_for(body: bytes, approve: bool) -> tuple[int, str]:
    try:
        payload = load_body(body)
    except CallbackError:
        return 400, "fail"
    try:
        kind = detect_kind(payload)
    except CallbackError:
        return 200, "success"
    if kind == "callback_payout_external_verification":
        return 200, "ok" if approve else "deny"
    return 200, "success"


class CallbackReceiver:
    """Collects callbacks posted to ``url`` on the loopback interface.

    Args:
        api_key: the project key; when given, :meth:`frame` has a ``verified`` column.
        host: the interface to listen on (loopback by default; keep it that way).
        port: ``0`` picks a free port.
        approve: the answer to a payout external verification: ``ok`` (True) or ``deny``.
        sink: where each callback is also written as it arrives: anything with an
            ``add_callbacks(payloads, api_key)`` method, such as a
            :class:`~cregis_notebook.Store` (its ``callbacks`` table, ``verified`` checked
            with this receiver's key). A sink that fails is reported by :meth:`sink_errors`;
            the callback is still received and answered.

    Use it as a context manager, or call :meth:`start` and :meth:`stop` yourself.
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        approve: bool = True,
        sink: Any = None,
    ) -> None:
        self._api_key = None if api_key is None else Secret(api_key)  # never kept as text
        del api_key
        self.sink = sink
        self._host = host
        self._port = port
        self.approve = approve
        self._received: list[ReceivedCallback] = []
        self._sink_errors: list[Exception] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> CallbackReceiver:
        """Start listening (idempotent); returns ``self``."""
        if self._server is not None:
            return self
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(max(length, 0), _MAX_BODY))
                status, reply = _reply_for(body, receiver.approve)
                receiver._add(
                    ReceivedCallback(
                        path=self.path,
                        body=body,
                        received_at=dt.datetime.now(dt.timezone.utc),
                        reply=reply,
                        status=status,
                    )
                )
                data = reply.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                data = f"{len(receiver)} callbacks received\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: a notebook is no place for access logs

        server = ThreadingHTTPServer((self._host, self._port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="cregis-callback-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and free the port (what was received is kept)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    close = stop

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __del__(self) -> None:  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            self.stop()

    # -- where to send -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the server is listening."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port it listens on (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the receiver is not running: call start() or use 'with'")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The URL to give as ``callback_url``: ``http://127.0.0.1:<port>/callback``."""
        return self.url_for("callback")

    def url_for(self, name: str) -> str:
        """A URL of its own per callback type (the vendor recommends one per type)."""
        return f"http://{self._host}:{self.port}/{name.strip('/')}"

    def __repr__(self) -> str:
        where = f"listening on {self.url}" if self.running else "stopped"
        return f"CallbackReceiver({where}, {len(self)} received)"

    # -- what arrived ------------------------------------------------------------------------

    def _add(self, item: ReceivedCallback) -> None:
        if self.sink is not None:
            try:
                self.sink.add_callbacks([item], self._api_key)
            except Exception as exc:  # the callback is kept here all the same
                self._sink_errors.append(exc)
        with self._changed:
            self._received.append(item)
            self._changed.notify_all()

    def sink_errors(self) -> list[Exception]:
        """What the sink raised, oldest first (each callback concerned is still received)."""
        return list(self._sink_errors)

    def __len__(self) -> int:
        with self._changed:
            return len(self._received)

    @property
    def received(self) -> list[ReceivedCallback]:
        """Everything received so far, oldest first (a copy)."""
        with self._changed:
            return list(self._received)

    @property
    def payloads(self) -> list[Any]:
        """The received bodies parsed as JSON (bodies that are not JSON are left out)."""
        out = []
        for item in self.received:
            try:
                out.append(item.json())
            except ValueError:
                continue
        return out

    def wait(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Block until at least ``count`` callbacks have arrived; False if ``timeout`` passes."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._received) >= count, timeout=timeout)

    def clear(self) -> None:
        """Forget what was received."""
        with self._changed:
            self._received.clear()

    def frame(self, api_key: str | Secret | None = None) -> pd.DataFrame:
        """The received callbacks as :func:`~cregis_notebook.callbacks.callbacks_frame` builds."""
        key = Secret(api_key) if api_key is not None else self._api_key
        del api_key
        return callbacks_frame(self.received, key)
