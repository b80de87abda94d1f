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

The module is importable: ``run(quick) -> list of results`` and
``render_markdown(results, machine_info(), quick)`` are what ``main`` uses, and
what ``tests/test_benchmarks_quick.py`` checks.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

# `python benchmarks/bench_gradients.py` puts benchmarks/ on sys.path, not the
# repository root: add the root so the checkout beside this file is measured
# even when tinygrad_nnd is not installed.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tinygrad_nnd import NeuralNetwork, Tensor, Trainer, value_and_grad  # noqa: E402
from tinygrad_nnd.datasets import sleep_study  # noqa: E402

# ==================================================================== problems


@dataclass(frozen=True)
class Size:
    """One problem size: ``X`` is ``n_examples x n_in``, the layers ``n_in - n_hidden - n_out``."""

    name: str
    n_examples: int
    n_in: int
    n_hidden: int
    n_out: int

    def describe(self) -> str:
        return f"X {self.n_examples}x{self.n_in}, layers {self.n_in}-{self.n_hidden}-{self.n_out}"


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("tiny", 3, 2, 3, 1),  # the seed notebook's sleep/study problem
        Size("small", 100, 10, 20, 1),
        Size("medium", 1000, 64, 128, 10),
        Size("large", 20000, 256, 512, 10),
    )
}

#: Seed of ``np.random.default_rng`` for the data and weights of every size but tiny.
DATA_SEED = 12345
#: Seed of ``NeuralNetwork(seed=...)`` for the tiny problem and for BFGS.
NETWORK_SEED = 0


@dataclass(frozen=True)
class Problem:
    """The data and weights of one size (float64, C-contiguous)."""

    size: Size
    X: np.ndarray
    y: np.ndarray
    W_1: np.ndarray
    W_2: np.ndarray

    @property
    def params(self) -> np.ndarray:
        """The weights as one vector, laid out as ``NeuralNetwork.get_params``."""
        return np.concatenate((self.W_1.ravel(), self.W_2.ravel()))


def make_problem(size: Size) -> Problem:
    """The data and weights for ``size``, the same on every run.

    tiny is the seed notebook's problem: the normalized sleep/study data and the
    series' weights, uniform on [0, 1) (``NeuralNetwork(seed=0)``). The larger
    sizes draw ``X`` and ``y`` uniform on [0, 1) (like normalized data) and the
    weights standard normal / sqrt(fan_in): uniform [0, 1) weights over 256
    inputs would put every hidden sigmoid deep in saturation (z of about 64),
    which is not the regime anyone trains in.
    """
    if size.name == "tiny":
        X, y = sleep_study()
        W_1, W_2 = NeuralNetwork((size.n_in, size.n_hidden, size.n_out), seed=NETWORK_SEED).weights
        return Problem(size, X, y, W_1, W_2)
    rng = np.random.default_rng(DATA_SEED)
    X = rng.random((size.n_examples, size.n_in))
    y = rng.random((size.n_examples, size.n_out))
    W_1 = rng.standard_normal((size.n_in, size.n_hidden)) / np.sqrt(size.n_in)
    W_2 = rng.standard_normal((size.n_hidden, size.n_out)) / np.sqrt(size.n_hidden)
    return Problem(size, X, y, W_1, W_2)


# ==================================================================== contenders
#
# A contender's builder takes a Problem and returns a call with no arguments
# that computes (J, flat gradient) -- or (J, None) for the forward pass alone.
# All set-up (building networks, converting arrays, compiling) happens in the
# builder, so the timed call is only the computation a user repeats.

ValueAndGrad = tuple[float, np.ndarray | None]
Call = Callable[[], ValueAndGrad]


# ---------------------------------------------------------------- tinygrad_nnd


def build_network(problem: Problem) -> Call:
    """``NeuralNetwork.cost_and_gradients``: the library's own cost and autodiff gradient."""
    s = problem.size
    network = NeuralNetwork((s.n_in, s.n_hidden, s.n_out))
    network.weights = [problem.W_1, problem.W_2]
    return partial(network.cost_and_gradients, problem.X, problem.y)


def make_user_cost(n_in: int, n_hidden: int, n_out: int) -> Callable[[Tensor, np.ndarray, np.ndarray], Tensor]:
    """The cost as a user would write it with Tensor ops, as a function of one flat parameter vector."""
    split = n_in * n_hidden

    def cost(params: Tensor, X: np.ndarray, y: np.ndarray) -> Tensor:
        W_1 = params[:split].reshape(n_in, n_hidden)
        W_2 = params[split:].reshape(n_hidden, n_out)
        y_hat = ((X @ W_1).sigmoid() @ W_2).sigmoid()
        return 0.5 * ((y - y_hat) ** 2).sum()

    return cost


def build_value_and_grad(problem: Problem) -> Call:
    """``value_and_grad`` of :func:`make_user_cost`: the engine with no help from ``NeuralNetwork``."""
    s = problem.size
    cost_and_grad = value_and_grad(make_user_cost(s.n_in, s.n_hidden, s.n_out))
    return partial(cost_and_grad, problem.params, problem.X, problem.y)


# ---------------------------------------------------------------- hand-written NumPy


def seed_sigmoid(z: np.ndarray) -> np.ndarray:
    """The seed notebook's sigmoid, verbatim (overflows, with a warning, below z of about -710)."""
    return 1.0 / (1 + np.exp(-z))


def seed_sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """The seed notebook's derivative, verbatim: ``exp(-z) / (1 + exp(-z))**2`` (NaN below about -710)."""
    return np.exp(-z) / ((1 + np.exp(-z)) ** 2)


def seed_value_and_grad(W_1: np.ndarray, W_2: np.ndarray, X: np.ndarray, y: np.ndarray) -> ValueAndGrad:
    """The seed notebook's ``forward`` and ``cost_function_prime``, with J taken from the same forward pass.

    (The seed's Trainer calls ``cost_function`` and ``compute_gradients``
    separately, running the forward pass twice; sharing it makes this baseline
    faster than the seed itself, so the comparison is the stricter one.)
    """
    z_2 = np.dot(X, W_1)
    a_2 = seed_sigmoid(z_2)
    z_3 = np.dot(a_2, W_2)
    y_hat = seed_sigmoid(z_3)
    J = 0.5 * ((y - y_hat) ** 2).sum()
    delta_3 = np.multiply(-(y - y_hat), seed_sigmoid_prime(z_3))
    dJ_dW_2 = np.dot(a_2.T, delta_3)
    delta_2 = np.dot(delta_3, W_2.T) * seed_sigmoid_prime(z_2)
    dJ_dW_1 = np.dot(X.T, delta_2)
    return float(J), np.concatenate((dJ_dW_1.ravel(), dJ_dW_2.ravel()))


def numpy_value_and_grad(W_1: np.ndarray, W_2: np.ndarray, X: np.ndarray, y: np.ndarray) -> ValueAndGrad:
    """The best plain NumPy: one forward pass, ``f'(z) = s * (1 - s)`` from the stored activations.

    Nothing is computed twice, and the big ``n x n_hidden`` arrays are
    overwritten in place (``out=``, ``*=``) once their old values are no longer
    needed: a fresh array of that size costs page faults as well as memory, so
    this is both the fastest and the leanest way to write it in NumPy.
    """
    a_2 = X @ W_1
    expit(a_2, out=a_2)  # z_2 is not needed again
    y_hat = a_2 @ W_2
    expit(y_hat, out=y_hat)
    error = y_hat - y  # dJ/dy_hat
    J = 0.5 * np.vdot(error, error)
    delta_3 = error
    delta_3 *= y_hat * (1.0 - y_hat)
    dJ_dW_2 = a_2.T @ delta_3
    delta_2 = delta_3 @ W_2.T
    delta_2 *= a_2
    np.subtract(1.0, a_2, out=a_2)  # a_2 is not needed again: reuse it for 1 - a_2
    delta_2 *= a_2
    dJ_dW_1 = X.T @ delta_2
    return float(J), np.concatenate((dJ_dW_1.ravel(), dJ_dW_2.ravel()))


def numpy_value_and_grad_plain(W_1: np.ndarray, W_2: np.ndarray, X: np.ndarray, y: np.ndarray) -> ValueAndGrad:
    """The same math in everyday NumPy, without ``out=``: every step makes a new array.

    Not a target's baseline; it shows how much of the gap to :func:`numpy_value_and_grad`
    is just fresh allocations, which is what a graph of immutable results pays too.
    """
    a_2 = expit(X @ W_1)
    y_hat = expit(a_2 @ W_2)
    error = y_hat - y
    J = 0.5 * np.vdot(error, error)
    delta_3 = error * y_hat * (1.0 - y_hat)
    dJ_dW_2 = a_2.T @ delta_3
    delta_2 = (delta_3 @ W_2.T) * (a_2 * (1.0 - a_2))
    dJ_dW_1 = X.T @ delta_2
    return float(J), np.concatenate((dJ_dW_1.ravel(), dJ_dW_2.ravel()))


def numpy_forward(W_1: np.ndarray, W_2: np.ndarray, X: np.ndarray, y: np.ndarray) -> ValueAndGrad:
    """The cost alone, as lean as :func:`numpy_value_and_grad`'s forward half."""
    a_2 = X @ W_1
    expit(a_2, out=a_2)
    y_hat = a_2 @ W_2
    expit(y_hat, out=y_hat)
    error = y - y_hat
    return 0.5 * float(np.vdot(error, error)), None


def numpy_builder(function: Callable[..., ValueAndGrad]) -> Callable[[Problem], Call]:
    """A builder that binds a hand-written NumPy function to a problem's weights and data."""

    def build(problem: Problem) -> Call:
        return partial(function, problem.W_1, problem.W_2, problem.X, problem.y)

    return build


# ---------------------------------------------------------------- other libraries (optional)
#
# Each imports its library inside the builder: a missing one raises
# ImportError, which the harness reports as "not installed".


def build_torch(problem: Problem) -> Call:
    """PyTorch, eager, float64 on the CPU: ``torch.autograd.grad`` of the cost."""
    import torch

    X, y = torch.from_numpy(problem.X), torch.from_numpy(problem.y)
    W_1_data, W_2_data = problem.W_1, problem.W_2

    def call() -> ValueAndGrad:
        # Fresh leaves each call (sharing the NumPy buffers), as a training step would have.
        W_1 = torch.from_numpy(W_1_data).requires_grad_()
        W_2 = torch.from_numpy(W_2_data).requires_grad_()
        y_hat = torch.sigmoid(torch.sigmoid(X @ W_1) @ W_2)
        J = 0.5 * ((y - y_hat) ** 2).sum()
        g_1, g_2 = torch.autograd.grad(J, (W_1, W_2))
        return J.item(), np.concatenate((g_1.numpy().ravel(), g_2.numpy().ravel()))

    return call


def build_autograd(problem: Problem) -> Call:
    """HIPS autograd: ``autograd.value_and_grad`` of the cost of a flat parameter vector."""
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import expit as a_expit

    s = problem.size
    split = s.n_in * s.n_hidden

    def cost(params: Any, X: np.ndarray, y: np.ndarray) -> Any:
        W_1 = anp.reshape(params[:split], (s.n_in, s.n_hidden))
        W_2 = anp.reshape(params[split:], (s.n_hidden, s.n_out))
        y_hat = a_expit(anp.dot(a_expit(anp.dot(X, W_1)), W_2))
        return 0.5 * anp.sum((y - y_hat) ** 2)

    cost_and_grad = autograd.value_and_grad(cost)
    params, X, y = problem.params, problem.X, problem.y

    def call() -> ValueAndGrad:
        J, g = cost_and_grad(params, X, y)
        return float(J), g

    return call


def build_jax(problem: Problem) -> Call:
    """JAX: ``jit(value_and_grad(cost))`` in float64 on the CPU, inputs placed on the device once."""
    import jax

    jax.config.update("jax_enable_x64", True)  # before any array is made: float64 like the others
    import jax.numpy as jnp

    s = problem.size
    split = s.n_in * s.n_hidden

    def cost(params: Any, X: Any, y: Any) -> Any:
        W_1 = params[:split].reshape(s.n_in, s.n_hidden)
        W_2 = params[split:].reshape(s.n_hidden, s.n_out)
        y_hat = jax.nn.sigmoid(jax.nn.sigmoid(X @ W_1) @ W_2)
        return 0.5 * jnp.sum((y - y_hat) ** 2)

    cost_and_grad = jax.jit(jax.value_and_grad(cost))
    params, X, y = jnp.asarray(problem.params), jnp.asarray(problem.X), jnp.asarray(problem.y)

    def call() -> ValueAndGrad:
        J, g = cost_and_grad(params, X, y)
        return float(J), np.asarray(g)  # both wait for the result: the time includes the computation

    return call


# ---------------------------------------------------------------- the list


@contextlib.contextmanager
def seed_errstate() -> Iterator[None]:
    """Silence the seed formulas' overflow (exp(-z) for z < -710) around that contender only.

    The data here never gets there, but a benchmark should not turn a
    contender's warning into an error (the test suite runs with warnings as errors).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        yield


@contextlib.contextmanager
def quiet_warnings() -> Iterator[None]:
    """Third-party libraries may warn (deprecations against NumPy 2, ...): not ours to fix here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass(frozen=True)
class Contender:
    """One way to compute the cost (and gradient), as a row of the table."""

    key: str
    label: str
    build: Callable[[Problem], Call]
    #: Entered around the verification call and around each timed block (never per call).
    context: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext
    gives_gradient: bool = True
    #: A third-party library that may be missing or broken: report it instead of failing.
    optional: bool = False


NETWORK = "tinygrad_nnd.network"
VALUE_AND_GRAD = "tinygrad_nnd.value_and_grad"
SEED = "numpy.seed"
BEST = "numpy.best"
PLAIN = "numpy.plain"
FORWARD = "numpy.forward"
TORCH = "torch"
AUTOGRAD = "autograd"
JAX = "jax"

#: The engine's two contenders: the ones the targets are about.
AUTODIFF_KEYS = (NETWORK, VALUE_AND_GRAD)

CONTENDERS: tuple[Contender, ...] = (
    Contender(NETWORK, "tinygrad_nnd `N.cost_and_gradients(X, y)`", build_network),
    Contender(VALUE_AND_GRAD, "tinygrad_nnd `value_and_grad(cost)` (user-written Tensor cost)", build_value_and_grad),
    Contender(SEED, "NumPy by hand, seed's `sigmoid_prime` (exp form)", numpy_builder(seed_value_and_grad), seed_errstate),
    Contender(BEST, "NumPy by hand, `s * (1 - s)`, in place (best)", numpy_builder(numpy_value_and_grad)),
    Contender(PLAIN, "NumPy by hand, `s * (1 - s)`, no `out=`", numpy_builder(numpy_value_and_grad_plain)),
    Contender(FORWARD, "NumPy forward cost only (no gradient)", numpy_builder(numpy_forward), gives_gradient=False),
    Contender(TORCH, "PyTorch eager (float64, CPU)", build_torch, quiet_warnings, optional=True),
    Contender(AUTOGRAD, "HIPS autograd", build_autograd, quiet_warnings, optional=True),
    Contender(JAX, "JAX `jit(value_and_grad)` (float64, CPU)", build_jax, quiet_warnings, optional=True),
)
CONTENDER_BY_KEY = {c.key: c for c in CONTENDERS}

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


Result = TimingResult | BfgsResult | PeakMemoryResult | GrowthResult | TargetResult
Log = Callable[[str], None]


def _no_log(message: str) -> None:
    pass


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


# ==================================================================== memory


#: The contenders whose memory is measured: NumPy's buffers are traced, other libraries' are not.
MEMORY_KEYS = (NETWORK, VALUE_AND_GRAD, SEED, BEST, PLAIN, FORWARD)


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


def peak_traced_bytes(call: Callable[[], Any]) -> int:
    """Peak ``tracemalloc`` memory during one call, above what was allocated before it."""
    call()  # warm-up: first-call caches are not the call's working memory
    gc.collect()
    with traced():
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        call()
        _, peak = tracemalloc.get_traced_memory()
    return peak - before


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
        call = contender.build(problem)
        with contender.context():
            peak = peak_traced_bytes(call)
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
                problem.size.name, key, settings.growth_warmup, settings.growth_calls,
                growth, unreachable_after_one_call(call),
            )
        )
    return results


# ==================================================================== targets

#: (size, baseline contender, largest allowed ratio of medians) for the autodiff contenders.
#: The issue's baseline at medium and large is "hand-written NumPy with s * (1 - s)": the
#: everyday version (PLAIN). The in-place version (BEST) is stricter still; each target row
#: also gives the ratio against it in its note, so neither reading is hidden.
TIME_TARGETS = (("tiny", SEED, 1.5), ("medium", PLAIN, 1.10), ("large", PLAIN, 1.05))
#: Sizes where the gradient is held to about twice the forward pass (at tiny and
#: small, Python's per-call overhead dominates and the ratio says nothing about the engine's arithmetic).
FORWARD_TARGET_SIZES = ("medium", "large")
FORWARD_LIMIT = 2.0
BFGS_LIMIT = 1.5
MEMORY_LIMIT = 1.25
#: "No growth": far below one leaked graph per call (kilobytes each even at small), above allocator noise.
GROWTH_LIMIT_BYTES = 64 * 1024


def _timing(results: Sequence[Result], size: str, key: str) -> TimingResult | None:
    for r in results:
        if isinstance(r, TimingResult) and r.size == size and r.contender == key:
            return r
    return None


def _median(results: Sequence[Result], size: str, key: str) -> float | None:
    r = _timing(results, size, key)
    return None if r is None else r.median_s


def _ratio_target(name: str, numerator: float | None, denominator: float | None, limit: float, note: str = "") -> TargetResult:
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
        for key in AUTODIFF_KEYS:
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


def _memory_targets(peaks: Sequence[PeakMemoryResult]) -> list[TargetResult]:
    by = {r.contender: r for r in peaks}
    plain, best = by[PLAIN], by[BEST]
    return [
        _ratio_target(
            f"{plain.size}: peak memory, {short_label(key)} vs {short_label(PLAIN)}",
            float(by[key].peak_bytes), float(plain.peak_bytes), MEMORY_LIMIT,
            f"{format_bytes(by[key].peak_bytes)} vs {format_bytes(plain.peak_bytes)}; "
            f"vs in-place NumPy ({format_bytes(best.peak_bytes)}): {by[key].peak_bytes / best.peak_bytes:.2f}x",
        )
        for key in AUTODIFF_KEYS
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


# ==================================================================== the run


def run(quick: bool = False, log: Log = _no_log) -> list[Result]:
    """Run every measurement; the results, targets last. ``quick``: tiny and small only, few repeats."""
    settings = QUICK if quick else FULL
    results: list[Result] = []
    for name in settings.sizes:
        results += benchmark_size(SIZES[name], settings, log)
    results += benchmark_bfgs(settings, log)
    results += measure_peak_memory(settings, log)
    results += measure_growth(settings, log)
    results += evaluate_targets(results, settings)
    return results


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
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version')}, kernel {p.get('architecture')}, threads: {p.get('num_threads')}"
        for p in pools
    ) or "none found"


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
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "tinygrad_nnd"],
            capture_output=True, text=True, check=True, timeout=10,
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
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
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
            rows.append([
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
            ])
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
            ["size", "contender", "median", "vs seed NumPy", "vs NumPy `s*(1-s)`", "vs in-place NumPy", "vs forward",
             "IQR / median", "min", "calls x rounds"],
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
        *table(["gradient", "median wall time", "vs chain rule", "iterations", "evaluations", "final J", "converged",
                "runs x rounds"], rows, "lrrrrrrr"),
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
        "`tracemalloc` peak during the call (NumPy reports its buffers to it); inputs already allocated.",
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
        *table(["contender", "warm-up calls", "further calls", "growth", "objects in cycles per call"], growth_rows, "lrrrr"),
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


def render_markdown(results: Sequence[Result], machine: dict[str, str], quick: bool, seconds: float | None = None) -> str:
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
