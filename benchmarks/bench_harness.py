"""The benchmark's settings, result records and timing harness: verification, interleaved timed blocks, BFGS.

See bench_gradients.py for how it measures.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from bench_contenders import (
    CONTENDERS,
    JITTED,
    NETWORK,
    NETWORK_SEED,
    SIZES,
    Call,
    Contender,
    Problem,
    Size,
    ValueAndGrad,
    build_jit,
    build_network,
    build_value_and_grad,
    make_problem,
    numpy_value_and_grad,
)

from tinygrad_nnd import NeuralNetwork, Trainer
from tinygrad_nnd.datasets import sleep_study

# ==================================================================== settings


@dataclass(frozen=True)
class Settings:
    """How much to measure: the full run, or the quick one the test suite uses."""

    quick: bool
    sizes: tuple[str, ...]
    #: Interleaved rounds per size; the large size gets fewer (a call there takes a fraction of a second).
    rounds: dict[str, int]
    #: The wall time one block of calls should take, which sets the calls per block.
    block_seconds: float
    bfgs_rounds: int
    #: Where the peak memory of one call is measured (the targets are stated for large).
    peak_memory_size: str
    #: Where memory growth over repeated calls is measured, after how many warm-up calls, over how many.
    growth_size: str
    growth_warmup: int
    growth_calls: int


FULL = Settings(
    quick=False,
    sizes=("tiny", "small", "medium", "large"),
    rounds={"tiny": 15, "small": 15, "medium": 11, "large": 9},
    block_seconds=0.04,
    bfgs_rounds=11,
    peak_memory_size="large",
    growth_size="small",
    growth_warmup=100,
    growth_calls=1000,
)
QUICK = Settings(
    quick=True,
    sizes=("tiny", "small"),
    rounds={"tiny": 5, "small": 5},
    block_seconds=0.01,
    bfgs_rounds=3,
    peak_memory_size="small",
    growth_size="small",
    growth_warmup=20,
    growth_calls=1000,
)

#: Agreement tolerance: relative, and for the gradient also absolute at RTOL * max|gradient|
#: (an element near zero is the difference of larger terms, so its own relative error is no measure).
RTOL = 1e-9

# ==================================================================== results


@dataclass(kw_only=True)
class Timing:
    """How long one call takes: the summary of interleaved rounds (None and 0 until timed)."""

    median_s: float | None = None
    iqr_s: float | None = None
    min_s: float | None = None
    number: int = 0  # calls per block
    rounds: int = 0

    def record(self, timed: Timed, rounds: int) -> None:
        """Fill in the summary of ``timed.samples`` (see :func:`summarize`) and how they were taken."""
        self.median_s, self.iqr_s, self.min_s = summarize(timed.samples)
        self.number, self.rounds = timed.number, rounds


@dataclass
class TimingResult(Timing):
    """One contender at one size: did it agree with the reference, and how long a call takes."""

    size: str
    contender: str
    status: str  # "ok", "not installed", "disagrees", or "error: ..."
    agreed: bool | None = None


@dataclass
class BfgsResult(Timing):
    """BFGS training of the seed problem with one source of gradients."""

    gradient: str  # "autodiff" or "chain_rule"
    iterations: int
    evaluations: int
    final_cost: float
    success: bool
    agreed: bool  # same iteration count and optimum as the other gradient


@dataclass
class CompileResult(Timing):
    """Trace and compile of the series' cost (tiny size) by one compiled contender: the first call, less a later one."""

    contender: str
    eager_call_s: float  # one eager value_and_grad call, timed in the same run, for scale


@dataclass
class PeakMemoryResult:
    """Peak traced memory of one call at one size."""

    size: str
    contender: str
    peak_bytes: int


@dataclass
class GrowthResult:
    """Traced memory growth over repeated calls, and reference cycles left per call."""

    size: str
    contender: str
    warmup_calls: int
    calls: int
    growth_bytes: int
    unreachable_per_call: int  # objects only the cycle collector frees (0: freed by reference counting)


@dataclass
class TargetResult:
    """One target of the issue: what was measured against what was asked."""

    name: str
    measured: str
    goal: str
    passed: bool | None  # None: could not be measured (a contender failed)
    note: str = ""


Result = TimingResult | BfgsResult | CompileResult | PeakMemoryResult | GrowthResult | TargetResult
Log = Callable[[str], None]


def _no_log(message: str) -> None:
    pass


def _timing(results: Sequence[Result], size: str, key: str) -> TimingResult | None:
    for r in results:
        if isinstance(r, TimingResult) and r.size == size and r.contender == key:
            return r
    return None


def _median(results: Sequence[Result], size: str, key: str) -> float | None:
    r = _timing(results, size, key)
    return None if r is None else r.median_s


# ==================================================================== verification


def agrees(got: ValueAndGrad, reference: ValueAndGrad, with_gradient: bool) -> bool:
    """Whether ``got`` has the reference's J (and gradient) to :data:`RTOL`."""
    J, g = got
    J_ref, g_ref = reference
    if not np.isclose(J, J_ref, rtol=RTOL, atol=0.0):
        return False
    if not with_gradient:
        return True
    assert g_ref is not None
    if g is None or np.shape(g) != g_ref.shape:
        return False
    scale = float(np.max(np.abs(g_ref)))
    return bool(np.allclose(g, g_ref, rtol=RTOL, atol=RTOL * scale))


# ==================================================================== timing


@dataclass
class Timed:
    """A call ready to time: the context to enter around each block, and the calls per block."""

    call: Callable[[], Any]
    context: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext
    number: int = 1
    samples: list[float] = field(default_factory=list)  # seconds per call, one per round


def time_block(timed: Timed, number: int) -> float:
    """Wall time of ``number`` back-to-back calls (the garbage collector left on: users pay for it too)."""
    with timed.context():
        start = time.perf_counter()
        for _ in range(number):
            timed.call()
        return time.perf_counter() - start


def calibrate(timed: Timed, block_seconds: float) -> int:
    """Calls per block so that a block lasts about ``block_seconds`` (at least one call)."""
    if time_block(timed, 1) >= block_seconds:  # one call fills a block (the large size): no need to look closer
        return 1
    number = 1
    while True:
        # The best of three: one preempted block must not set the count for the whole run.
        elapsed = min(time_block(timed, number) for _ in range(3))
        # A block of a tenth of the target is long enough to extrapolate from.
        if elapsed >= block_seconds / 10:
            return max(1, round(number * block_seconds / elapsed))
        number *= 10


def time_interleaved(timed: Sequence[Timed], rounds: int) -> None:
    """Fill each ``timed.samples`` with ``rounds`` per-call times, one block per contender per round.

    The order is rotated each round, so that drifts of the machine (frequency,
    other load) and after-effects of the previous contender (cache contents,
    pending garbage) fall on every contender alike.
    """
    for r in range(rounds):
        shift = r % len(timed)
        for t in list(timed[shift:]) + list(timed[:shift]):
            t.samples.append(time_block(t, t.number) / t.number)


def summarize(samples: Sequence[float]) -> tuple[float, float, float]:
    """Median, interquartile range and minimum of the samples.

    The median is what the targets use; the minimum, the least disturbed block,
    tells whether a wide spread came from the machine rather than the code.
    """
    q25, median, q75 = np.percentile(samples, [25, 50, 75])
    return float(median), float(q75 - q25), float(np.min(samples))


# ==================================================================== value and gradient, per size


def prepare(contender: Contender, problem: Problem, reference: ValueAndGrad) -> tuple[TimingResult, Timed | None]:
    """Build a contender for a problem and check its answer; a Timed only when it agrees."""
    result = TimingResult(problem.size.name, contender.key, status="ok")
    try:
        with contender.context():
            call = contender.build(problem)
            got = call()  # also the warm-up (JAX compiles here)
    except ImportError:
        if not contender.optional:
            raise
        result.status = "not installed"
        return result, None
    except Exception as error:  # a third-party library that is installed but broken
        if not contender.optional:
            raise
        result.status = f"error: {type(error).__name__}: {error}"
        return result, None
    result.agreed = agrees(got, reference, contender.gives_gradient)
    if not result.agreed:
        result.status = "disagrees"
        return result, None
    return result, Timed(call, contender.context)


def benchmark_size(size: Size, settings: Settings, log: Log = _no_log) -> list[TimingResult]:
    """Verify, then time all contenders at one size, interleaved."""
    problem = make_problem(size)
    reference = numpy_value_and_grad(problem.W_1, problem.W_2, problem.X, problem.y)
    results: list[TimingResult] = []
    timed: dict[str, Timed] = {}
    for contender in CONTENDERS:
        result, ready = prepare(contender, problem, reference)
        results.append(result)
        if ready is not None:
            timed[contender.key] = ready
    log(f"{size.name}: calibrating {len(timed)} contenders")
    for t in timed.values():
        t.number = calibrate(t, settings.block_seconds)
    rounds = settings.rounds[size.name]
    log(f"{size.name}: timing {rounds} rounds")
    time_interleaved(list(timed.values()), rounds)
    for result in results:
        measured = timed.get(result.contender)
        if measured is not None:
            result.record(measured, rounds)
    return results


# ==================================================================== BFGS on the seed problem


def train_seed_problem(X: np.ndarray, y: np.ndarray, gradient: str) -> Any:
    """Train the series' 2-3-1 network from the fixed initial weights; SciPy's OptimizeResult."""
    network = NeuralNetwork(seed=NETWORK_SEED)  # fresh each time: training moves the weights
    return Trainer(network, gradient=gradient).train(X, y)


def benchmark_bfgs(settings: Settings, log: Log = _no_log) -> list[BfgsResult]:
    """BFGS end to end with autodiff and with the hand-written chain rule, same start, interleaved."""
    X, y = sleep_study()
    gradients = ("autodiff", "chain_rule")
    outcomes = {g: train_seed_problem(X, y, g) for g in gradients}
    same = outcomes["autodiff"].nit == outcomes["chain_rule"].nit and bool(
        np.allclose(outcomes["autodiff"].x, outcomes["chain_rule"].x, rtol=1e-6, atol=1e-9)
    )
    timed = {g: Timed(partial(train_seed_problem, X, y, g)) for g in gradients}
    for t in timed.values():
        t.number = calibrate(t, settings.block_seconds)
    log(f"BFGS: timing {settings.bfgs_rounds} rounds")
    time_interleaved(list(timed.values()), settings.bfgs_rounds)
    results = []
    for g in gradients:
        outcome = outcomes[g]
        result = BfgsResult(
            gradient=g,
            iterations=int(outcome.nit),
            evaluations=int(outcome.nfev),
            final_cost=float(outcome.fun),
            success=bool(outcome.success),
            agreed=same,
        )
        result.record(timed[g], settings.bfgs_rounds)
        results.append(result)
    return results


# ==================================================================== trace and compile


def first_call_seconds(build: Callable[[], Call]) -> float:
    """The first call of a freshly built contender (which traces and compiles) minus its second call."""
    call = build()
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    start = time.perf_counter()
    call()
    return max(first - (time.perf_counter() - start), 0.0)


def measure_compile(settings: Settings, log: Log = _no_log) -> list[CompileResult]:
    """Trace-and-compile time of the series' cost (tiny) for each compiled contender, over rounds."""
    problem = make_problem(SIZES["tiny"])
    log("trace and compile time")
    eager = Timed(build_value_and_grad(problem))
    eager.number = calibrate(eager, settings.block_seconds)
    time_interleaved([eager], settings.rounds["tiny"])
    eager_s = summarize(eager.samples)[0]
    results = []
    for key, build in ((JITTED, build_jit), (NETWORK, build_network)):
        samples = [first_call_seconds(partial(build, problem)) for _ in range(settings.rounds["tiny"])]
        result = CompileResult(contender=key, eager_call_s=eager_s)
        result.median_s, result.iqr_s, result.min_s = summarize(samples)
        result.number, result.rounds = 1, len(samples)
        results.append(result)
    return results
