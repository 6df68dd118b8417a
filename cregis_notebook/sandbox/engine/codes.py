"""The return codes the sandbox answers with, and the refusals that carry them.

Documented codes take their ``msg`` from the registry. The vendor does not enumerate its ``A``
codes (only "Param Error"), so the sandbox uses these, each with ``msg`` = ``"Param Error:
<param> <what is wrong>"``:

========  ===========  =====================================================================
code      HTTP status  meaning
========  ===========  =====================================================================
A0001     200          a required parameter is missing (or empty)
A0002     200          a parameter has the wrong JSON type or cannot be read as its type
A0003     200          a value is out of range: enum, length, minimum/maximum, page_size > 100
A0004     400          the body is not a JSON object
A0005     404          no endpoint has this path
A0006     405          the method is not POST
========  ===========  =====================================================================

The Team API (``/openapi/v1``) documents one code only, ``O0015`` (an unknown or disabled Access
Key); the package's ``return_codes.json`` holds the project API's codes and does not list it, so
its ``msg`` is kept here. For the other header checks the sandbox chooses (all in HTTP 200):

========  =====================================================================================
code      meaning
========  =====================================================================================
A0001     an ``Access-*`` header is missing or blank (``msg`` names it)
A0002     ``Access-Timestamp`` is not plain digits, or ``Access-Nonce`` is not 16-64 characters
O0015     the Access Key is not the team's
B0001     the signature does not match (the project API's documented "Signature Error")
S0401     the timestamp is further from the sandbox clock than the window (stale or early)
S0402     the nonce was used within the window
E0010     the ``wallet_id`` is not one of the team's wallets ("Wallet does not exist")
========  =====================================================================================

A refusal is a :class:`~cregis_notebook.errors.SandboxRefusal`: the API service raises them for
bad requests, and the engine for a project's limits (quotas, whitelist, unsupported calls).
"""

from __future__ import annotations

from ...errors import SandboxRefusal
from ...spec import registry

__all__ = [
    "A_BODY",
    "A_METHOD",
    "A_MISSING",
    "A_PATH",
    "A_TYPE",
    "A_VALUE",
    "O_KEY",
    "S_NONCE",
    "S_STALE",
    "TEAM_MESSAGES",
    "documented",
    "param_error",
]

A_MISSING, A_TYPE, A_VALUE, A_BODY, A_PATH, A_METHOD = (
    "A0001",
    "A0002",
    "A0003",
    "A0004",
    "A0005",
    "A0006",
)

O_KEY, S_STALE, S_NONCE = "O0015", "S0401", "S0402"

TEAM_MESSAGES = {
    O_KEY: "API Key does not exist or status is anomalous",
    S_STALE: "Timestamp Expired",
    S_NONCE: "Nonce Reused",
}
"""The ``msg`` of the Team API codes the project registry does not hold (the first part)."""


def documented(code: str) -> SandboxRefusal:
    """The error for a documented code, with its documented English ``msg``."""
    entry = registry().return_code(code)
    msg = entry.msg if entry is not None and entry.msg else code
    return SandboxRefusal(code, msg)


def param_error(code: str, name: str, problem: str, *, status: int = 200) -> SandboxRefusal:
    """An ``A`` code error naming the parameter."""
    return SandboxRefusal(code, f"Param Error: {name} {problem}", status=status)
