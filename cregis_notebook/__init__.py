"""cregis-notebook: explore the Cregis API (WaaS and Payment Engine) from Jupyter.

The public names are listed in ``__all__``; heavy parts (pandas frames, widgets, plots, the
sandbox) are imported on first use, so ``import cregis_notebook`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._retry import RetryPolicy
from ._signing import canonical_string, sign, verify_signature
from ._team_signing import (
    canonical_team_body,
    sign_team,
    team_string_to_sign,
    verify_team_signature,
)
from ._version import __version__
from .client import AsyncClient, AsyncTeamClient, Client, PreparedRequest, TeamClient
from .envelope import Envelope
from .errors import (
    CregisAPIError,
    CregisConfigError,
    CregisConnectError,
    CregisConsistencyWarning,
    CregisDataWarning,
    CregisError,
    CregisExportError,
    CregisFetchError,
    CregisFetchInterrupted,
    CregisHTTPError,
    CregisRateLimitError,
    CregisResponseError,
    CregisStoreBusy,
    CregisStoreError,
    CregisTimeoutError,
    CregisTransportError,
    CregisUnknownParamWarning,
    CregisValidationError,
    CregisWarning,
    CregisWriteRefused,
)
from .spec import registry

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from . import reconcile
    from ._receiver import CallbackReceiver
    from .callbacks import callbacks_frame, parse_callback
    from .excel import read_excel, to_excel
    from .export import read_csv, read_parquet, to_csv, to_parquet
    from .fetch import afetch_frame, fetch_frame, last_fetch_error
    from .frames import to_frame, to_frames
    from .sandbox import Sandbox
    from .store import Store, SyncSummary, sync

# name -> module that defines it, imported on first access
_LAZY = {
    "fetch_frame": "fetch",
    "afetch_frame": "fetch",
    "last_fetch_error": "fetch",
    "to_frame": "frames",
    "to_frames": "frames",
    "to_csv": "export",
    "read_csv": "export",
    "to_parquet": "export",
    "read_parquet": "export",
    "to_excel": "excel",
    "read_excel": "excel",
    "parse_callback": "callbacks",
    "callbacks_frame": "callbacks",
    "CallbackReceiver": "_receiver",
    "Sandbox": "sandbox",
    "Store": "store",
    "SyncSummary": "store",
    "sync": "store",
}

__all__ = [
    "AsyncClient",
    "AsyncTeamClient",
    "CallbackReceiver",
    "Client",
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
    "Envelope",
    "PreparedRequest",
    "RetryPolicy",
    "Sandbox",
    "Store",
    "SyncSummary",
    "TeamClient",
    "__version__",
    "afetch_frame",
    "callbacks_frame",
    "canonical_string",
    "canonical_team_body",
    "fetch_frame",
    "last_fetch_error",
    "parse_callback",
    "read_csv",
    "read_excel",
    "read_parquet",
    "reconcile",
    "registry",
    "sign",
    "sign_team",
    "sync",
    "team_string_to_sign",
    "to_csv",
    "to_excel",
    "to_frame",
    "to_frames",
    "to_parquet",
    "verify_signature",
    "verify_team_signature",
]


_SUBPACKAGES = ("reconcile",)
"""Subpackages reached as attributes (``cn.reconcile.run``), imported on first access."""


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        package = importlib.import_module(f".{name}", __name__)
        globals()[name] = package
        return package
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cregis_notebook' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
