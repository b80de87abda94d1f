#!/usr/bin/env python3
"""Benchmark: one value-and-gradient call of the series' two-layer sigmoid cost.

The cost (no biases, float64) is

    J = 0.5 * sum((y - sigmoid(sigmoid(X @ W_1) @ W_2)) ** 2)

and every contender returns ``(J, gradient)``, the gradient flattened as
``NeuralNetwork.get_params`` lays it out (``W_1`` then ``W_2``): the pair that
``scipy.optimize.minimize(..., jac=True)`` consumes.

Usage::

    python benchmarks/bench_gradients.py                  # full run: two to three minutes on 2 cores
    python benchmarks/bench_gradients.py --quick          # a few seconds: tiny and small sizes
    python benchmarks/bench_gradients.py --out benchmarks/results.md   # also write the Markdown

On a machine shared with other work, prefix ``OPENBLAS_NUM_THREADS=1
OMP_NUM_THREADS=1``: a multi-threaded BLAS whose threads wait for a busy core
turns a 2 ms call into a 100 ms one at random, while one thread per library
keeps the ratios steady. The report lists these variables.

How it measures (see benchmarks/README.md for the reasoning):

1. Before any timing, every contender's ``(J, gradient)`` is compared with the
   reference (hand-written NumPy with ``s * (1 - s)``) with ``rtol = 1e-9``; a
   contender that disagrees is reported and not timed.
2. Each contender gets a number of calls per block so that a block lasts about
   ``block_seconds``; then, round after round, every contender runs one block
   (the order rotated each round, so no contender always runs first or just
   after a heavy one). The time per call of each block is one sample; the
   report gives the median over rounds and the ratios of medians.
3. Peak memory is the ``tracemalloc`` peak of one call (NumPy reports its data
   buffers to ``tracemalloc``); growth is the traced memory after 1,000 calls
   minus that after a warm-up.

This file is the command line and :func:`run`; the work is in its neighbours,
one concern each: ``bench_contenders.py`` (the problem sizes and every
implementation timed), ``bench_harness.py`` (settings, result records,
verification, the interleaved timing, BFGS), ``bench_memory.py`` (peak and
growth probes), ``bench_targets.py`` (the ratios each contender must meet) and
``bench_report.py`` (the machine and the Markdown). The module is importable:
``run(quick) -> list of results`` and ``render_markdown(results, machine_info(),
quick)`` are what ``main`` uses, and what ``tests/test_benchmarks_quick.py`` checks.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# `python benchmarks/bench_gradients.py` puts benchmarks/ on sys.path, not the
# repository root: add the root so the checkout beside this file is measured even
# when tinygrad_nnd is not installed, and benchmarks/ for a caller that loads this
# file by its path (the quick test).
_HERE = Path(__file__).resolve().parent
for _folder in (_HERE.parent, _HERE):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

# The pieces, one concern each: what is timed, how it is timed, memory, targets, the report.
from bench_contenders import AUTODIFF_KEYS, CONTENDER_BY_KEY, CONTENDERS, SIZES  # noqa: E402
from bench_harness import (  # noqa: E402
    FULL,
    QUICK,
    BfgsResult,
    GrowthResult,
    Log,
    PeakMemoryResult,
    Result,
    TargetResult,
    TimingResult,
    _no_log,
    benchmark_bfgs,
    benchmark_size,
    measure_compile,
)
from bench_memory import MEMORY_KEYS, measure_growth, measure_peak_memory  # noqa: E402
from bench_report import machine_info, render_markdown  # noqa: E402
from bench_targets import evaluate_targets  # noqa: E402

# What tests/test_benchmarks_quick.py reads from this module, besides run, main and the command line's helpers.
__all__ = [
    "AUTODIFF_KEYS",
    "CONTENDERS",
    "CONTENDER_BY_KEY",
    "MEMORY_KEYS",
    "QUICK",
    "BfgsResult",
    "GrowthResult",
    "PeakMemoryResult",
    "TargetResult",
    "TimingResult",
    "machine_info",
    "main",
    "parse_args",
    "render_markdown",
    "run",
    "write_report",
]


# ==================================================================== the run


def run(quick: bool = False, log: Log = _no_log) -> list[Result]:
    """Run every measurement; the results, targets last. ``quick``: tiny and small only, few repeats."""
    settings = QUICK if quick else FULL
    results: list[Result] = []
    for name in settings.sizes:
        results += benchmark_size(SIZES[name], settings, log)
    results += measure_compile(settings, log)
    results += benchmark_bfgs(settings, log)
    results += measure_peak_memory(settings, log)
    results += measure_growth(settings, log)
    results += evaluate_targets(results, settings)
    return results


# ==================================================================== command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny and small sizes, few repeats: a few seconds")
    parser.add_argument("--out", type=Path, metavar="PATH", help="also write the Markdown report to PATH")
    return parser.parse_args(argv)


def write_report(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the Markdown report, and write it to ``--out`` if given."""
    args = parse_args(argv)
    start = time.perf_counter()
    results = run(quick=args.quick, log=lambda message: print(f"[bench] {message}", file=sys.stderr, flush=True))
    text = render_markdown(results, machine_info(), args.quick, time.perf_counter() - start)
    print(text, end="")
    if args.out is not None:
        write_report(text, args.out)
        print(f"[bench] wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
