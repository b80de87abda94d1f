"""The printed results of long optimizations do not depend on the CPU's BLAS kernels.

NumPy's OpenBLAS picks its kernels for the CPU it runs on, and each kernel rounds
the last bits of a matrix product its own way. After dozens of BFGS steps those bits
show in the result, so the docs, the README and the demo print such results only to
the digits every kernel reproduces, or compare them with a stated tolerance. Here
they are rerun under other kernels that this CPU can execute (``OPENBLAS_CORETYPE``;
ignored by a NumPy built without OpenBLAS's dynamic kernel choice, when the rerun
simply repeats the default).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Documents that print the results of long optimizations.
LONG_RUN_DOCS = (
    "README.md",
    "docs/cli.md",
    "docs/tutorial/06-training.md",
    "docs/tutorial/07-overfitting-testing-regularization.md",
    "tinygrad_nnd/nn/trainer.py",
)

#: OpenBLAS kernels and the CPU flag each needs (/proc/cpuinfo calls SSE3 "pni"). They give four different sets of
#: final digits for the Part VII fit (measured: 07's overfitted predictions moved by 0.1).
KERNELS = {"Prescott": "pni", "Nehalem": "sse4_2", "SandyBridge": "avx", "Haswell": "avx2"}


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_docs_and_demo_give_the_same_printed_results_under_another_blas_kernel(kernel: str) -> None:
    """Under each OpenBLAS kernel the CPU runs, the long-run doctests pass and the demo's checks pass."""
    flags = _cpu_flags()
    if KERNELS[kernel] not in flags:
        pytest.skip(f"this CPU cannot run OpenBLAS's {kernel} kernels (no {KERNELS[kernel]})")
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    docs = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *LONG_RUN_DOCS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert docs.returncode == 0, docs.stdout[-4000:]
    demo = subprocess.run(
        [sys.executable, "-m", "tinygrad_nnd", "demo", "--no-plots"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0 and "all checks passed" in demo.stdout, demo.stdout[-3000:] + demo.stderr
