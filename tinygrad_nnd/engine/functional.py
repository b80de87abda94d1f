"""Gradients as functions, in the style of HIPS autograd and JAX.

``grad(f)``, ``value_and_grad(f)`` and ``hvp(f)`` turn a function into the
function that returns its derivative, with respect to the arguments ``argnums``
names (the first by default), each an array or a tree of arrays (nested tuples,
lists and dicts, see :mod:`~tinygrad_nnd.engine.tree`); gradients come back in
the same structure. They plug straight into SciPy:
``scipy.optimize.minimize(value_and_grad(f), x0, jac=True, hessp=hvp(f))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..text import plural
from .backprop import backpropagate
from .modes import enable_grad
from .tensor import ArrayLike, Tensor, as_array
from .tree import _LEAF, TreeDef, flatten_with_paths, tree_flatten, tree_paths, tree_unflatten

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


# ---------------------------------------------------------------- arguments to differentiate

ArgNums = int | tuple[int, ...]


def check_argnums(argnums: Any, who: str) -> ArgNums:
    """``argnums`` if it is an int or a tuple of distinct ints, else a TypeError/ValueError naming ``who``."""
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        return int(argnums)
    if isinstance(argnums, tuple) and all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in argnums
    ):
        if not argnums:
            raise ValueError(f"{who}: argnums=() names no argument to differentiate")
        if len(set(argnums)) != len(argnums):
            raise ValueError(f"{who}: argnums {argnums} names an argument twice")
        return tuple(int(i) for i in argnums)
    raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")


def _positions(argnums: ArgNums, n_args: int, who: str) -> tuple[int, ...]:
    """The argument positions ``argnums`` names, for a call with ``n_args`` positional arguments."""
    wanted = (argnums,) if isinstance(argnums, int) else argnums
    positions = []
    for i in wanted:
        if not -n_args <= i < n_args:
            raise ValueError(
                f"{who}: argnums {argnums!r} is out of range: the function was called with "
                f"{plural(n_args, 'positional argument')}"
            )
        positions.append(i % n_args)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{who}: argnums {argnums!r} names one argument twice (for {n_args} arguments)")
    return tuple(positions)


def _float_leaf(leaf: Any, where: str, who: str) -> np.ndarray:
    """A leaf to differentiate as a float array; integer, boolean and non-numeric leaves are refused."""
    data = leaf.data if isinstance(leaf, Tensor) else leaf
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind != "f":
        raise TypeError(
            f"{who}: cannot differentiate with respect to {where}: its dtype is {data.dtype}, not a float "
            f"dtype (pass it as floats, e.g. x.astype(float), or leave it out of argnums)"
        )
    return as_array(data, f"{who}: {where}")


@dataclass
class _Wrt:
    """The arguments to differentiate: each one's tree structure and leaf Tensors."""

    argnums: ArgNums
    positions: tuple[int, ...]
    treedefs: list[TreeDef]
    leaves: list[list[Tensor]]
    paths: list[list[str]] = field(default_factory=list)

    @property
    def tensors(self) -> list[Tensor]:
        return [t for ts in self.leaves for t in ts]

    def structure(self) -> TreeDef:
        """The structure of a gradient: one argument's tree, or a tuple of them."""
        if isinstance(self.argnums, int):
            return self.treedefs[0]
        return TreeDef("tuple", (), tuple(self.treedefs))

    def unflatten(self, flat: Sequence[Any]) -> Any:
        """Per-leaf results in the arguments' structures: a tree for an int ``argnums``, a tuple for a tuple."""
        if isinstance(self.argnums, int) and self.treedefs[0] is _LEAF:  # one array: no tree to build
            return flat[0]
        trees, start = [], 0
        for treedef, ts in zip(self.treedefs, self.leaves):
            trees.append(tree_unflatten(treedef, flat[start : start + len(ts)]))
            start += len(ts)
        return trees[0] if isinstance(self.argnums, int) else tuple(trees)


def _differentiable_args(args: tuple[Any, ...], argnums: ArgNums, who: str) -> tuple[list[Any], _Wrt]:
    """``args`` with the arguments named by ``argnums`` rebuilt from leaf Tensors that require a gradient."""
    if not args:
        raise TypeError(f"{who}: the function was called with no arguments, nothing to differentiate")
    positions = _positions(argnums, len(args), who)
    call_args = list(args)
    if len(positions) == 1 and isinstance(args[positions[0]], (np.ndarray, Tensor)):  # the common case: one array
        position = positions[0]
        t = Tensor(_float_leaf(args[position], f"argument {position}", who), requires_grad=True)
        call_args[position] = t
        return call_args, _Wrt(argnums, positions, [_LEAF], [[t]], [[""]])
    wrt = _Wrt(argnums, positions, [], [])
    for position in positions:
        leaves, paths, treedef = flatten_with_paths(args[position])
        tensors = [
            Tensor(_float_leaf(leaf, f"argument {position}{path}", who), requires_grad=True)
            for leaf, path in zip(leaves, paths)
        ]
        call_args[position] = tree_unflatten(treedef, tensors)
        wrt.treedefs.append(treedef)
        wrt.leaves.append(tensors)
        wrt.paths.append(paths)
    return call_args, wrt


def _scalar_output(y: Any, f: Callable[..., Any]) -> Tensor:
    name = getattr(f, "__name__", repr(f))
    if not isinstance(y, Tensor):
        raise TypeError(f"{name} must return a Tensor built from its argument, got {type(y).__name__}")
    if y.data.size != 1:
        raise ValueError(f"{name} must return a scalar (one element), got shape {y.shape}")
    return y


def value_and_grad(f: ScalarFunction, argnums: ArgNums = 0) -> Callable[..., tuple[float, Any]]:
    """``f`` and its gradient together: ``value_and_grad(f)(x, *args) -> (f(x), df/dx)``.

    Parameters
    ----------
    f : callable
        A function of positional arguments returning a scalar Tensor. The arguments
        it is differentiated with respect to arrive as Tensors that require a
        gradient (as trees of them, for trees); the others pass through unchanged.
    argnums : int or tuple of int, optional
        Which positional arguments to differentiate with respect to (default the
        first), as in JAX. Each may be an array or a tree of arrays: nested
        tuples, lists and dicts (see :mod:`tinygrad_nnd.engine.tree`).

    Returns
    -------
    callable
        ``(*args) -> (float, gradient)``. For an int ``argnums`` the gradient has
        the structure of that argument (an ndarray of ``x``'s shape for an array
        ``x``: the form ``scipy.optimize.minimize(..., jac=True)`` wants); for a
        tuple, it is a tuple with one such gradient per argument named.

    Raises
    ------
    TypeError
        If ``argnums`` is not an int or tuple of ints, if a differentiated leaf is
        not floats (an integer array, a string, ...; the message names its place in
        the tree), or if ``f`` does not return a Tensor.
    ValueError
        If ``argnums`` is out of range for the call, or ``f``'s result has more than one element.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import value_and_grad
    >>> def f(x):
    ...     return ((x - 1.0) ** 2).sum()
    >>> value_and_grad(f)(np.array([0.0, 3.0]))
    (5.0, array([-2.,  4.]))

    Several arguments, and a dict of parameters:

    >>> def cost(params, X):
    ...     return ((X @ params["W"] + params["b"]) ** 2).sum()
    >>> params = {"W": np.array([[1.0], [2.0]]), "b": np.array([0.5])}
    >>> J, g = value_and_grad(cost)(params, np.array([[1.0, 1.0]]))
    >>> J, g["W"].ravel(), g["b"]
    (12.25, array([7., 7.]), array([7.]))
    >>> value_and_grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(np.array(2.0), np.array(3.0))
    (6.0, (array(3.), array(2.)))
    """
    return _value_and_grad(f, check_argnums(argnums, "value_and_grad"), "value_and_grad")


def _value_and_grad(f: ScalarFunction, argnums: ArgNums, who: str) -> Callable[..., tuple[float, Any]]:
    def value_and_grad_f(*args: Any) -> tuple[float, Any]:
        call_args, wrt = _differentiable_args(args, argnums, who)
        with enable_grad():
            y = _scalar_output(f(*call_args), f)
        flat = gradients(y, wrt.tensors)
        return float(y.data.reshape(())), wrt.unflatten(flat)  # y has one element, perhaps in a (1, 1) array

    return value_and_grad_f


def grad(f: ScalarFunction, argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of ``f`` as a function: ``grad(f)(x, *args) -> df/dx`` (an ndarray of ``x``'s shape).

    ``argnums`` and trees of parameters work as for :func:`value_and_grad`: the
    gradient has the structure of the argument (a tuple of them for a tuple ``argnums``).

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import grad
    >>> grad(lambda x: (x * x).sum())([1.0, 2.0])
    array([2., 4.])
    >>> grad(lambda w, x: (w[0] * x + w[1]).sum(), argnums=0)((np.array(2.0), np.array(1.0)), [1.0, 3.0])
    (array(4.), array(2.))

    A list or tuple of plain numbers is one array, as NumPy reads it:

    >>> grad(lambda w, x: (w[0] * x + w[1]).sum())((2.0, 1.0), [1.0, 3.0])
    array([4., 2.])
    """
    value_and_grad_f = _value_and_grad(f, check_argnums(argnums, "grad"), "grad")

    def grad_f(*args: Any) -> Any:
        return value_and_grad_f(*args)[1]

    return grad_f


def hvp(f: ScalarFunction, argnums: ArgNums = 0) -> Callable[..., Any]:
    """Hessian-vector product: ``hvp(f)(x, v, *args) -> H(x) @ v`` without forming ``H``.

    Differentiates ``v . grad f(x)`` once more, using a backward pass whose own
    graph was recorded (``create_graph=True``): two backward passes, whatever the
    size of ``x``. The signature matches SciPy's ``hessp=``: the vector comes
    second, and ``f`` is called as ``f(x, *args)``.

    Parameters
    ----------
    f : callable
        As for :func:`value_and_grad`.
    argnums : int or tuple of int, optional
        The arguments of ``f(x, *args)`` to differentiate with respect to; ``v``
        then has the structure of :func:`grad`'s result (a tree, or a tuple of
        trees), and so has the returned product.

    Raises
    ------
    ValueError
        If ``v``'s structure or a leaf's shape differs from the gradient's.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import hvp
    >>> def f(x):  # f = x0^2 x1, so H = [[2 x1, 2 x0], [2 x0, 0]]
    ...     return x[0] * x[0] * x[1]
    >>> hvp(f)(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([4., 2.])
    >>> hvp(lambda a, b: a * a * b, argnums=(0, 1))(np.array(1.0), (np.array(1.0), np.array(0.0)), np.array(2.0))
    (array(4.), array(2.))
    """
    argnums = check_argnums(argnums, "hvp")

    def hvp_f(x: Any, v: Any, *args: Any) -> Any:
        call_args, wrt = _differentiable_args((x, *args), argnums, "hvp")
        vs = _matching_leaves(v, wrt, "hvp", "vector")
        with enable_grad():
            y = _scalar_output(f(*call_args), f)
            grads = gradients(y, wrt.tensors, create_graph=True)
            terms = [(g * v_i).sum() for g, v_i in zip(grads, vs) if g.requires_grad]
            if not terms:  # f is linear (or constant) in x: the Hessian is 0
                return wrt.unflatten([np.zeros_like(t.data) for t in wrt.tensors])
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            flat = gradients(total, wrt.tensors)
        return wrt.unflatten(flat)

    return hvp_f


def _matching_leaves(v: Any, wrt: _Wrt, who: str, what: str) -> list[np.ndarray]:
    """The leaves of ``v`` as arrays, checked to have the structure and shapes of the differentiated arguments."""
    leaves, treedef = tree_flatten(v)
    expected = wrt.structure()
    if treedef != expected:
        raise ValueError(f"{who}: the {what} has the structure {treedef}, the differentiated arguments have {expected}")
    arrays = []
    for leaf, t, path in zip(leaves, wrt.tensors, tree_paths(v)):
        a = as_array(leaf, f"{who}: {what}{path}")
        if a.shape != t.shape:
            raise ValueError(f"{who}: {what}{path} has shape {a.shape}, the argument it goes with has shape {t.shape}")
        arrays.append(a)
    return arrays
