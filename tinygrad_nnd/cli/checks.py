"""The three-way gradient check (Part V): autodiff, the hand-written chain rule, central differences.

>>> from tinygrad_nnd import NeuralNetwork
>>> from tinygrad_nnd.datasets import sleep_study
>>> comparisons = three_way_gradient_check(NeuralNetwork(seed=0), *sleep_study())
>>> [(c.first, c.second, c.passed) for c in comparisons]
[('autodiff', 'numerical', True), ('hand-written', 'numerical', True), ('autodiff', 'hand-written', True)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..gradcheck import norm_ratio
from ..nn import NeuralNetwork, compute_numerical_gradient
from .output import format_table

__all__ = ["NORM_RATIO_LIMIT", "GradientComparison", "format_gradient_checks", "three_way_gradient_check"]

#: The largest norm ratio the series' test accepts: ``assert_almost_equal(ratio, 1e-8)``
#: passes below about 1.5e-7; 1e-7 keeps a margin.
NORM_RATIO_LIMIT = 1e-7


@dataclass(frozen=True)
class GradientComparison:
    """Two gradients of the same cost, compared."""

    first: str
    second: str
    norm_ratio: float
    max_abs_difference: float

    @property
    def passed(self) -> bool:
        return self.norm_ratio < NORM_RATIO_LIMIT


def three_way_gradient_check(N: NeuralNetwork, X: np.ndarray, y: np.ndarray) -> list[GradientComparison]:
    """Compare the network's three gradients pairwise at its current weights."""
    gradients = {
        "autodiff": N.compute_gradients(X, y),
        "hand-written": N.compute_gradients_by_hand(X, y),
        "numerical": compute_numerical_gradient(N, X, y),
    }
    pairs = [("autodiff", "numerical"), ("hand-written", "numerical"), ("autodiff", "hand-written")]
    return [
        GradientComparison(
            a, b, norm_ratio(gradients[a], gradients[b]), float(np.max(np.abs(gradients[a] - gradients[b])))
        )
        for a, b in pairs
    ]


def format_gradient_checks(comparisons: list[GradientComparison], indent: str = "  ") -> str:
    """The comparisons as a table: the pair, the norm ratio, the largest difference, the verdict."""
    rows = [["gradient", "vs", "norm ratio", "max |difference|", f"ok (ratio < {NORM_RATIO_LIMIT:g})"]]
    for c in comparisons:
        rows.append([c.first, c.second, f"{c.norm_ratio:.3e}", f"{c.max_abs_difference:.3e}", "yes" if c.passed else "NO"])
    return format_table(rows, indent)
