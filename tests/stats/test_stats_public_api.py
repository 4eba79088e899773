"""The public surface of klynge.stats: complete, sorted and documented."""

from __future__ import annotations

import inspect

import klynge.stats as stats

REQUIRED = {
    "rate_ratio",
    "poisson_regression",
    "qic",
    "funnel",
    "standardise_direct",
    "standardise_indirect",
    "did",
    "shared_savings",
}


def test_all_is_sorted_complete_and_exported():
    assert stats.__all__ == sorted(stats.__all__)
    assert REQUIRED <= set(stats.__all__)
    public = {
        name
        for name, value in vars(stats).items()
        if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
    }
    assert public == set(stats.__all__)


def test_every_public_function_has_a_numpydoc_example():
    for name in stats.__all__:
        obj = getattr(stats, name)
        doc = inspect.getdoc(obj) or ""
        assert doc, name
        if inspect.isfunction(obj):
            assert "Parameters\n----------" in doc and "Examples\n--------" in doc, name


def test_docstring_examples_run():
    import doctest
    import importlib

    for module_name in ("_common", "_rates", "_spc", "_funnel", "_standardise", "_did", "_savings"):
        module = importlib.import_module(f"klynge.stats.{module_name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module_name
        assert result.attempted > 0 or module_name == "_common", module_name
