"""The exceptions of cregis-notebook: one tree, rooted at :class:`CregisError`.

::

    CregisError
    ├── CregisConfigError          configuration missing or malformed (also a ValueError)
    ├── CregisValidationError      bad input, refused before anything is sent (also a ValueError)
    ├── CregisAPIError             the service answered with a code other than "00000"
    ├── CregisTransportError       no usable answer came back
    │   ├── CregisConnectError     the connection could not be made or was dropped
    │   ├── CregisTimeoutError     no answer within the timeout
    │   ├── CregisHTTPError        an HTTP status other than 2xx (``.status``, ``.body_excerpt``)
    │   │   └── CregisRateLimitError   HTTP 429 (``.retry_after`` in seconds, if given)
    │   └── CregisResponseError    HTTP 2xx, but the body is not JSON or not an envelope
    └── CregisFetchError           a multi-page fetch stopped part way (carries what it got)
        └── CregisFetchInterrupted the user interrupted it (also a KeyboardInterrupt)

Messages never contain the API key: the client never passes it to any of them.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CregisAPIError",
    "CregisConfigError",
    "CregisConnectError",
    "CregisError",
    "CregisFetchError",
    "CregisFetchInterrupted",
    "CregisHTTPError",
    "CregisRateLimitError",
    "CregisResponseError",
    "CregisTimeoutError",
    "CregisTransportError",
    "CregisValidationError",
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


class CregisFetchInterrupted(CregisFetchError, KeyboardInterrupt):
    """The user interrupted a fetch; ``partial`` and ``resume()`` as for :class:`CregisFetchError`.

    It is a :class:`KeyboardInterrupt` too, so a script still stops on Ctrl-C.
    """
