"""``jit(f)``: trace a function once per signature and run it, with its gradient, as compiled NumPy code.

``jit(f)`` stands beside :func:`~tinygrad_nnd.grad`, :func:`~tinygrad_nnd.value_and_grad`
and :func:`~tinygrad_nnd.hvp`: it gives the same four things (the value, the
value and gradient, the gradient, Hessian-vector products) but records the
graph of ``f`` only once for each *signature* (the shapes and dtypes of the
array arguments, and the values of the others) and then runs a straight-line
function that :mod:`~tinygrad_nnd.engine.compiler` wrote from it.

Tracing calls ``f`` on Tensors that stand for the arguments. A jitted function
must therefore compute the same ops, in the same order, for every call with
the same signature: it may branch on shapes (known while tracing) and on
non-array arguments (part of the signature), never on the values of its array
arguments. Turning a traced Tensor into a Python ``bool``, ``int`` or
``float`` raises :class:`~tinygrad_nnd.engine.modes.TracerConversionError`.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .compiler import Program, build
from .functional import (
    ArgNums,
    ScalarFunction,
    _differentiable_args,
    _matching_leaves,
    _scalar_output,
    _Wrt,
    check_argnums,
    gradients,
)
from .modes import enable_grad, state
from .tensor import Tensor, as_array

_KINDS = ("value", "value_and_grad", "hvp")


class Jitted:
    """A function compiled once per signature; made by :func:`jit`.

    Calling it gives the value of ``f`` (a fresh ndarray); :meth:`value_and_grad`,
    :meth:`grad` and :meth:`hvp` give what the eager functions of the same names
    give, and plug into ``scipy.optimize.minimize(fun.value_and_grad, x0,
    jac=True, hessp=fun.hvp)``. :meth:`source` shows the code that runs.
    """

    def __init__(self, f: ScalarFunction, argnums: ArgNums = 0) -> None:
        self.f = f
        self.argnums = check_argnums(argnums, "jit")
        functools.update_wrapper(self, f)
        self._programs: dict[tuple[Any, ...], Program] = {}
        self._lock = threading.Lock()  # one trace per signature, also when threads ask at once
        try:
            parameters = list(inspect.signature(f).parameters.values())
        except (TypeError, ValueError):  # a builtin or a callable without a signature
            parameters = []
        self._positional_names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def __repr__(self) -> str:
        return f"jit({getattr(self.f, '__name__', repr(self.f))})"

    # ---------------------------------------------------------------- the four functions

    def __call__(self, *args: Any) -> np.ndarray:
        """``f(*args)`` as a fresh ndarray."""
        program, arrays, _ = self._program("value", args)
        return program(*arrays)[0]

    def value_and_grad(self, *args: Any) -> tuple[float, Any]:
        """``(f(*args), df/dx)``: a float and the gradient, as :func:`~tinygrad_nnd.value_and_grad` gives it.

        The gradient has the structure of the arguments ``argnums`` names (an
        array of ``x``'s shape for the default: the first argument, an array).
        """
        program, arrays, wrt = self._program("value_and_grad", args)
        J, *grads = program(*arrays)
        return J, wrt.unflatten(grads)

    def grad(self, *args: Any) -> Any:
        """``df/dx`` at the arguments, in their structure (see :meth:`value_and_grad`)."""
        return self.value_and_grad(*args)[1]

    def hvp(self, x: Any, v: Any, *args: Any) -> Any:
        """The Hessian-vector product ``H(x) @ v`` (SciPy's ``hessp=``): ``f`` is called as ``f(x, *args)``.

        ``v`` has the structure of the gradient, as for :func:`~tinygrad_nnd.hvp`.
        """
        program, arrays, wrt = self._program("hvp", (x, *args), v)
        return wrt.unflatten(program(*arrays)[1:])

    def source(self, *args: Any, kind: str = "value_and_grad") -> str:
        """The Python source that runs for arguments like these (``kind``: "value", "value_and_grad" or "hvp").

        For ``"hvp"`` give ``v`` after ``x``, as to :meth:`hvp`.
        """
        if kind not in _KINDS:
            raise ValueError(f"source: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        if kind == "hvp":
            if len(args) < 2:
                raise TypeError("source: for kind 'hvp' give x and v, then the other arguments")
            x, v, *rest = args
            return self._program(kind, (x, *rest), v)[0].source
        return self._program(kind, args)[0].source

    # ---------------------------------------------------------------- signatures and tracing

    def _program(self, kind: str, args: tuple[Any, ...], v: Any = None) -> tuple[Program, list[np.ndarray], _Wrt]:
        """The program for these arguments (traced on first use), the arrays to call it with, and the structure.

        The program's arguments are the leaves of the differentiated arguments, then
        (for ``hvp``) the leaves of ``v``, then the other array arguments.
        """
        call_args, wrt = _differentiable_args(args, self.argnums, "jit")
        leaves = [t.data for t in wrt.tensors]
        key: list[Any] = [kind, wrt.positions, tuple(wrt.treedefs)] + [(a.shape, a.dtype) for a in leaves]
        vs: list[np.ndarray] = []
        if kind == "hvp":
            vs = [np.asarray(a, dtype=t.dtype) for a, t in zip(_matching_leaves(v, wrt, "hvp", "vector"), wrt.tensors)]
        data: list[np.ndarray] = []
        for i, a in enumerate(args):
            if i in wrt.positions:
                continue
            if isinstance(a, (np.ndarray, Tensor, np.generic, list)):
                a = as_array(a, "jit")
                data.append(a)
                key += (i, a.shape, a.dtype)
            else:  # static: part of the signature, by type and value
                try:
                    hash(a)
                except TypeError:
                    raise TypeError(
                        f"jit: argument of type {type(a).__name__} is neither an array nor hashable; "
                        "pass arrays, numbers or other hashable values"
                    ) from None
                key += (i, "static", type(a), a)
        signature = tuple(key)
        program = self._programs.get(signature)
        if program is None:
            with self._lock:
                program = self._programs.get(signature)
                if program is None:
                    program = self._trace(kind, call_args, wrt, args)
                    self._programs[signature] = program
        return program, leaves + vs + data, wrt

    def _trace(self, kind: str, call_args: list[Any], wrt: _Wrt, args: tuple[Any, ...]) -> Program:
        names = self._positional_names + [None] * len(args)
        for position, tensors, paths in zip(wrt.positions, wrt.leaves, wrt.paths):
            for t, path in zip(tensors, paths):  # a leaf is named after its argument and its place in the tree
                suffix = re.sub(r"\W+", "_", path).strip("_")
                t.name = "_".join(
                    filter(None, [names[position] or ("x" if position == 0 else f"arg_{position}"), suffix])
                )
        vs = [Tensor(np.zeros_like(t.data), name=f"v_{t.name}" if len(wrt.tensors) > 1 else "v") for t in wrt.tensors]
        data: list[Tensor] = list(vs) if kind == "hvp" else []
        for i, a in enumerate(args):
            if i in wrt.positions:
                continue
            if isinstance(a, (np.ndarray, Tensor, np.generic, list)):
                t = Tensor(as_array(a, "jit"), requires_grad=True, name=names[i])
                data.append(t)
                call_args[i] = t

        def run() -> Tensor:
            y = self.f(*call_args)
            if kind == "hvp":
                y = _scalar_output(y, self.f)
                grads = gradients(y, wrt.tensors, create_graph=True)
                total = (grads[0] * vs[0]).sum()
                for g, v_t in zip(grads[1:], vs[1:]):
                    total = total + (g * v_t).sum()
                return total
            return _scalar_output(y, self.f) if kind == "value_and_grad" else _as_tensor(y, self.f)

        root = trace(run, data)
        return build(root, wrt.tensors, data, gradient=kind != "value", value_as_float=kind == "value_and_grad")


def _as_tensor(y: Any, f: Callable[..., Any]) -> Tensor:
    if not isinstance(y, Tensor):
        name = getattr(f, "__name__", repr(f))
        raise TypeError(f"{name} must return a Tensor built from its arguments, got {type(y).__name__}")
    return y


def trace(run: Callable[[], Tensor], data: Sequence[Tensor] = ()) -> Tensor:
    """Call ``run()`` with recording on and Tensors marked as traced; its result's graph is the program.

    ``data`` are argument Tensors that need no gradient: they are marked as
    requiring one while tracing, so every op on them is recorded (and not
    computed once, as a constant would be).
    """
    for t in data:
        t.requires_grad = True
    previous = state.tracing
    state.tracing = True
    try:
        with enable_grad():
            return run()
    finally:
        state.tracing = previous


def jit(f: ScalarFunction, argnums: ArgNums = 0) -> Jitted:
    """Compile ``f(x, *args)``: traced once per signature, then run as straight-line NumPy code.

    The signature is the shape and dtype of ``x`` and of every array argument
    (ndarrays, Tensors, lists), and the type and value of every other argument
    (numbers, strings, tuples: these are fixed into the trace). A new signature
    traces again. Array arguments are arguments of the compiled code, never
    values baked into it; everything else ``f`` uses (arrays from its closure,
    Python numbers) is a constant with the value it had when traced.

    Parameters
    ----------
    f : callable
        ``f(x, *args)`` returns a Tensor, built with Tensor ops from ``x`` and
        the array arguments (which it receives as Tensors). It must not branch on
        their values: see the module docstring.
    argnums : int or tuple of int, optional
        The arguments to differentiate with respect to, as for
        :func:`~tinygrad_nnd.grad`: each an array or a tree of arrays (nested
        tuples, lists, dicts), its gradient of the same structure. Their leaves
        are arguments of the compiled code, named after the argument and the key
        (``params_W_1``).

    Returns
    -------
    Jitted
        Call it for the value; ``.value_and_grad``, ``.grad`` and ``.hvp`` as the
        eager functions; ``.source(x, *args)`` for the generated code.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import jit
    >>> @jit
    ... def cost(w, X, y):
    ...     return 0.5 * ((y - (X @ w).sigmoid()) ** 2).sum()
    >>> X, y = np.array([[0.3, 1.0], [0.5, 0.2]]), np.array([[0.75], [0.82]])
    >>> J, dJ_dw = cost.value_and_grad(np.zeros((2, 1)), X, y)
    >>> round(J, 6), dJ_dw.round(6).ravel()
    (0.08245, array([-0.05875, -0.0785 ]))
    >>> print(cost.source(np.zeros((2, 1)), X, y))
    def program(w, X, y, _buffers):
        # forward
        dot_1 = X @ w  # dot
        sigmoid_2 = expit(dot_1)  # sigmoid
        sub_3 = y - sigmoid_2  # sub
        square_4 = sub_3 * sub_3  # square
        sum_5 = np.add.reduce(square_4, axis=axis_5, keepdims=keepdims_5)  # sum
        J = c * sum_5  # mul
        # backward: dJ_dv is dJ/dv
        dJ_dsub_3 = dJ_dsquare_4 * (2.0 * sub_3)  # square: dJ/da = g * 2 * a
        dJ_dsigmoid_2 = -dJ_dsub_3  # sub: dJ/db = -g
        dJ_ddot_1 = dJ_dsigmoid_2 * sigmoid_2 * (1.0 - sigmoid_2)  # sigmoid: dJ/da = g * c * (1 - c)
        dJ_dw = X.T @ dJ_ddot_1  # dot: dJ/db = a.T @ g
        return J.item(), dJ_dw
    <BLANKLINE>

    Trees of parameters and several arguments, as for :func:`~tinygrad_nnd.grad`:

    >>> def loss(params, X, y):
    ...     return 0.5 * ((y - (X @ params["W"] + params["b"]).sigmoid()) ** 2).sum()
    >>> J, g = jit(loss).value_and_grad({"W": np.zeros((2, 1)), "b": np.zeros(1)}, X, y)
    >>> g["W"].round(6).ravel(), g["b"].round(6)
    (array([-0.05875, -0.0785 ]), array([-0.1425]))
    """
    return Jitted(f, argnums)
