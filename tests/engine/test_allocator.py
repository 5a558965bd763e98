"""The allocator policy of issue 13: large blocks stay mmapped after one is freed, in every PoseLab process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

# glibc raises its dynamic mmap threshold to the size of a freed mmapped block, so without a fixed policy
# the second 4 MB block comes from the heap. Bit 2 of a chunk's size field (just before the pointer)
# says "mmapped" in glibc's malloc.
PROBE = """
import ctypes, sys
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "policy":
    from poselab.engine.allocator import apply_allocator_policy
    assert apply_allocator_policy()
size = 4 << 20
libc.free(libc.malloc(size))
block = libc.malloc(size)
header = ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value
print("mmapped" if header & 2 else "heap")
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")


def _probe(mode: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO, env=env, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def test_without_the_policy_a_freed_large_block_moves_the_next_ones_to_the_heap() -> None:
    assert _probe("none") == "heap"  # what fragmented the heaps: the probe tells the two states apart


def test_with_the_policy_large_blocks_stay_mmapped() -> None:
    assert _probe("policy") == "mmapped"


def test_the_command_line_applies_the_policy(tmp_path: Path) -> None:
    script = "import runpy, sys; sys.argv = ['poselab', '--help']\n" \
             "try:\n    runpy.run_module('poselab', run_name='__main__')\nexcept SystemExit:\n    pass\n" \
             "from poselab.engine.allocator import mmap_threshold_fixed; print(mmap_threshold_fixed())"
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "True"
