"""The public surface: ``__all__`` resolves, helpers match the registry, the error tree holds."""

from __future__ import annotations

import importlib.util
import inspect
import re
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
    roots = (errors_module.CregisError, errors_module.CregisWarning)
    for name in errors_module.__all__:
        cls = getattr(errors_module, name)
        assert issubclass(cls, roots), name
        assert cls.__name__ in (errors_module.__doc__ or ""), f"{name} is not drawn in the tree"
    assert issubclass(errors_module.CregisWarning, UserWarning)
    assert issubclass(errors_module.CregisValidationError, ValueError)
    assert issubclass(errors_module.CregisConfigError, ValueError)
    assert issubclass(errors_module.UnknownEndpoint, KeyError)
    assert issubclass(errors_module.CregisFetchInterrupted, KeyboardInterrupt)
    assert issubclass(errors_module.CregisRateLimitError, errors_module.CregisHTTPError)


def _package_modules() -> list[str]:
    package = ROOT / "cregis_notebook"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def test_no_exception_or_warning_class_lives_outside_errors() -> None:
    stray = []
    for module_name in _package_modules():
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module_name
                and module_name != "cregis_notebook.errors"
            ):
                stray.append(f"{module_name}.{value.__qualname__}")
    assert stray == [], "define these in cregis_notebook/errors.py"


def test_every_error_class_is_exported_from_errors() -> None:
    defined = {
        name
        for name, value in vars(errors_module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors_module.__name__
    }
    assert defined == set(errors_module.__all__)


# -- the error tree drawn in errors.py and in the README ------------------------------------------


def _drawn_tree(text: str) -> str:
    """The trees drawn in a text: from its ``CregisError`` line to the end of the drawing."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "CregisError")
    indent = len(lines[start]) - len(lines[start].lstrip())
    tree: list[str] = []
    for line in lines[start:]:
        if line.strip() and (line.startswith("```") or len(line) - len(line.lstrip()) < indent):
            break  # the end of the README's block, or the docstring's text after the tree
        tree.append(line[indent:])
    return "\n".join(tree).strip()


def _parents(tree: str) -> dict[str, str | None]:
    """Each class drawn in ``tree`` and the class it hangs from (``None`` for a root)."""
    parents: dict[str, str | None] = {}
    chain: list[str] = []  # the class drawn at each depth so far
    for line in tree.splitlines():
        found = re.match(r"^((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)", line)
        if found is None:
            continue  # a blank line or a description's second line
        depth = len(found.group(1)) // 4 + (1 if "──" in line[: len(found.group(1)) + 4] else 0)
        name = found.group(2)
        del chain[depth:]
        parents[name] = chain[-1] if chain else None
        chain.append(name)
    return parents


def test_readme_draws_the_error_tree_of_errors_py() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Errors and retries", 1)[1].split("\n## ", 1)[0]
    drawn = _drawn_tree(section)
    assert drawn == _drawn_tree(errors_module.__doc__ or ""), "copy errors.py's tree to the README"
    parents = _parents(drawn)
    assert set(parents) == set(errors_module.__all__), "every class of errors.__all__, no other"
    for name, parent in parents.items():
        cls = getattr(errors_module, name)
        ours = [b.__name__ for b in cls.__bases__ if b.__module__ == errors_module.__name__]
        assert ours == ([] if parent is None else [parent]), f"{name} hangs from {ours}"
