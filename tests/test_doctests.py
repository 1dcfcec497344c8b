"""The examples in the docstrings of harmonize's modules run and say what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import harmonize

MODULES = sorted(m.name for m in pkgutil.walk_packages(harmonize.__path__, "harmonize.")
                 if not m.name.endswith("__main__") and not m.name.startswith("harmonize.ncbi"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
