"""Part V: check the network's gradient against central differences, as the series does.

The one gradient check of the package: :func:`test_gradient` (the series' check),
the command line's ``gradcheck`` and the demo all compare gradients with
:func:`compare_gradients`, judge them against :data:`NORM_RATIO_LIMIT`, and word
their verdict with :func:`verdict`.

>>> from tinygrad_nnd import NeuralNetwork
>>> from tinygrad_nnd.datasets import sleep_study
>>> checks = three_way_gradient_check(NeuralNetwork(seed=0), *sleep_study())
>>> [(c.first, c.second, c.passed) for c in checks]
[('autodiff', 'numerical', True), ('hand-written', 'numerical', True), ('autodiff', 'hand-written', True)]
>>> verdict(checks)
'The gradient is correctly implemented. Well done!'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..gradcheck import norm_ratio, numerical_gradient
from ..text import format_table
from .network import NeuralNetwork

__all__ = [
    "NORM_RATIO_LIMIT",
    "GradientCheck",
    "compare_gradients",
    "compute_numerical_gradient",
    "format_gradient_checks",
    "test_gradient",
    "three_way_gradient_check",
    "verdict",
]

#: The largest norm ratio ``norm(a - b) / norm(a + b)`` that passes, everywhere in the package.
#: The series tests ``assert_almost_equal(ratio, 1e-8)`` (7 decimals), which passes below about
#: 1.6e-7; 1e-7 keeps a margin. Correct gradients of the series' network give 1e-11 to 1e-8.
NORM_RATIO_LIMIT = 1e-7
#: The step of the central differences (the series' epsilon).
EPSILON = 1e-4

PASSED = "The gradient is correctly implemented. Well done!"
FAILED = "There is an error in your gradient implementation. Please check the code!"


def compute_numerical_gradient(N: NeuralNetwork, X: Any, y: Any, epsilon: float = EPSILON) -> np.ndarray:
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


def central_difference_resolution(J: float, epsilon: float = EPSILON) -> float:
    """The smallest error in one element that central differences can tell from their own.

    Their truncation error is about ``epsilon**2 / 6 * f'''`` (1e-8 for third derivatives
    up to 6, as the sigmoid network's are on scaled data) and their rounding error about
    ``machine_eps * |J| / epsilon`` (3e-10 at J = 150, the untrained iris network's
    cost): a difference below their sum may be theirs alone.

    >>> central_difference_resolution(0.5) < 1.1e-8 < central_difference_resolution(150.0)
    True
    """
    return epsilon**2 + 4 * float(np.finfo(np.float64).eps) * max(abs(J), 1.0) / epsilon


@dataclass(frozen=True)
class GradientCheck:
    """Two gradients of the same cost, compared by the series' norm ratio.

    Unpacks as ``(norm_ratio, passed)``, the pair :func:`test_gradient` returns.

    Attributes
    ----------
    first, second : str
        What was compared (``"autodiff"``, ``"hand-written"``, ``"numerical"``).
    norm_ratio : float
        ``norm(a - b) / norm(a + b)``.
    max_abs_difference : float
        The largest ``|a - b|`` of one element.
    resolution : float
        What central differences can resolve here (see
        :func:`central_difference_resolution`); 0 when neither gradient is numerical.
    """

    first: str
    second: str
    norm_ratio: float
    max_abs_difference: float
    resolution: float = 0.0

    @property
    def passed(self) -> bool:
        """The norm ratio is below :data:`NORM_RATIO_LIMIT`."""
        return self.norm_ratio < NORM_RATIO_LIMIT

    @property
    def all_but_zero(self) -> bool:
        """The ratio failed only because the gradient is all but zero.

        Every difference is within what central differences resolve, so the large
        ratio says nothing about the gradient: the check cannot judge at these weights.
        """
        return not self.passed and self.max_abs_difference <= self.resolution

    @property
    def failed(self) -> bool:
        """The gradients differ: the ratio failed, and not only because the gradient is all but zero."""
        return not self.passed and not self.all_but_zero

    @property
    def outcome(self) -> str:
        """``"yes"``, ``"NO"`` (:attr:`failed`), or ``"can't tell"`` (:attr:`all_but_zero`)."""
        return "yes" if self.passed else ("NO" if self.failed else "can't tell")

    def __iter__(self) -> Iterator[Any]:
        return iter((self.norm_ratio, self.passed))


def compare_gradients(first: str, a: np.ndarray, second: str, b: np.ndarray, J: float | None = None) -> GradientCheck:
    """Compare two gradients; ``J``, the cost, is given when one of them is numerical."""
    a, b = np.ravel(a), np.ravel(b)
    difference = float(np.max(np.abs(a - b), initial=0.0))
    resolution = 0.0 if J is None else central_difference_resolution(J)
    return GradientCheck(first, second, norm_ratio(a, b), difference, resolution)


def three_way_gradient_check(N: NeuralNetwork, X: Any, y: Any) -> list[GradientCheck]:
    """Compare the network's three gradients pairwise at its current weights."""
    J = N.cost_function(X, y)
    gradients = {
        "autodiff": N.compute_gradients(X, y),
        "hand-written": N.compute_gradients_by_hand(X, y),
        "numerical": compute_numerical_gradient(N, X, y),
    }
    pairs = [("autodiff", "numerical"), ("hand-written", "numerical"), ("autodiff", "hand-written")]
    return [compare_gradients(a, gradients[a], b, gradients[b], J if "numerical" in (a, b) else None) for a, b in pairs]


def verdict(checks: Sequence[GradientCheck]) -> str:
    """The series' verdict on ``checks``, or why the check cannot judge (an all but zero gradient)."""
    if all(check.passed for check in checks):
        return PASSED
    if not any(check.failed for check in checks):
        worst = max((c for c in checks if c.all_but_zero), key=lambda c: c.max_abs_difference)
        return (
            "The gradient is all but zero at these weights: every difference from central differences "
            f"(at most {worst.max_abs_difference:.1e}) is within their own error ({worst.resolution:.1e}), "
            "so the norm ratio cannot judge it. Check at other weights (e.g. another seed, or weights scaled "
            "to the layers' fan-in), where the gradient is larger."
        )
    return FAILED


def format_gradient_checks(checks: Sequence[GradientCheck], indent: str = "  ") -> str:
    """The checks as a table: the pair, the norm ratio, the largest difference, the outcome."""
    rows = [["gradient", "vs", "norm ratio", "max |difference|", f"ok (ratio < {NORM_RATIO_LIMIT:g})"]]
    for c in checks:
        rows.append([c.first, c.second, f"{c.norm_ratio:.3e}", f"{c.max_abs_difference:.3e}", c.outcome])
    return format_table(rows, indent)


def test_gradient(N: NeuralNetwork, X: Any, y: Any, verbose: bool = True) -> GradientCheck:
    """Compare ``N.compute_gradients`` (autodiff) with :func:`compute_numerical_gradient`.

    The measure is the series' ``norm(g - n) / norm(g + n)``; it passes below
    :data:`NORM_RATIO_LIMIT`. Where the gradient is all but zero (at a minimum,
    or with saturated sigmoids) the ratio cannot judge: the result's
    ``all_but_zero`` says so, and so does the printed verdict.

    Parameters
    ----------
    verbose : bool, optional
        Print the series' verdict, as the notebook does.

    Returns
    -------
    GradientCheck
        Unpacks as ``(norm_ratio, passed)``.

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
    J = N.cost_function(X, y)
    check = compare_gradients(
        "autodiff", N.compute_gradients(X, y), "numerical", compute_numerical_gradient(N, X, y), J
    )
    if verbose:
        print(verdict([check]))
    return check


test_gradient.__test__ = False  # type: ignore[attr-defined]  # pytest's marker: a test_* function, not a test
