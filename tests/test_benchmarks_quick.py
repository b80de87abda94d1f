"""The benchmark's quick mode runs, and every contender computes the same J and gradient.

Correctness only: no assertion here is about speed (timings on a shared CI
machine say nothing), only that the benchmark measures the right code and
reports every row.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gradients.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """benchmarks/bench_gradients.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_gradients", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up in sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(bench: ModuleType) -> list:
    return bench.run(quick=True)


@pytest.fixture(scope="module")
def report(bench: ModuleType, results: list) -> str:
    return bench.render_markdown(results, bench.machine_info(), quick=True)


def test_every_contender_agrees_before_timing(bench: ModuleType, results: list) -> None:
    timings = [r for r in results if isinstance(r, bench.TimingResult)]
    for r in timings:
        contender = bench.CONTENDER_BY_KEY[r.contender]
        if contender.optional and r.status != "ok":
            # PyTorch, autograd, JAX: never required, but when installed they must agree too.
            assert r.status == "not installed", (r.contender, r.status)
            continue
        assert r.status == "ok" and r.agreed, (r.size, r.contender, r.status)
        assert r.median_s is not None and r.median_s > 0
        assert r.number >= 1 and r.rounds == bench.QUICK.rounds[r.size]


def test_every_size_and_contender_has_a_row(bench: ModuleType, results: list, report: str) -> None:
    seen = {(r.size, r.contender) for r in results if isinstance(r, bench.TimingResult)}
    assert seen == {(size, c.key) for size in bench.QUICK.sizes for c in bench.CONTENDERS}
    for size in bench.QUICK.sizes:
        for contender in bench.CONTENDERS:
            assert f"| {size} | {contender.label} |" in report


def test_targets_measured_in_quick_mode_are_all_reported(bench: ModuleType, results: list, report: str) -> None:
    targets = [r for r in results if isinstance(r, bench.TargetResult)]
    names = [t.name for t in targets]
    # tiny and small timing (two compiled contenders each), against JAX (tiny and small), trace and
    # compile (two), BFGS time and iterations, peak memory (two compiled contenders), growth (three).
    assert len(names) == 2 * 2 + 2 + 2 + 2 + 2 + 3, names
    # Only the JAX rows may be unmeasured (JAX is optional).
    assert all(t.passed is not None for t in targets if "JAX" not in t.name), [t for t in targets if t.passed is None]
    assert sum(name.startswith("tiny:") for name in names) == 2 + 1
    assert any("BFGS" in name and "iteration" in name for name in names)
    for t in targets:
        assert f"| {t.name} | {t.measured} |" in report


def test_bfgs_uses_the_same_iterations_with_either_gradient(bench: ModuleType, results: list) -> None:
    bfgs = {r.gradient: r for r in results if isinstance(r, bench.BfgsResult)}
    assert set(bfgs) == {"autodiff", "chain_rule"}
    assert bfgs["autodiff"].iterations == bfgs["chain_rule"].iterations > 0
    assert bfgs["autodiff"].agreed and bfgs["autodiff"].success and bfgs["chain_rule"].success
    for r in bfgs.values():  # timed like the value-and-gradient calls
        assert r.median_s is not None and r.median_s > 0
        assert r.number >= 1 and r.rounds == bench.QUICK.bfgs_rounds


def test_memory_checks_report_numbers(bench: ModuleType, results: list) -> None:
    peaks = {r.contender: r.peak_bytes for r in results if isinstance(r, bench.PeakMemoryResult)}
    assert set(peaks) == set(bench.MEMORY_KEYS)
    assert all(isinstance(p, int) and p > 0 for p in peaks.values())
    growths = [r for r in results if isinstance(r, bench.GrowthResult)]
    assert {g.contender for g in growths} == set(bench.AUTODIFF_KEYS)
    for g in growths:
        assert isinstance(g.growth_bytes, int)
        assert g.calls == 1000


def test_report_has_its_sections_and_machine_info(report: str) -> None:
    for heading in (
        "## Targets",
        "## One value-and-gradient call",
        "## BFGS training",
        "## Peak memory",
        "## Memory over repeated calls",
        "## Machine",
    ):
        assert heading in report
    assert "| NumPy |" in report and "| OPENBLAS_CORETYPE |" in report


def test_out_option_writes_the_report(bench: ModuleType, report: str, tmp_path: Path) -> None:
    args = bench.parse_args(["--quick", "--out", str(tmp_path / "results.md")])
    assert args.quick and args.out == tmp_path / "results.md"
    bench.write_report(report, args.out)
    assert args.out.read_text(encoding="utf-8") == report
