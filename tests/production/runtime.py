"""The runtime virtualenv: requirements.txt alone, none of the development tools.

Built once under var/runtime/<hash of requirements.txt>/ and reused while that file
stays the same; a changed file builds a new one and removes the old. A fresh clone
builds it on first use (`make test-production`, or the tests themselves).

    python -m tests.production.runtime    # build if needed, print its path
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"
FOLDER = ROOT / "var" / "runtime"


def runtime_venv() -> Path:
    """The runtime virtualenv's path, built first if requirements.txt changed."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    venv = FOLDER / key
    done = venv / ".installed"
    if done.exists():
        return venv
    FOLDER.mkdir(parents=True, exist_ok=True)
    # Two runs at once (CI stages, a developer's shell) build it once.
    with (FOLDER / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        # The interpreter the development virtualenv was made from, not the
        # development virtualenv itself: nothing of it may leak in.
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--quiet"]
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.pop("PYTHONPATH", None)
        subprocess.run([*pip, "install", "-r", str(REQUIREMENTS)], check=True, env=env)
        done.write_text(REQUIREMENTS.read_text())
        for old in FOLDER.iterdir():
            if old.is_dir() and old != venv:
                shutil.rmtree(old, ignore_errors=True)
    return venv


if __name__ == "__main__":
    print(runtime_venv())
