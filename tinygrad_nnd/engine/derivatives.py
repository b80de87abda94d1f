"""Derivatives beyond the gradient: ``vjp``, ``jvp`` (forward mode), ``jacobian`` and ``hessian``.

All four take ``f`` as :func:`~tinygrad_nnd.grad` does: a function of
positional arguments, each an array or a tree of arrays, that returns a Tensor
built from them (here of any shape, not only a scalar).

- ``vjp(f, *primals)``: the value and a function ``u -> u^T J``, the reverse
  mode in its raw form (one backward pass per call, the graph recorded once);
- ``jvp(f, primals, tangents)``: the value and ``J v``, forward mode;
- ``jacobian(f)``: the whole Jacobian, one backward pass per output element;
- ``hessian(f)``: the dense Hessian of a scalar function, one Hessian-vector
  product per parameter, for small problems (:data:`HESSIAN_MAX_SIZE`).

Forward mode by transposition
-----------------------------
The engine has one rule per op, the backward rule (a vector-Jacobian product),
and no forward rules. ``jvp`` gets ``J v`` from it: with a placeholder ``u`` of
the output's shape, ``vjp(u) = J^T u`` is linear in ``u``, and recorded with
``create_graph=True`` it is a graph like any other; differentiating ``v . J^T u``
with respect to ``u`` gives ``J v``. So forward mode costs two backward passes
(one recorded) instead of one forward-mode pass, and needs no second rule per op
to write, keep in step and test. :doc:`internals` says more on the choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backprop import backpropagate
from .functional import ArgNums, _differentiable_args, _matching_leaves, _scalar_output, check_argnums, gradients
from .modes import enable_grad
from .tensor import Tensor, as_array

__all__ = ["HESSIAN_MAX_SIZE", "hessian", "jacobian", "jvp", "vjp"]

#: The largest number of parameters :func:`hessian` accepts by default. A dense
#: Hessian of ``n`` parameters takes ``n`` Hessian-vector products (each about
#: three times the cost of a gradient) and ``n**2`` numbers: at 2,000 that is 4
#: million float64s (32 MB) and 2,000 backward passes. Above it, use
#: :func:`~tinygrad_nnd.hvp` (what Newton-CG and trust-region methods need), or
#: pass ``max_size`` to ask for it anyway.
HESSIAN_MAX_SIZE: int = 2000


def _tensor_output(y: Any, f: Callable[..., Any], who: str) -> Tensor:
    if not isinstance(y, Tensor):
        name = getattr(f, "__name__", repr(f))
        raise TypeError(f"{who}: {name} must return a Tensor built from its arguments, got {type(y).__name__}")
    return y


def _output_vjp(y: Tensor, xs: Sequence[Tensor], u: Any, create_graph: bool) -> list[Any]:
    """``u^T J`` for each of ``xs`` (zeros where ``y`` does not depend on it); ``u`` may be a Tensor under create_graph."""
    if not y.requires_grad:
        zeros = [np.zeros_like(x.data) for x in xs]
        return [Tensor(z) for z in zeros] if create_graph else zeros
    if isinstance(u, Tensor):
        found = backpropagate(y, u, create_graph=True, wanted=xs)
        return [found.get(x, Tensor(np.zeros_like(x.data))) for x in xs]
    return gradients(y, list(xs), grad_output=u, create_graph=create_graph)


def jvp_tensors(y: Tensor, xs: Sequence[Tensor], vs: Sequence[Any], create_graph: bool = False) -> Any:
    """``J v`` of ``y`` with respect to ``xs`` along ``vs``, by transposing the backward pass (see the module docstring).

    With ``create_graph`` the result is a Tensor with a graph back to ``xs`` (for
    derivatives of derivatives); otherwise an ndarray of ``y``'s shape.
    """
    if not y.requires_grad:
        zero = np.zeros_like(y.data)
        return Tensor(zero) if create_graph else zero
    with enable_grad():
        u = Tensor(np.zeros_like(y.data), requires_grad=True)  # J^T u is linear in u: any value will do
        vjps = _output_vjp(y, xs, u, create_graph=True)
        terms = [(g * v).sum() for g, v in zip(vjps, vs) if g.requires_grad]
        if not terms:
            zero = np.zeros_like(y.data)
            return Tensor(zero) if create_graph else zero
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        (Jv,) = gradients(total, [u], create_graph=create_graph)
    return Jv


def _as_arguments(primals: Any) -> tuple[Any, ...]:
    """``primals`` as a tuple of arguments: a tuple or list is the arguments, anything else one argument."""
    return tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)


def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[np.ndarray, Callable[[Any], tuple[Any, ...]]]:
    """The value of ``f`` and its vector-Jacobian product as a function: ``u -> u^T J``.

    ``f`` is called once, on Tensors that stand for ``primals``; the returned
    function runs one backward pass through that recorded graph per call (as
    ``jax.vjp``).

    Parameters
    ----------
    f : callable
        ``f(*primals)``, returning a Tensor of any shape.
    *primals : array_like or tree
        The point: one per argument of ``f``, each an array or a tree of arrays.

    Returns
    -------
    value : ndarray
        ``f(*primals)``.
    vjp_fun : callable
        ``vjp_fun(u)`` for ``u`` of the value's shape returns a tuple with one
        cotangent per primal, each of that primal's structure:
        ``sum(u * f)``'s gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import vjp
    >>> y, vjp_fun = vjp(lambda x: x * x, np.array([1.0, 2.0, 3.0]))
    >>> y
    array([1., 4., 9.])
    >>> vjp_fun(np.array([1.0, 0.0, 1.0]))
    (array([2., 0., 6.]),)
    """
    if not primals:
        raise TypeError("vjp: give at least one primal (the point at which to differentiate)")
    call_args, wrt = _differentiable_args(primals, tuple(range(len(primals))), "vjp")
    with enable_grad():
        y = _tensor_output(f(*call_args), f, "vjp")
    shape = y.shape

    def vjp_fun(u: Any) -> tuple[Any, ...]:
        u = as_array(u, "vjp")
        if u.shape != shape:
            raise ValueError(f"vjp: the cotangent has shape {u.shape}, the output of f has shape {shape}")
        return wrt.unflatten(_output_vjp(y, wrt.tensors, u, create_graph=False))

    return np.array(y.data), vjp_fun


def jvp(f: Callable[..., Tensor], primals: Any, tangents: Any) -> tuple[np.ndarray, np.ndarray]:
    """Forward mode: the value of ``f`` at ``primals`` and the Jacobian-vector product ``J v`` along ``tangents``.

    Computed by transposing the backward pass (see the module docstring): no
    forward rules, two backward passes.

    Parameters
    ----------
    f : callable
        ``f(*primals)``, returning a Tensor of any shape.
    primals : tuple or list of (array_like or tree), or one array or tree
        The point: a tuple or list holds one entry per argument of ``f`` (as in
        ``jax.jvp``); anything else is the only argument. (A list of plain
        numbers is therefore several scalar arguments: give one vector as
        ``(x,)`` or as an ndarray.)
    tangents : like ``primals``
        The direction ``v``: one per primal, of its structure and leaf shapes.

    Returns
    -------
    value : ndarray
        ``f(*primals)``.
    tangent_out : ndarray
        ``J v``, of the value's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import jvp
    >>> jvp(lambda x: x * x, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 1.0]))
    (array([1., 4., 9.]), array([2., 0., 6.]))
    >>> jvp(lambda a, b: (a * b).sum(), (np.array([1.0, 2.0]), np.array([3.0, 4.0])), (np.ones(2), np.zeros(2)))
    (array(11.), array(7.))
    """
    args = _as_arguments(primals)
    directions = _as_arguments(tangents)
    if len(directions) != len(args):
        raise ValueError(f"jvp: {len(args)} primals but {len(directions)} tangents; give one tangent per primal")
    call_args, wrt = _differentiable_args(args, tuple(range(len(args))), "jvp")
    vs = _matching_leaves(tuple(directions), wrt, "jvp", "tangent")
    with enable_grad():
        y = _tensor_output(f(*call_args), f, "jvp")
        Jv = jvp_tensors(y, wrt.tensors, vs)
    return np.array(y.data), np.array(Jv, dtype=y.data.dtype)


def jacobian(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The Jacobian of ``f`` as a function, in reverse mode: one backward pass per element of the output.

    For ``x`` of shape ``(n,)`` and ``f(x)`` of shape ``(m,)`` it is the
    ``(m, n)`` matrix ``J[i, j] = d f_i / d x_j``; in general each leaf's block
    has the shape ``f(x).shape + leaf.shape`` (as ``jax.jacrev``).

    Parameters
    ----------
    f : callable
        A function returning a Tensor of any shape.
    argnums : int or tuple of int, optional
        The arguments to differentiate with respect to, as for :func:`~tinygrad_nnd.grad`.

    Returns
    -------
    callable
        ``(*args) -> J``, in the structure of the arguments named (a tuple for a tuple ``argnums``).

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import jacobian
    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    argnums = check_argnums(argnums, "jacobian")

    def jacobian_f(*args: Any) -> Any:
        call_args, wrt = _differentiable_args(args, argnums, "jacobian")
        with enable_grad():
            y = _tensor_output(f(*call_args), f, "jacobian")
        blocks = [np.zeros(y.shape + t.shape, dtype=t.dtype) for t in wrt.tensors]
        seed = np.zeros(y.shape, dtype=y.dtype)
        for i in range(y.data.size):  # one backward pass per output element
            at = np.unravel_index(i, y.shape)
            seed[at] = 1.0
            for block, row in zip(blocks, _output_vjp(y, wrt.tensors, seed, create_graph=False)):
                block[at] = row
            seed[at] = 0.0
        return wrt.unflatten(blocks)

    return jacobian_f


def hessian(f: Callable[..., Tensor], argnums: ArgNums = 0, max_size: int = HESSIAN_MAX_SIZE) -> Callable[..., Any]:
    """The dense Hessian of a scalar ``f``, one Hessian-vector product per parameter (for small problems).

    The gradient is recorded once with ``create_graph=True``; then for each
    parameter ``j`` a backward pass from the ``j``-th element of the gradient
    gives row ``j``: ``H e_j``, the Hessian-vector product with a unit vector.

    For ``x`` of shape ``s`` the result has shape ``s + s`` (an ``(n, n)`` matrix
    for a vector); for trees and several arguments, block ``(i, j)`` has the
    shape ``leaf_i.shape + leaf_j.shape`` and the blocks are nested in the
    arguments' structure twice (as ``jax.hessian``).

    Parameters
    ----------
    f : callable
        A function returning a one-element Tensor.
    argnums : int or tuple of int, optional
        As for :func:`~tinygrad_nnd.grad`.
    max_size : int, optional
        The largest number of parameters (elements of the differentiated
        arguments) accepted; :data:`HESSIAN_MAX_SIZE` by default.

    Raises
    ------
    ValueError
        If the arguments have more than ``max_size`` elements: use
        :func:`~tinygrad_nnd.hvp` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import hessian
    >>> hessian(lambda x: x[0] * x[0] * x[1])(np.array([1.0, 2.0]))  # [[2 x1, 2 x0], [2 x0, 0]]
    array([[4., 2.],
           [2., 0.]])
    """
    argnums = check_argnums(argnums, "hessian")

    def hessian_f(*args: Any) -> Any:
        call_args, wrt = _differentiable_args(args, argnums, "hessian")
        tensors = wrt.tensors
        n = sum(t.data.size for t in tensors)
        if n > max_size:
            raise ValueError(
                f"hessian: the differentiated arguments have {n} elements; a dense Hessian would take {n} "
                f"Hessian-vector products and {n * n:,} numbers, above the limit of {max_size} elements "
                f"(HESSIAN_MAX_SIZE). Use hvp(f) for products with the Hessian, or pass max_size to hessian."
            )
        with enable_grad():
            y = _scalar_output(f(*call_args), f)
            grads = gradients(y, tensors, create_graph=True)
        rows = np.zeros((n, n))
        flat = [g.reshape(-1) for g in grads]  # Tensors (create_graph), zeros where f does not reach
        start = 0
        for g in flat:
            if g.requires_grad:  # else this block of rows is 0: f is linear in these parameters
                for k in range(g.size):  # row start + k = H e_(start + k), one backward pass
                    rows[start + k] = np.concatenate([r.ravel() for r in gradients(g[k], tensors)])
            start += g.size
        return _hessian_blocks(rows, wrt)

    return hessian_f


def _hessian_blocks(H: np.ndarray, wrt: Any) -> Any:
    """The ``(n, n)`` matrix cut into blocks ``leaf_i.shape + leaf_j.shape``, nested in the arguments' structure twice."""
    tensors = wrt.tensors
    offsets = np.cumsum([0] + [t.data.size for t in tensors])
    outer = []
    for i, ti in enumerate(tensors):
        inner = []
        for j, tj in enumerate(tensors):
            block = H[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]]
            inner.append(block.reshape(ti.shape + tj.shape).astype(ti.dtype, copy=True))
        outer.append(wrt.unflatten(inner))
    return wrt.unflatten(outer)
