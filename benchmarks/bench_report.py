"""The benchmark's report: the machine it ran on, and the results rendered as Markdown."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bench_contenders import (
    BEST,
    CONTENDER_BY_KEY,
    CONTENDERS,
    FORWARD,
    JITTED,
    NETWORK,
    NETWORK_SEED,
    PLAIN,
    SEED,
    SIZES,
    VALUE_AND_GRAD,
)
from bench_harness import (
    FULL,
    QUICK,
    RTOL,
    BfgsResult,
    GrowthResult,
    PeakMemoryResult,
    Result,
    Settings,
    TargetResult,
    _median,
    _timing,
)

#: The checkout whose revision the report names.
REPO_ROOT = Path(__file__).resolve().parent.parent


# ==================================================================== machine information


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_build() -> str:
    """The BLAS NumPy was built against, from ``numpy.show_config``."""
    try:
        config = np.show_config(mode="dicts")  # NumPy >= 1.26
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '?')}"
    except (TypeError, KeyError):
        return "unknown (numpy.show_config has no dicts mode)"


def blas_runtime() -> str:
    """The BLAS actually loaded, its kernel and threads, from threadpoolctl when installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return (
        "; ".join(
            f"{p.get('internal_api')} {p.get('version')}, kernel {p.get('architecture')}, threads: {p.get('num_threads')}"
            for p in pools
        )
        or "none found"
    )


def package_version(name: str) -> str:
    """An installed distribution's version, without importing it."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def source_revision() -> str:
    """The checkout's commit, marked when the engine has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "tinygrad_nnd"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} (tinygrad_nnd/ has uncommitted changes)" if dirty else commit


def load_average() -> str:
    """The system load: other work on the machine slows every contender and widens the spread."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


#: Environment variables that change what BLAS and OpenMP do: the kernel OpenBLAS picks, and thread counts.
THREAD_AND_KERNEL_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def machine_info() -> dict[str, str]:
    """What the numbers depend on: hardware, interpreter, NumPy and its BLAS, library versions."""
    import scipy

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "CPU": cpu_model(),
        "usable cores": str(cores),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "NumPy": np.__version__,
        "BLAS (build)": blas_build(),
        "BLAS (runtime)": blas_runtime(),
        **{name: os.environ.get(name, "not set") for name in THREAD_AND_KERNEL_VARIABLES},
        "SciPy": scipy.__version__,
        "tinygrad_nnd commit": source_revision(),
        "load average (1, 5, 15 min) at the end": load_average(),
        "PyTorch": package_version("torch"),
        "autograd": package_version("autograd"),
        "JAX": package_version("jax"),
    }


# ==================================================================== Markdown


def short_label(key: str) -> str:
    """A contender's name for target rows."""
    return {
        NETWORK: "`N.cost_and_gradients`",
        JITTED: "`jit(cost)`",
        VALUE_AND_GRAD: "`value_and_grad`",
        SEED: "seed NumPy",
        BEST: "NumPy `s*(1-s)` in place",
        PLAIN: "NumPy `s*(1-s)`",
        FORWARD: "forward",
    }.get(key, key)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def format_bytes(n: float) -> str:
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1024:
        return f"{sign}{n:.0f} B"
    if n < 1024**2:
        return f"{sign}{n / 1024:.1f} KiB"
    return f"{sign}{n / 1024**2:.1f} MiB"


def format_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator / denominator:.2f}x"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """A Markdown table; ``align`` has one letter per column, ``l`` (text) or ``r`` (numbers)."""
    rules = {"l": " --- ", "r": " ---: "}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rules[a] for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_machine(machine: dict[str, str]) -> list[str]:
    return ["## Machine", "", *table(["item", "value"], [[k, v] for k, v in machine.items()], "ll")]


def render_timings(results: Sequence[Result], settings: Settings) -> list[str]:
    rows = []
    for size in settings.sizes:
        seed, plain, best, forward = (_median(results, size, k) for k in (SEED, PLAIN, BEST, FORWARD))
        for contender in CONTENDERS:
            r = _timing(results, size, contender.key)
            if r is None:
                continue
            if r.median_s is None:
                rows.append([size, contender.label, r.status, "-", "-", "-", "-", "-", "-", "-"])
                continue
            rows.append(
                [
                    size,
                    contender.label,
                    format_seconds(r.median_s),
                    format_ratio(r.median_s, seed),
                    format_ratio(r.median_s, plain),
                    format_ratio(r.median_s, best),
                    format_ratio(r.median_s, forward),
                    f"{100 * (r.iqr_s or 0.0) / r.median_s:.1f}%",
                    format_seconds(r.min_s),
                    f"{r.number} x {r.rounds}",
                ]
            )
    sizes = "; ".join(f"{s}: {SIZES[s].describe()}" for s in settings.sizes)
    return [
        "## One value-and-gradient call (median per call)",
        "",
        (
            f"Sizes: {sizes}. Every contender's J and gradient matched the reference "
            f"(NumPy `s*(1-s)`) to rtol {RTOL:g} before it was timed, unless its row says otherwise."
        ),
        "",
        *table(
            [
                "size",
                "contender",
                "median",
                "vs seed NumPy",
                "vs NumPy `s*(1-s)`",
                "vs in-place NumPy",
                "vs forward",
                "IQR / median",
                "min",
                "calls x rounds",
            ],
            rows,
            "llrrrrrrrr",
        ),
    ]


def render_bfgs(results: Sequence[Result]) -> list[str]:
    bfgs = {r.gradient: r for r in results if isinstance(r, BfgsResult)}
    hand = bfgs["chain_rule"].median_s
    rows = [
        [
            f"`Trainer(N, gradient={g!r})`",
            format_seconds(r.median_s),
            format_ratio(r.median_s, hand),
            str(r.iterations),
            str(r.evaluations),
            f"{r.final_cost:.6g}",
            "yes" if r.success else "no",
            f"{r.number} x {r.rounds}",
        ]
        for g, r in bfgs.items()
    ]
    return [
        "## BFGS training of the seed problem (end to end)",
        "",
        f"Sleep/study data, `NeuralNetwork(seed={NETWORK_SEED})`, `Trainer(...).train(X, y)` with SciPy's BFGS.",
        "",
        *table(
            [
                "gradient",
                "median wall time",
                "vs chain rule",
                "iterations",
                "evaluations",
                "final J",
                "converged",
                "runs x rounds",
            ],
            rows,
            "lrrrrrrr",
        ),
    ]


def render_memory(results: Sequence[Result]) -> list[str]:
    peaks = [r for r in results if isinstance(r, PeakMemoryResult)]
    plain = next(r.peak_bytes for r in peaks if r.contender == PLAIN)
    best = next(r.peak_bytes for r in peaks if r.contender == BEST)
    rows = [
        [
            CONTENDER_BY_KEY[r.contender].label,
            format_bytes(r.peak_bytes),
            format_ratio(r.peak_bytes, plain),
            format_ratio(r.peak_bytes, best),
        ]
        for r in peaks
    ]
    growths = [r for r in results if isinstance(r, GrowthResult)]
    growth_rows = [
        [
            CONTENDER_BY_KEY[g.contender].label,
            str(g.warmup_calls),
            str(g.calls),
            format_bytes(g.growth_bytes),
            str(g.unreachable_per_call),
        ]
        for g in growths
    ]
    size = peaks[0].size
    growth_size = growths[0].size if growths else "-"
    return [
        f"## Peak memory of one call ({size}: {SIZES[size].describe()})",
        "",
        (
            "`tracemalloc` peak during the second call (NumPy reports its buffers to it), plus what the "
            "contender still holds between calls (a compiled program's buffers); inputs already allocated."
        ),
        "",
        *table(["contender", "peak traced", "vs NumPy `s*(1-s)`", "vs in-place NumPy"], rows, "lrrr"),
        "",
        f"## Memory over repeated calls ({growth_size})",
        "",
        (
            "Traced memory after warm-up and after the further calls, garbage collected at both points; "
            "'in cycles' counts objects one call leaves to the cycle collector (0: freed by reference counting)."
        ),
        "",
        *table(
            ["contender", "warm-up calls", "further calls", "growth", "objects in cycles per call"],
            growth_rows,
            "lrrrr",
        ),
    ]


def render_targets(results: Sequence[Result]) -> list[str]:
    rows = [
        [t.name, t.measured, t.goal, {True: "PASS", False: "MISS", None: "n/a"}[t.passed], t.note]
        for t in results
        if isinstance(t, TargetResult)
    ]
    return ["## Targets", "", *table(["target", "measured", "goal", "result", "note"], rows, "lrrll")]


def command_line(quick: bool) -> str:
    """The command that reproduces this report, with the thread and kernel variables that were set."""
    env = " ".join(f"{name}={os.environ[name]}" for name in THREAD_AND_KERNEL_VARIABLES if name in os.environ)
    return f"{env + ' ' if env else ''}python benchmarks/bench_gradients.py{' --quick' if quick else ''}"


def render_header(quick: bool, seconds: float | None) -> list[str]:
    settings = QUICK if quick else FULL
    mode = "quick mode, few repeats: rough numbers" if quick else "full run"
    took = "" if seconds is None else f" The run took {seconds:.0f} s."
    return [
        "# tinygrad_nnd gradient benchmark",
        "",
        (
            f"`{command_line(quick)}` ({mode}; add `--out PATH` to write this file). "
            "Cost `J = 0.5 * sum((y - sigmoid(sigmoid(X @ W_1) @ W_2))**2)`, float64, no biases. "
            f"Medians over interleaved rounds of blocks of about {settings.block_seconds * 1e3:.0f} ms; "
            f"every ratio is a ratio of medians from this one run.{took}"
        ),
    ]


def render_markdown(
    results: Sequence[Result], machine: dict[str, str], quick: bool, seconds: float | None = None
) -> str:
    """The whole report as Markdown: targets first, then the measurements behind them, then the machine."""
    settings = QUICK if quick else FULL
    sections = [
        render_header(quick, seconds),
        render_targets(results),
        render_timings(results, settings),
        render_bfgs(results),
        render_memory(results),
        render_machine(machine),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
