"""Hypothesis strategies and a gradient assertion, for property-testing code built on tinygrad_nnd.

The engine's own test suite is written with these helpers, and they are public
so that you can test your own differentiable functions the same way: draw
arrays with :func:`floats_arrays`, then check the autodiff gradient against
central differences with :func:`assert_gradients_match`.

Overview
--------
:data:`VALUE_BOUND`, :func:`values`, :func:`away_from_zero`
    Element strategies: finite float64 numbers of moderate size.
:func:`shapes`, :func:`broadcastable_shape_pairs`, :func:`floats_arrays`
    Shapes (0-d and size-1 axes included) and float64 arrays.
:func:`axes_for`, :func:`indices_for`, :func:`reshape_targets`, :func:`broadcast_source_shapes`
    Parameters of the shape ops: reduction axes, indices, new shapes.
:func:`op_inputs`, :data:`OP_INPUT_STRATEGIES`, :class:`OpCase`
    For every op of :data:`tinygrad_nnd.OPS`, well-conditioned parameters and inputs.
:func:`assert_gradients_match`
    :func:`tinygrad_nnd.gradcheck` that raises an ``AssertionError`` with a readable report.

Examples
--------
A one-line property test of a user function (here softplus), run for five
generated arrays:

>>> from hypothesis import given, settings
>>> from tinygrad_nnd.testing import assert_gradients_match, floats_arrays
>>> @settings(max_examples=5, derandomize=True, database=None, deadline=None)
... @given(floats_arrays(shape=(3,)))
... def test_softplus_gradient(x):
...     assert_gradients_match(lambda t: (1.0 + t.exp()).log().sum(), x)
>>> test_softplus_gradient()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .engine import OPS, Op, Tensor, apply
from .gradcheck import GradcheckResult, gradcheck

__all__ = [
    "DENOMINATOR_MARGIN",
    "GRID",
    "KINK_MARGIN",
    "LOG_MARGIN",
    "MAX_DIMS",
    "MAX_SIDE",
    "OP_INPUT_STRATEGIES",
    "OpCase",
    "VALUE_BOUND",
    "assert_gradients_match",
    "away_from_zero",
    "axes_for",
    "broadcast_source_shapes",
    "broadcastable_shape_pairs",
    "floats_arrays",
    "grid_values",
    "indices_for",
    "op_inputs",
    "reshape_targets",
    "shapes",
    "values",
]

#: Default bound of generated values: elements lie in ``[-VALUE_BOUND, VALUE_BOUND]``.
#:
#: Why 3: central differences with ``eps = 1e-4`` have a truncation error of
#: about ``eps**2 / 6 * |f'''|`` and a rounding error of about
#: ``1e-16 * |f| / eps``. On ``[-3, 3]`` the steepest op, ``exp``, has
#: ``|f'''| <= e**3 ~ 20`` (truncation <= 4e-8, and 1.7e-9 relative to ``f'``),
#: and outputs stay below ~100, so a contracted scalar of a few dozen elements
#: stays below ~1e4 (rounding <= 1e-8). Both are far below ``rtol = 1e-5``.
#: Yet the range is wide enough to reach both signs, the saturated tails of
#: ``tanh`` and ``sigmoid`` (``tanh(3) = 0.995``) and values far from 1 for ``pow``.
VALUE_BOUND: float = 3.0

#: Smallest ``|b|`` for a denominator of ``div``: ``a / b`` has a pole at 0, and
#: its third derivative in ``b`` is ``6 a / b**4``; at ``|b| >= 0.25`` the central
#: difference's relative truncation error is ``eps**2 / b**2 <= 1.6e-7``.
DENOMINATOR_MARGIN: float = 0.25

#: Smallest input of ``log`` (and of ``pow`` with a negative or fractional
#: exponent): ``log`` is undefined below 0 and has a pole at 0; at ``a >= 0.25``
#: the relative truncation error is ``eps**2 / (3 a**2) <= 5.4e-8``.
LOG_MARGIN: float = 0.25

#: Smallest ``|a|`` for ``relu``: its derivative jumps at 0, where the central
#: difference is 0.5, neither one-sided derivative. Any ``|a| > eps = 1e-4``
#: keeps both probes on one side of the kink (and relu is then exactly linear,
#: so the numerical gradient has no truncation error at all); 1e-3 leaves a
#: tenfold margin.
KINK_MARGIN: float = 1e-3

#: Default largest number of axes and largest side of generated shapes: at most
#: 4**3 = 64 elements keeps the element-by-element numerical gradient cheap.
MAX_DIMS: int = 3
MAX_SIDE: int = 4


# ---------------------------------------------------------------- elements, shapes, arrays


def values(min_value: float = -VALUE_BOUND, max_value: float = VALUE_BOUND) -> st.SearchStrategy[float]:
    """Finite float64 numbers in ``[min_value, max_value]`` (subnormals and 0 included).

    Parameters
    ----------
    min_value, max_value : float, optional
        The closed range; by default ``[-VALUE_BOUND, VALUE_BOUND]`` (see :data:`VALUE_BOUND`).

    Returns
    -------
    SearchStrategy of float
    """
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=64)


def away_from_zero(low: float, high: float = VALUE_BOUND) -> st.SearchStrategy[float]:
    """Finite float64 numbers with ``low <= |x| <= high``, of either sign.

    For inputs where an op has a pole, a kink or a branch point at 0.

    Parameters
    ----------
    low : float
        The smallest magnitude, > 0.
    high : float, optional
        The largest magnitude.

    Returns
    -------
    SearchStrategy of float
    """
    if not 0 < low <= high:
        raise ValueError(f"away_from_zero: need 0 < low <= high, got low={low}, high={high}")
    return st.one_of(values(low, high), values(-high, -low))


def shapes(
    min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, including 0-d ``()`` and axes of size 1 by default.

    Parameters
    ----------
    min_dims, max_dims : int, optional
        The range of the number of axes.
    min_side, max_side : int, optional
        The range of each axis's length. ``min_side=0`` also gives empty arrays.

    Returns
    -------
    SearchStrategy of tuple of int
    """
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shape_pairs(
    min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of shapes that broadcast together, such as ``((3, 1), (4,))`` or ``((), (2, 2))``.

    Built on :func:`hypothesis.extra.numpy.mutually_broadcastable_shapes`, so the
    pairs include 0-d shapes, axes of size 1 stretched against longer ones, and
    different numbers of axes.

    Parameters
    ----------
    min_dims, max_dims, min_side, max_side : int, optional
        Bounds of each shape, as for :func:`shapes`.

    Returns
    -------
    SearchStrategy of (shape, shape)
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda drawn: (drawn.input_shapes[0], drawn.input_shapes[1]))


def floats_arrays(
    shape: int | tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    min_value: float = -VALUE_BOUND,
    max_value: float = VALUE_BOUND,
    elements: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of finite values.

    Parameters
    ----------
    shape : int, tuple of int, or SearchStrategy of tuple, optional
        A fixed shape, or a strategy of shapes; by default :func:`shapes` (0-d included).
    min_value, max_value : float, optional
        Bounds of the elements (ignored when ``elements`` is given).
    elements : SearchStrategy of float, optional
        The element strategy, e.g. ``away_from_zero(0.25)``.

    Returns
    -------
    SearchStrategy of ndarray
        Arrays of dtype float64, writable, not sharing memory with each other.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(floats_arrays(shape=(2, 3), min_value=0.0, max_value=1.0))
    ... def check(a):
    ...     assert a.shape == (2, 3) and a.dtype == np.float64
    ...     assert ((0.0 <= a) & (a <= 1.0)).all()
    >>> check()
    """
    if shape is None:
        shape = shapes()
    if elements is None:
        elements = values(min_value, max_value)
    return hnp.arrays(np.float64, shape, elements=elements)


# ---------------------------------------------------------------- parameters of shape ops


@st.composite
def axes_for(draw: st.DrawFn, ndim: int) -> int | tuple[int, ...] | None:
    """A reduction ``axis`` for an array with ``ndim`` axes, as ``np.sum`` accepts.

    ``None`` (all axes), one axis as an int (negative ones included), or a tuple
    of distinct axes, each possibly written negative (the empty tuple included).

    Parameters
    ----------
    ndim : int
        The number of axes of the array to reduce.

    Returns
    -------
    SearchStrategy of None, int or tuple of int
    """
    kinds = ["none", "tuple"] + (["int"] if ndim > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
    return tuple(ax - ndim if draw(st.booleans()) else ax for ax in chosen)


def _prime_factors(n: int) -> list[int]:
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@st.composite
def reshape_targets(draw: st.DrawFn, size: int) -> tuple[int, ...]:
    """A shape with ``size`` elements, to reshape to; sometimes with one ``-1`` (inferred) axis.

    Parameters
    ----------
    size : int
        The number of elements (>= 1).

    Returns
    -------
    SearchStrategy of tuple of int
        0-d ``()`` is possible when ``size == 1``.
    """
    factors = draw(st.permutations(_prime_factors(size)))
    ndim = draw(st.integers(0 if size == 1 else 1, 4))
    dims = [1] * ndim
    for f in factors:
        dims[draw(st.integers(0, ndim - 1))] *= f
    if ndim and draw(st.booleans()):
        dims[draw(st.integers(0, ndim - 1))] = -1
    return tuple(dims)


@st.composite
def broadcast_source_shapes(draw: st.DrawFn, target: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that ``np.broadcast_to`` can stretch to ``target``.

    A trailing part of ``target`` (possibly empty: a 0-d source), with some of its
    axes replaced by 1.

    Parameters
    ----------
    target : tuple of int
        The shape to broadcast to.

    Returns
    -------
    SearchStrategy of tuple of int
    """
    kept = draw(st.integers(0, len(target)))
    tail = target[len(target) - kept :]
    return tuple(1 if draw(st.booleans()) else n for n in tail)


def _index_component(n: int, allow_array: bool) -> st.SearchStrategy[Any]:
    """One entry of an index into an axis of length ``n``: a slice, an int, or an int array."""
    bound = st.integers(-n - 1, n + 1) | st.none()
    step = st.sampled_from([None, 1, 2, -1, -2, 3])
    options: list[st.SearchStrategy[Any]] = [st.builds(slice, bound, bound, step), st.integers(-n, n - 1)]
    if allow_array:
        options.append(_integer_array_index(n))
    return st.one_of(options)


def _integer_array_index(n: int) -> st.SearchStrategy[np.ndarray]:
    """An integer array indexing an axis of length ``n`` (negative values included).

    Its values come from the axis's n indices, while it has up to 6 elements, so
    repeats (which gather one element several times, and whose gradients must
    add up) are frequent.
    """
    return hnp.arrays(np.intp, hnp.array_shapes(min_dims=1, max_dims=2, max_side=3), elements=st.integers(-n, n - 1))


@st.composite
def indices_for(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    """An index for an array of ``shape``: slices, integers, integer arrays (with repeats), masks.

    The kinds drawn, about equally often:

    - ``"array"``: a tuple of per-axis entries with exactly one integer array
      (1-D or 2-D, values drawn from the axis's few indices, so repeated
      elements are common), the other entries slices or integers;
    - ``"mixed"``: a tuple of per-axis entries, each a slice (any start, stop
      and step; empty results included), an integer (negative included) or an
      integer array, with at most one array so no two arrays need to broadcast
      together;
    - ``"basic"``: from :func:`hypothesis.extra.numpy.basic_indices`, with
      ``Ellipsis`` and ``None`` (new axes);
    - ``"mask"``: a boolean mask of the whole shape.

    Parameters
    ----------
    shape : tuple of int
        The shape of the array to index.

    Returns
    -------
    SearchStrategy
        Indices valid for ``np.zeros(shape)[index]``.
    """
    kind = draw(st.sampled_from(["array", "mixed", "basic", "mask"] if shape else ["basic", "mask"]))
    if kind == "basic":
        return draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    if kind == "mask":
        return draw(hnp.arrays(np.bool_, shape))
    count = draw(st.integers(1, len(shape)))
    array_at = draw(st.integers(0, count - 1)) if kind == "array" else None
    parts: list[Any] = []
    has_array = False
    for axis, n in enumerate(shape[:count]):
        if axis == array_at:
            part = draw(_integer_array_index(n))
        else:
            part = draw(_index_component(n, allow_array=kind == "mixed" and not has_array))
        has_array = has_array or isinstance(part, np.ndarray)
        parts.append(part)
    return tuple(parts)


# ---------------------------------------------------------------- per-op inputs


@dataclass(frozen=True)
class OpCase:
    """One drawn test case of an op: its constructor parameters and its input arrays.

    A fresh op object is made for every use (:meth:`make_op`): ops keep state
    between recording and backward (``needs``), so one op object
    must not serve two graph nodes.

    Attributes
    ----------
    name : str
        The op's name in :data:`tinygrad_nnd.OPS`.
    params : dict
        Keyword arguments of the op's constructor (``exponent``, ``axis``, ``index``, ...).
    inputs : tuple of ndarray
        One float64 array per input of the op.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[np.ndarray, ...] = ()

    def make_op(self) -> Op:
        """A new op object of this case's kind and parameters."""
        return OPS[self.name](**self.params)

    def apply(self, *tensors: Any) -> Tensor:
        """Apply a new op to ``tensors`` (default: this case's input arrays, as constants)."""
        return apply(self.make_op(), *(tensors if tensors else self.inputs))

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        """The op's forward pass in plain NumPy on ``arrays`` (default: the inputs)."""
        return np.asarray(self.make_op().forward(*(arrays if arrays else self.inputs)))


def _case(name: str, inputs: tuple[np.ndarray, ...], **params: Any) -> OpCase:
    return OpCase(name, params, inputs)


def _unary(name: str, elements: st.SearchStrategy[float] | None = None) -> st.SearchStrategy[OpCase]:
    return floats_arrays(shapes(), elements=elements).map(lambda a: _case(name, (a,)))


@st.composite
def _binary(draw: st.DrawFn, name: str, b_elements: st.SearchStrategy[float] | None = None) -> OpCase:
    shape_a, shape_b = draw(broadcastable_shape_pairs())
    a = draw(floats_arrays(shape_a))
    b = draw(floats_arrays(shape_b, elements=b_elements))
    return _case(name, (a, b))


@st.composite
def _dot(draw: st.DrawFn) -> OpCase:
    # Every combination np.dot allows for 1-D and 2-D operands: vector.vector,
    # matrix@vector, vector@matrix, matrix@matrix; sizes of 1 included.
    ndim_a, ndim_b = draw(st.sampled_from([(1, 1), (2, 1), (1, 2), (2, 2)]))
    m, k, n = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    a = draw(floats_arrays((m, k) if ndim_a == 2 else (k,)))
    b = draw(floats_arrays((k, n) if ndim_b == 2 else (k,)))
    return _case("dot", (a, b))


@st.composite
def _pow(draw: st.DrawFn) -> OpCase:
    exponent = draw(st.one_of(st.integers(-3, 4).map(float), values(-2.5, 3.5)))
    if exponent == int(exponent) and exponent >= 0:
        # A non-negative integer power is a polynomial (a ** 0 = 1): any real base works.
        elements = values()
    elif exponent == int(exponent):
        # A negative integer power has a pole at 0.
        elements = away_from_zero(LOG_MARGIN)
    else:
        # Non-integer powers of a negative base are not real, and a ** (p - 1)
        # has a pole (p < 1) or a kink of a higher derivative at 0: positive, away from 0.
        elements = values(LOG_MARGIN, VALUE_BOUND)
    a = draw(floats_arrays(shapes(), elements=elements))
    return _case("pow", (a,), exponent=exponent)


@st.composite
def _reduction(draw: st.DrawFn, name: str) -> OpCase:
    a = draw(floats_arrays(shapes()))
    # Any axis, negative, tuples and keepdims: the gradient must be broadcast
    # back over exactly the reduced axes.
    return _case(name, (a,), axis=draw(axes_for(a.ndim)), keepdims=draw(st.booleans()))


@st.composite
def _reshape(draw: st.DrawFn) -> OpCase:
    a = draw(floats_arrays(shapes()))
    return _case("reshape", (a,), shape=draw(reshape_targets(a.size)))


@st.composite
def _transpose(draw: st.DrawFn) -> OpCase:
    a = draw(floats_arrays(shapes()))
    # None (reverse the axes) or a random permutation of the axes.
    axes = draw(st.none() | st.permutations(range(a.ndim)).map(tuple))
    return _case("transpose", (a,), axes=axes)


@st.composite
def _broadcast_to(draw: st.DrawFn) -> OpCase:
    target = draw(shapes())
    a = draw(floats_arrays(broadcast_source_shapes(target)))
    return _case("broadcast_to", (a,), shape=target)


@st.composite
def _getitem(draw: st.DrawFn) -> OpCase:
    a = draw(floats_arrays(shapes()))
    return _case("getitem", (a,), index=draw(indices_for(a.shape)))


@st.composite
def _scatter_add(draw: st.DrawFn) -> OpCase:
    shape = draw(shapes())
    index = draw(indices_for(shape))
    a = draw(floats_arrays(np.zeros(shape)[index].shape))
    return _case("scatter_add", (a,), index=index, shape=shape)


# ---------------------------------------------------------------- per-op inputs: the ops of issue 11

#: Spacing of the grids that keep ``maximum``/``minimum`` operands, ``clip`` inputs and bounds, and
#: the elements of a ``max``/``min`` reduction apart. Where two compared values tie, these ops have a
#: kink (the gradient is split by convention, the central difference sees neither side): values on
#: the grid ``k * GRID`` against values on ``(k + 1/2) * GRID``, or distinct grid values, stay at
#: least ``GRID / 2 = 5e-3`` apart, 50 times the step ``eps = 1e-4``. Ties are tested separately.
GRID: float = 1e-2


def grid_values(offset: float = 0.0, bound: float = VALUE_BOUND) -> st.SearchStrategy[float]:
    """Numbers ``(k + offset) * GRID`` in ``[-bound, bound]``: a grid, for inputs that must not tie.

    Parameters
    ----------
    offset : float, optional
        0 for the grid itself, 0.5 for the points halfway between.
    bound : float, optional
        Largest magnitude.

    Returns
    -------
    SearchStrategy of float
    """
    n = int(bound / GRID) - 1
    return st.integers(-n, n).map(lambda k: (k + offset) * GRID)


@st.composite
def _compare(draw: st.DrawFn, name: str) -> OpCase:
    # a on the grid, b halfway between grid points: never a tie, at any broadcast pairing.
    shape_a, shape_b = draw(broadcastable_shape_pairs())
    a = draw(floats_arrays(shape_a, elements=grid_values()))
    b = draw(floats_arrays(shape_b, elements=grid_values(0.5)))
    if draw(st.booleans()):
        a, b = b, a
    return _case(name, (a, b))


@st.composite
def _where(draw: st.DrawFn) -> OpCase:
    drawn = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=MAX_DIMS, max_side=MAX_SIDE))
    shape_c, shape_a, shape_b = drawn.input_shapes
    condition = draw(hnp.arrays(np.bool_, shape_c))
    return _case("where", (draw(floats_arrays(shape_a)), draw(floats_arrays(shape_b))), condition=condition)


@st.composite
def _clip(draw: st.DrawFn) -> OpCase:
    # Bounds halfway between grid points, inputs on the grid: no input sits on (or near) a bound.
    bounds = sorted(draw(st.lists(grid_values(0.5), min_size=2, max_size=2)))
    low = bounds[0] if draw(st.booleans()) else None
    high = bounds[1] if draw(st.booleans()) or low is None else None
    a = draw(floats_arrays(shapes(), elements=grid_values()))
    return _case("clip", (a,), a_min=low, a_max=high)


@st.composite
def _concatenate(draw: st.DrawFn) -> OpCase:
    base = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(base), len(base) - 1))
    n = draw(st.integers(1, 3))
    inputs = []
    for _ in range(n):  # each input its own length along the axis
        shape = list(base)
        shape[axis] = draw(st.integers(1, MAX_SIDE))
        inputs.append(draw(floats_arrays(tuple(shape))))
    return _case("concatenate", tuple(inputs), axis=axis)


@st.composite
def _stack(draw: st.DrawFn) -> OpCase:
    shape = draw(shapes())
    n = draw(st.integers(1, 3))
    inputs = tuple(draw(floats_arrays(shape)) for _ in range(n))
    return _case("stack", inputs, axis=draw(st.integers(-len(shape) - 1, len(shape))))


@st.composite
def _expand_dims(draw: st.DrawFn) -> OpCase:
    a = draw(floats_arrays(shapes()))
    return _case("expand_dims", (a,), axis=draw(st.integers(-a.ndim - 1, a.ndim)))


@st.composite
def _squeeze(draw: st.DrawFn) -> OpCase:
    shape = draw(shapes(max_dims=4, max_side=3))
    a = draw(floats_arrays(shape))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis: int | tuple[int, ...] | None
    choice = draw(st.sampled_from(["none", "int", "tuple"] if ones else ["none", "tuple"]))
    if choice == "none":
        axis = None
    elif choice == "int":
        axis = draw(st.sampled_from(ones))
    else:
        axis = tuple(draw(st.lists(st.sampled_from(ones), unique=True)) if ones else [])
    if axis is not None and draw(st.booleans()):  # the same axes counted from the end
        axis = axis - len(shape) if isinstance(axis, int) else tuple(i - len(shape) for i in axis)
    return _case("squeeze", (a,), axis=axis)


@st.composite
def _extremum(draw: st.DrawFn, name: str) -> OpCase:
    # Distinct grid values: one maximum per reduced group, 1e-2 or more above the next (see GRID).
    a = draw(hnp.arrays(np.float64, shapes(), elements=grid_values(), unique=True))
    return _case(name, (a,), axis=draw(axes_for(a.ndim)), keepdims=draw(st.booleans()))


@st.composite
def _softmax(draw: st.DrawFn, name: str) -> OpCase:
    a = draw(floats_arrays(shapes()))
    return _case(name, (a,), axis=draw(axes_for(a.ndim)))


@st.composite
def _softmax_cross_entropy(draw: st.DrawFn) -> OpCase:
    shape = draw(shapes(min_dims=1))
    logits = draw(floats_arrays(shape))
    labels = draw(floats_arrays(shape, min_value=0.0, max_value=1.0))  # class probabilities, or any weights
    return _case("softmax_cross_entropy", (logits, labels), axis=draw(st.integers(-len(shape), len(shape) - 1)))


#: Op name -> function returning the strategy of that op's :class:`OpCase`.
#: It must have exactly the keys of :data:`tinygrad_nnd.OPS` (the test suite checks).
OP_INPUT_STRATEGIES: dict[str, Callable[[], st.SearchStrategy[OpCase]]] = {
    "add": lambda: _binary("add"),
    "sub": lambda: _binary("sub"),
    "mul": lambda: _binary("mul"),
    # The denominator stays away from the pole of a / b at b = 0 (DENOMINATOR_MARGIN).
    "div": lambda: _binary("div", away_from_zero(DENOMINATOR_MARGIN)),
    "dot": _dot,
    "neg": lambda: _unary("neg"),
    "pow": _pow,
    "square": lambda: _unary("square"),
    "exp": lambda: _unary("exp"),
    # Positive (log is undefined below 0) and away from the pole at 0 (LOG_MARGIN).
    "log": lambda: _unary("log", values(LOG_MARGIN, VALUE_BOUND)),
    "tanh": lambda: _unary("tanh"),
    "sigmoid": lambda: _unary("sigmoid"),
    # Away from the kink at 0, where the numerical gradient is not a derivative (KINK_MARGIN).
    "relu": lambda: _unary("relu", away_from_zero(KINK_MARGIN)),
    # Away from the jump at 0, where neither derivative exists (KINK_MARGIN).
    "step": lambda: _unary("step", away_from_zero(KINK_MARGIN)),
    "sum": lambda: _reduction("sum"),
    "mean": lambda: _reduction("mean"),
    "broadcast_to": _broadcast_to,
    "reshape": _reshape,
    "transpose": _transpose,
    "getitem": _getitem,
    "scatter_add": _scatter_add,
    # Operands on two interleaved grids, never tied (GRID).
    "maximum": lambda: _compare("maximum"),
    "minimum": lambda: _compare("minimum"),
    "where": _where,
    # Away from the kink at 0 (KINK_MARGIN).
    "abs": lambda: _unary("abs", away_from_zero(KINK_MARGIN)),
    # Positive and away from the infinite slope at 0 (LOG_MARGIN).
    "sqrt": lambda: _unary("sqrt", values(LOG_MARGIN, VALUE_BOUND)),
    "clip": _clip,
    "concatenate": _concatenate,
    "stack": _stack,
    "expand_dims": _expand_dims,
    "squeeze": _squeeze,
    # Distinct values on the grid: no tie for the maximum (GRID).
    "max": lambda: _extremum("max"),
    "min": lambda: _extremum("min"),
    "logsumexp": lambda: _reduction("logsumexp"),
    "softmax": lambda: _softmax("softmax"),
    "log_softmax": lambda: _softmax("log_softmax"),
    "softmax_cross_entropy": _softmax_cross_entropy,
}


def op_inputs(name: str) -> st.SearchStrategy[OpCase]:
    """Well-conditioned test cases for the op called ``name``: parameters and input arrays.

    Inputs are finite float64 arrays in ``[-VALUE_BOUND, VALUE_BOUND]``, bounded
    further only where the op's math demands it (see the margins of this module:
    ``log`` positive, ``div`` denominators and ``relu`` inputs away from 0,
    ``pow`` bases positive for non-integer exponents). Shape parameters cover
    the op's whole interface: any reduction axes with ``keepdims``, new shapes
    with ``-1``, axis permutations, indices with slices, integers and repeated
    integer arrays, broadcast targets, matrix and vector operands.

    Parameters
    ----------
    name : str
        A key of :data:`tinygrad_nnd.OPS`.

    Returns
    -------
    SearchStrategy of OpCase

    Raises
    ------
    KeyError
        If this module has no strategy for ``name`` (a new op needs one here).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(op_inputs("log"))
    ... def check(case):
    ...     assert case.name == "log" and (case.inputs[0] >= LOG_MARGIN).all()
    >>> check()
    """
    try:
        make = OP_INPUT_STRATEGIES[name]
    except KeyError:
        raise KeyError(
            f"op_inputs: no input strategy for op {name!r}; add one to OP_INPUT_STRATEGIES in tinygrad_nnd/testing.py"
        ) from None
    return make()


# ---------------------------------------------------------------- gradient assertion


def assert_gradients_match(
    f: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-4,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
) -> GradcheckResult:
    """Assert that the autodiff gradient of ``f`` equals central differences at ``inputs``.

    A thin wrapper of :func:`tinygrad_nnd.gradcheck` for use in tests: it raises
    instead of returning a falsy result, with the whole report in the message.

    Parameters
    ----------
    f : callable
        ``f(*tensors)`` returning a Tensor; a non-scalar output is contracted with a
        random weight array of seed ``seed`` (a vector-Jacobian product).
    *inputs : array_like
        The point to check at.
    eps : float, optional
        The finite-difference step.
    rtol, atol : float, optional
        An element passes when ``|autodiff - numerical| <= atol + rtol * |numerical|``.
        The defaults fit inputs of order one (see :data:`VALUE_BOUND`): truncation
        (~1e-9 relative) and rounding (~1e-10 absolute) errors of the central
        difference are orders of magnitude smaller, while a wrong backward rule is
        typically wrong by a relative error of order one. ``eps``, ``rtol`` and
        ``seed`` are :func:`~tinygrad_nnd.gradcheck`'s defaults; ``atol`` is ten
        times gradcheck's 1e-7 because generated inputs do land where a derivative
        is (nearly) 0. There only ``atol`` bounds the error, and the truncation
        error ``eps**2 / 6 * |w f'''|`` is not 0: for ``x**3`` at 0 the central
        difference is ``eps**2 = 1e-8``, times a contraction weight ``|w|`` of up
        to ~3. 1e-7 would leave a margin of 3, 1e-6 leaves 30.
    seed : int, optional
        Seed of the contraction weights.

    Returns
    -------
    GradcheckResult
        The (passing) result, for further inspection.

    Raises
    ------
    AssertionError
        If any element of any input's gradient differs; the message names the
        function, the worst element of each input and both values there.

    Examples
    --------
    >>> import numpy as np
    >>> result = assert_gradients_match(lambda x, y: (x * y).tanh(), np.array([0.5, -1.0]), np.array(2.0))
    >>> bool(result)
    True
    """
    result = gradcheck(f, *inputs, eps=eps, rtol=rtol, atol=atol, seed=seed)
    if not result:
        name = getattr(f, "__qualname__", repr(f))
        shapes_text = ", ".join(str(np.shape(x)) for x in inputs)
        raise AssertionError(
            f"autodiff gradient of {name} differs from central differences "
            f"(eps={eps}, rtol={rtol}, atol={atol}) at inputs of shapes {shapes_text}:\n{result}"
        )
    return result
