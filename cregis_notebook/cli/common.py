"""What the commands share: the client they talk to, and how they report a refusal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal

from ..errors import CliError

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client, TeamClient

__all__ = ["fail", "make_client", "make_team"]


def make_client(
    *, sandbox: bool, seed: int = 0, unconfigured: Literal["refuse", "sandbox"] = "refuse"
) -> Client:
    """The live client from ``CREGIS_*`` (or ``.env``), or the in-process sandbox when asked.

    Without a configured project, ``unconfigured="refuse"`` raises :class:`CliError` saying how
    to configure one or ask for ``--sandbox``; ``unconfigured="sandbox"`` uses the sandbox.
    """
    from .._config import is_configured
    from ..client import Client

    if not sandbox and not is_configured():
        if unconfigured == "refuse":
            raise CliError(
                "no project configured: set CREGIS_BASE_URL, CREGIS_PID and CREGIS_API_KEY "
                "(or put them in .env), or add --sandbox to use the built-in sandbox"
            )
        sandbox = True
    if sandbox:
        return Client.sandbox(seed=seed)
    return Client.from_env()


def make_team(
    project: Client | None, *, sandbox: bool, required: bool = False
) -> TeamClient | None:
    """The team to include beside ``project``, or ``None``.

    With ``sandbox`` (``--sandbox``) the team of ``project``'s in-process sandbox; otherwise the
    team in ``CREGIS_TEAM_BASE_URL``, ``CREGIS_ACCESS_KEY`` and ``CREGIS_ACCESS_SECRET`` (or
    ``.env``) when they are set, else the sandbox's team when ``project`` is the in-process
    sandbox. With ``required`` (the team was asked for), settings that are missing or malformed
    raise :class:`~cregis_notebook.errors.CregisConfigError` naming the variable (never quoting
    the secret) instead.
    """
    from .._config import is_team_configured
    from ..client import TeamClient

    if not sandbox and (required or is_team_configured()):
        return TeamClient.from_env()
    box = None if project is None else project.sandbox_app
    if box is None:
        return None
    made: TeamClient = box.client(client_class=TeamClient)
    return made


def fail(command: str, error: BaseException, status: int) -> int:
    """Print ``cregis-notebook <command>: <error>`` on stderr and return ``status``."""
    print(f"cregis-notebook {command}: {error}", file=sys.stderr)
    return status
