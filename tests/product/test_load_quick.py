"""The load benchmark's quick mode still runs and still finds nothing lost or doubled.

bench/load.py --quick: 12 sellers at once connect eBay, Facebook and OfferUp, post an album of
4 photos and cross-post it to all three while 10% of the marketplaces' API calls fail. It exits 0
only when every item is on every marketplace exactly once and every seller was told so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(250)
def test_quick_load_run_loses_and_doubles_nothing() -> None:
    finished = subprocess.run(
        [sys.executable, "bench/load.py", "--quick"],
        cwd=REPO, capture_output=True, text=True, timeout=240, check=False,
    )
    output = finished.stdout + finished.stderr
    assert "lost or doubled: 0 " in finished.stdout, output[-4000:]
    assert finished.returncode == 0, output[-4000:]
