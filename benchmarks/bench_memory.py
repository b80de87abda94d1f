"""The benchmark's memory probes: tracemalloc peaks of one call, and growth over many calls."""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from bench_contenders import (
    AUTODIFF_KEYS,
    BEST,
    CONTENDER_BY_KEY,
    FORWARD,
    JITTED,
    NETWORK,
    PLAIN,
    SEED,
    SIZES,
    VALUE_AND_GRAD,
    make_problem,
)
from bench_harness import GrowthResult, Log, PeakMemoryResult, Settings, _no_log

# ==================================================================== memory


#: The contenders whose memory is measured: NumPy's buffers are traced, other libraries' are not.
MEMORY_KEYS = (NETWORK, JITTED, VALUE_AND_GRAD, SEED, BEST, PLAIN, FORWARD)


@contextlib.contextmanager
def traced() -> Iterator[None]:
    """``tracemalloc`` on for the block; left as it was afterwards (someone may be tracing already)."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        yield
    finally:
        if started:
            tracemalloc.stop()


def peak_traced_bytes(build: Callable[[], Callable[[], Any]]) -> int:
    """Peak ``tracemalloc`` memory of one call, plus what the contender keeps between calls.

    The call is the second one (the first traces and compiles, which is not the
    call's working memory); what the contender still holds after its first call
    (a compiled program's buffers) is added, since the call needs it as much as
    the arrays it allocates.
    """
    gc.collect()
    with traced():
        start, _ = tracemalloc.get_traced_memory()
        call = build()
        call()
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        call()
        _, peak = tracemalloc.get_traced_memory()
    return max(held - start, 0) + peak - held


def memory_growth(call: Callable[[], Any], warmup: int, calls: int) -> int:
    """Traced memory after ``warmup + calls`` calls minus after ``warmup``: what the calls leave behind.

    Collected garbage is excluded at both ends (``gc.collect()``), so this is
    memory kept reachable: a graph that is not freed would show up here as a
    multiple of ``calls``.
    """
    with traced():
        for _ in range(warmup):
            call()
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(calls):
            call()
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    return after - before


def unreachable_after_one_call(call: Callable[[], Any]) -> int:
    """Objects left in reference cycles by one call: what only the cycle collector would free."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        call()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


def measure_peak_memory(settings: Settings, log: Log = _no_log) -> list[PeakMemoryResult]:
    """Peak memory of one call of each NumPy-based contender at the peak-memory size."""
    problem = make_problem(SIZES[settings.peak_memory_size])
    log(f"peak memory at {problem.size.name}")
    results = []
    for key in MEMORY_KEYS:
        contender = CONTENDER_BY_KEY[key]
        with contender.context():
            peak = peak_traced_bytes(partial(contender.build, problem))
        results.append(PeakMemoryResult(problem.size.name, key, peak))
    return results


def measure_growth(settings: Settings, log: Log = _no_log) -> list[GrowthResult]:
    """Memory growth over repeated calls of the autodiff contenders."""
    problem = make_problem(SIZES[settings.growth_size])
    log(f"memory growth over {settings.growth_calls} calls at {problem.size.name}")
    results = []
    for key in AUTODIFF_KEYS:
        call = CONTENDER_BY_KEY[key].build(problem)
        growth = memory_growth(call, settings.growth_warmup, settings.growth_calls)
        results.append(
            GrowthResult(
                problem.size.name,
                key,
                settings.growth_warmup,
                settings.growth_calls,
                growth,
                unreachable_after_one_call(call),
            )
        )
    return results
