"""The primitive operations: each one's forward computation and backward rule side by side.

Every op is a small class with two methods:

``forward(*arrays)``
    computes the output array from the input arrays (plain NumPy);
``backward(g, out, *inputs)``
    the vector-Jacobian product: given ``g = dL/d(out)`` it returns one
    ``dL/d(input)`` per input (``None`` where that input needs no gradient).

The backward rules are written only with operations that NumPy arrays and
:class:`~tinygrad_nnd.Tensor` objects both understand (``*``, ``-``, ``@``,
``.T``, ``.reshape``, ``.sum``, ...). So one rule serves twice: for an ordinary
``backward()`` it receives arrays and computes numbers; under
``backward(create_graph=True)`` it receives Tensors and records a new graph,
which can itself be differentiated (Hessian-vector products).

Gradients may come back with the broadcast shape of the output; the engine sums
them back to each input's shape in one place (:func:`unbroadcast`), so no op
has to remember to.

Every class that sets ``name`` is added to :data:`OPS`, the registry that the
test suite loops over.

Code templates (for :func:`~tinygrad_nnd.jit`)
---------------------------------------------
Beside ``forward`` and ``backward`` each op carries the same two rules as
NumPy source text, from which :mod:`~tinygrad_nnd.engine.compiler` writes a
straight-line Python function for a whole graph:

``forward_code``
    one Python expression for the output, e.g. ``"expit({a})"``;
``backward_code``
    a tuple with one expression per input for ``dL/d(input)``, e.g.
    ``("{g} @ {b}.T", "{a}.T @ {g}")``.

In the templates ``{a}`` and ``{b}`` stand for the inputs, ``{out}`` for the
output and ``{g}`` for ``dL/d(out)``; any other ``{name}`` stands for a value
that :meth:`Op.code` returns (by default the op's parameters, such as
``{axis}``). The compiler puts variable names in the place of these fields;
values (parameters, shapes, constants) are bound to the function as variables,
never written into the source. The expressions may use ``np``, ``expit`` and
:func:`scatter_add`. A template must compute exactly what ``forward`` /
``backward`` compute, in the same order of operations, so compiled and eager
results agree to the last bit (the property tests check it). An op whose
templates differ with the input shapes (``dot`` on vectors) overrides
:meth:`Op.code`. An op without templates works eagerly; compiling a graph that
contains it is an error naming the op.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit

#: name -> op class, for every primitive operation of the engine.
OPS: dict[str, type[Op]] = {}


def _is_array(x: Any) -> bool:
    """True for NumPy arrays and scalars, False for Tensors (the create_graph case)."""
    return isinstance(x, (np.ndarray, np.generic))


class Op:
    """Base class of a primitive operation (one node of the graph).

    ``needs`` is set by the engine when it records the node: ``needs[i]`` says
    whether input ``i`` wants a gradient, so an op can skip work nobody uses.
    """

    name: ClassVar[str]
    n_inputs: ClassVar[int] = 1
    #: The forward and backward rules as code templates (see the module docstring).
    forward_code: ClassVar[str | None] = None
    backward_code: ClassVar[tuple[str, ...] | None] = None
    #: Whether the inputs are broadcast against each other, as NumPy's arithmetic does.
    broadcasts: ClassVar[bool] = False
    needs: tuple[bool, ...]
    __slots__ = ("needs",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            OPS[cls.name] = cls

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def code(
        self, input_shapes: tuple[tuple[int, ...], ...], out_shape: tuple[int, ...]
    ) -> tuple[str | None, tuple[str, ...] | None, dict[str, Any]]:
        """The code templates for inputs of these shapes, and the values their other ``{fields}`` stand for.

        By default: the class's ``forward_code`` and ``backward_code``, and the op's
        parameters by name (``{axis}``, ``{shape}``, ...).
        """
        op_class: type = type(self)  # as `type`, which mypy knows is hashable (type[Op] confuses it)
        params = {name: getattr(self, name) for name in _parameters(op_class)}
        return self.forward_code, self.backward_code, params

    def describe(self) -> str:
        """The op with the parameters that differ from their defaults, for graph views (``sum(axis=0)``)."""
        op_class: type = type(self)  # see code()
        defaults = _init_defaults(op_class)
        params = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in _parameters(op_class)
            if name not in defaults or getattr(self, name) != defaults[name]
        )
        return f"{self.name}({params})" if params else self.name


@functools.cache
def _parameters(cls: type) -> tuple[str, ...]:
    """The parameter slots of an op class, its base classes' included (``needs`` is state, not a parameter)."""
    return tuple(name for c in reversed(cls.__mro__) for name in c.__dict__.get("__slots__", ()) if name != "needs")


@functools.cache
def _init_defaults(cls: type) -> dict[str, Any]:
    """The default values of ``cls.__init__``'s parameters (looked up once per op class)."""
    return {
        name: p.default
        for name, p in inspect.signature(cls).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a gradient over the axes that broadcasting added or stretched.

    If ``c = a + b`` broadcast ``a`` of shape ``(3, 1)`` to ``(3, 4)``, each
    element of ``a`` was used 4 times, so ``dL/da`` is ``dL/dc`` summed over
    axis 1. This is the only place in the engine that undoes broadcasting.
    """
    if g.shape == shape:
        return g
    n_new = g.ndim - len(shape)
    stretched = tuple(n_new + i for i, n in enumerate(shape) if n == 1 and g.shape[n_new + i] != 1)
    g = g.sum(axis=tuple(range(n_new)) + stretched, keepdims=True)
    return g.reshape(shape)


# ---------------------------------------------------------------- elementwise, two inputs


class Add(Op):
    """``c = a + b``;  dc/da = 1, dc/db = 1."""

    name = "add"
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} + {b}"
    backward_code = ("{g}", "{g}")

    def forward(self, a, b):
        return a + b

    def backward(self, g, out, a, b):
        return g, g


class Sub(Op):
    """``c = a - b``;  dc/da = 1, dc/db = -1."""

    name = "sub"
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} - {b}"
    backward_code = ("{g}", "-{g}")

    def forward(self, a, b):
        return a - b

    def backward(self, g, out, a, b):
        return g, (-g if self.needs[1] else None)


class Mul(Op):
    """``c = a * b``;  dc/da = b, dc/db = a."""

    name = "mul"
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} * {b}"
    backward_code = ("{g} * {b}", "{g} * {a}")

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        return (g * b if self.needs[0] else None), (g * a if self.needs[1] else None)


class Div(Op):
    """``c = a / b``;  dc/da = 1/b, dc/db = -a/b**2 = -c/b."""

    name = "div"
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} / {b}"
    backward_code = ("{g} / {b}", "-{g} * {out} / {b}")

    def forward(self, a, b):
        return a / b

    def backward(self, g, out, a, b):
        return (g / b if self.needs[0] else None), (-g * out / b if self.needs[1] else None)


class MatMul(Op):
    """Matrix product ``c = a @ b`` of 1-D and 2-D operands, as ``np.dot``.

    For matrices, ``dL/da = g @ b.T`` and ``dL/db = a.T @ g``. A 1-D operand
    is a vector: its gradient is the matching outer product or vector product.
    """

    name = "dot"
    n_inputs = 2
    __slots__ = ()
    forward_code = "{a} @ {b}"
    backward_code = ("{g} @ {b}.T", "{a}.T @ {g}")

    def forward(self, a, b):
        if not (1 <= a.ndim <= 2 and 1 <= b.ndim <= 2):
            raise ValueError(f"dot: operands must be 1-D or 2-D, got shapes {a.shape} and {b.shape}")
        try:
            return a @ b
        except ValueError:
            raise ValueError(
                f"dot: shapes {a.shape} and {b.shape} are not aligned: "
                f"{a.shape[-1]} (last dim of the first) != {b.shape[0]} (first dim of the second)"
            ) from None

    def code(self, input_shapes, out_shape):
        a_shape, b_shape = input_shapes
        if len(a_shape) == 2 and len(b_shape) == 2:
            return super().code(input_shapes, out_shape)
        # The vector cases of backward, with the 2-D shapes worked out once.
        a_2d = (1, a_shape[0]) if len(a_shape) == 1 else a_shape
        b_2d = (b_shape[0], 1) if len(b_shape) == 1 else b_shape
        values = {"a_2d": a_2d, "b_2d": b_2d, "g_2d": (a_2d[0], b_2d[1]), "a_shape": a_shape, "b_shape": b_shape}
        backward = (
            "({g}.reshape({g_2d}) @ {b}.reshape({b_2d}).T).reshape({a_shape})",
            "({a}.reshape({a_2d}).T @ {g}.reshape({g_2d})).reshape({b_shape})",
        )
        return self.forward_code, backward, values

    def backward(self, g, out, a, b):
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if self.needs[0] else None), (a.T @ g if self.needs[1] else None)
        # A vector is a matrix with one row (on the left) or one column (on the right).
        a_2d = a.reshape((1, -1)) if a.ndim == 1 else a
        b_2d = b.reshape((-1, 1)) if b.ndim == 1 else b
        g_2d = g.reshape((a_2d.shape[0], b_2d.shape[1]))
        ga = (g_2d @ b_2d.T).reshape(a.shape) if self.needs[0] else None
        gb = (a_2d.T @ g_2d).reshape(b.shape) if self.needs[1] else None
        return ga, gb


# ---------------------------------------------------------------- elementwise, one input


class Neg(Op):
    """``c = -a``;  dc/da = -1."""

    name = "neg"
    __slots__ = ()
    forward_code = "-{a}"
    backward_code = ("-{g}",)

    def forward(self, a):
        return -a

    def backward(self, g, out, a):
        return (-g,)


class Pow(Op):
    """``c = a ** p`` for a constant scalar ``p``;  dc/da = p * a**(p - 1)."""

    name = "pow"
    __slots__ = ("exponent",)
    forward_code = "{a} ** {exponent}"
    backward_code = ("{g} * ({exponent} * {a} ** ({exponent} - 1))",)

    def __init__(self, exponent: float):
        self.exponent = exponent

    def forward(self, a):
        p = self.exponent
        if not float(p).is_integer() and (a < 0).any():
            raise ValueError(
                f"pow: a negative base to the non-integer power {p} is not a real number "
                f"(smallest base {a.min()})"
            )
        return a**p

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        return forward, (("{g} * 0.0",) if self.exponent == 0 else backward), values

    def backward(self, g, out, a):
        p = self.exponent
        if p == 0:  # a ** 0 is constant; p * a**(p - 1) would be 0 * inf = nan at a = 0
            return (g * 0.0,)
        return (g * (p * a ** (p - 1)),)


class Square(Op):
    """``c = a ** 2``;  dc/da = 2a."""

    name = "square"
    __slots__ = ()
    forward_code = "{a} * {a}"
    backward_code = ("{g} * (2.0 * {a})",)

    def forward(self, a):
        return a * a

    def backward(self, g, out, a):
        return (g * (2.0 * a),)


class Exp(Op):
    """``c = e ** a``;  dc/da = e ** a = c."""

    name = "exp"
    __slots__ = ()
    forward_code = "np.exp({a})"
    backward_code = ("{g} * {out}",)

    def forward(self, a):
        return np.exp(a)

    def backward(self, g, out, a):
        return (g * out,)


class Log(Op):
    """Natural logarithm ``c = ln(a)``;  dc/da = 1/a. Refuses negative inputs."""

    name = "log"
    __slots__ = ()
    forward_code = "np.log({a})"
    backward_code = ("{g} / {a}",)

    def forward(self, a):
        if (a < 0).any():
            raise ValueError(f"log: input has negative values (smallest {a.min()}); log is undefined there")
        with np.errstate(divide="ignore"):  # log(0) = -inf is the correct limit
            return np.log(a)

    def backward(self, g, out, a):
        return (g / a,)


class Tanh(Op):
    """``c = tanh(a)``;  dc/da = 1 - tanh(a)**2 = 1 - c**2."""

    name = "tanh"
    __slots__ = ()
    forward_code = "np.tanh({a})"
    backward_code = ("{g} * (1.0 - {out} * {out})",)

    def forward(self, a):
        return np.tanh(a)

    def backward(self, g, out, a):
        return (g * (1.0 - out * out),)


class Sigmoid(Op):
    """Logistic sigmoid ``c = 1 / (1 + e**-a)``;  dc/da = c * (1 - c).

    The forward pass uses :func:`scipy.special.expit`, which never overflows:
    ``sigmoid(-1e308)`` is 0 and ``sigmoid(1e308)`` is 1, with no warning. The
    derivative is taken from the output, ``c * (1 - c)``, rather than from the
    series' ``exp(-a) / (1 + exp(-a))**2``, which is ``inf / inf = nan`` for
    ``a`` below about -710.
    """

    name = "sigmoid"
    __slots__ = ()
    forward_code = "expit({a})"
    backward_code = ("{g} * {out} * (1.0 - {out})",)

    def forward(self, a):
        return expit(a)

    def backward(self, g, out, a):
        if _is_array(g):  # the same formula, g * c first: compiled, g's buffer and then c's are reused in place
            slope = g * out
            slope *= 1.0 - out
            return (slope,)
        return (g * (out * (1.0 - out)),)


class Relu(Op):
    """``c = max(a, 0)``;  dc/da = 1 where a > 0, else 0 (0 at a = 0, by convention).

    The rule reads the output: ``c > 0`` exactly where ``a > 0``. The mask is a
    constant of the graph (the derivative of a step is 0), so it is taken from the
    output's values even when the rule runs on Tensors.
    """

    name = "relu"
    __slots__ = ()
    forward_code = "np.maximum({a}, 0.0)"
    backward_code = ("{g} * ({out} > 0)",)

    def forward(self, a):
        return np.maximum(a, 0.0)

    def backward(self, g, out, a):
        if _is_array(out):
            return (g * (out > 0),)
        # On Tensors the mask is a node too (step), so a compiled Hessian-vector
        # product computes it from each call's values instead of keeping this one's.
        from .tensor import apply

        return (g * apply(Step(), out),)


class Step(Op):
    """Heaviside step ``c = 1 where a > 0, else 0`` (relu's derivative);  dc/da = 0."""

    name = "step"
    __slots__ = ()
    forward_code = "np.greater({a}, 0).astype({a}.dtype)"
    backward_code = ("{g} * 0.0",)

    def forward(self, a):
        return np.greater(a, 0).astype(a.dtype)

    def backward(self, g, out, a):
        return (g * 0.0,)


# ---------------------------------------------------------------- reductions


def _keepdims_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    axes = {ax % len(shape) for ax in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _restore_reduced_axes(g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """Put back, as length 1, the axes a reduction removed, so ``g`` broadcasts against ``shape``."""
    if keepdims or axis is None:  # already broadcastable: kept axes, or a 0-d total
        return g
    return g.reshape(_keepdims_shape(shape, axis))


def _broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
    if not _is_array(g):
        return g.broadcast_to(shape)
    # A fresh array rather than np.broadcast_to's read-only view: it is as cheap for
    # small arrays, and the consumer would have to allocate it anyway.
    expanded = np.empty(shape, dtype=g.dtype)
    expanded[...] = g
    return expanded


class Sum(Op):
    """``c = sum(a, axis)``;  each summed element gets the gradient of its sum."""

    name = "sum"
    __slots__ = ("axis", "keepdims")
    forward_code = "np.add.reduce({a}, axis={axis}, keepdims={keepdims})"
    backward_code = ("np.broadcast_to({g}.reshape({kept_shape}), {a_shape})",)

    def __init__(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, a):
        return np.add.reduce(a, axis=self.axis, keepdims=self.keepdims)  # type: ignore[call-overload]  # np.sum, minus its Python wrapper

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        (a_shape,) = input_shapes
        values.update(a_shape=a_shape, kept_shape=_keepdims_shape(a_shape, self.axis))
        return forward, backward, values

    def backward(self, g, out, a):
        return (_broadcast_to(_restore_reduced_axes(g, a.shape, self.axis, self.keepdims), a.shape),)


class Mean(Sum):
    """``c = mean(a, axis) = sum(a, axis) / n``;  each of the ``n`` averaged elements gets ``g / n``."""

    name = "mean"
    __slots__ = ()
    forward_code = "np.mean({a}, axis={axis}, keepdims={keepdims})"
    backward_code = ("np.broadcast_to({g}.reshape({kept_shape}), {a_shape}) / {n}",)

    def forward(self, a):
        return np.mean(a, axis=self.axis, keepdims=self.keepdims)

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        size, out_size = int(np.prod(input_shapes[0])), int(np.prod(out_shape))
        values["n"] = max(size // max(out_size, 1), 1)
        return forward, backward, values

    def backward(self, g, out, a):
        n = max(a.size // max(out.size, 1), 1)  # how many elements each mean averaged
        (spread,) = super().backward(g, out, a)
        return (spread / n,)


# ---------------------------------------------------------------- shape and indexing


class BroadcastTo(Op):
    """``c = broadcast_to(a, shape)``; the gradient is summed back by :func:`unbroadcast`."""

    name = "broadcast_to"
    __slots__ = ("shape",)
    forward_code = "np.broadcast_to({a}, {shape})"
    backward_code = ("{g}",)

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        return np.broadcast_to(a, self.shape)

    def backward(self, g, out, a):
        return (g,)


class Reshape(Op):
    """``c = a.reshape(shape)``;  the gradient is reshaped back."""

    name = "reshape"
    __slots__ = ("shape",)
    forward_code = "{a}.reshape({shape})"
    backward_code = ("{g}.reshape({a_shape})",)

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        values["a_shape"] = input_shapes[0]
        return forward, backward, values

    def backward(self, g, out, a):
        return (g.reshape(a.shape),)


class Transpose(Op):
    """``c = a.transpose(axes)`` (reversed axes by default);  the gradient is transposed back."""

    name = "transpose"
    __slots__ = ("axes",)
    forward_code = "np.transpose({a}, {axes})"
    backward_code = ("{g}.transpose({inverse})",)

    def __init__(self, axes: tuple[int, ...] | None = None):
        self.axes = axes

    def forward(self, a):
        return np.transpose(a, self.axes)

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        ndim = len(input_shapes[0])
        values["inverse"] = None if self.axes is None else tuple(int(i) for i in np.argsort([x % ndim for x in self.axes]))
        return forward, backward, values

    def backward(self, g, out, a):
        if self.axes is None:
            return (g.transpose(),)
        # The inverse permutation: where each axis of a went. Negative axes count from the end.
        inverse = np.argsort([axis % a.ndim for axis in self.axes])
        return (g.transpose(tuple(int(axis) for axis in inverse)),)


class GetItem(Op):
    """``c = a[index]`` (slices, integers, integer or boolean arrays).

    The gradient is ``g`` placed at ``index`` in zeros of ``a``'s shape, added
    up where a fancy index repeats an element (:class:`ScatterAdd`).
    """

    name = "getitem"
    __slots__ = ("index",)
    forward_code = "{a}[{index}]"
    backward_code = ("scatter_add({g}, {index}, {a_shape})",)

    def __init__(self, index: Any):
        self.index = index

    def forward(self, a):
        return a[self.index]

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        values["a_shape"] = input_shapes[0]
        return forward, backward, values

    def backward(self, g, out, a):
        if _is_array(g):
            return (scatter_add(g, self.index, a.shape),)
        return (g.scatter_add(self.index, a.shape),)


def _is_basic_index(index: Any) -> bool:
    """True for NumPy's basic indexing (ints, slices, ``...``, ``None``), which never repeats an element."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def scatter_add(a: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` with ``a`` added at ``index``, a repeated index adding each time."""
    c = np.zeros(shape, dtype=a.dtype)
    if _is_basic_index(index):  # slices and integers pick each element at most once
        c[index] += a
    else:
        np.add.at(c, index, a)  # unlike c[index] += a, counts a repeated index each time
    return c


class ScatterAdd(Op):
    """``c = zeros(shape); c[index] += a``: the adjoint of :class:`GetItem`, whose gradient is ``g[index]``."""

    name = "scatter_add"
    __slots__ = ("index", "shape")
    forward_code = "scatter_add({a}, {index}, {shape})"
    backward_code = ("{g}[{index}]",)

    def __init__(self, index: Any, shape: tuple[int, ...]):
        self.index = index
        self.shape = shape

    def forward(self, a):
        return scatter_add(a, self.index, self.shape)

    def backward(self, g, out, a):
        return (g[self.index],)
