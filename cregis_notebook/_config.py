"""Where a client's settings come from: arguments, ``CREGIS_*`` variables or a ``.env`` file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .errors import CregisConfigError

__all__ = ["ENV_VARS", "Secret", "read_dotenv", "settings_from_env"]

ENV_VARS = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY")


class Secret:
    """Holds the API key; its ``repr`` and ``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The key itself, for signing only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("the API key is not pickled")


def read_dotenv(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read ``KEY=value`` lines (``export`` prefixes, quotes and ``#`` comments allowed)."""
    values: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].strip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def settings_from_env(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> tuple[str, int, str]:
    """Return ``(base_url, pid, api_key)``; the environment wins over the ``.env`` file."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update(read_dotenv(env_file))
    merged.update({k: v for k, v in (os.environ if environ is None else environ).items() if v})
    missing = [name for name in ENV_VARS if not merged.get(name, "").strip()]
    if missing:
        where = f" or in {os.fspath(env_file)}" if env_file is not None else ""
        raise CregisConfigError(
            f"missing configuration: set {', '.join(missing)} in the environment{where} "
            "(or use Client.sandbox() to explore without credentials)"
        )
    pid_text = merged["CREGIS_PID"].strip()
    if not pid_text.isdigit():
        raise CregisConfigError(f"CREGIS_PID must be the numeric project id, got {pid_text!r}")
    return merged["CREGIS_BASE_URL"].strip(), int(pid_text), merged["CREGIS_API_KEY"].strip()


def is_configured(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> bool:
    """True when :func:`settings_from_env` would succeed."""
    try:
        settings_from_env(environ, env_file)
    except CregisConfigError:
        return False
    return True
