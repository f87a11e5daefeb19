"""Shared fixtures: the Homework 3 spec, and tools that must exist in CI.

Outside CI a test that needs TeX or PyTorch skips and says so; with ``CI=true`` the same test
fails, so a CI machine without them can never pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from answerkey.derive import Key, derive
from answerkey.load import load_spec
from answerkey.spec import LoadedSpec

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK3 = ROOT / "specs" / "homework3.yaml"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.tex from the current renderer",
    )


def need(available: bool, what: str) -> None:
    """Skip (or, in CI, fail) when ``what`` is not installed."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) but is not installed")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def torch_available() -> None:
    need(importlib.util.find_spec("torch") is not None, "PyTorch")


@pytest.fixture(scope="session")
def tex_available() -> None:
    need(
        shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None,
        "pdflatex and pdftotext (TeX Live, poppler-utils)",
    )


@pytest.fixture(scope="session")
def hw3() -> LoadedSpec:
    return load_spec(HOMEWORK3)


@pytest.fixture(scope="session")
def hw3_key(hw3: LoadedSpec) -> Key:
    return derive(hw3)


@pytest.fixture
def float64() -> Iterator[None]:
    """PyTorch in float64 for one test, the default restored after it."""
    import torch

    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
