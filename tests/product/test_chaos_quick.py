"""CI runs the chaos script's quick mode: the bot as a subprocess, killed with SIGKILL and
restarted, must end with every invariant intact (the full run's figures: docs/RELIABILITY.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
@pytest.mark.timeout(330)  # the script gives up at 240 s; it reports better than a kill would
def test_chaos_quick_mode_keeps_every_invariant() -> None:
    result = subprocess.run(
        [sys.executable, "bench/chaos.py", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=330,  # the script gives up at 240 s
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's sandbox/, not an install's
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kills (SIGKILL)" in result.stdout
    assert "invariant violations: 0" in result.stdout
