"""Where a client's settings come from, and whether they are sound.

Settings come from arguments, ``CREGIS_*`` environment variables or a ``.env`` file (read by
``python-dotenv``: quotes, ``export``, comments and multi-line values as in every other tool).

No error raised here ever quotes a value that could be the API key: a pid or URL that is wrong
is described (its length, what it lacks), not echoed, and the checks return their findings as
text instead of raising from a frame that holds the key.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ._signing import Secret
from .errors import CregisConfigError

__all__ = [
    "ALLOW_WRITES_VAR",
    "ENV_VARS",
    "TEAM_ENV_VARS",
    "Settings",
    "TeamSettings",
    "check_settings",
    "check_team_settings",
    "is_configured",
    "is_loopback",
    "is_team_configured",
    "read_dotenv",
    "settings_from_env",
    "team_settings_from_env",
    "writes_from_env",
]

ENV_VARS = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY")
TEAM_ENV_VARS = ("CREGIS_TEAM_BASE_URL", "CREGIS_ACCESS_KEY", "CREGIS_ACCESS_SECRET")
_SECRET_MASK = "<ACCESS_SECRET>"
ALLOW_WRITES_VAR = "CREGIS_ALLOW_WRITES"
_YES = ("1", "true", "yes")
_NO = ("", "0", "false", "no")
_ORDER = "the order is Client(base_url, pid, api_key)"


@dataclass(frozen=True)
class Settings:
    """Checked settings: the URL without a trailing ``/``, the numeric pid, the key as a Secret.

    ``allow_writes`` is what ``CREGIS_ALLOW_WRITES`` said (``None`` when unset).
    """

    base_url: str
    pid: int
    api_key: Secret = field(repr=False)
    allow_writes: bool | None = None


@dataclass(frozen=True)
class TeamSettings:
    """Checked Team API settings: the URL without a trailing ``/``, the Access Key, and the
    Access Secret as a :class:`Secret`."""

    base_url: str
    access_key: str
    access_secret: Secret = field(repr=False)


def is_loopback(host: str) -> bool:
    """True for this machine: ``localhost``, loopback addresses (``127.0.0.0/8``, ``::1``), and
    the unspecified ``0.0.0.0`` / ``::`` a server prints when it listens everywhere."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return bool(address.is_loopback or address.is_unspecified)


def _describe(value: object) -> str:
    """What a refused value is, without showing it (it may be the API key)."""
    if isinstance(value, str):
        return f"text of {len(value)} characters"
    return f"a {type(value).__name__}"


def _url_problem(base_url: object, allow_insecure: bool, owner: str = "project") -> str | None:
    where = f"(each {owner} has its own API domain, shown in the Cregis client)"
    if not isinstance(base_url, str) or not base_url.strip():
        return (
            f"base_url must be the {owner}'s API domain, such as https://t-xxxx.cregis.io {where}"
        )
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname or ""
    except ValueError:
        return f"base_url is not a URL (it is {_describe(base_url)}) {where}"
    if parts.scheme not in ("http", "https"):
        return (
            f"base_url must start with https:// (it is {_describe(base_url)} without an http:// "
            f"or https:// scheme) {where}"
        )
    if not host:
        return f"base_url has no host name after {parts.scheme}:// {where}"
    if parts.scheme == "http" and not allow_insecure and not is_loopback(host):
        return (
            f"base_url is plain http:// to {host}, which is not this machine: signed requests "
            f"and the {owner}'s data would cross the network in clear text. Use https://, or "
            "pass allow_insecure=True if the network between here and there is trusted"
        )
    return None


def _pid_problem(pid: object, api_key: object) -> str | None:
    if isinstance(pid, str):
        if pid.strip().isascii() and pid.strip().isdigit():
            return None if int(pid) > 0 else "pid must be a positive integer; got 0"
        text = f"pid must be the numeric project id; it is {_describe(pid)} that is not a number"
        if isinstance(api_key, int) or (isinstance(api_key, str) and api_key.strip().isdigit()):
            text += f" (the pid and the API key look swapped: {_ORDER})"
        return text
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        shown = str(pid) if isinstance(pid, int) and not isinstance(pid, bool) else _describe(pid)
        return f"pid must be a positive integer, the numeric project id; got {shown}"
    return None


def _key_problem(api_key: object) -> str | None:
    if isinstance(api_key, Secret):
        return None if api_key else "api_key must be the project's API key; it is empty"
    if isinstance(api_key, str) and api_key.strip():
        return None
    text = "api_key must be the project's API key (a non-empty string)"
    if isinstance(api_key, int) and not isinstance(api_key, bool):
        text += f"; it is a number: is it the pid? {_ORDER}"
    return text


def check_settings(
    base_url: object,
    pid: object,
    api_key: object,
    *,
    allow_insecure: bool = False,
) -> Settings | str:
    """The checked :class:`Settings`, or the text of what is wrong. Never raises.

    It returns instead of raising so that the caller can drop every local that may hold the key
    before raising :class:`CregisConfigError` with the text.
    """
    try:
        problem = (
            _url_problem(base_url, allow_insecure)
            or _pid_problem(pid, api_key)
            or _key_problem(api_key)
        )
        if problem is not None:
            return _masked(problem, api_key)
        key = api_key if isinstance(api_key, Secret) else Secret(str(api_key).strip())
        assert isinstance(base_url, str) and isinstance(pid, (int, str))
        return Settings(base_url.strip().rstrip("/"), int(pid), key)
    except Exception as exc:  # pragma: no cover - each check above is total
        return f"the client settings could not be read ({type(exc).__name__})"


def _masked(text: str, api_key: object, mask: str = "<API_KEY>") -> str:
    """``text`` with the key, should it appear (inside a URL, say), replaced by a mask."""
    if isinstance(api_key, Secret):
        api_key = api_key.reveal()
    if isinstance(api_key, str) and api_key.strip():
        return text.replace(api_key.strip(), mask)
    return text


def _team_problem(access_key: object, access_secret: object) -> str | None:
    if not isinstance(access_key, str) or not access_key.strip():
        return "access_key must be the team's Access Key (a non-empty string)"
    if isinstance(access_secret, Secret):
        secret_ok = bool(access_secret) and bool(access_secret.reveal().strip())
    else:
        secret_ok = isinstance(access_secret, str) and bool(access_secret.strip())
    if not secret_ok:
        return "access_secret must be the team's Access Secret (a non-empty string)"
    if isinstance(access_secret, str) and access_key.strip() == access_secret.strip():
        return "access_key and access_secret are the same text: one of them is wrong"
    return None


def check_team_settings(
    base_url: object,
    access_key: object,
    access_secret: object,
    *,
    allow_insecure: bool = False,
) -> TeamSettings | str:
    """The checked :class:`TeamSettings`, or the text of what is wrong. Never raises."""
    try:
        problem = _url_problem(base_url, allow_insecure, "team") or _team_problem(
            access_key, access_secret
        )
        if problem is not None:
            return _masked(problem, access_secret, _SECRET_MASK)
        secret = (
            access_secret
            if isinstance(access_secret, Secret)
            else Secret(str(access_secret).strip())
        )
        assert isinstance(base_url, str) and isinstance(access_key, str)
        return TeamSettings(base_url.strip().rstrip("/"), access_key.strip(), secret)
    except Exception as exc:  # pragma: no cover - each check above is total
        return f"the Team client settings could not be read ({type(exc).__name__})"


def _writes_value(value: str | None, where: str) -> bool | str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return f"{ALLOW_WRITES_VAR} in {where} must be 1, true or yes (or 0, false, no)"


def writes_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``CREGIS_ALLOW_WRITES`` (in the environment) allows writes to a live project."""
    found = _writes_value(
        (os.environ if environ is None else environ).get(ALLOW_WRITES_VAR), "the environment"
    )
    if isinstance(found, str):
        raise CregisConfigError(found)
    return bool(found)


def read_dotenv(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``KEY=value`` settings of a ``.env`` file, as ``python-dotenv`` reads them.

    Quotes, ``export`` prefixes, ``#`` comments, multi-line quoted values and ``${VAR}``
    references are understood; a name without a value is left out. A file that cannot be read
    raises :class:`CregisConfigError` (without its content).
    """
    from dotenv import dotenv_values

    problem = None
    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = type(exc).__name__
    if problem is not None:  # raised here, so the error carries nothing of the file
        raise CregisConfigError(f"{os.fspath(path)} could not be read ({problem}); is it UTF-8?")
    return {k: v for k, v in values.items() if v is not None}


def _merged(
    environ: Mapping[str, str] | None,
    env_file: str | os.PathLike[str] | None,
    names: tuple[str, ...],
    instead: str,
) -> dict[str, str] | str:
    """The ``.env`` file's settings overlaid by the environment's, or what is missing."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update(read_dotenv(env_file))
    merged.update({k: v for k, v in (os.environ if environ is None else environ).items() if v})
    missing = [name for name in names if not merged.get(name, "").strip()]
    if missing:
        where = f" or in {os.fspath(env_file)}" if env_file is not None else ""
        return f"missing configuration: set {', '.join(missing)} in the environment{where}{instead}"
    return merged


def _gather(
    environ: Mapping[str, str] | None, env_file: str | os.PathLike[str] | None
) -> Settings | str:
    merged = _merged(
        environ,
        env_file,
        ENV_VARS,
        " (or use Client.sandbox() to explore without credentials)",
    )
    if isinstance(merged, str):
        return merged
    key = Secret(merged["CREGIS_API_KEY"].strip())
    pid_text = merged["CREGIS_PID"].strip()
    if not (pid_text.isascii() and pid_text.isdigit()):
        text = f"CREGIS_PID must be the numeric project id; it holds {_describe(pid_text)}"
        return text + (
            " (it is the API key: set CREGIS_API_KEY to that)" if key.is_key(pid_text) else ""
        )
    url_problem = _url_problem(merged["CREGIS_BASE_URL"], allow_insecure=True)
    if url_problem is not None:
        text = _masked(url_problem.replace("base_url", "CREGIS_BASE_URL", 1), key)
        if key.is_key(merged["CREGIS_BASE_URL"]):
            text += " (it holds the API key)"
        return text
    writes = _writes_value(merged.get(ALLOW_WRITES_VAR), "the environment or .env")
    if isinstance(writes, str):
        return writes
    return Settings(merged["CREGIS_BASE_URL"].strip().rstrip("/"), int(pid_text), key, writes)


def settings_from_env(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """The :class:`Settings` in the environment or the ``.env`` file (the environment wins).

    A missing or malformed variable raises :class:`CregisConfigError` naming it (never quoting
    its value).
    """
    found = _gather(environ, env_file)
    del environ  # it holds the key: keep it out of this frame should an error be raised
    if isinstance(found, str):
        raise CregisConfigError(found)
    return found


def team_settings_from_env(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> TeamSettings:
    """The :class:`TeamSettings` in ``CREGIS_TEAM_BASE_URL``, ``CREGIS_ACCESS_KEY`` and
    ``CREGIS_ACCESS_SECRET``, from the environment or the ``.env`` file (the environment wins).

    A missing or malformed variable raises :class:`CregisConfigError` naming it (never quoting
    the secret).
    """
    merged = _merged(environ, env_file, TEAM_ENV_VARS, "")
    del environ  # it holds the secret: keep it out of this frame should an error be raised
    if isinstance(merged, str):
        raise CregisConfigError(merged)
    found = check_team_settings(
        merged["CREGIS_TEAM_BASE_URL"],
        merged["CREGIS_ACCESS_KEY"],
        Secret(merged.pop("CREGIS_ACCESS_SECRET").strip()),
        allow_insecure=True,
    )
    del merged
    if isinstance(found, str):
        raise CregisConfigError(
            found.replace("base_url", "CREGIS_TEAM_BASE_URL", 1)
            .replace("access_key", "CREGIS_ACCESS_KEY", 1)
            .replace("access_secret", "CREGIS_ACCESS_SECRET", 1)
        )
    return found


def is_configured(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> bool:
    """True when :func:`settings_from_env` would succeed."""
    try:
        return isinstance(_gather(environ, env_file), Settings)
    except CregisConfigError:
        return False


def is_team_configured(
    environ: Mapping[str, str] | None = None, env_file: str | None = ".env"
) -> bool:
    """True when :func:`team_settings_from_env` would succeed."""
    try:
        team_settings_from_env(environ, env_file)
    except CregisConfigError:
        return False
    return True
