"""Gradients as functions, in the style of HIPS autograd and JAX.

``grad(f)``, ``value_and_grad(f)`` and ``hvp(f)`` turn a function of one array
into the function that returns its derivative. They plug straight into SciPy:
``scipy.optimize.minimize(value_and_grad(f), x0, jac=True, hessp=hvp(f))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backprop import backpropagate
from .modes import enable_grad
from .tensor import ArrayLike, Tensor, as_array

ScalarFunction = Callable[..., Tensor]


def gradients(
    output: Tensor,
    inputs: Sequence[Tensor],
    grad_output: ArrayLike | None = None,
    create_graph: bool = False,
) -> list[Any]:
    """The gradients of ``output`` with respect to each of ``inputs``, without touching ``.grad``.

    Parameters
    ----------
    output : Tensor
        What to differentiate (one element, unless ``grad_output`` is given).
    inputs : sequence of Tensor
        Leaves or inner nodes of ``output``'s graph.
    grad_output : array_like, optional
        ``dL/d(output)``; 1 for a one-element output.
    create_graph : bool, optional
        Return Tensors that carry a graph of their own, to differentiate again.

    Returns
    -------
    list
        One gradient per input, of its shape: ndarrays, or Tensors with
        ``create_graph=True``. An input that ``output`` does not depend on gets
        zeros.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor, gradients
    >>> x = Tensor(3.0, requires_grad=True)
    >>> (dy_dx,) = gradients(x ** 3, [x], create_graph=True)
    >>> float(dy_dx), float(gradients(dy_dx, [x])[0])
    (27.0, 18.0)
    """
    if not output.requires_grad:  # a constant: every gradient is zero
        zeros = [np.zeros_like(x.data) for x in inputs]
        return [Tensor(z) for z in zeros] if create_graph else zeros
    seed = output._seed_gradient(grad_output)
    found = backpropagate(output, seed, create_graph, wanted=inputs)
    result = []
    for x in inputs:
        g = found.get(x)
        if create_graph:
            result.append(Tensor(np.zeros_like(x.data)) if g is None else g)
        else:  # a fresh array of x's dtype: rules may pass one array (or a read-only view) to several inputs
            result.append(np.zeros_like(x.data) if g is None else np.array(g, dtype=x.data.dtype))
    return result


def _scalar_output(y: Any, f: Callable[..., Any]) -> Tensor:
    name = getattr(f, "__name__", repr(f))
    if not isinstance(y, Tensor):
        raise TypeError(f"{name} must return a Tensor built from its argument, got {type(y).__name__}")
    if y.data.size != 1:
        raise ValueError(f"{name} must return a scalar (one element), got shape {y.shape}")
    return y


def value_and_grad(f: ScalarFunction) -> Callable[..., tuple[float, np.ndarray]]:
    """``f`` and its gradient together: ``value_and_grad(f)(x, *args) -> (f(x), df/dx)``.

    Parameters
    ----------
    f : callable
        ``f(x, *args)`` takes a Tensor ``x`` (the array given, as a Tensor that
        requires a gradient) and returns a scalar Tensor. ``args`` pass through.

    Returns
    -------
    callable
        ``(x, *args) -> (float, ndarray)``; the gradient has ``x``'s shape. This is
        the form ``scipy.optimize.minimize(..., jac=True)`` wants.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import value_and_grad
    >>> def f(x):
    ...     return ((x - 1.0) ** 2).sum()
    >>> value_and_grad(f)(np.array([0.0, 3.0]))
    (5.0, array([-2.,  4.]))
    """

    def value_and_grad_f(x: ArrayLike, *args: Any) -> tuple[float, np.ndarray]:
        x_t = Tensor(as_array(x, "value_and_grad"), requires_grad=True)
        with enable_grad():
            y = _scalar_output(f(x_t, *args), f)
        (g,) = gradients(y, [x_t])
        return float(y.data.reshape(())), g  # y has one element, perhaps in a (1, 1) array

    return value_and_grad_f


def grad(f: ScalarFunction) -> Callable[..., np.ndarray]:
    """The gradient of ``f`` as a function: ``grad(f)(x, *args) -> df/dx`` (an ndarray of ``x``'s shape).

    Examples
    --------
    >>> from tinygrad_nnd import grad
    >>> grad(lambda x: (x * x).sum())([1.0, 2.0])
    array([2., 4.])
    """
    value_and_grad_f = value_and_grad(f)

    def grad_f(x: ArrayLike, *args: Any) -> np.ndarray:
        return value_and_grad_f(x, *args)[1]

    return grad_f


def hvp(f: ScalarFunction) -> Callable[..., np.ndarray]:
    """Hessian-vector product: ``hvp(f)(x, v, *args) -> H(x) @ v`` without forming ``H``.

    Differentiates ``v . grad f(x)`` once more, using a backward pass whose own
    graph was recorded (``create_graph=True``): two backward passes, whatever the
    size of ``x``. The signature matches SciPy's ``hessp=``.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import hvp
    >>> def f(x):  # f = x0^2 x1, so H = [[2 x1, 2 x0], [2 x0, 0]]
    ...     return x[0] * x[0] * x[1]
    >>> hvp(f)(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([4., 2.])
    """

    def hvp_f(x: ArrayLike, v: ArrayLike, *args: Any) -> np.ndarray:
        x_t = Tensor(as_array(x, "hvp"), requires_grad=True)
        v = as_array(v, "hvp")
        if v.shape != x_t.shape:
            raise ValueError(f"hvp: vector of shape {v.shape} given for x of shape {x_t.shape}")
        with enable_grad():
            y = _scalar_output(f(x_t, *args), f)
            (g,) = gradients(y, [x_t], create_graph=True)
            if not g.requires_grad:  # f is linear (or constant) in x: the Hessian is 0
                return np.zeros_like(x_t.data)
            (hv,) = gradients((g * v).sum(), [x_t])
        return hv

    return hvp_f
