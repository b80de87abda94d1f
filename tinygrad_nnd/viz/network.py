"""The series' network seen through the graph views: its cost graph and its backward pass explained.

:func:`network_cost_graph` records the cost of a
:class:`~tinygrad_nnd.NeuralNetwork` with every node named as in the series;
:func:`explain_network` traces its backward pass and sets the result beside the
hand-written chain rule of Part IV: the gradient arriving at ``z_3`` *is*
``delta_3``, the one arriving at ``z_2`` *is* ``delta_2``.

The other modules of :mod:`tinygrad_nnd.viz` know only the engine; this one
knows the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Tensor
from ..nn import NeuralNetwork
from ..nn.network import scratch_copy
from .trace import BackwardTrace, trace_backward

__all__ = [
    "ChainRuleComparison",
    "GradientComparison",
    "NetworkExplanation",
    "explain_network",
    "network_cost_graph",
]


def network_cost_graph(N: NeuralNetwork, X: Any, y: Any) -> Tensor:
    """The cost graph of a :class:`~tinygrad_nnd.NeuralNetwork`, every node named as in the series.

    The weights are leaves ``W_1, W_2, ...`` (copies of the network's, so the graph
    never changes the network), the layers ``z_2, a_2, ..., y_hat``, the data ``X``
    and ``y``, and the result ``J``.

    Parameters
    ----------
    N : NeuralNetwork
        The network (its cost options, ``Lambda`` and ``mean_cost``, apply).
    X, y : array_like
        Inputs ``(n, inputs)`` and targets ``(n, outputs)``.

    Returns
    -------
    Tensor
        The scalar cost ``J``.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> from tinygrad_nnd.viz import graph_nodes
    >>> J = network_cost_graph(NeuralNetwork(seed=0), *sleep_study())
    >>> [t.name for t in graph_nodes(J) if t.name]
    ['X', 'W_1', 'z_2', 'a_2', 'W_2', 'z_3', 'y_hat', 'y', 'J']
    """
    weights = [  # the layout lists the weights first, then any biases (which stay constants here)
        Tensor(getattr(N, name).copy(), requires_grad=True, name=name) for name, _, _ in N.param_layout()[: N.n_layers]
    ]
    J = N.cost_tensor(X, y, weights)  # checks the data and names its nodes X and y
    J.name = "J"
    return J


@dataclass
class ChainRuleComparison:
    """An array of the autodiff trace beside its hand-written counterpart from Part IV's chain rule.

    Not :class:`~tinygrad_nnd.nn.GradientCheck`, which judges a whole gradient against
    central differences by the series' norm ratio and so must allow for their error:
    both arrays here are exact up to rounding, and the deltas are not gradients of the
    cost with respect to parameters but what arrives at ``z_l``, so each array is
    compared element by element (the largest difference, relative to the hand-written
    array's scale), and :meth:`NetworkExplanation.agrees` allows only rounding (1e-10).
    ``GradientComparison``, its former name, still works.

    Attributes
    ----------
    autodiff : str
        What the trace gives, e.g. ``"dJ/dz_3"``.
    by_hand : str
        The series' name for the same quantity, e.g. ``"delta_3"``.
    max_abs_diff : float
        The largest absolute difference between the two arrays.
    max_abs_value : float
        The largest absolute value of the hand-written array (the scale).
    """

    autodiff: str
    by_hand: str
    max_abs_diff: float
    max_abs_value: float

    @property
    def relative_diff(self) -> float:
        """``max_abs_diff / max_abs_value`` (0 when both are 0)."""
        if self.max_abs_diff == 0.0:
            return 0.0
        return self.max_abs_diff / self.max_abs_value if self.max_abs_value else float("inf")

    def format(self) -> str:
        return (
            f"{self.autodiff} vs {self.by_hand}: max abs difference {self.max_abs_diff:.1e} "
            f"(relative {self.relative_diff:.1e})"
        )


#: The former name of :class:`ChainRuleComparison`, kept for code that uses it.
GradientComparison = ChainRuleComparison


@dataclass
class NetworkExplanation:
    """The backward pass of a network's cost, checked against the series' hand-written gradients.

    Attributes
    ----------
    network : str
        The network's repr.
    n_examples : int
    cost : float
        ``J`` at the network's weights.
    trace : BackwardTrace
        Every step, labelled ``J, ..., y_hat, z_3, a_2, z_2`` (plus unnamed ``%k`` nodes).
    weight_checks : list of ChainRuleComparison
        ``dJ/dW_l`` (autodiff) against ``cost_function_prime``'s ``dJdW_l``.
    delta_checks : list of ChainRuleComparison
        The gradient arriving at ``z_l`` against ``delta_l``, from the output layer down.
    """

    network: str
    n_examples: int
    cost: float
    trace: BackwardTrace
    weight_checks: list[ChainRuleComparison]
    delta_checks: list[ChainRuleComparison]

    def agrees(self, rtol: float = 1e-10) -> bool:
        """True if every comparison's relative difference is at most ``rtol``."""
        return all(c.relative_diff <= rtol for c in self.weight_checks + self.delta_checks)

    def format(self, precision: int = 4) -> str:
        """The text that ``tinygrad-nnd explain`` prints: every step, then the comparisons."""
        lines = [
            f"{self.network} on {self.n_examples} examples: J = {self.cost:.6g}",
            "Each step: a node and the op that made it, the gradient dJ/d(node) arriving there,",
            "and what the op's backward rule passes on to each input (g is the gradient in).",
            "",
            self.trace.format(precision, notes=self._notes()),
            "",
            "The hand-written chain rule (Part IV, cost_function_prime) against the trace:",
        ]
        lines += [f"    {c.format()}" for c in self.weight_checks + self.delta_checks]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    def _notes(self) -> dict[str, str]:
        """Remarks at z_l: the gradient arriving there is the series' delta_l."""
        notes = {}
        for check in self.delta_checks:
            z = check.autodiff.split("/d", 1)[1]
            notes[z] = f"this is {check.by_hand} of Part IV, the hand-written chain rule"
        return notes


def explain_network(N: NeuralNetwork, X: Any, y: Any) -> NetworkExplanation:
    """Trace the backward pass of a network's cost and compare it with the hand-written deltas.

    The cost graph carries the series' names (:func:`~tinygrad_nnd.viz.network_cost_graph`).
    For every layer ``l``, the gradient that arrives at ``z_l`` during backpropagation
    is compared with ``delta_l`` from :meth:`~tinygrad_nnd.NeuralNetwork.cost_function_prime`,
    and each ``dJ/dW_l`` with the hand-written one. ``N`` itself is not changed (the
    hand-written method runs on a shallow copy, which gets the ``delta`` attributes).

    Parameters
    ----------
    N : NeuralNetwork
        Any depth; ``Lambda`` and ``mean_cost`` apply.
    X, y : array_like
        Inputs ``(n, inputs)`` and targets ``(n, outputs)``.

    Returns
    -------
    NetworkExplanation
        Print it for the full walk-through; ``agrees()`` for a yes/no.

    Examples
    --------
    >>> from tinygrad_nnd import NeuralNetwork
    >>> from tinygrad_nnd.datasets import sleep_study
    >>> explanation = explain_network(NeuralNetwork(seed=0), *sleep_study())
    >>> [step.label for step in explanation.trace.steps]
    ['J', '%10', '%9', '%8', 'y_hat', 'z_3', 'a_2', 'z_2']
    >>> explanation.trace.steps[4].rule
    'sigmoid backward: z_3 gets g * y_hat * (1 - y_hat)'
    >>> [c.by_hand for c in explanation.delta_checks], explanation.agrees()
    (['delta_3', 'delta_2'], True)
    """
    X, y = N.check_data(X, y)
    J = network_cost_graph(N, X, y)
    trace = trace_backward(J)
    by_hand = scratch_copy(N)  # it keeps the delta_l that cost_function_prime computes
    dJdW = by_hand.cost_function_prime(X, y)
    weight_checks = [
        _compare(f"dJ/dW_{l}", trace.gradient_of(f"W_{l}"), f"dJdW_{l}", g) for l, g in enumerate(dJdW, start=1)
    ]
    delta_checks = [
        _compare(f"dJ/dz_{l}", trace.gradient_of(f"z_{l}"), f"delta_{l}", getattr(by_hand, f"delta_{l}"))
        for l in range(N.n_layers + 1, 1, -1)
    ]
    return NetworkExplanation(
        network=repr(N),
        n_examples=X.shape[0],
        cost=float(J.data),
        trace=trace,
        weight_checks=weight_checks,
        delta_checks=delta_checks,
    )


def _compare(autodiff: str, a: np.ndarray, by_hand: str, b: np.ndarray) -> ChainRuleComparison:
    if a.shape != b.shape:
        raise AssertionError(f"{autodiff} has shape {a.shape} but {by_hand} has shape {b.shape}")
    return ChainRuleComparison(
        autodiff=autodiff,
        by_hand=by_hand,
        max_abs_diff=float(np.max(np.abs(a - b), initial=0.0)),
        max_abs_value=float(np.max(np.abs(b), initial=0.0)),
    )
