"""Every exception and warning cregis-notebook raises: one tree, rooted at :class:`CregisError`.

::

    CregisError
    ├── CregisConfigError          configuration missing or malformed (also a ValueError)
    ├── CregisValidationError      bad input, refused before anything is sent (also a ValueError)
    ├── CregisWriteRefused         a call that moves money or creates state on a live project
    │   │                          was not allowed (``allow_writes=True`` opts in)
    │   └── ConfirmationRequired   the request builder's confirmation box was not ticked
    ├── CregisAPIError             an answer's code is not "00000" (``.code``, ``.msg``, ``.hint``)
    ├── CregisTransportError       no usable answer came back
    │   ├── CregisConnectError     the connection could not be made or was dropped
    │   ├── CregisTimeoutError     no answer within the timeout
    │   ├── CregisHTTPError        an HTTP status other than 2xx (``.status``, ``.body_excerpt``)
    │   │   └── CregisRateLimitError   HTTP 429 (``.retry_after`` in seconds, if given)
    │   └── CregisResponseError    HTTP 2xx, but the body is not JSON or not an envelope
    ├── CregisFetchError           a multi-page fetch stopped part way (``.partial``, ``.resume()``)
    │   └── CregisFetchInterrupted the user interrupted it (also a KeyboardInterrupt)
    ├── CregisExportError          a frame holds a value the file format cannot keep exactly
    │                              (also a ValueError); nothing is written
    ├── CregisStoreError           a local store cannot do what was asked; nothing is committed
    │   └── CregisStoreBusy        another sync holds the store (waited ``lock_timeout``)
    ├── PageFailed                 one page of a fetch failed (internal: becomes CregisFetchError)
    ├── UnknownEndpoint            no endpoint or callback by that name (also a KeyError)
    ├── RegistryDataError          the registry's JSON data breaks its schema (also a ValueError)
    ├── UnfitValue                 a value does not fit its documented type (also a ValueError)
    ├── CallbackError              a body is not a callback that can be read (also a ValueError)
    ├── CliError                   a command-line argument is wrong (also a ValueError)
    ├── SandboxError               a sandbox helper got bad arguments (also a ValueError)
    │   └── AmountError            text that is not a plain decimal amount
    └── SandboxRefusal             the sandbox refuses a request: it becomes an error envelope

    CregisWarning (a UserWarning)
    ├── CregisDataWarning          a value did not fit its documented type; kept as text
    ├── CregisConsistencyWarning   fetched rows do not match ``total``
    └── CregisUnknownParamWarning  an undocumented parameter was passed (it is still sent)

Messages never contain the API key: the client never passes it to any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AmountError",
    "CallbackError",
    "CliError",
    "ConfirmationRequired",
    "CregisAPIError",
    "CregisConfigError",
    "CregisConnectError",
    "CregisConsistencyWarning",
    "CregisDataWarning",
    "CregisError",
    "CregisExportError",
    "CregisFetchError",
    "CregisFetchInterrupted",
    "CregisHTTPError",
    "CregisRateLimitError",
    "CregisResponseError",
    "CregisStoreBusy",
    "CregisStoreError",
    "CregisTimeoutError",
    "CregisTransportError",
    "CregisUnknownParamWarning",
    "CregisValidationError",
    "CregisWarning",
    "CregisWriteRefused",
    "PageFailed",
    "RegistryDataError",
    "SandboxError",
    "SandboxRefusal",
    "UnfitValue",
    "UnknownEndpoint",
]


class CregisError(Exception):
    """Root of every error raised by cregis-notebook."""


class CregisConfigError(CregisError, ValueError):
    """The client configuration is missing or malformed (names the variable to set)."""


class CregisValidationError(CregisError, ValueError):
    """A parameter was refused before sending; ``param`` names it (``None`` for the endpoint)."""

    def __init__(self, message: str, *, endpoint: str | None = None, param: str | None = None):
        super().__init__(message)
        self.endpoint = endpoint
        self.param = param


class CregisAPIError(CregisError):
    """The service answered an envelope whose ``code`` is not ``"00000"``.

    Carries ``code``, ``msg``, ``endpoint``, the documented ``meaning`` and a ``hint`` on what to
    do, and the ``envelope`` itself when there is one.
    """

    def __init__(
        self,
        code: str,
        msg: str,
        *,
        endpoint: str | None = None,
        meaning: str | None = None,
        hint: str | None = None,
        envelope: Any = None,
    ):
        self.code = code
        self.msg = msg
        self.endpoint = endpoint
        self.meaning = meaning
        self.hint = hint
        self.envelope = envelope
        super().__init__(self._text())

    def _text(self) -> str:
        where = f" from {self.endpoint}" if self.endpoint else ""
        text = f"{self.code} {self.msg!r}{where}"
        if self.meaning:
            text += f": {self.meaning}"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_api_error,
            (self.code, self.msg, self.endpoint, self.meaning, self.hint),
        )


def _rebuild_api_error(
    code: str, msg: str, endpoint: str | None, meaning: str | None, hint: str | None
) -> CregisAPIError:
    return CregisAPIError(code, msg, endpoint=endpoint, meaning=meaning, hint=hint)


class CregisTransportError(CregisError):
    """No usable answer came back from the service (``endpoint`` names the call)."""

    def __init__(self, message: str, *, endpoint: str | None = None):
        super().__init__(message)
        self.endpoint = endpoint


class CregisConnectError(CregisTransportError):
    """The connection could not be made, or was dropped before an answer."""


class CregisTimeoutError(CregisTransportError):
    """The service did not answer within the timeout."""


class CregisHTTPError(CregisTransportError):
    """The service answered with an HTTP status other than 2xx."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int,
        body_excerpt: str = "",
    ):
        super().__init__(message, endpoint=endpoint)
        self.status = status
        self.body_excerpt = body_excerpt


class CregisRateLimitError(CregisHTTPError):
    """HTTP 429: too many requests; ``retry_after`` holds the server's wait in seconds."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int = 429,
        body_excerpt: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(message, endpoint=endpoint, status=status, body_excerpt=body_excerpt)
        self.retry_after = retry_after


class CregisResponseError(CregisTransportError):
    """HTTP 2xx, but the body is not JSON, or not a ``{code, msg, data}`` envelope."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int = 200,
        body_excerpt: str = "",
    ):
        super().__init__(message, endpoint=endpoint)
        self.status = status
        self.body_excerpt = body_excerpt


class CregisFetchError(CregisError):
    """A multi-page fetch stopped part way.

    ``partial`` holds what was fetched (a DataFrame), ``cause`` the error that stopped it and
    ``resume`` a callable that fetches only the missing pages and returns the complete result.
    """

    def __init__(
        self,
        message: str,
        *,
        partial: Any = None,
        cause: BaseException | None = None,
        resume: Any = None,
        missing_pages: tuple[int, ...] = (),
    ):
        super().__init__(message)
        self.partial = partial
        self.cause = cause
        self.resume = resume
        self.missing_pages = missing_pages
        self.checkpoint: str | None = None


class CregisExportError(CregisError, ValueError):
    """A value cannot be written exactly in the chosen file format (names the column and value).

    Nothing is written; the message says which format keeps the value instead.
    """


class CregisStoreError(CregisError):
    """A local store cannot do what was asked (a value it cannot keep, a table it does not
    have); nothing was committed."""


class CregisStoreBusy(CregisStoreError):
    """Another sync is writing to the same store; this one waited ``lock_timeout`` seconds."""


class CregisFetchInterrupted(CregisFetchError, KeyboardInterrupt):
    """The user interrupted a fetch; ``partial`` and ``resume()`` as for :class:`CregisFetchError`.

    It is a :class:`KeyboardInterrupt` too, so a script still stops on Ctrl-C.
    """


class CregisWriteRefused(CregisError):
    """A call that moves money or creates state was refused before sending on a live project.

    Nothing was sent. Opt in with ``Client(..., allow_writes=True)`` or ``CREGIS_ALLOW_WRITES=1``.
    """


class ConfirmationRequired(CregisWriteRefused):
    """A call that moves money or creates state on a LIVE project was not confirmed."""


class PageFailed(CregisError):
    """One page of a multi-page fetch failed; ``page`` and ``cause`` say which and why."""

    def __init__(self, page: int, cause: BaseException):
        super().__init__(f"page {page}: {cause}")
        self.page = page
        self.cause = cause


class UnknownEndpoint(CregisError, KeyError):
    """No endpoint (or callback) answers to the key; ``suggestions`` holds the closest names."""

    def __init__(self, key: str, suggestions: Sequence[str] = (), *, kind: str = "endpoint"):
        super().__init__(key)
        self.key = key
        self.kind = kind
        self.suggestions: list[str] = list(suggestions)

    def __str__(self) -> str:
        text = f"unknown {self.kind} {self.key!r}"
        if self.suggestions:
            return text + "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        return text + f"; registry().{self.kind}s lists them all"


class RegistryDataError(CregisError, ValueError):
    """The registry's JSON data breaks its own schema (raised while loading)."""


class UnfitValue(CregisError, ValueError):
    """A value does not fit its documented type (an amount that is not a decimal, say)."""


class CallbackError(CregisError, ValueError):
    """A body is not a callback this package can read (not a JSON object, or an unknown kind)."""


class CliError(CregisError, ValueError):
    """A command-line argument is wrong; the message says how to fix it."""


class SandboxError(CregisError, ValueError):
    """A sandbox helper (``simulate_deposit`` and friends) was called with bad arguments."""


class AmountError(SandboxError):
    """The text is not a plain decimal number."""


class SandboxRefusal(CregisError):
    """The sandbox refuses a request: an envelope with ``code`` and ``msg`` (HTTP 200 normally)."""

    def __init__(self, code: str, msg: str, *, status: int = 200) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status


class CregisWarning(UserWarning):
    """Root of every warning cregis-notebook issues."""


class CregisDataWarning(CregisWarning):
    """A value did not fit its documented type; the column was kept in a wider type."""


class CregisConsistencyWarning(CregisWarning):
    """The fetched rows do not match ``total`` (see ``df.attrs["mismatch"]``)."""


class CregisUnknownParamWarning(CregisWarning):
    """A parameter the registry does not document was passed (it is still sent)."""
