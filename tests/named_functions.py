"""Functions that tests hand to the engine, each named for what it returns.

The engine's messages name the user's function (``named_vector must return a scalar ...``), and a
compiled function shows its name and docstring, so the tests that check them share these definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def named_vector(x):
    """Twice ``x``: a result of ``x``'s shape, so not a scalar to take a gradient of."""
    return x * 2.0


def named_cost(x):
    """The sum of squares."""
    return (x * x).sum()


def large_cost(w_1, X, y):
    """The series' squared error of one sigmoid layer summed per row: its arrays grow with ``X``'s rows, which
    makes them large enough for the compiler's buffer plan."""
    return 0.5 * ((y - (X @ w_1).sigmoid().sum(axis=1, keepdims=True)) ** 2).sum()


def as_plain_array(x):
    """A NumPy array that does not come from ``x``: not a Tensor the engine recorded."""
    return np.ones(1)


class CallableWithoutName:
    """A callable object with no ``__name__``, so messages show its ``repr``; it returns ``returns(x)``."""

    def __init__(self, returns: Callable[[Any], Any] = named_vector) -> None:
        self.returns = returns

    def __call__(self, x):
        return self.returns(x)

    def __repr__(self) -> str:
        return "<a callable object>"
