"""Part III's brute-force search: the cost at many values of one weight, timed, and its extrapolation.

The series tries 1000 values of one weight, finds it takes a fraction of a
second, and works out that the same search over all nine weights would take
longer than the age of the universe: the curse of dimensionality, and the reason
for gradient descent. :func:`brute_force_cost` does the search on any network;
:func:`curse_of_dimensionality_years` the arithmetic. Both need no matplotlib;
:func:`tinygrad_nnd.plots.plot_brute_force_cost` draws the result.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np

from .._arguments import integer, positive_int

__all__ = ["SECONDS_PER_YEAR", "BruteForceResult", "brute_force_cost", "curse_of_dimensionality_years"]

#: Seconds in a (365-day) year, as Part III counts them: ``3600 * 24 * 365``.
SECONDS_PER_YEAR = 3600 * 24 * 365


def curse_of_dimensionality_years(seconds_per_1000_evals: float, n_weights: int, n_values: int = 1000) -> float:
    """Years a brute-force search over ``n_weights`` weights would take (Part III).

    Trying ``n_values`` values of each of ``n_weights`` weights takes
    ``n_values ** n_weights`` cost evaluations, that is ``n_values ** n_weights / 1000``
    times the given time per 1000 evaluations. With the default ``n_values = 1000``
    that is ``seconds_per_1000_evals * 1000 ** (n_weights - 1)``: Part III's
    ``0.04 * 1000**8 / (3600*24*365)`` years for nine weights.

    Parameters
    ----------
    seconds_per_1000_evals : float
        Measured time of 1000 cost evaluations, in seconds (>= 0).
    n_weights : int
        The number of weights searched together (>= 1); nine for the 2-3-1 network.
    n_values : int, optional
        Values tried per weight (>= 1).

    Returns
    -------
    float
        The time in years of :data:`SECONDS_PER_YEAR` seconds; ``inf`` beyond the
        float range.

    Notes
    -----
    The number of 1000-evaluation blocks is computed exactly (a Python integer
    when 1000 divides ``n_values ** n_weights``), and the arithmetic is then the
    reference's, in its order: one multiplication by that count, one division by
    ``3600*24*365``. So the Part III figure comes out bit for bit.

    Examples
    --------
    >>> curse_of_dimensionality_years(0.04, 9)
    1268391679350583.5
    >>> curse_of_dimensionality_years(0.04, 9) == 0.04 * 1000**8 / (3600 * 24 * 365)
    True
    >>> round(curse_of_dimensionality_years(0.04, 1) * SECONDS_PER_YEAR, 12)  # one weight: 0.04 s
    0.04
    """
    if isinstance(seconds_per_1000_evals, bool) or not isinstance(seconds_per_1000_evals, Real):
        raise TypeError(f"seconds_per_1000_evals must be a number, got {seconds_per_1000_evals!r}")
    seconds = float(seconds_per_1000_evals)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds_per_1000_evals must be a finite number >= 0, got {seconds_per_1000_evals!r}")
    n_weights = positive_int(n_weights, "n_weights")
    n_values = positive_int(n_values, "n_values")
    if seconds == 0:
        return 0.0
    blocks = Fraction(n_values**n_weights, 1000)
    count: int | float
    try:
        count = blocks.numerator if blocks.denominator == 1 else float(blocks)
        return seconds * count / SECONDS_PER_YEAR
    except OverflowError:  # int too large to convert to float
        return math.inf


@dataclass(frozen=True)
class BruteForceResult:
    """What :func:`brute_force_cost` measured.

    Attributes
    ----------
    weights : ndarray
        The values tried for the weight, ``np.linspace(low, high, n_values)``.
    costs : ndarray
        The cost at each of those values (all other weights unchanged).
    seconds : float
        Wall time of the whole sweep (``time.perf_counter``).
    seconds_per_eval : float
        ``seconds / n_values``.
    n_params : int
        How many weights the network has.
    weight_index : int
        Which weight was swept (an index into ``N.get_params()``).
    weight_name : str
        Its name, such as ``"W_1[0, 0]"``.
    start_weight, start_cost : float
        The weight's value before the search and the cost there.
    """

    weights: np.ndarray = field(repr=False)
    costs: np.ndarray = field(repr=False)
    seconds: float
    seconds_per_eval: float
    n_params: int
    weight_index: int
    weight_name: str
    start_weight: float
    start_cost: float

    @property
    def n_values(self) -> int:
        """How many values were tried."""
        return int(self.weights.size)

    @property
    def best_index(self) -> int:
        """Index of the lowest cost in :attr:`costs` (the first, on ties)."""
        return int(np.argmin(self.costs))

    @property
    def best_weight(self) -> float:
        """The value of the weight with the lowest cost."""
        return float(self.weights[self.best_index])

    @property
    def best_cost(self) -> float:
        """The lowest cost found."""
        return float(self.costs[self.best_index])

    @property
    def seconds_per_1000_evals(self) -> float:
        """The measured time per 1000 cost evaluations."""
        return self.seconds_per_eval * 1000

    @property
    def seconds_for_all_weights(self) -> float:
        """``seconds_per_eval * n_values ** n_params``: the same search over every weight at once."""
        try:
            return self.seconds_per_eval * self.n_values**self.n_params
        except OverflowError:  # int too large to convert to float
            return math.inf

    @property
    def years_for_all_weights(self) -> float:
        """:attr:`seconds_for_all_weights` in years (:func:`curse_of_dimensionality_years`)."""
        return curse_of_dimensionality_years(self.seconds_per_1000_evals, self.n_params, self.n_values)


def brute_force_cost(
    N: Any,
    X: Any,
    y: Any,
    n_values: int = 1000,
    weight_index: int = 0,
    *,
    bounds: tuple[float, float] = (-5.0, 5.0),
) -> BruteForceResult:
    """Part III's brute-force search: the cost at ``n_values`` values of one weight, timed.

    The weight ``N.get_params()[weight_index]`` takes each value of
    ``np.linspace(*bounds, n_values)`` in turn while the others stay put, and
    ``N.cost_function(X, y)`` is evaluated at each. The network's parameters are
    restored afterwards (also when an evaluation raises). No matplotlib needed.

    Parameters
    ----------
    N : NeuralNetwork
        Anything with ``get_params``, ``set_params`` and ``cost_function(X, y)``.
    X, y : array_like
        The data the cost is computed on.
    n_values : int, optional
        How many values to try (Part III: 1000).
    weight_index : int, optional
        Which weight, as an index into ``N.get_params()`` (``0`` is ``W_1[0, 0]``).
    bounds : (float, float), optional
        The range of values tried, ``(-5, 5)`` as in the series.

    Returns
    -------
    BruteForceResult
        The values, the costs, the measured time and, as properties, the best value
        and the extrapolation to all weights (:attr:`BruteForceResult.years_for_all_weights`).

    Raises
    ------
    ValueError
        If ``n_values`` is not a positive integer, ``weight_index`` is out of range, or
        ``bounds`` is not two finite numbers with ``low <= high``.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> X, y = sleep_study()
    >>> N = NeuralNetwork(seed=0)
    >>> before = N.get_params()
    >>> result = brute_force_cost(N, X, y, n_values=50)
    >>> result.weight_name, result.weights[[0, -1]].tolist(), result.costs.shape
    ('W_1[0, 0]', [-5.0, 5.0], (50,))
    >>> bool(np.array_equal(N.get_params(), before))
    True
    """
    n_values = positive_int(n_values, "n_values")
    params = np.array(N.get_params(), dtype=np.float64)
    n_params = int(params.size)
    weight_index = integer(weight_index, "weight_index")
    if not 0 <= weight_index < n_params:
        raise ValueError(
            f"weight_index must be in [0, {n_params}) for a network of {n_params} weights, got {weight_index}"
        )
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be two numbers (low, high), got {bounds!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"bounds must be finite with low <= high, got {bounds!r}")

    weights = np.linspace(low, high, n_values)
    costs = np.empty(n_values)
    trial = params.copy()
    try:
        start_cost = float(N.cost_function(X, y))
        start = time.perf_counter()
        for i, w in enumerate(weights):
            trial[weight_index] = w
            N.set_params(trial)
            costs[i] = N.cost_function(X, y)
        seconds = time.perf_counter() - start
    finally:
        N.set_params(params)
    return BruteForceResult(
        weights=weights,
        costs=costs,
        seconds=seconds,
        seconds_per_eval=seconds / n_values,
        n_params=n_params,
        weight_index=weight_index,
        weight_name=_weight_name(N, weight_index),
        start_weight=float(params[weight_index]),
        start_cost=start_cost,
    )


def _weight_name(N: Any, index: int) -> str:
    """``"W_l[i, j]"`` for a flat parameter index, from the network's own layout where it has one."""
    param_name = getattr(N, "param_name", None)
    return param_name(index) if callable(param_name) else f"params[{index}]"
