"""Numerical gradients and a gradient check, for testing the engine and your own functions.

Central differences (Part V of the series): for each element ``x_i``,

.. math:: \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + \\epsilon e_i) - f(x - \\epsilon e_i)}{2 \\epsilon}

with error ``O(eps**2)`` from truncation plus about ``machine_eps * |f| / eps``
from rounding; ``eps = 1e-4`` balances the two for values of order one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import Tensor, as_array, gradients, no_grad


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, eps: float = 1e-4) -> np.ndarray:
    """Central-difference gradient of a scalar function, one element at a time.

    Parameters
    ----------
    f : callable
        ``f(x)`` for an ndarray ``x`` of the given shape, returning a number (a float,
        a one-element array or a one-element Tensor).
    x : array_like
        Where to take the gradient. It is copied: ``x`` itself is never changed.
    eps : float, optional
        The step ``epsilon``.

    Returns
    -------
    ndarray
        ``df/dx``, float64, of ``x``'s shape.

    Examples
    --------
    >>> g = numerical_gradient(lambda x: (x ** 2).sum(), [1.5])  # the series' warm-up
    >>> float(g[0])
    2.9999999999996696
    """
    point = np.array(as_array(x, "numerical_gradient"), dtype=np.float64)  # a private copy
    gradient = np.zeros_like(point)
    flat_point, flat_gradient = point.reshape(-1), gradient.reshape(-1)
    with no_grad():
        for i in range(flat_point.size):
            original = flat_point[i]
            flat_point[i] = original + eps
            f_plus = _scalar(f(point))
            flat_point[i] = original - eps
            f_minus = _scalar(f(point))
            flat_point[i] = original
            flat_gradient[i] = (f_plus - f_minus) / (2 * eps)
    return gradient


def _scalar(value: Any) -> float:
    """The one number in a float, one-element array or one-element Tensor."""
    array = np.asarray(getattr(value, "data", value), dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"the function must return one number, got shape {array.shape}")
    return float(array.reshape(()))


def norm_ratio(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """The series' check ``norm(g - n) / norm(g + n)`` (0 when both are zero)."""
    analytic, numerical = np.ravel(analytic), np.ravel(numerical)
    denominator = np.linalg.norm(analytic + numerical)
    difference = np.linalg.norm(analytic - numerical)
    if denominator == 0:
        return 0.0 if difference == 0 else float("inf")
    return float(difference / denominator)


@dataclass
class InputCheck:
    """The comparison for one input of :func:`gradcheck`."""

    index: int
    analytic: np.ndarray
    numerical: np.ndarray
    passed: bool
    worst_element: tuple[int, ...]
    worst_abs_error: float
    norm_ratio: float

    def describe(self) -> str:
        at = self.worst_element
        a = self.analytic[at] if self.analytic.ndim else self.analytic
        n = self.numerical[at] if self.numerical.ndim else self.numerical
        verdict = "ok" if self.passed else "MISMATCH"
        return (
            f"input {self.index}: {verdict}; worst element {at}: autodiff {float(a)!r} vs numerical "
            f"{float(n)!r} (abs error {self.worst_abs_error:.3g}); norm ratio {self.norm_ratio:.3g}"
        )


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found: truthy when every input's gradient matched."""

    inputs: list[InputCheck] = field(default_factory=list)
    norm_ratio: float = 0.0

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = "gradcheck passed" if self.passed else "gradcheck FAILED"
        lines = [f"{head} (norm ratio over all inputs {self.norm_ratio:.3g})"]
        lines += ["  " + check.describe() for check in self.inputs]
        return "\n".join(lines)


def gradcheck(
    f: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-4,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
) -> GradcheckResult:
    """Compare the autodiff gradient of ``f`` with central differences, for every input.

    An element passes when ``|autodiff - numerical| <= atol + rtol * |numerical|``.
    The defaults fit ``eps = 1e-4`` on values of order one: the central
    difference's truncation error is about ``eps**2 / 6 * |f'''|`` (1e-9 relative)
    and its rounding error about ``1e-16 * |f| / eps`` (1e-12).

    Parameters
    ----------
    f : callable
        ``f(*tensors)`` returns a Tensor. If it has more than one element, the
        check is done on ``sum(f * w)`` for a fixed random ``w`` (a
        vector-Jacobian product), which tests every element's backward rule.
    *inputs : array_like
        The point to check at; each becomes a Tensor that requires a gradient.
        They are not changed.
    eps, rtol, atol : float, optional
        The finite-difference step and the tolerances.
    seed : int, optional
        Seed of the random ``w`` for non-scalar outputs.

    Returns
    -------
    GradcheckResult
        Truthy when all inputs pass; ``str()`` names, for each input, the worst
        element with both values, and gives the series' norm ratio.

    Examples
    --------
    >>> from tinygrad_nnd import gradcheck
    >>> result = gradcheck(lambda a, b: (a * b).sigmoid().sum(), [[1.0, -2.0]], [[0.5], [3.0]])
    >>> bool(result), len(result.inputs)
    (True, 2)
    """
    arrays = [np.array(as_array(x, "gradcheck"), dtype=np.float64) for x in inputs]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    output = f(*tensors)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(output).__name__}")
    weights = None
    if output.data.size != 1:
        weights = np.random.default_rng(seed).standard_normal(output.shape)
        output = (output * weights).sum()
    analytic = gradients(output, tensors)

    def scalar_f(i: int) -> Callable[[np.ndarray], float]:
        def f_i(x_i: np.ndarray) -> float:
            args = [Tensor(x_i if j == i else a) for j, a in enumerate(arrays)]
            y = f(*args).data
            return float(np.sum(y * weights)) if weights is not None else _scalar(y)

        return f_i

    result = GradcheckResult()
    for i, (a, g) in enumerate(zip(arrays, analytic)):
        n = numerical_gradient(scalar_f(i), a, eps)
        error = np.abs(g - n)
        ok = bool(np.all(error <= atol + rtol * np.abs(n)))
        worst = np.unravel_index(int(np.argmax(error)), error.shape) if error.size else ()
        result.inputs.append(
            InputCheck(i, g, n, ok, tuple(int(k) for k in worst), float(error.max(initial=0.0)), norm_ratio(g, n))
        )
    result.norm_ratio = norm_ratio(
        np.concatenate([c.analytic.ravel() for c in result.inputs]),
        np.concatenate([c.numerical.ravel() for c in result.inputs]),
    ) if result.inputs else 0.0
    return result
