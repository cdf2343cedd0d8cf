"""The production shape runs from the runtime virtualenv (requirements.txt alone),
built once and cached under var/runtime/ (tests/production/runtime.py). `make test`
runs these tests as a stage of their own (`make test-production`)."""

from pathlib import Path

import pytest

from tests.production.runtime import runtime_venv as build_runtime_venv


@pytest.fixture(scope="session")
def runtime_venv() -> Path:
    path = build_runtime_venv()
    assert (path / "bin" / "gunicorn").exists(), f"no gunicorn in {path}"
    return path
