"""The benchmark's problems and contenders: the series' cost at each size, and every implementation timed.

Each contender builds, for a problem, a call that returns ``(J, gradient)``. See bench_gradients.py.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from scipy.special import expit

from tinygrad_nnd import NeuralNetwork, Tensor, jit, value_and_grad
from tinygrad_nnd.datasets import sleep_study

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


def build_jit(problem: Problem) -> Call:
    """``jit(cost).value_and_grad`` of :func:`make_user_cost`: the same user cost, compiled (traced on the first call)."""
    s = problem.size
    compiled = jit(make_user_cost(s.n_in, s.n_hidden, s.n_out))
    return partial(compiled.value_and_grad, problem.params, problem.X, problem.y)


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
JITTED = "tinygrad_nnd.jit"
VALUE_AND_GRAD = "tinygrad_nnd.value_and_grad"
SEED = "numpy.seed"
BEST = "numpy.best"
PLAIN = "numpy.plain"
FORWARD = "numpy.forward"
TORCH = "torch"
AUTOGRAD = "autograd"
JAX = "jax"

#: The engine's two contenders: the ones the targets are about.
AUTODIFF_KEYS = (NETWORK, JITTED, VALUE_AND_GRAD)
#: The compiled ones, which issue 8's targets are about (the network runs compiled code of its cost too).
COMPILED_KEYS = (JITTED, NETWORK)

CONTENDERS: tuple[Contender, ...] = (
    Contender(NETWORK, "tinygrad_nnd `N.cost_and_gradients(X, y)` (compiled)", build_network),
    Contender(JITTED, "tinygrad_nnd `jit(cost).value_and_grad` (user-written Tensor cost, compiled)", build_jit),
    Contender(
        VALUE_AND_GRAD, "tinygrad_nnd `value_and_grad(cost)` (user-written Tensor cost, eager)", build_value_and_grad
    ),
    Contender(
        SEED, "NumPy by hand, seed's `sigmoid_prime` (exp form)", numpy_builder(seed_value_and_grad), seed_errstate
    ),
    Contender(BEST, "NumPy by hand, `s * (1 - s)`, in place (best)", numpy_builder(numpy_value_and_grad)),
    Contender(PLAIN, "NumPy by hand, `s * (1 - s)`, no `out=`", numpy_builder(numpy_value_and_grad_plain)),
    Contender(FORWARD, "NumPy forward cost only (no gradient)", numpy_builder(numpy_forward), gives_gradient=False),
    Contender(TORCH, "PyTorch eager (float64, CPU)", build_torch, quiet_warnings, optional=True),
    Contender(AUTOGRAD, "HIPS autograd", build_autograd, quiet_warnings, optional=True),
    Contender(JAX, "JAX `jit(value_and_grad)` (float64, CPU)", build_jax, quiet_warnings, optional=True),
)
CONTENDER_BY_KEY = {c.key: c for c in CONTENDERS}
