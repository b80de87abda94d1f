"""The seed notebook's code cells, as a script against the package, run unchanged.

The seed notebook (shared/seed/000_89bc63b9a2ca0dd6.txt) defines sigmoid, NeuralNetwork,
compute_numerical_gradient, test_gradient and Trainer itself, then uses them. The script
below is its usage cells in order with the definitions replaced by one import from
``tinygrad_nnd``; the only other changes:

- plots: ``plot_cost_vs_iterations`` keeps the cost curve instead of drawing it
  (the last cell's misspelt ``plot_cost_vs_iterrations`` is a NameError in the seed;
  here it is spelt like its definition);
- ``load_iris()``: the package ships the same table (``tinygrad_nnd.datasets.iris``);
  the slicing is the seed's;
- the Part V cell of the series (numerical vs analytic gradient, by hand) is added, so
  that the script itself calls ``compute_numerical_gradient``, ``get_params``/``set_params``,
  ``cost_function`` and ``forward``, as the seed's helper functions do internally.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

SEED_NOTEBOOK_SCRIPT = """
import numpy as np
from tinygrad_nnd import NeuralNetwork, Trainer, compute_numerical_gradient, test_gradient, sigmoid, sigmoid_prime
from tinygrad_nnd.datasets import iris

# A representation of the sigmoid function and its derivative (the plot's data)
x = np.arange(-10, 10, 0.01)
y = sigmoid(x)
y_prime = sigmoid_prime(x)

histories = []

def plot_cost_vs_iterations(trainer):
    # plot-free: keep what the seed plots
    histories.append((list(trainer.J), trainer.optimization_results))

# Iris data
iris_data, iris_target = iris()
iris_X = iris_data[0:3, 0:2]
iris_y = np.array([[l] for l in iris_target[0:3]], dtype=float) # Some shape tweaking so that it works with the NN

# Video data
# X = (hours sleeping, hours studying), y = Score on test
X = np.array(([3,5], [5,1], [10,2]), dtype=float)
y = np.array(([75], [82], [93]), dtype=float)

# Normalize
X = X/np.amax(X, axis=0)
y = y/100 #Max test score is 100

# Part V, by hand: analytic vs numerical gradient
nn = NeuralNetwork()
params = nn.get_params()
cost_before = nn.cost_function(X, y)
y_hat_before = nn.forward(X)
numgrad = compute_numerical_gradient(nn, X, y)
grad = nn.compute_gradients(X, y)
relative_difference = np.linalg.norm(grad - numgrad) / np.linalg.norm(grad + numgrad)
nn.set_params(params)

# Start with testing the gradient function implementation
nn = NeuralNetwork()
test_gradient(nn, X,y)

# With the video provided data
nn = NeuralNetwork()
t = Trainer(nn)
t.train(X,y)
plot_cost_vs_iterations(t)
y_hat_trained = nn.forward(X)

# With the iris data set
nn = NeuralNetwork()
t = Trainer(nn)
t.train(iris_X,iris_y)
plot_cost_vs_iterations(t)
"""


@pytest.mark.parametrize("global_seed", [0, 1, 2012])
def test_seed_notebook_usage_runs_unchanged_against_the_package(
    global_seed: int, global_rng_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed's cells run as written: gradient check passes, BFGS trains on the sleep data and on the iris subset."""
    np.random.seed(global_seed)
    namespace: dict[str, object] = {"__name__": "seed_notebook"}
    exec(compile(SEED_NOTEBOOK_SCRIPT, "seed_notebook", "exec"), namespace)
    out = capsys.readouterr().out
    assert out == "The gradient is correctly implemented. Well done!\n"

    # The sigmoid cell: 2000 points, derivative at most 1/4 (its y is overwritten by the video data below).
    assert namespace["y_prime"].shape == (2000,)  # type: ignore[union-attr]
    assert float(np.max(namespace["y_prime"])) <= 0.25  # type: ignore[arg-type]

    # Part V by hand: the seed's ratio criterion (about 1e-8 or less).
    assert namespace["relative_difference"] < 1e-8  # type: ignore[operator]
    assert isinstance(namespace["cost_before"], float)
    assert namespace["y_hat_before"].shape == (3, 1)  # type: ignore[union-attr]

    (sleep_J, sleep_result), (iris_J, iris_result) = namespace["histories"]  # type: ignore[misc]
    for J, result in ((sleep_J, sleep_result), (iris_J, iris_result)):
        assert result.success
        assert len(J) == result.nit and J[-1] == result.fun
        assert all(b <= a for a, b in itertools.pairwise(J))  # the curve the seed plots only goes down
    # Sleep data: one of the two minima BFGS reaches from [0, 1) weights (see test_reproductions).
    assert 1.2240e-3 <= sleep_result.fun <= 1.2285e-3 or sleep_result.fun < 1e-6
    # Iris subset: the seed printed 0.000003 after 12 iterations.
    assert iris_result.fun < 1e-5
    assert namespace["y_hat_trained"].shape == (3, 1)  # type: ignore[union-attr]
