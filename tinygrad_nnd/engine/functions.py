"""NumPy-style functions over Tensors: ``dot(a, b)``, ``sigmoid(x)``, ``sum(x, axis=0)``, ...

Each one calls the Tensor method of the same name, so the op and its backward
rule are always those of :mod:`tinygrad_nnd.engine.ops`. Arrays, lists and
numbers are accepted where a Tensor is, as constants.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .tensor import ArrayLike, Tensor


def tensor(data: ArrayLike, requires_grad: bool = False) -> Tensor:
    """``Tensor(data, requires_grad)``, in the style of ``np.array``."""
    return Tensor(data, requires_grad=requires_grad)


def _t(x: ArrayLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def dot(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Matrix product of 1-D and 2-D operands, as ``np.dot``."""
    return _t(a).dot(b)


matmul = dot


def add(a: ArrayLike, b: ArrayLike) -> Tensor:
    return _t(a) + b


def subtract(a: ArrayLike, b: ArrayLike) -> Tensor:
    return _t(a) - b


def multiply(a: ArrayLike, b: ArrayLike) -> Tensor:
    return _t(a) * b


def divide(a: ArrayLike, b: ArrayLike) -> Tensor:
    return _t(a) / b


def negative(x: ArrayLike) -> Tensor:
    return -_t(x)


def power(x: ArrayLike, exponent: float) -> Tensor:
    return _t(x) ** exponent


def square(x: ArrayLike) -> Tensor:
    return _t(x).square()


def exp(x: ArrayLike) -> Tensor:
    return _t(x).exp()


def log(x: ArrayLike) -> Tensor:
    return _t(x).log()


def tanh(x: ArrayLike) -> Tensor:
    return _t(x).tanh()


def sigmoid(x: ArrayLike) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))`` as a graph op (stable for any finite input).

    >>> from tinygrad_nnd import functions
    >>> float(functions.sigmoid(1.0))
    0.7310585786300049
    """
    return _t(x).sigmoid()


def relu(x: ArrayLike) -> Tensor:
    return _t(x).relu()


def sum(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    return _t(x).sum(axis=axis, keepdims=keepdims)


def mean(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    return _t(x).mean(axis=axis, keepdims=keepdims)


def reshape(x: ArrayLike, shape: tuple[int, ...]) -> Tensor:
    return _t(x).reshape(shape)


def transpose(x: ArrayLike, axes: tuple[int, ...] | None = None) -> Tensor:
    return _t(x).transpose(axes)


def broadcast_to(x: ArrayLike, shape: tuple[int, ...]) -> Tensor:
    return _t(x).broadcast_to(shape)


# ---------------------------------------------------------------- comparisons, selection, softmax family


def maximum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise maximum, as ``np.maximum``; at a tie each input gets half the gradient."""
    return _t(a).maximum(b)


def minimum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise minimum, as ``np.minimum``; at a tie each input gets half the gradient."""
    return _t(a).minimum(b)


def where(condition: Any, a: ArrayLike, b: ArrayLike) -> Tensor:
    """``a`` where ``condition`` is true, else ``b``, as ``np.where``; the condition is a constant.

    >>> from tinygrad_nnd import Tensor, where
    >>> x = Tensor([-2.0, 3.0], requires_grad=True)
    >>> y = where(x.data > 0, x * x, -x)
    >>> y.sum().backward()
    >>> x.grad
    array([-1.,  6.])
    """
    from . import ops
    from .tensor import apply

    c = condition.data if isinstance(condition, Tensor) else condition
    try:
        array = np.asarray(c)
    except ValueError as error:  # a ragged list
        raise TypeError(f"where: the condition must be booleans (or numbers): {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"where: the condition must be booleans (or numbers), got dtype {array.dtype}")
    return apply(ops.Where(array.astype(bool)), a, b)


def abs(x: ArrayLike) -> Tensor:
    """Elementwise ``|x|`` (only in this module: it would shadow the built-in)."""
    return _t(x).abs()


def sqrt(x: ArrayLike) -> Tensor:
    return _t(x).sqrt()


def clip(x: ArrayLike, a_min: float | None = None, a_max: float | None = None) -> Tensor:
    """``x`` limited to ``[a_min, a_max]``, as ``np.clip``."""
    return _t(x).clip(a_min, a_max)


def _sequence_of_operands(xs: Any, who: str) -> list[Any]:
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"{who}: give a list or tuple of arrays/Tensors, got {type(xs).__name__}")
    if not xs:
        raise ValueError(f"{who}: needs at least one array")
    return list(xs)


def concatenate(xs: Any, axis: int = 0) -> Tensor:
    """Join a sequence of arrays/Tensors along an existing ``axis``, as ``np.concatenate``.

    >>> from tinygrad_nnd import Tensor, concatenate
    >>> concatenate([Tensor([1.0, 2.0]), [3.0]]).data
    array([1., 2., 3.])
    """
    from . import ops
    from .tensor import apply

    return apply(ops.Concatenate(operator.index(axis)), *_sequence_of_operands(xs, "concatenate"))


def stack(xs: Any, axis: int = 0) -> Tensor:
    """Join a sequence of same-shaped arrays/Tensors along a new ``axis``, as ``np.stack``."""
    from . import ops
    from .tensor import apply

    return apply(ops.Stack(operator.index(axis)), *_sequence_of_operands(xs, "stack"))


def expand_dims(x: ArrayLike, axis: int | tuple[int, ...]) -> Tensor:
    return _t(x).expand_dims(axis)


def squeeze(x: ArrayLike, axis: int | tuple[int, ...] | None = None) -> Tensor:
    return _t(x).squeeze(axis)


def max(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest element (along ``axis``); tied maxima share the gradient evenly. Only in this module."""
    return _t(x).max(axis=axis, keepdims=keepdims)


def min(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest element (along ``axis``); tied minima share the gradient evenly. Only in this module."""
    return _t(x).min(axis=axis, keepdims=keepdims)


def logsumexp(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x), axis))``, stable for any finite input, as ``scipy.special.logsumexp``.

    >>> from tinygrad_nnd import logsumexp
    >>> float(logsumexp([1e300, -1e300]))
    1e+300
    """
    return _t(x).logsumexp(axis=axis, keepdims=keepdims)


def softmax(x: ArrayLike, axis: Any = -1) -> Tensor:
    """``exp(x) / sum(exp(x), axis)``, stable for any finite input, as ``scipy.special.softmax``."""
    return _t(x).softmax(axis=axis)


def log_softmax(x: ArrayLike, axis: Any = -1) -> Tensor:
    """``x - logsumexp(x, axis)``, finite for any finite input, as ``scipy.special.log_softmax``."""
    return _t(x).log_softmax(axis=axis)


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike, axis: int = -1) -> Tensor:
    """The cross-entropy ``-sum(labels * log_softmax(logits), axis)``, one value per example (as optax).

    >>> import numpy as np
    >>> from tinygrad_nnd import Tensor, softmax_cross_entropy
    >>> logits = Tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    >>> J = softmax_cross_entropy(logits, [[1.0, 0.0, 0.0]]).sum()
    >>> J.backward()
    >>> np.allclose(logits.grad, softmax(logits).data - [1.0, 0.0, 0.0])
    True
    """
    return _t(logits).softmax_cross_entropy(labels, axis=axis)
