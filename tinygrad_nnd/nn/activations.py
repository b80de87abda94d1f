"""The series' activation function and its derivative, as plain functions.

``sigmoid(z) = 1 / (1 + e**-z)`` and ``sigmoid_prime(z) = e**-z / (1 + e**-z)**2``.
The series computes both straight from those formulas, which overflow: for
``z`` below about -710, ``e**-z`` is inf and ``sigmoid_prime`` is ``inf / inf =
nan``. Here ``sigmoid`` is :func:`scipy.special.expit` (never overflows) and
``sigmoid_prime`` is the equal, stable ``s * (1 - s)`` with ``s = sigmoid(z)``.

Both accept a :class:`~tinygrad_nnd.Tensor` as well, and then return a Tensor
(recorded in the graph like any other op).
"""

from __future__ import annotations

from typing import Any

from scipy.special import expit

from ..engine import Tensor, as_array


def sigmoid(z: Any) -> Any:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, elementwise, for any finite input.

    Parameters
    ----------
    z : array_like or Tensor

    Returns
    -------
    ndarray (or Tensor, for a Tensor input)
        Values in [0, 1]; no overflow warning even at ``z = -1e308``.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import sigmoid
    >>> float(sigmoid(1))
    0.7310585786300049
    >>> sigmoid(np.array([-1e308, -1.0, 0.0, 1.0]))
    array([0.        , 0.26894142, 0.5       , 0.73105858])
    """
    if isinstance(z, Tensor):
        return z.sigmoid()
    return expit(as_array(z, "sigmoid"))


def sigmoid_prime(z: Any) -> Any:
    """Derivative of the sigmoid, ``sigmoid(z) * (1 - sigmoid(z))``, elementwise.

    Equal to the series' ``exp(-z) / (1 + exp(-z))**2`` but finite for every
    finite ``z`` (the series' form is NaN below about -710).

    Examples
    --------
    >>> from tinygrad_nnd import sigmoid_prime
    >>> float(sigmoid_prime(0.0)), float(sigmoid_prime(-1000.0))
    (0.25, 0.0)
    """
    s = sigmoid(z)
    return s * (1 - s)


__all__ = ["sigmoid", "sigmoid_prime"]
