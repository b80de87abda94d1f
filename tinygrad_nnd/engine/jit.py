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
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .compiler import Program, build
from .functional import ScalarFunction, _scalar_output, gradients
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

    def __init__(self, f: ScalarFunction) -> None:
        self.f = f
        functools.update_wrapper(self, f)
        self._programs: dict[tuple[Any, ...], Program] = {}
        self._lock = threading.Lock()  # one trace per signature, also when threads ask at once
        try:
            parameters = list(inspect.signature(f).parameters.values())
        except (TypeError, ValueError):  # a builtin or a callable without a signature
            parameters = []
        self._names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def __repr__(self) -> str:
        return f"jit({getattr(self.f, '__name__', repr(self.f))})"

    # ---------------------------------------------------------------- the four functions

    def __call__(self, x: Any, *args: Any) -> np.ndarray:
        """``f(x, *args)`` as a fresh ndarray."""
        program, arrays = self._program("value", x, args)
        return program(*arrays)[0]

    def value_and_grad(self, x: Any, *args: Any) -> tuple[float, np.ndarray]:
        """``(f(x, *args), df/dx)``: a float and an array of ``x``'s shape (``f`` must return one element)."""
        program, arrays = self._program("value_and_grad", x, args)
        return program(*arrays)

    def grad(self, x: Any, *args: Any) -> np.ndarray:
        """``df/dx`` at ``x``, an array of ``x``'s shape."""
        program, arrays = self._program("value_and_grad", x, args)
        return program(*arrays)[1]

    def hvp(self, x: Any, v: Any, *args: Any) -> np.ndarray:
        """The Hessian-vector product ``H(x) @ v`` (SciPy's ``hessp=``)."""
        v = as_array(v, "hvp")
        x = as_array(x, "hvp")
        if v.shape != x.shape:
            raise ValueError(f"hvp: vector of shape {v.shape} given for x of shape {x.shape}")
        program, arrays = self._program("hvp", x, (v,) + args)
        return program(*arrays)[1]

    def source(self, x: Any, *args: Any, kind: str = "value_and_grad") -> str:
        """The Python source that runs for arguments like these (``kind``: "value", "value_and_grad" or "hvp").

        For ``"hvp"`` give ``v`` after ``x``, as to :meth:`hvp`.
        """
        if kind not in _KINDS:
            raise ValueError(f"source: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        return self._program(kind, x, args)[0].source

    # ---------------------------------------------------------------- signatures and tracing

    def _program(self, kind: str, x: Any, args: tuple[Any, ...]) -> tuple[Program, list[np.ndarray]]:
        x = as_array(x, "jit")
        arrays = [x]
        key: list[Any] = [kind, x.shape, x.dtype]
        for a in args:
            if isinstance(a, (np.ndarray, Tensor, np.generic, list)):
                a = as_array(a, "jit")
                arrays.append(a)
                key += (a.shape, a.dtype)
            else:  # static: part of the signature, by type and value
                try:
                    hash(a)
                except TypeError:
                    raise TypeError(
                        f"jit: argument of type {type(a).__name__} is neither an array nor hashable; "
                        "pass arrays, numbers or other hashable values"
                    ) from None
                key += ("static", type(a), a)
        signature = tuple(key)
        program = self._programs.get(signature)
        if program is None:
            with self._lock:
                program = self._programs.get(signature)
                if program is None:
                    program = self._trace(kind, x, args)
                    self._programs[signature] = program
        return program, arrays

    def _trace(self, kind: str, x: np.ndarray, args: tuple[Any, ...]) -> Program:
        names = self._names + [None] * (1 + len(args))
        if kind == "hvp":
            names = names[:1] + ["v"] + names[1:]
        call_args: list[Any] = []
        data: list[Tensor] = []
        for a, name in zip(args, names[1:]):
            if isinstance(a, (np.ndarray, Tensor, np.generic, list)):
                t = Tensor(as_array(a, "jit"), requires_grad=True, name=name)
                data.append(t)
                call_args.append(t)
            else:
                call_args.append(a)
        x_t = Tensor(x, requires_grad=True, name=names[0] or "x")

        def run() -> Tensor:
            if kind == "hvp":
                v_t, *rest = call_args
                y = _scalar_output(self.f(x_t, *rest), self.f)
                (g,) = gradients(y, [x_t], create_graph=True)
                return (g * v_t).sum()
            y = self.f(x_t, *call_args)
            return _scalar_output(y, self.f) if kind == "value_and_grad" else _as_tensor(y, self.f)

        root = trace(run, data)
        return build(root, [x_t], data, gradient=kind != "value", value_as_float=kind == "value_and_grad")


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


def jit(f: ScalarFunction) -> Jitted:
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
        dJ_dsub_3 = dJ_dsquare_4 * (2.0 * sub_3)  # square: dc/da = 2a
        dJ_dsigmoid_2 = -dJ_dsub_3  # sub: dc/db = -1
        dJ_ddot_1 = dJ_dsigmoid_2 * sigmoid_2 * (1.0 - sigmoid_2)  # sigmoid: dc/da = c * (1 - c)
        dJ_dw = X.T @ dJ_ddot_1  # dot: dJ/db = a.T @ g
        return J.item(), dJ_dw
    <BLANKLINE>
    """
    return Jitted(f)
