"""The benchmark's targets: the ratios each contender must meet, checked against the results."""

from __future__ import annotations

from collections.abc import Sequence

from bench_contenders import AUTODIFF_KEYS, BEST, COMPILED_KEYS, FORWARD, JAX, JITTED, PLAIN
from bench_harness import (
    BfgsResult,
    CompileResult,
    GrowthResult,
    PeakMemoryResult,
    Result,
    Settings,
    TargetResult,
    _median,
    _timing,
)
from bench_report import format_bytes, format_seconds, short_label

# ==================================================================== targets

#: (size, baseline contender, largest allowed ratio of medians) for the compiled contenders
#: (issue 8). The baseline is "hand-written NumPy with s * (1 - s)": the everyday version
#: (PLAIN). The in-place version (BEST) is stricter still; each target row also gives the
#: ratio against it in its note, so neither reading is hidden.
TIME_TARGETS = (("tiny", PLAIN, 0.8), ("small", PLAIN, 0.8), ("medium", PLAIN, 0.7), ("large", PLAIN, 1.0))
#: Sizes where the compiled cost should be no slower than JAX's jit (when JAX is installed).
JAX_TARGET_SIZES = ("tiny", "small")
#: Trace and compile of the series' cost, in seconds (reported with the eager calls it equals).
COMPILE_LIMIT_S = 5e-3
#: Sizes where the gradient is held to about twice the forward pass (at tiny and
#: small, Python's per-call overhead dominates and the ratio says nothing about the engine's arithmetic).
FORWARD_TARGET_SIZES = ("medium", "large")
FORWARD_LIMIT = 2.0
BFGS_LIMIT = 1.1
MEMORY_LIMIT = 1.0
#: "No growth": far below one leaked graph per call (kilobytes each even at small), above allocator noise.
GROWTH_LIMIT_BYTES = 64 * 1024


def _ratio_target(
    name: str, numerator: float | None, denominator: float | None, limit: float, note: str = ""
) -> TargetResult:
    goal = f"<= {limit:.2f}x"
    if numerator is None or denominator is None:
        return TargetResult(name, "n/a", goal, None, note or "a contender did not run")
    ratio = numerator / denominator
    return TargetResult(name, f"{ratio:.2f}x", goal, ratio <= limit, note)


def evaluate_targets(results: Sequence[Result], settings: Settings) -> list[TargetResult]:
    """One row per target of the issue that this run measured."""
    targets: list[TargetResult] = []
    for size, baseline, limit in TIME_TARGETS:
        if size not in settings.sizes:
            continue
        for key in COMPILED_KEYS:
            name = f"{size}: {short_label(key)} vs {short_label(baseline)}"
            mine, best = _median(results, size, key), _median(results, size, BEST)
            note = "" if baseline == BEST or mine is None or best is None else f"vs in-place NumPy: {mine / best:.2f}x"
            targets.append(_ratio_target(name, mine, _median(results, size, baseline), limit, note))
    for size in FORWARD_TARGET_SIZES:
        if size not in settings.sizes:
            continue
        forward = _median(results, size, FORWARD)
        best = _median(results, size, BEST)
        note = "" if best is None or forward is None else f"hand-written best: {best / forward:.2f}x"
        for key in AUTODIFF_KEYS:
            name = f"{size}: {short_label(key)} vs forward pass"
            targets.append(_ratio_target(name, _median(results, size, key), forward, FORWARD_LIMIT, note))
    for size in JAX_TARGET_SIZES:
        if size in settings.sizes:
            jax = _timing(results, size, JAX)
            note = "" if jax is not None and jax.median_s is not None else f"JAX {jax.status if jax else 'not run'}"
            targets.append(
                _ratio_target(
                    f"{size}: {short_label(JITTED)} vs JAX `jit`",
                    _median(results, size, JITTED),
                    _median(results, size, JAX),
                    1.0,
                    note,
                )
            )
    targets += _compile_targets([r for r in results if isinstance(r, CompileResult)])
    targets += _bfgs_targets([r for r in results if isinstance(r, BfgsResult)])
    targets += _memory_targets([r for r in results if isinstance(r, PeakMemoryResult)])
    targets += _growth_targets([r for r in results if isinstance(r, GrowthResult)])
    return targets


def _bfgs_targets(bfgs: Sequence[BfgsResult]) -> list[TargetResult]:
    by = {r.gradient: r for r in bfgs}
    auto, hand = by["autodiff"], by["chain_rule"]
    return [
        _ratio_target("BFGS seed problem: autodiff vs chain rule, wall time", auto.median_s, hand.median_s, BFGS_LIMIT),
        TargetResult(
            "BFGS seed problem: iteration counts",
            f"{auto.iterations} vs {hand.iterations}",
            "equal",
            auto.iterations == hand.iterations,
            "same optimum" if auto.agreed else "optimum differs",
        ),
    ]


def _compile_targets(compiles: Sequence[CompileResult]) -> list[TargetResult]:
    return [
        TargetResult(
            f"trace and compile the series' cost, {short_label(c.contender)}",
            format_seconds(c.median_s),
            f"< {format_seconds(COMPILE_LIMIT_S)}",
            c.median_s is not None and c.median_s < COMPILE_LIMIT_S,
            f"{c.median_s / c.eager_call_s:.0f} eager `value_and_grad` calls" if c.median_s else "",
        )
        for c in compiles
    ]


def _memory_targets(peaks: Sequence[PeakMemoryResult]) -> list[TargetResult]:
    by = {r.contender: r for r in peaks}
    plain, best = by[PLAIN], by[BEST]
    return [
        _ratio_target(
            f"{plain.size}: peak memory, {short_label(key)} vs {short_label(PLAIN)}",
            float(by[key].peak_bytes),
            float(plain.peak_bytes),
            MEMORY_LIMIT,
            f"{format_bytes(by[key].peak_bytes)} vs {format_bytes(plain.peak_bytes)}; "
            f"vs in-place NumPy ({format_bytes(best.peak_bytes)}): {by[key].peak_bytes / best.peak_bytes:.2f}x",
        )
        for key in COMPILED_KEYS
    ]


def _growth_targets(growths: Sequence[GrowthResult]) -> list[TargetResult]:
    return [
        TargetResult(
            f"{g.size}: memory growth over {g.calls} calls, {short_label(g.contender)}",
            format_bytes(g.growth_bytes),
            f"<= {format_bytes(GROWTH_LIMIT_BYTES)}",
            g.growth_bytes <= GROWTH_LIMIT_BYTES,
            f"{g.unreachable_per_call} objects in cycles per call",
        )
        for g in growths
    ]
