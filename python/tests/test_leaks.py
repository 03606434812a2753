"""The short form of the leak check across the FFI (tests/leaks/leak.py, issue 15): after a
warm-up, 200 cycles of a simulator, a client and a virtual client created, used and closed, then
50,000 calls (one in 100 a REST call), with RSS and descriptors measured against the baseline.

Bounds: RSS growth <= 32 MiB and descriptors <= 8. Measured without a leak: +0.1 to +0.3 MiB and
+0 descriptors (docs/leaks.md), so the bound does not flake, while a leak of 1 KiB per call
(49 MiB over 50,000 calls) or of a socket, a thread's stack or a runtime per cycle (MiBs over
200 cycles, and a descriptor each) fails it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LEAK_SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "leaks" / "leak.py"


def test_rss_and_descriptors_stay_flat_across_cycles_and_calls() -> None:
    env = {
        **os.environ,
        "LEAK_CYCLES": "200",
        "LEAK_CALLS": "50000",
        "LEAK_MAX_RSS_MIB": "32",
        "LEAK_MAX_FDS": "8",
    }
    done = subprocess.run(
        [sys.executable, str(LEAK_SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(done.stdout, done.stderr, sep="")
    assert done.returncode == 0, done.stdout + done.stderr
    phases = [line.split()[2] for line in done.stdout.splitlines() if line.startswith("leak python ")]
    assert phases == ["warmup", "cycles", "calls"], done.stdout
