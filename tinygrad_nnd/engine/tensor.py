"""The Tensor: a NumPy array that remembers the ops that made it.

Each op on Tensors computes its result at once (eager, like NumPy) and, when
some input requires a gradient, also records a graph node: the op (which holds
its own backward rule, see :mod:`tinygrad_nnd.engine.ops`) and the input
Tensors. ``backward()`` walks that graph from the output back to the leaves.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from . import ops
from .backprop import backpropagate
from .modes import refuse_concrete, run_checked, state

ArrayLike = Union["Tensor", np.ndarray, float, int, bool, Sequence[Any]]


def as_array(data: Any, who: str = "Tensor") -> np.ndarray:
    """``data`` as a float ndarray: ints, bools and lists become float64; floats keep their dtype.

    An ndarray of a float dtype is used as it is, without a copy (as ``np.asarray``
    does); no op ever writes into it. Strings, objects and complex numbers are
    refused with a TypeError.
    """
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray) and data.dtype.kind == "f":
        return data
    try:
        array = np.asarray(data)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{who}: cannot make an array from {type(data).__name__}: {error}") from None
    kind = array.dtype.kind
    if kind == "f":
        return array
    if kind in "biu":
        return array.astype(np.float64)
    what = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}.get(kind, str(array.dtype))
    raise TypeError(f"{who}: data of dtype {array.dtype} ({what}) is not supported; give real numbers")


class Tensor:
    """An n-dimensional array of floats that records the ops applied to it.

    Parameters
    ----------
    data : array_like
        Numbers: a NumPy array, a (nested) list, or a scalar. Ints and bools become
        float64; float arrays keep their dtype and are not copied.
    requires_grad : bool, optional
        If True, ``backward()`` computes ``dL/d(this tensor)`` into :attr:`grad`.
    name : str, optional
        A label shown in graph views (the series' ``W_1``, ``z_2``, ...).

    Attributes
    ----------
    data : numpy.ndarray
        The values.
    grad : numpy.ndarray or None
        The gradient of the last ``backward()`` output with respect to this tensor
        (same shape as ``data``), summed over all ``backward()`` calls since the
        tensor was made or :meth:`zero_grad` was called; None before any.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.])
    """

    __slots__ = ("data", "grad", "grad_tensor", "requires_grad", "name", "_op", "_parents", "__weakref__")

    # Make NumPy hand `ndarray - Tensor` to Tensor.__rsub__ instead of looping over elements.
    __array_ufunc__ = None

    def __init__(self, data: ArrayLike, requires_grad: bool = False, name: str | None = None):
        self.data = as_array(data)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self.grad_tensor: Tensor | None = None
        self.name = name
        self._op: ops.Op | None = None
        self._parents: tuple[Tensor, ...] = ()

    # ---------------------------------------------------------------- array-like attributes

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def op(self) -> ops.Op | None:
        """The op that made this tensor (None for a leaf or a constant)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The input tensors of :attr:`op` (empty for a leaf or a constant)."""
        return self._parents

    @property
    def is_leaf(self) -> bool:
        """True for a tensor that no recorded op made (its gradient is kept in :attr:`grad`)."""
        return self._op is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        extras = ", requires_grad=True" if self.requires_grad else ""
        if self._op is not None:
            extras = f", op={self._op.name}"
        if self.name:
            extras += f", name={self.name!r}"
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        return f"Tensor({body}{extras})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # NumPy's protocol: np.array(t) asks for a copy, np.asarray(t) for none if possible.
        if state.tracing and self.requires_grad:
            refuse_concrete("np.asarray()")
        return np.array(self.data, dtype=dtype, copy=copy)

    def numpy(self) -> np.ndarray:
        """The values as an ndarray (the same array as :attr:`data`)."""
        if state.tracing and self.requires_grad:
            refuse_concrete(".numpy()")
        return self.data

    def item(self) -> float:
        """The single value of a one-element tensor, as a Python float."""
        if state.tracing and self.requires_grad:
            refuse_concrete(".item()")
        return self.data.item()

    def __float__(self) -> float:
        if state.tracing and self.requires_grad:
            refuse_concrete("float()")
        if self.data.size != 1:
            raise TypeError(f"only a one-element tensor can be converted to a float, not shape {self.shape}")
        return float(self.data.reshape(()))

    def __int__(self) -> int:
        if state.tracing and self.requires_grad:
            refuse_concrete("int()")
        if self.data.size != 1:
            raise TypeError(f"only a one-element tensor can be converted to an int, not shape {self.shape}")
        return int(self.data.reshape(()))

    def __bool__(self) -> bool:
        # As NumPy: the truth of one element; a ValueError for several.
        if state.tracing and self.requires_grad:
            refuse_concrete("bool()")
        return bool(self.data)

    # ---------------------------------------------------------------- autodiff

    def backward(self, gradient: ArrayLike | None = None, create_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        The gradients are added to each leaf's :attr:`grad`: calling ``backward()``
        again on the same graph adds the same gradients again (the graph is kept,
        not freed), and gradients from different outputs sum up. Call
        :meth:`zero_grad` (or set ``grad = None``) to start afresh.

        Parameters
        ----------
        gradient : array_like, optional
            ``dL/d(this tensor)``, of this tensor's shape. May be left out only for a
            tensor with one element (a scalar cost), where it is 1.
        create_graph : bool, optional
            Also record the graph of the backward pass itself, so the gradient can be
            differentiated again. The differentiable gradient is put in each leaf's
            :attr:`grad_tensor` (and its values in :attr:`grad`, as always); a later
            ``backward()`` without it resets :attr:`grad_tensor` to None.

        Raises
        ------
        RuntimeError
            If this tensor does not require a gradient (nothing to differentiate).
        ValueError
            If ``gradient`` is missing for a non-scalar tensor, or has the wrong shape.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require a gradient: no input of the ops that made it "
                "has requires_grad=True (or it was made inside no_grad())"
            )
        seed = self._seed_gradient(gradient)
        for leaf, g in backpropagate(self, seed, create_graph).items():  # leaves only: no `wanted`
            if create_graph:
                leaf.grad_tensor = g if leaf.grad_tensor is None else leaf.grad_tensor + g
                g = g.data
            else:  # grad_tensor would no longer match grad
                leaf.grad_tensor = None
            # A fresh array of the leaf's dtype: ops may pass one gradient array to several inputs.
            total = g if leaf.grad is None else leaf.grad + g
            leaf.grad = np.array(total, dtype=leaf.data.dtype)

    def _seed_gradient(self, gradient: ArrayLike | None) -> np.ndarray:
        if gradient is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward: the tensor has shape {self.shape}, not one element: pass the gradient "
                    f"of the final output with respect to it, e.g. backward(np.ones({self.shape}))"
                )
            return np.ones_like(self.data)
        seed = as_array(gradient, "backward")
        if seed.shape != self.shape:
            raise ValueError(f"backward: gradient of shape {seed.shape} given for a tensor of shape {self.shape}")
        return seed

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (:attr:`grad` and :attr:`grad_tensor` become None)."""
        self.grad = None
        self.grad_tensor = None

    def detach(self) -> Tensor:
        """A new tensor sharing this one's data, with no graph behind it and no gradient."""
        return Tensor(self.data)

    # ---------------------------------------------------------------- ops (see ops.py for the math)

    def dot(self, other: ArrayLike) -> Tensor:
        """Matrix product of 1-D and 2-D tensors, as ``np.dot`` (also ``self @ other``)."""
        return apply(ops.Dot(), self, other)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Dot(), self, other)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Dot(), other, self)

    def __add__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Add(), self, other)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Add(), other, self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Sub(), self, other)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Sub(), other, self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Mul(), self, other)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Mul(), other, self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Div(), self, other)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return apply(ops.Div(), other, self)

    def __neg__(self) -> Tensor:
        return apply(ops.Neg(), self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: float) -> Tensor:
        p = _scalar_exponent(exponent)
        return apply(ops.Square(), self) if p == 2.0 else apply(ops.Pow(p), self)

    def square(self) -> Tensor:
        """Elementwise ``self ** 2``."""
        return apply(ops.Square(), self)

    def exp(self) -> Tensor:
        """Elementwise ``e ** self``."""
        return apply(ops.Exp(), self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm (ValueError for negative values)."""
        return apply(ops.Log(), self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return apply(ops.Tanh(), self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid ``1 / (1 + e**-x)``, stable for any finite input."""
        return apply(ops.Sigmoid(), self)

    def relu(self) -> Tensor:
        """Elementwise ``max(x, 0)``."""
        return apply(ops.Relu(), self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum of all elements, or along ``axis``, as ``np.sum``."""
        return apply(ops.Sum(_axis(axis, "sum"), keepdims), self)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean of all elements, or along ``axis``, as ``np.mean``."""
        return apply(ops.Mean(_axis(axis, "mean"), keepdims), self)

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape (``x.reshape(2, 3)`` or ``x.reshape((2, 3))``)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(ops.Reshape(_shape(shape, "reshape")), self)

    def transpose(self, axes: tuple[int, ...] | None = None) -> Tensor:
        """Permute the axes (reverse them by default), as ``np.transpose``."""
        return apply(ops.Transpose(None if axes is None else _shape(axes, "transpose")), self)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return apply(ops.Transpose(), self)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """This tensor broadcast to ``shape``, as ``np.broadcast_to``."""
        return apply(ops.BroadcastTo(_shape(shape, "broadcast_to")), self)

    def __getitem__(self, index: Any) -> Tensor:
        return apply(ops.GetItem(_plain_index(index)), self)

    def scatter_add(self, index: Any, shape: tuple[int, ...]) -> Tensor:
        """Zeros of ``shape`` with this tensor added at ``index`` (the adjoint of indexing)."""
        return apply(ops.ScatterAdd(_plain_index(index), _shape(shape, "scatter_add")), self)

    # ---------------------------------------------------------------- comparisons, selection, softmax family

    def maximum(self, other: ArrayLike) -> Tensor:
        """Elementwise maximum with ``other``, as ``np.maximum`` (a tie splits the gradient evenly)."""
        return apply(ops.Maximum(), self, other)

    def minimum(self, other: ArrayLike) -> Tensor:
        """Elementwise minimum with ``other``, as ``np.minimum`` (a tie splits the gradient evenly)."""
        return apply(ops.Minimum(), self, other)

    def abs(self) -> Tensor:
        """Elementwise absolute value (gradient ``sign(x)``, 0 at 0)."""
        return apply(ops.Abs(), self)

    __abs__ = abs

    def sqrt(self) -> Tensor:
        """Elementwise square root (ValueError for negative values)."""
        return apply(ops.Sqrt(), self)

    def clip(self, a_min: float | None = None, a_max: float | None = None) -> Tensor:
        """Values limited to ``[a_min, a_max]``, as ``np.clip``; either bound may be None."""
        return apply(ops.Clip(*_clip_bounds(a_min, a_max)), self)

    def expand_dims(self, axis: int | tuple[int, ...]) -> Tensor:
        """A new axis of length 1 at ``axis``, as ``np.expand_dims``."""
        where = _axis(axis, "expand_dims")
        if where is None:
            raise TypeError("expand_dims: axis must be an integer or a tuple of integers, not None")
        return apply(ops.ExpandDims(where), self)

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """Axes of length 1 removed (those named by ``axis``, or all), as ``np.squeeze``."""
        return apply(ops.Squeeze(_axis(axis, "squeeze")), self)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element, or along ``axis``, as ``np.max``; tied maxima share the gradient evenly."""
        return apply(ops.Max(_axis(axis, "max"), keepdims), self)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Smallest element, or along ``axis``, as ``np.min``; tied minima share the gradient evenly."""
        return apply(ops.Min(_axis(axis, "min"), keepdims), self)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x), axis))`` without overflow, as ``scipy.special.logsumexp``."""
        return apply(ops.LogSumExp(_axis(axis, "logsumexp"), keepdims), self)

    def softmax(self, axis: int | tuple[int, ...] | None = -1) -> Tensor:
        """``exp(x) / sum(exp(x), axis)`` without overflow, as ``scipy.special.softmax``."""
        return apply(ops.Softmax(_axis(axis, "softmax")), self)

    def log_softmax(self, axis: int | tuple[int, ...] | None = -1) -> Tensor:
        """``x - logsumexp(x, axis)``: the log of the softmax, finite for any finite input."""
        return apply(ops.LogSoftmax(_axis(axis, "log_softmax")), self)

    def softmax_cross_entropy(self, labels: ArrayLike, axis: int = -1) -> Tensor:
        """Cross-entropy of ``softmax(self)`` against ``labels``, one value per example (``axis`` is summed)."""
        return apply(ops.SoftmaxCrossEntropy(operator.index(axis)), self, labels)


def _clip_bounds(a_min: Any, a_max: Any) -> tuple[float | None, float | None]:
    bounds: list[float | None] = []
    for name, bound in (("a_min", a_min), ("a_max", a_max)):
        if bound is None:
            bounds.append(None)
            continue
        if isinstance(bound, Tensor) or np.ndim(bound) != 0 or isinstance(bound, (str, complex)):
            raise TypeError(f"clip: {name} must be a constant number or None, got {bound!r}")
        bounds.append(float(bound))
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: a_min {low} is greater than a_max {high}")
    return low, high


def _scalar_exponent(exponent: Any) -> float:
    if type(exponent) in (int, float):  # the common case, checked first
        return float(exponent)
    if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
        raise TypeError("pow: the exponent must be a constant scalar (a Python or NumPy number)")
    if isinstance(exponent, (complex, str)):
        raise TypeError(f"pow: exponent {exponent!r} is not a real number")
    return float(exponent)


def _axis(axis: Any, who: str) -> int | tuple[int, ...] | None:
    try:
        if axis is None or isinstance(axis, (int, np.integer)):
            return None if axis is None else operator.index(axis)
        return tuple(operator.index(a) for a in axis)
    except TypeError:
        raise TypeError(f"{who}: axis must be None, an integer or a tuple of integers, got {axis!r}") from None


def _shape(shape: Any, who: str) -> tuple[int, ...]:
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{who}: a shape is a tuple of integers, got {shape!r}") from None


def _plain_index(index: Any) -> Any:
    """An index with any Tensors in it replaced by their data (an index is a constant)."""
    if isinstance(index, Tensor):
        return index.data.astype(np.intp) if index.data.dtype.kind == "f" else index.data
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    return index


def apply(op: ops.Op, *inputs: ArrayLike) -> Tensor:
    """Run ``op`` forward on the inputs and, if any input requires a gradient, record the node.

    Non-Tensor inputs (numbers, lists, arrays) become constant Tensors. Inside
    ``no_grad()`` nothing is recorded.
    """
    # This runs once per op: list comprehensions, not generators, keep it cheap.
    tensors = [x if isinstance(x, Tensor) else _constant(x, op.name, inputs) for x in inputs]
    arrays = [t.data for t in tensors]
    try:
        if state.anomaly:
            out = run_checked(op.name, "forward", [a.shape for a in arrays], op.forward, *arrays)
        else:
            out = op.forward(*arrays)
    except (ValueError, IndexError) as error:
        raise _with_context(error, op, arrays) from None
    if type(out) is not np.ndarray or out.dtype.kind != "f":
        # NumPy returns scalars from 0-d arithmetic, a custom op may return ints: make a float
        # ndarray, or refuse complex or other data naming the op.
        out = as_array(out, op.name)
    result = Tensor(out)
    if state.grad_enabled:
        needs_input_grad = tuple([t.requires_grad for t in tensors])
        if True in needs_input_grad:
            op.needs_input_grad = needs_input_grad
            result.requires_grad, result._op, result._parents = True, op, tuple(tensors)
    return result


def _constant(x: Any, who: str, inputs: tuple[Any, ...]) -> Tensor:
    """A non-Tensor operand as a constant Tensor. A Python number takes the dtype of the
    Tensor it meets, as NumPy's own scalars do (``float32 * 0.5`` stays float32)."""
    if type(x) in (int, float, bool):
        like = next((t.data.dtype for t in inputs if isinstance(t, Tensor)), np.dtype(np.float64))
        return Tensor(np.asarray(x, dtype=like if like.kind == "f" else np.float64))
    return Tensor(as_array(x, who))


def _with_context(error: Exception, op: ops.Op, arrays: list[np.ndarray]) -> Exception:
    """The error of a failed forward pass, reworded to name the op and the input shapes."""
    message = str(error)
    if message.startswith(f"{op.name}:"):  # the op already wrote a full message
        return type(error)(message)
    shapes = " and ".join(str(a.shape) for a in arrays)
    if op.broadcasts and not _broadcastable([a.shape for a in arrays]):
        return ValueError(f"{op.name}: shapes {shapes} cannot be broadcast together")
    kind = ValueError if isinstance(error, ValueError) else IndexError
    return kind(f"{op.describe()}: cannot apply to input shapes {shapes}: {message}")


def _broadcastable(shapes: list[tuple[int, ...]]) -> bool:
    """Whether arrays of these shapes broadcast together (NumPy's rules)."""
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True
