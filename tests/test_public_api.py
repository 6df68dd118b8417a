"""The public surface: ``__all__`` resolves, helpers match the registry, the error tree holds."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import pytest

import cregis_notebook
from cregis_notebook import AsyncClient, Client, registry
from cregis_notebook import errors as errors_module

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves() -> None:
    for name in cregis_notebook.__all__:
        assert getattr(cregis_notebook, name) is not None, name
    assert sorted(cregis_notebook.__all__) == cregis_notebook.__all__


def test_generated_helpers_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_helpers", ROOT / "scripts" / "generate_helpers.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_helpers"] = module
    spec.loader.exec_module(module)
    current = (ROOT / "cregis_notebook" / "_helpers.py").read_text(encoding="utf-8")
    assert module.render() == current, "run: python scripts/generate_helpers.py"


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_one_helper_per_endpoint_with_keyword_only_params(cls: type) -> None:
    for ep in registry().endpoints:
        method = getattr(cls, ep.helper)
        assert inspect.iscoroutinefunction(method) is (cls is AsyncClient)
        sig = inspect.signature(method)
        params = [p for p in sig.parameters.values() if p.name != "self"]
        assert [p.name for p in params] == [
            *[p.name for p in ep.params if p.required],
            *[p.name for p in ep.params if not p.required],
        ]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
        for p in params:
            required = ep.param(p.name).required  # type: ignore[union-attr]
            assert (p.default is inspect.Parameter.empty) is required
        assert method.__doc__ and ep.path in method.__doc__


def test_error_tree() -> None:
    root = errors_module.CregisError
    for name in errors_module.__all__:
        cls = getattr(errors_module, name)
        assert issubclass(cls, root)
        assert cls.__name__ in (errors_module.__doc__ or "")
    assert issubclass(errors_module.CregisValidationError, ValueError)
    assert issubclass(errors_module.CregisRateLimitError, errors_module.CregisHTTPError)
