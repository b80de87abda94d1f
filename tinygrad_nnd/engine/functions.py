"""NumPy-style functions over Tensors: ``dot(a, b)``, ``sigmoid(x)``, ``sum(x, axis=0)``, ...

Each one calls the Tensor method of the same name, so the op and its backward
rule are always those of :mod:`tinygrad_nnd.engine.ops`. Arrays, lists and
numbers are accepted where a Tensor is, as constants.
"""

from __future__ import annotations

from typing import Any

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
