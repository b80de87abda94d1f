"""Numerical gradients and a gradient check, for testing the engine and your own functions.

Central differences (Part V of the series): for each element ``x_i``,

.. math:: \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + \\epsilon e_i) - f(x - \\epsilon e_i)}{2 \\epsilon}

with error ``O(eps**2)`` from truncation plus about ``machine_eps * |f| / eps``
from rounding; ``eps = 1e-4`` balances the two for values of order one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

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


def difference_errors(
    f: Callable[[float], Any], f_prime: Callable[[float], Any], x: float, eps: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """How far central and one-sided differences are from the exact derivative, for each step.

    Part V's warning in numbers: for each step ``e`` of ``eps``, the central
    difference is :func:`numerical_gradient`'s ``(f(x + e) - f(x - e)) / (2 e)``, the
    one-sided difference ``(f(x + e) - f(x)) / e``. As ``e`` shrinks, both errors first
    shrink (the truncation error, like ``e**2`` and like ``e``), then grow again as
    rounding takes over.

    Parameters
    ----------
    f, f_prime : callable
        A function of one float, returning a number, and its exact derivative.
    x : float
        Where to differentiate.
    eps : array_like
        The steps: one positive number or a 1-D sequence of them.

    Returns
    -------
    central, one_sided : ndarray
        ``|central - exact|`` and ``|one-sided - exact|``, one per step (float64).

    Raises
    ------
    TypeError
        If ``eps`` is not numbers.
    ValueError
        If ``eps`` is empty or more than 1-D, a step is not a finite positive number, or ``x`` is not finite.

    Examples
    --------
    >>> central, one_sided = difference_errors(lambda x: x**3, lambda x: 3 * x**2, 1.0, [1e-1, 1e-4])
    >>> central.round(10).tolist(), one_sided.round(6).tolist()  # like e**2 and like 3 e
    ([0.01, 1e-08], [0.31, 0.0003])
    """
    try:
        steps = np.asarray(eps, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"difference_errors: eps must be step sizes (numbers), got {eps!r}") from None
    if steps.ndim > 1 or steps.size == 0:
        raise ValueError(
            f"difference_errors: eps must be one step size or a 1-D sequence of them, got shape {steps.shape}"
        )
    if not (np.isfinite(steps) & (steps > 0)).all():
        raise ValueError(f"difference_errors: eps must be positive step sizes (finite, > 0), got {eps!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"difference_errors: x must be a finite number, got {x!r}")
    steps = steps.reshape(-1)
    exact = float(f_prime(x))
    with no_grad():  # as in numerical_gradient: f is only evaluated, never differentiated
        at_x = _scalar(f(x))
        one_sided = np.array([(_scalar(f(x + e)) - at_x) / e for e in steps])
    central = np.array([numerical_gradient(lambda p: f(float(p[0])), [x], e)[0] for e in steps])
    return np.abs(central - exact), np.abs(one_sided - exact)


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
    result.norm_ratio = (
        norm_ratio(
            np.concatenate([c.analytic.ravel() for c in result.inputs]),
            np.concatenate([c.numerical.ravel() for c in result.inputs]),
        )
        if result.inputs
        else 0.0
    )
    return result


# ---------------------------------------------------------------- check_grads: both modes, higher orders


def check_grads(
    f: Callable[..., Tensor],
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float = 1e-4,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Check forward mode, reverse mode and their derivatives up to ``order`` against central differences.

    As ``jax.test_util.check_grads`` and autograd's ``check_grads``: for a random
    direction ``v`` (per argument), the numerical derivative
    ``(f(x + eps v) - f(x - eps v)) / (2 eps)`` must equal

    - ``"fwd"``: the forward-mode ``jvp(f, x, v)``, element by element;
    - ``"rev"``: through the reverse mode, ``<vjp(u), v>`` must equal
      ``<u, numerical>`` for a random cotangent ``u``;

    and with ``order > 1`` the same checks run, recursively, on the functions
    ``x -> jvp(f, x, v)`` and ``x -> vjp(f, x)(u)``, whose own derivatives are
    second derivatives of ``f`` (and so on). It raises at the first mismatch and
    returns None when all pass, so it fits in a user's own tests.

    Parameters
    ----------
    f : callable
        ``f(*args)`` on Tensors (trees of them, for tree arguments), returning a Tensor of any shape.
    args : sequence
        The point: one entry per argument of ``f``, each an array or a tree of arrays.
    order : int, optional
        The highest order of derivative checked (1: first derivatives only).
    modes : sequence of str, optional
        ``"fwd"``, ``"rev"`` or both.
    eps, rtol, atol : float, optional
        The step and the tolerances: an element passes when
        ``|autodiff - numerical| <= atol + rtol * |numerical|``; as for
        :func:`~tinygrad_nnd.testing.assert_gradients_match`, fit for values of order one.
    seed : int, optional
        Seed of the random directions and cotangents.

    Raises
    ------
    AssertionError
        Naming the mode and the order that disagree, with both values.

    Examples
    --------
    >>> import numpy as np
    >>> check_grads(lambda x, y: (x * y).tanh(), (np.array([0.5, -1.0]), np.array(2.0)), order=2)

    A wrong derivative is caught, here that of ``x**2`` without its factor 2:

    >>> from tinygrad_nnd import Op, Tensor
    >>> from tinygrad_nnd.engine import apply
    >>> class WrongSquare(Op):
    ...     def forward(self, a):
    ...         return a * a
    ...     def backward(self, g, out, a):
    ...         return (g * a,)
    >>> check_grads(lambda x: apply(WrongSquare(), x), (np.array([1.0, 2.0]),), order=1, modes=("rev",))
    Traceback (most recent call last):
    ...
    AssertionError: check_grads: reverse mode (vjp) of <lambda>, order 1, disagrees with central differences: <vjp(u), v> = ...
    """
    from .engine.tree import tree_flatten, tree_unflatten

    unknown = set(modes) - {"fwd", "rev"}
    if unknown or not modes:
        raise ValueError(f"check_grads: modes must be some of 'fwd' and 'rev', got {tuple(modes)!r}")
    if int(order) != order or order < 1:
        raise ValueError(f"check_grads: order must be a positive integer, got {order!r}")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"check_grads: args must be a tuple or list of arguments, got {type(args).__name__}")
    leaves, treedef = tree_flatten(tuple(args))
    arrays = [np.array(as_array(leaf, "check_grads"), dtype=np.float64) for leaf in leaves]

    def f_leaves(*tensors: Tensor) -> Tensor:
        return f(*tree_unflatten(treedef, list(tensors)))

    name = getattr(f, "__name__", "f")
    _check_grads(f_leaves, arrays, int(order), tuple(modes), eps, rtol, atol, np.random.default_rng(seed), name, 1)


def _evaluate(f: Callable[..., Tensor], arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``f``'s value at ``arrays`` (as constants: no graph is needed for a value)."""
    with no_grad():
        y = f(*[Tensor(a) for a in arrays])
    if not isinstance(y, Tensor):
        raise TypeError(f"check_grads: the function must return a Tensor, got {type(y).__name__}")
    return np.array(y.data, dtype=np.float64)


def _leaves_requiring_grad(tensors: Sequence[Tensor]) -> list[Tensor]:
    """The given Tensors where they already carry a graph (an outer derivative), else fresh leaves."""
    return [t if t.requires_grad else Tensor(t.data, requires_grad=True) for t in tensors]


def _check_grads(
    f: Callable[..., Tensor],
    arrays: list[np.ndarray],
    order: int,
    modes: tuple[str, ...],
    eps: float,
    rtol: float,
    atol: float,
    rng: np.random.Generator,
    name: str,
    level: int,
) -> None:
    from .engine import enable_grad
    from .engine.derivatives import _output_vjp, jvp_tensors
    from .engine.functions import concatenate

    v = [rng.standard_normal(a.shape) for a in arrays]
    y0 = _evaluate(f, arrays)
    u = rng.standard_normal(y0.shape)
    plus = _evaluate(f, [a + eps * d for a, d in zip(arrays, v)])
    minus = _evaluate(f, [a - eps * d for a, d in zip(arrays, v)])
    numerical = (plus - minus) / (2 * eps)
    where = f"of {name}, order {level}"
    if "fwd" in modes:
        with enable_grad():
            xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
            Jv = np.asarray(jvp_tensors(f(*xs), xs, v), dtype=np.float64)
        error = np.abs(Jv - numerical)
        if not np.all(error <= atol + rtol * np.abs(numerical)):
            worst = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
            raise AssertionError(
                f"check_grads: forward mode (jvp) {where}, disagrees with central differences at output "
                f"element {tuple(int(i) for i in worst)}: jvp {float(Jv[worst])!r} vs numerical "
                f"{float(numerical[worst])!r} (eps={eps}, rtol={rtol}, atol={atol})"
            )
    if "rev" in modes:
        with enable_grad():
            xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
            cotangents = _output_vjp(f(*xs), xs, u, create_graph=False)
        autodiff = float(sum(np.vdot(g, d) for g, d in zip(cotangents, v)))
        expected = float(np.vdot(u, numerical))
        # The inner product adds up to ~64 elements' errors, each bounded as above: the bound scales with their sum.
        bound = atol * max(u.size, 1) + rtol * float(np.vdot(np.abs(u), np.abs(numerical)))
        if not abs(autodiff - expected) <= bound:
            raise AssertionError(
                f"check_grads: reverse mode (vjp) {where}, disagrees with central differences: "
                f"<vjp(u), v> = {autodiff!r} but <u, numerical J v> = {expected!r} (eps={eps}, rtol={rtol}, atol={atol})"
            )
    if order == 1:
        return
    if "fwd" in modes:

        def f_jvp(*tensors: Tensor) -> Tensor:
            with enable_grad():
                xs = _leaves_requiring_grad(tensors)
                return jvp_tensors(f(*xs), xs, v, create_graph=True)

        _check_grads(f_jvp, arrays, order - 1, modes, eps, rtol, atol, rng, f"jvp({name})", level + 1)
    if "rev" in modes:

        def f_vjp(*tensors: Tensor) -> Tensor:
            with enable_grad():
                xs = _leaves_requiring_grad(tensors)
                cotangents = _output_vjp(f(*xs), xs, u, create_graph=True)
                return concatenate([g.reshape(-1) for g in cotangents])

        _check_grads(f_vjp, arrays, order - 1, modes, eps, rtol, atol, rng, f"vjp({name})", level + 1)
