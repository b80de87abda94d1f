"""Hypothesis strategies for the network tests: layer sizes, weights, data, cost forms.

Ranges, and why:

- Layer sizes: 1-4 inputs, 1-3 hidden layers of 1-6 units, 1-3 outputs. Large enough
  to exercise every code path of the any-depth network (several hidden layers, several
  outputs, single units), small enough for numerical gradients to stay cheap (at most
  4*6 + 6*6 + 6*6 + 6*3 = 114 weights).
- Weights in [-3, 3]. The series initialises in [0, 1) and trained 2-3-1 weights reach
  magnitudes of a few units; both signs matter for deeper nets. With inputs in [-1, 1]
  and up to 6 units per layer, |z| reaches 18: sigmoids from linear (z ~ 0) to strongly
  saturated (sigmoid(18) = 1 - 1.5e-8, sigmoid'(18) = 1.5e-8), so vanishing-gradient
  cases are generated, but not the fully underflowed regime (|z| > 37, where
  ``1 - sigmoid(z)`` rounds to 0 in float64) in which every gradient is exactly 0 and
  nothing is tested.
- Inputs in [-1, 1]: the series scales its inputs by the column maxima into [0, 1];
  negative inputs cover standardized data too.
- Targets in [0, 1], the sigmoid's range (the series divides scores by 100).
- Lambda: 0 (Parts I-VI) or in [0, 1] (Part VII uses 1e-4); both cost forms
  (``mean_cost`` False: Parts III-VI, True: Part VII).
- Batches of 1-20 rows.
- Every configuration of the two options for classifiers: ``bias`` (the biases drawn
  like the weights) and ``output`` ("sigmoid" with the squared error, "softmax" with the
  cross-entropy). The cross-entropy's targets are drawn in [0, 1] like the others, not
  only one-hot rows: the chain rule's ``y_hat * sum(y) - y`` is then tested in general.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from tinygrad_nnd import NeuralNetwork
from tinygrad_nnd.testing import floats_arrays, values

WEIGHT_BOUND = 3.0
INPUT_BOUND = 1.0
MAX_ROWS = 20


def scaled(n: int) -> int:
    """``n`` examples under the ``ci`` profile (60), proportionally more or fewer under others.

    Slow properties ask for fewer examples than the profile's default; this keeps them
    proportionate when the suite runs with ``dev`` (15) or ``thorough`` (1000).
    """
    return max(1, round(n * settings.default.max_examples / 60))


@st.composite
def layer_sizes(draw: st.DrawFn, max_hidden_layers: int = 3, max_units: int = 6) -> tuple[int, ...]:
    """``(inputs, hidden..., outputs)`` with 1-4 inputs, 1-3 hidden layers of 1-6 units, 1-3 outputs."""
    n_in = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, max_units), min_size=1, max_size=max_hidden_layers))
    n_out = draw(st.integers(1, 3))
    return (n_in, *hidden, n_out)


lambdas = st.one_of(st.just(0.0), values(0.0, 1.0))


@dataclass
class Problem:
    """A network at given weights, with a batch of data."""

    N: NeuralNetwork
    X: np.ndarray
    y: np.ndarray

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return (
            f"Problem(N={self.N!r}, params={self.N.get_params().tolist()!r}, "
            f"X={self.X.tolist()!r}, y={self.y.tolist()!r})"
        )


@st.composite
def problems(
    draw: st.DrawFn,
    sizes: st.SearchStrategy[tuple[int, ...]] | None = None,
    weight_low: float = -WEIGHT_BOUND,
    weight_high: float = WEIGHT_BOUND,
    input_low: float = -INPUT_BOUND,
    input_high: float = INPUT_BOUND,
    Lambda: st.SearchStrategy[float] | None = None,
    options: bool = True,
) -> Problem:
    """A network (sizes, weights, Lambda, cost form, bias, output) and a batch ``X, y`` that fits it.

    ``options=False`` keeps the series' network: no biases, sigmoid output.
    """
    shape = draw(layer_sizes() if sizes is None else sizes)
    N = NeuralNetwork(
        shape,
        seed=0,  # replaced just below; a seed keeps NumPy's global generator untouched
        Lambda=draw(lambdas if Lambda is None else Lambda),
        mean_cost=draw(st.booleans()),
        bias=draw(st.booleans()) if options else False,
        output=draw(st.sampled_from(["sigmoid", "softmax"])) if options else "sigmoid",
    )
    params, X, y = draw(points(N, draw(st.integers(1, MAX_ROWS)), weight_low, weight_high, input_low, input_high))
    N.set_params(params)
    return Problem(N, X, y)


def points(
    N: NeuralNetwork,
    n_rows: int,
    weight_low: float = -WEIGHT_BOUND,
    weight_high: float = WEIGHT_BOUND,
    input_low: float = -INPUT_BOUND,
    input_high: float = INPUT_BOUND,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(params, X, y)`` for ``N``'s shapes with ``n_rows`` rows: a new point for the same network."""
    return st.tuples(
        floats_arrays((N.n_params,), weight_low, weight_high),
        floats_arrays((n_rows, N.layer_sizes[0]), input_low, input_high),
        floats_arrays((n_rows, N.layer_sizes[-1]), 0.0, 1.0),
    )


def series_problems() -> st.SearchStrategy[Problem]:
    """The series' own setting: a 2-3-1 network with weights in [0, 1) and inputs in [0, 1]."""
    return problems(
        sizes=st.just((2, 3, 1)), weight_low=0.0, weight_high=1.0, input_low=0.0, input_high=1.0, options=False
    )
