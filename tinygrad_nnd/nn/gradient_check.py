"""Part V: check the network's gradient against central differences, as the series does."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..gradcheck import norm_ratio, numerical_gradient
from .network import NeuralNetwork


def compute_numerical_gradient(N: NeuralNetwork, X: Any, y: Any, epsilon: float = 1e-4) -> np.ndarray:
    """The gradient of ``N.cost_function(X, y)`` by central differences, one weight at a time.

    The weights are perturbed by ``+-epsilon`` one at a time and restored
    afterwards, as in the series.

    Returns
    -------
    ndarray
        Flattened like ``N.get_params()``.
    """
    initial_params = N.get_params()

    def cost_at(params: np.ndarray) -> float:
        N.set_params(params)
        return N.cost_function(X, y)

    try:
        return numerical_gradient(cost_at, initial_params, epsilon)
    finally:
        N.set_params(initial_params)


class GradientCheck(NamedTuple):
    """The outcome of :func:`test_gradient`."""

    norm_ratio: float
    passed: bool


def test_gradient(N: NeuralNetwork, X: Any, y: Any, verbose: bool = True) -> GradientCheck:
    """Compare ``N.compute_gradients`` (autodiff) with :func:`compute_numerical_gradient`.

    The measure is the series' ``norm(g - n) / norm(g + n)``; it passes with the
    series' test, ``np.testing.assert_almost_equal(ratio, 1e-8)`` (7 decimals),
    that is, a ratio below about 1.6e-7.

    Parameters
    ----------
    verbose : bool, optional
        Print the series' verdict, as the notebook does.

    Returns
    -------
    GradientCheck
        ``(norm_ratio, passed)``.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork, test_gradient
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> X, y = sleep_study()
    >>> check = test_gradient(NeuralNetwork(seed=1), X, y)
    The gradient is correctly implemented. Well done!
    >>> check.passed, check.norm_ratio < 1e-8
    (True, True)
    """
    gradient = N.compute_gradients(X, y)
    ratio = norm_ratio(gradient, compute_numerical_gradient(N, X, y))
    passed = abs(ratio - 1e-8) < 1.5 * 10.0**-7  # what assert_almost_equal(ratio, 1e-8) accepts
    if verbose:
        if passed:
            print("The gradient is correctly implemented. Well done!")
        else:
            print("There is an error in your gradient implementation. Please check the code!")
    return GradientCheck(ratio, passed)


# pytest would collect a module-level function named test_*: tell it this one is not a test.
test_gradient.__test__ = False  # type: ignore[attr-defined]
