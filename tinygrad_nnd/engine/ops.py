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
test suite loops over; a helper class that sets none is named after itself and
stays out.

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
the functions of :data:`TEMPLATE_FUNCTIONS` (:func:`scatter_add`, the softmax
family's forward passes). A template must compute exactly what ``forward`` /
``backward`` compute, in the same order of operations, so compiled and eager
results agree to the last bit (the property tests check it). An op whose
templates differ with the input shapes (``dot`` on vectors) overrides
:meth:`Op.code`. An op without templates works eagerly; compiling a graph that
contains it is an error naming the op.
"""

from __future__ import annotations

import functools
import inspect
import re
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

    ``needs_input_grad`` is set by the engine when it records the node:
    ``needs_input_grad[i]`` says whether input ``i`` wants a gradient, so an op
    can skip work nobody uses.
    """

    #: The op's name in graphs, messages and :data:`OPS`; a subclass that sets none is named after its class.
    name: ClassVar[str]
    n_inputs: ClassVar[int | None] = 1  # None: any number (concatenate, stack)
    #: The forward and backward rules as code templates (see the module docstring).
    forward_code: ClassVar[str | None] = None
    backward_code: ClassVar[tuple[str, ...] | None] = None
    #: The backward rule in words, one formula per input (one for all the inputs of an op of any
    #: number), for the graph views and the compiled program's comments (:meth:`rule_in_words`):
    #: ``g`` is the gradient arriving, ``{a}``, ``{b}`` the inputs, ``{c}`` the output and ``{p}`` a
    #: pow exponent.
    rule: ClassVar[tuple[str, ...]] = ()
    #: Whether the inputs are broadcast against each other, as NumPy's arithmetic does.
    broadcasts: ClassVar[bool] = False
    needs_input_grad: tuple[bool, ...]
    __slots__ = ("needs_input_grad",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            OPS[cls.name] = cls
        elif not hasattr(cls, "name"):  # a helper op (a base class, a test's op): named after its class, not registered
            cls.name = cls.__name__

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def rule_in_words(self, inputs: tuple[str, ...], output: str, g: str = "g") -> tuple[str, ...] | None:
        """:attr:`rule` written out: what the backward rule passes to each input, in the given names.

        Parameters
        ----------
        inputs : tuple of str
            The names to write for the inputs (``{a}``, ``{b}``), one per input.
        output : str
            The name to write for the output (``{c}``).
        g : str, optional
            The name to write for the gradient arriving (the word ``g``).

        Returns
        -------
        tuple of str, or None
            One formula per input; None if :attr:`rule` has no formula for each of ``len(inputs)`` inputs.

        Examples
        --------
        >>> Dot().rule_in_words(("a_2", "W_2"), "z_3", g="delta_3")
        ('delta_3 @ W_2.T', 'a_2.T @ delta_3')
        >>> Pow(3.0).rule_in_words(("x",), "y")
        ('g * 3.0 * x**(3.0 - 1)',)
        """
        rules = self.rule
        if self.n_inputs is None and len(rules) == 1:  # any number of inputs (concatenate): one formula for each
            rules = rules * len(inputs)
        if len(rules) != len(inputs):
            return None
        names = {**dict(zip("ab", inputs)), "c": output, "p": str(getattr(self, "exponent", "p")), "g": g}
        return tuple(re.sub(r"\bg\b", "{g}", rule).format_map(names) for rule in rules)

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
    """The parameter slots of an op class, its base classes' included (``needs_input_grad`` is state, not a parameter)."""
    slots = (name for c in reversed(cls.__mro__) for name in c.__dict__.get("__slots__", ()))
    return tuple(name for name in slots if name != "needs_input_grad")


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
    axis 1. This is the only place in the engine that undoes broadcasting (the
    compiler writes the same sum as code, over the same :func:`broadcast_axes`).
    """
    if g.shape == shape:
        return g
    g = g.sum(axis=broadcast_axes(g.shape, shape), keepdims=True)
    return g.reshape(shape)


def broadcast_axes(g_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``g_shape`` that broadcasting ``shape`` to it added (leading) or stretched (from 1).

    >>> broadcast_axes((5, 3, 4), (3, 1))
    (0, 2)
    """
    n_new = len(g_shape) - len(shape)
    stretched = tuple(n_new + i for i, n in enumerate(shape) if n == 1 and g_shape[n_new + i] != 1)
    return tuple(range(n_new)) + stretched


# ---------------------------------------------------------------- elementwise, two inputs


class Add(Op):
    """``c = a + b``;  dc/da = 1, dc/db = 1."""

    name = "add"
    rule = ("g", "g")
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
    rule = ("g", "-g")
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} - {b}"
    backward_code = ("{g}", "-{g}")

    def forward(self, a, b):
        return a - b

    def backward(self, g, out, a, b):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Op):
    """``c = a * b``;  dc/da = b, dc/db = a."""

    name = "mul"
    rule = ("g * {b}", "g * {a}")
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} * {b}"
    backward_code = ("{g} * {b}", "{g} * {a}")

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        return (g * b if self.needs_input_grad[0] else None), (g * a if self.needs_input_grad[1] else None)


class Div(Op):
    """``c = a / b``;  dc/da = 1/b, dc/db = -a/b**2 = -c/b."""

    name = "div"
    rule = ("g / {b}", "-g * {c} / {b}")
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "{a} / {b}"
    backward_code = ("{g} / {b}", "-{g} * {out} / {b}")

    def forward(self, a, b):
        return a / b

    def backward(self, g, out, a, b):
        return (g / b if self.needs_input_grad[0] else None), (-g * out / b if self.needs_input_grad[1] else None)


class Dot(Op):
    """Matrix product ``c = a @ b`` of 1-D and 2-D operands, as ``np.dot``.

    For matrices, ``dL/da = g @ b.T`` and ``dL/db = a.T @ g``. A 1-D operand
    is a vector: its gradient is the matching outer product or vector product.
    """

    name = "dot"
    rule = ("g @ {b}.T", "{a}.T @ g")
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
            return (g @ b.T if self.needs_input_grad[0] else None), (a.T @ g if self.needs_input_grad[1] else None)
        # A vector is a matrix with one row (on the left) or one column (on the right).
        a_2d = a.reshape((1, -1)) if a.ndim == 1 else a
        b_2d = b.reshape((-1, 1)) if b.ndim == 1 else b
        g_2d = g.reshape((a_2d.shape[0], b_2d.shape[1]))
        ga = (g_2d @ b_2d.T).reshape(a.shape) if self.needs_input_grad[0] else None
        gb = (a_2d.T @ g_2d).reshape(b.shape) if self.needs_input_grad[1] else None
        return ga, gb


# ---------------------------------------------------------------- elementwise, one input


class Neg(Op):
    """``c = -a``;  dc/da = -1."""

    name = "neg"
    rule = ("-g",)
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
    rule = ("g * {p} * {a}**({p} - 1)",)
    __slots__ = ("exponent",)
    forward_code = "{a} ** {exponent}"
    backward_code = ("{g} * ({exponent} * {a} ** ({exponent} - 1))",)

    def __init__(self, exponent: float):
        self.exponent = exponent

    def forward(self, a):
        p = self.exponent
        if not float(p).is_integer() and (a < 0).any():
            raise ValueError(
                f"pow: a negative base to the non-integer power {p} is not a real number (smallest base {a.min()})"
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
    rule = ("g * 2 * {a}",)
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
    rule = ("g * {c}",)
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
    rule = ("g / {a}",)
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
    rule = ("g * (1 - {c}**2)",)
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
    rule = ("g * {c} * (1 - {c})",)
    __slots__ = ()
    forward_code = "expit({a})"
    backward_code = ("{g} * {out} * (1.0 - {out})",)

    def forward(self, a):
        return expit(a)

    def backward(self, g, out, a):
        return (g * out * (1.0 - out),)


class Relu(Op):
    """``c = max(a, 0)``;  dc/da = 1 where a > 0, else 0 (0 at a = 0, by convention).

    The rule reads the output: ``c > 0`` exactly where ``a > 0``. The mask is a
    constant of the graph (the derivative of a step is 0), so it is taken from the
    output's values even when the rule runs on Tensors.
    """

    name = "relu"
    rule = ("g where {a} > 0, else 0",)
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
    rule = ("0 (the step is flat wherever it has a slope)",)
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
    rule = ("g copied to every summed element",)
    __slots__ = ("axis", "keepdims")
    # np.sum without its Python wrapper: in a compiled program of small arrays the wrapper is measurable.
    forward_code = "np.add.reduce({a}, axis={axis}, keepdims={keepdims})"
    backward_code = ("np.broadcast_to({g}.reshape({kept_shape}), {a_shape})",)

    def __init__(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, a):
        return np.sum(a, axis=self.axis, keepdims=self.keepdims)

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
    rule = ("g / n copied to each of the n averaged elements",)
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
    rule = ("g, summed back over the broadcast axes",)
    __slots__ = ("shape",)
    forward_code = "np.broadcast_to({a}, {shape})"
    backward_code = ("{g}",)

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        return np.broadcast_to(a, self.shape)

    def backward(self, g, out, a):
        return (g,)


class ReshapedBack(Op):
    """An op that only changes the shape, not the values: its gradient is ``g`` reshaped back to ``a``'s shape.

    Not an op of its own (it has no ``name``); ``reshape`` and ``expand_dims`` (and so ``squeeze``) share it.
    """

    __slots__ = ()
    backward_code = ("{g}.reshape({a_shape})",)

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        values["a_shape"] = input_shapes[0]
        return forward, backward, values

    def backward(self, g, out, a):
        return (g.reshape(a.shape),)


class Reshape(ReshapedBack):
    """``c = a.reshape(shape)``;  the gradient is reshaped back."""

    name = "reshape"
    rule = ("g reshaped back to {a}'s shape",)
    __slots__ = ("shape",)
    forward_code = "{a}.reshape({shape})"

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)


class Transpose(Op):
    """``c = a.transpose(axes)`` (reversed axes by default);  the gradient is transposed back."""

    name = "transpose"
    rule = ("g transposed back",)
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
        values["inverse"] = (
            None if self.axes is None else tuple(int(i) for i in np.argsort([x % ndim for x in self.axes]))
        )
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
    rule = ("g put at the index into zeros of {a}'s shape",)
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
    rule = ("g[index]",)
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


# ================================================================ the ops a small model needs
# (comparisons, selection, joining and squeezing shapes, max/min reductions, the softmax family)


def _exp(x: Any) -> Any:
    return np.exp(x) if _is_array(x) else x.exp()


def _step(x: Any) -> Any:
    """1 where ``x > 0``, else 0, of a Tensor, recorded as a :class:`Step` node.

    On Tensors (``create_graph``) the masks of kinked ops are built from steps, so
    that a compiled Hessian-vector product computes them from each call's values
    rather than keeping those it was traced with. Their derivative is 0.
    """
    from .tensor import apply

    return apply(Step(), x)


class Maximum(Op):
    """``c = maximum(a, b)`` elementwise;  dc/da = 1 where a > b, 0 where a < b, 1/2 at a tie.

    At a tie the two inputs share the gradient evenly (as JAX does), so that
    ``maximum(x, x)`` has the gradient 1 of ``x`` itself.
    """

    name = "maximum"
    rule = ("g where {a} > {b}, g / 2 at a tie, else 0", "g where {b} > {a}, g / 2 at a tie, else 0")
    n_inputs = 2
    broadcasts = True
    __slots__ = ()
    forward_code = "np.maximum({a}, {b})"
    backward_code = (
        "{g} * (({a} > {b}) + 0.5 * ({a} == {b})).astype({g}.dtype)",
        "{g} * (1.0 - (({a} > {b}) + 0.5 * ({a} == {b}))).astype({g}.dtype)",
    )

    def forward(self, a, b):
        return np.maximum(a, b)

    def _share_of_a(self, a: Any, b: Any) -> Any:
        if _is_array(a) and _is_array(b):
            return (a > b) + 0.5 * (a == b)
        d = a - b  # on Tensors: 1/2 (1 + sign(a - b)), from steps
        return 0.5 * (1.0 + (_step(d) - _step(-d)))

    def backward(self, g, out, a, b):
        wants_a, wants_b = self.needs_input_grad
        share_a = self._share_of_a(a, b)
        if _is_array(g):  # the shares are exact (0, 1/2, 1): in g's dtype, a float32 gradient stays float32
            share_a = share_a.astype(g.dtype)
        # b's share is 1 - a's; it is made only when b needs a gradient (x.maximum(0.0) never does)
        return (g * share_a if wants_a else None), (g * (1.0 - share_a) if wants_b else None)


class Minimum(Maximum):
    """``c = minimum(a, b)`` elementwise;  dc/da = 1 where a < b, 0 where a > b, 1/2 at a tie."""

    name = "minimum"
    rule = ("g where {a} < {b}, g / 2 at a tie, else 0", "g where {b} < {a}, g / 2 at a tie, else 0")
    __slots__ = ()
    forward_code = "np.minimum({a}, {b})"
    backward_code = (
        "{g} * (({a} < {b}) + 0.5 * ({a} == {b})).astype({g}.dtype)",
        "{g} * (1.0 - (({a} < {b}) + 0.5 * ({a} == {b}))).astype({g}.dtype)",
    )

    def forward(self, a, b):
        return np.minimum(a, b)

    def _share_of_a(self, a: Any, b: Any) -> Any:
        return super()._share_of_a(b, a)


class Where(Op):
    """``c = where(condition, a, b)``: ``a`` where the constant boolean ``condition`` holds, else ``b``.

    dc/da = condition, dc/db = not condition (all three broadcast together).
    """

    name = "where"
    rule = ("g where the condition holds, else 0", "g where the condition fails, else 0")
    n_inputs = 2
    __slots__ = ("condition",)
    forward_code = "np.where({condition}, {a}, {b})"
    backward_code = ("{g} * {condition}", "{g} * ~{condition}")

    def __init__(self, condition: Any):
        self.condition = np.asarray(condition, dtype=bool)

    def forward(self, a, b):
        try:
            np.broadcast_shapes(self.condition.shape, a.shape, b.shape)
        except ValueError:
            raise ValueError(
                f"where: the condition of shape {self.condition.shape} and values of shapes {a.shape} and "
                f"{b.shape} cannot be broadcast together"
            ) from None
        return np.where(self.condition, a, b)

    def backward(self, g, out, a, b):
        c = self.condition
        return (g * c if self.needs_input_grad[0] else None), (g * ~c if self.needs_input_grad[1] else None)


class Abs(Op):
    """``c = |a|``;  dc/da = sign(a) (0 at a = 0, as JAX and PyTorch have it)."""

    name = "abs"
    rule = ("g * sign({a})",)
    __slots__ = ()
    forward_code = "np.abs({a})"
    backward_code = ("{g} * np.sign({a})",)

    def forward(self, a):
        return np.abs(a)

    def backward(self, g, out, a):
        if _is_array(a):
            return (g * np.sign(a),)
        return (g * (_step(a) - _step(-a)),)


class Sqrt(Op):
    """``c = sqrt(a)``;  dc/da = 1 / (2 sqrt(a)) = 1 / (2c). Refuses negative inputs.

    The derivative is infinite at ``a = 0`` (the curve is vertical there).
    """

    name = "sqrt"
    rule = ("g / (2 * {c})",)
    __slots__ = ()
    forward_code = "np.sqrt({a})"
    backward_code = ("{g} / (2.0 * {out})",)

    def forward(self, a):
        if (a < 0).any():
            raise ValueError(f"sqrt: input has negative values (smallest {a.min()}); the square root is not real there")
        return np.sqrt(a)

    def backward(self, g, out, a):
        with np.errstate(divide="ignore"):  # 1 / 0 = inf is the slope of sqrt at 0
            return (g / (2.0 * out),)


class Clip(Op):
    """``c = clip(a, a_min, a_max)``;  dc/da = 1 where a_min <= a <= a_max, else 0.

    The bounds are constants; either may be None (no bound on that side). At a
    bound itself the gradient passes (as PyTorch's ``clamp``), so a value that
    sits exactly on a bound can still move back inside.
    """

    name = "clip"
    rule = ("g where {a} is within the bounds, else 0",)
    __slots__ = ("a_min", "a_max")
    forward_code = "np.clip({a}, {low}, {high})"
    backward_code = ("{g} * (({a} >= {low}) & ({a} <= {high}))",)

    def __init__(self, a_min: float | None = None, a_max: float | None = None):
        self.a_min = a_min
        self.a_max = a_max

    def _bounds(self) -> tuple[float, float]:
        return (-np.inf if self.a_min is None else self.a_min, np.inf if self.a_max is None else self.a_max)

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        values["low"], values["high"] = self._bounds()
        return forward, backward, values

    def forward(self, a):
        return np.clip(a, *self._bounds())

    def backward(self, g, out, a):
        low, high = self._bounds()
        if _is_array(a):
            return (g * ((a >= low) & (a <= high)),)
        inside = g * 1.0
        if self.a_min is not None:  # 1 - step(low - a): 1 where a >= low
            inside = inside * (1.0 - _step(low - a))
        if self.a_max is not None:
            inside = inside * (1.0 - _step(a - high))
        return (inside,)


class Concatenate(Op):
    """``c = concatenate([a_1, a_2, ...], axis)``;  each input gets its own slice of the gradient.

    Takes any number of inputs (``n_inputs`` is None); the templates name them
    ``{in_0}``, ``{in_1}``, ...
    """

    name = "concatenate"
    rule = ("the slice of g along the axis where this input sits",)
    n_inputs = None  # any number
    __slots__ = ("axis",)

    def __init__(self, axis: int = 0):
        self.axis = axis

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def _pieces(self, shapes: tuple[tuple[int, ...], ...]) -> list[tuple[slice, ...]]:
        """The index of each input's slice of the output."""
        axis = self.axis % len(shapes[0])
        pieces, start = [], 0
        for shape in shapes:
            pieces.append((slice(None),) * axis + (slice(start, start + shape[axis]),))
            start += shape[axis]
        return pieces

    _forward_function: ClassVar[str] = "np.concatenate"

    def code(self, input_shapes, out_shape):
        _, _, values = super().code(input_shapes, out_shape)
        names = [f"{{in_{i}}}" for i in range(len(input_shapes))]
        forward = f"{self._forward_function}(({', '.join(names)},), axis={{axis}})"
        values.update({f"piece_{i}": piece for i, piece in enumerate(self._pieces(input_shapes))})
        return forward, tuple(f"{{g}}[{{piece_{i}}}]" for i in range(len(input_shapes))), values

    def backward(self, g, out, *xs):
        pieces = self._pieces(tuple(x.shape for x in xs))
        return tuple(g[piece] if needed else None for piece, needed in zip(pieces, self.needs_input_grad))


class Stack(Concatenate):
    """``c = stack([a_1, a_2, ...], axis)`` along a new axis;  input i gets g at index i of that axis."""

    name = "stack"
    rule = ("g at this input's index along the new axis",)
    __slots__ = ()
    _forward_function = "np.stack"

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def _pieces(self, shapes: tuple[tuple[int, ...], ...]) -> list[tuple[Any, ...]]:
        axis = self.axis % (len(shapes[0]) + 1)
        return [(slice(None),) * axis + (i,) for i in range(len(shapes))]


class ExpandDims(ReshapedBack):
    """``c = expand_dims(a, axis)``: a new axis of length 1;  the gradient is reshaped back."""

    name = "expand_dims"
    rule = ("g reshaped back to {a}'s shape",)
    __slots__ = ("axis",)
    forward_code = "np.expand_dims({a}, {axis})"

    def __init__(self, axis: int | tuple[int, ...]):
        self.axis = axis

    def forward(self, a):
        return np.expand_dims(a, self.axis)


class Squeeze(ExpandDims):
    """``c = squeeze(a, axis)``: axes of length 1 removed (all of them for None);  the gradient is reshaped back."""

    name = "squeeze"
    rule = ("g reshaped back to {a}'s shape",)
    __slots__ = ()
    forward_code = "np.squeeze({a}, {axis})"

    def __init__(self, axis: int | tuple[int, ...] | None = None):
        self.axis = axis  # type: ignore[assignment]  # None: every axis of length 1

    def forward(self, a):
        return np.squeeze(a, self.axis)


class Max(Sum):
    """``c = max(a, axis)``;  the gradient goes to the maximal elements, split evenly between ties.

    Where ``k`` elements of a reduced group share the maximum, each gets ``g / k``
    (as JAX does): the average of the one-sided derivatives, and the gradient of
    ``max`` of ``k`` equal copies of ``x`` is then 1, the derivative of ``x``.
    """

    name = "max"
    rule = ("g to the maximal elements of {a}, split evenly between ties",)
    __slots__ = ()
    forward_code = "np.max({a}, axis={axis}, keepdims={keepdims})"
    backward_code = (
        "{g}.reshape({kept_shape}) * (({a} == {out}.reshape({kept_shape}))"
        " / np.sum({a} == {out}.reshape({kept_shape}), axis={axis}, keepdims=True)).astype({g}.dtype)",
    )

    def forward(self, a):
        return np.max(a, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, a):
        kept = _keepdims_shape(a.shape, self.axis)
        if _is_array(a):
            winners = a == out.reshape(kept)
            share = (winners / np.sum(winners, axis=self.axis, keepdims=True)).astype(g.dtype)
        else:  # out >= a everywhere, equal at the winners: 1 - step(out - a)
            winners = 1.0 - _step(out.reshape(kept) - a)
            share = winners / winners.sum(axis=self.axis, keepdims=True)
        return (g.reshape(kept) * share,)


class Min(Max):
    """``c = min(a, axis)``;  the gradient goes to the minimal elements, split evenly between ties."""

    name = "min"
    rule = ("g to the minimal elements of {a}, split evenly between ties",)
    __slots__ = ()
    forward_code = "np.min({a}, axis={axis}, keepdims={keepdims})"

    def forward(self, a):
        return np.min(a, axis=self.axis, keepdims=self.keepdims)

    def backward(self, g, out, a):
        if _is_array(a):
            return super().backward(g, out, a)
        kept = _keepdims_shape(a.shape, self.axis)
        winners = 1.0 - _step(a - out.reshape(kept))  # out <= a everywhere
        return (g.reshape(kept) * (winners / winners.sum(axis=self.axis, keepdims=True)),)


def _shifted_and_log_total(a: np.ndarray, axis: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a - m, log(sum(exp(a - m))), m)`` over ``axis``, ``m`` each group's maximum: ``exp`` never overflows."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or an inf) in a group: nothing to shift by
    shifted = a - m
    with np.errstate(divide="ignore"):  # log(0) = -inf for a group of -inf
        log_total = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted, log_total, m


def logsumexp_forward(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """``log(sum(exp(a)))`` over ``axis`` without overflow: the maximum is taken out first."""
    _, log_total, m = _shifted_and_log_total(a, axis)
    total = log_total + m
    if keepdims:
        return total
    return total.reshape(()) if axis is None else np.squeeze(total, axis=axis)


def softmax_forward(a: np.ndarray, axis: Any) -> np.ndarray:
    """``exp(a) / sum(exp(a))`` over ``axis``, the maximum subtracted first (no overflow)."""
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_forward(a: np.ndarray, axis: Any) -> np.ndarray:
    """``a - logsumexp(a)`` over ``axis``, computed as ``(a - m) - log(sum(exp(a - m)))``.

    Finite wherever ``a`` is, and exact for large logits: ``a - logsumexp(a)`` would round
    ``log 2`` away from ``logsumexp([1e17, 1e17]) = 1e17 + log 2``.
    """
    shifted, log_total, _ = _shifted_and_log_total(a, axis)
    return shifted - log_total


def softmax_cross_entropy_forward(logits: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    """``-sum(labels * log_softmax(logits), axis)``."""
    return -np.sum(labels * log_softmax_forward(logits, axis), axis=axis)


class LogSumExp(Sum):
    """``c = log(sum(exp(a), axis))``;  dc/da = exp(a - c), the softmax of a over the axis.

    Computed as ``m + log(sum(exp(a - m)))`` with ``m`` the maximum, so no
    ``exp`` overflows: ``logsumexp([1e300, -1e300])`` is ``1e300``.
    """

    name = "logsumexp"
    rule = ("g * exp({a} - {c})",)
    __slots__ = ()
    forward_code = "logsumexp_forward({a}, {axis}, {keepdims})"
    backward_code = ("{g}.reshape({kept_shape}) * np.exp({a} - {out}.reshape({kept_shape}))",)

    def forward(self, a):
        return logsumexp_forward(a, self.axis, self.keepdims)

    def backward(self, g, out, a):
        kept = _keepdims_shape(a.shape, self.axis)
        return (g.reshape(kept) * _exp(a - out.reshape(kept)),)


class Softmax(Op):
    """``c = exp(a) / sum(exp(a), axis)``;  the VJP is c * (g - sum(g * c, axis)).

    The maximum along ``axis`` is subtracted before ``exp`` (which does not
    change the result), so inputs up to the largest floats give no overflow.
    """

    name = "softmax"
    rule = ("{c} * (g - sum(g * {c}, axis))",)
    __slots__ = ("axis",)
    forward_code = "softmax_forward({a}, {axis})"
    backward_code = ("{out} * ({g} - ({g} * {out}).sum(axis={axis}, keepdims=True))",)

    def __init__(self, axis: int | tuple[int, ...] | None = -1):
        self.axis = axis

    def forward(self, a):
        return softmax_forward(a, self.axis)

    def backward(self, g, out, a):
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Softmax):
    """``c = a - logsumexp(a, axis)``;  the VJP is g - exp(c) * sum(g, axis).

    Finite wherever ``a`` is: ``log_softmax([1e300, -1e300])`` is ``[0, -2e300]``,
    where ``log(softmax(a))`` would be ``log(0) = -inf``.
    """

    name = "log_softmax"
    rule = ("g - exp({c}) * sum(g, axis)",)
    __slots__ = ()
    forward_code = "log_softmax_forward({a}, {axis})"
    backward_code = ("{g} - np.exp({out}) * {g}.sum(axis={axis}, keepdims=True)",)

    def forward(self, a):
        return log_softmax_forward(a, self.axis)

    def backward(self, g, out, a):
        return (g - _exp(out) * g.sum(axis=self.axis, keepdims=True),)


class SoftmaxCrossEntropy(Op):
    """The cross-entropy cost of ``softmax(logits)`` against ``labels``: ``c = -sum(labels * log_softmax(logits), axis)``.

    One value per example (``axis``, the classes, is summed away), as
    ``optax.softmax_cross_entropy``; sum or average them for the cost. Taking
    logits rather than probabilities keeps it finite: ``log(softmax)`` is never
    formed. With ``p = softmax(logits)``:

    .. math:: \\frac{\\partial c}{\\partial \\text{logits}} = p \\sum \\text{labels} - \\text{labels}, \\qquad
              \\frac{\\partial c}{\\partial \\text{labels}} = -\\log p ,

    which for one-hot labels is the familiar ``p - labels``.
    """

    name = "softmax_cross_entropy"
    rule = ("g * (softmax({a}) * sum({b}, axis) - {b})", "-g * log_softmax({a})")
    n_inputs = 2
    __slots__ = ("axis",)
    forward_code = "softmax_cross_entropy_forward({a}, {b}, {axis})"
    backward_code = (
        "{g}.reshape({kept_shape}) * (softmax_forward({a}, {axis}) * {b}.sum(axis={axis}, keepdims=True) - {b})",
        "-{g}.reshape({kept_shape}) * log_softmax_forward({a}, {axis})",
    )

    def __init__(self, axis: int = -1):
        self.axis = axis

    def code(self, input_shapes, out_shape):
        forward, backward, values = super().code(input_shapes, out_shape)
        values["kept_shape"] = _keepdims_shape(input_shapes[0], self.axis)
        return forward, backward, values

    def forward(self, logits, labels):
        if logits.shape != labels.shape:
            raise ValueError(
                f"softmax_cross_entropy: logits of shape {logits.shape} and labels of shape {labels.shape} "
                f"must have the same shape (one column per class)"
            )
        if logits.ndim == 0:
            raise ValueError("softmax_cross_entropy: logits must have at least one axis (the classes)")
        return softmax_cross_entropy_forward(logits, labels, self.axis)

    def backward(self, g, out, logits, labels):
        g = g.reshape(_keepdims_shape(logits.shape, self.axis))
        arrays = _is_array(logits)
        g_logits = g_labels = None
        if self.needs_input_grad[0]:
            p = softmax_forward(logits, self.axis) if arrays else logits.softmax(self.axis)
            g_logits = g * (p * labels.sum(axis=self.axis, keepdims=True) - labels)
        if self.needs_input_grad[1]:
            log_p = log_softmax_forward(logits, self.axis) if arrays else logits.log_softmax(self.axis)
            g_labels = -g * log_p
        return g_logits, g_labels


#: Functions that code templates may call besides ``np`` and ``expit`` (see :mod:`~tinygrad_nnd.engine.compiler`).
TEMPLATE_FUNCTIONS: dict[str, Any] = {
    "scatter_add": scatter_add,
    "logsumexp_forward": logsumexp_forward,
    "softmax_forward": softmax_forward,
    "log_softmax_forward": log_softmax_forward,
    "softmax_cross_entropy_forward": softmax_cross_entropy_forward,
}
