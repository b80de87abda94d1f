"""Reproductions of the series' figures (docs: shared/reference/neural-networks-demystified.md).

Every training run here is deterministic on one machine: seeded initial weights
(``NeuralNetwork(seed=s)`` draws ``np.random.default_rng(s).random``, W_1 then W_2) and
SciPy's deterministic optimizers. Across machines it is not: the BLAS kernels NumPy picks
for the CPU round the last bits of each product their own way, and over dozens of BFGS
steps that can add or save an iteration, or carry a start that lies near the border of
two basins into the other one. So iteration counts, and counts of runs that reach a
given minimum, are compared with the measured figure within a stated tolerance
(:data:`ITERATIONS_SLACK`, :data:`BASIN_SLACK`); final costs within their basin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from tinygrad_nnd import NeuralNetwork, Trainer
from tinygrad_nnd.datasets import iris, iris_seed_subset, labels_from_one_hot, one_hot, sleep_study, sleep_study_part7

# --------------------------------------------------------------------------- Part VI


def test_part_vi_bfgs_from_seed_0_ends_in_the_local_minimum_1_224594e_3() -> None:
    """NeuralNetwork(seed=0), BFGS maxiter 200 on the sleep data: about 32 iterations, J = 1.224594e-03 (the reference)."""
    X, y = sleep_study()
    N = NeuralNetwork(seed=0)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(
        N.get_params(), np.concatenate([rng.random((2, 3)).ravel(), rng.random((3, 1)).ravel()])
    )
    T = Trainer(N)
    result = T.train(X, y)
    assert result.success
    assert abs(result.nit - 32) <= ITERATIONS_SLACK and len(T.J) == result.nit  # measured: 32 (34 evaluations)
    assert result.nfev == result.njev and result.nfev - result.nit <= 5
    # The demo's tolerance (see tinygrad_nnd.cli.demo.SLEEP_SEED0_TOLERANCE): 12 OpenBLAS
    # kernels agreed to 9 digits; other starts stop up to 3e-6 away.
    assert abs(result.fun - 1.224594e-3) <= 1e-7
    assert T.J[-1] == result.fun


@dataclass
class Run:
    seed: int
    iterations: int
    J: float
    success: bool


def bfgs_runs(initial_params: list[np.ndarray]) -> list[Run]:
    X, y = sleep_study()
    runs = []
    for seed, params in enumerate(initial_params):
        N = NeuralNetwork(seed=0)
        N.set_params(params)
        result = Trainer(N).train(X, y)
        runs.append(Run(seed, result.nit, result.fun, bool(result.success)))
    return runs


#: The two basins BFGS ends in on the 3-point data: the local minimum near 1.2e-3 (measured
#: 1.22459e-3 .. 1.22780e-3 over 200 inits of each kind) and the global one, J = 0 reached to
#: J < 1e-6 (measured worst 3.6e-7: BFGS stops on the gradient norm, gtol 1e-5).
LOCAL_MINIMUM = (1.2240e-3, 1.2285e-3)
GLOBAL_MINIMUM_BOUND = 1e-6
N_INITS = 36
#: How far an iteration count may be from the measured one on another machine: the counts
#: agreed over the 12 OpenBLAS kernels tried; 4 leaves room for a few extra line-search
#: steps while still telling "about 32" from the 50-odd of a typical run.
ITERATIONS_SLACK = 4
#: How many of N_INITS runs may change basin on another machine (36 runs, the closest to a
#: basin border moving: 2 of 36 still tells 4/36 from 25/36 apart).
BASIN_SLACK = 2


def test_part_vi_fraction_of_inits_in_the_local_minimum_depends_on_the_initialisation() -> None:
    """BFGS from 36 inits: 4/36 (about 1 in 9, the reference) from standard-normal weights, 25/36 from the seed's uniform [0, 1) ones.

    The reference's Part VI statistics (about 1 in 9 in the 1.2e-3 local minimum, median
    about 52 iterations, range about 29-115) are those of standard-normal initial weights,
    as in the original series' ``np.random.randn``. Measured over 200 inits each:
    standard normal 22/200 local, median 52, range 29-115 (the reference exactly);
    uniform [0, 1) (the seed notebook's ``np.random.rand``, NeuralNetwork's default)
    130/200 local, median 50, range 28-106. Seeds 0..35 of default_rng are used here.
    """
    normal = bfgs_runs([np.random.default_rng(s).standard_normal(9) for s in range(N_INITS)])
    uniform = bfgs_runs([np.random.default_rng(s).random(9) for s in range(N_INITS)])
    for runs in (normal, uniform):
        for run in runs:
            assert run.success, run
            assert LOCAL_MINIMUM[0] <= run.J <= LOCAL_MINIMUM[1] or run.J < GLOBAL_MINIMUM_BOUND, run
    assert abs(sum(run.J > GLOBAL_MINIMUM_BOUND for run in normal) - 4) <= BASIN_SLACK
    assert abs(sum(run.J > GLOBAL_MINIMUM_BOUND for run in uniform) - 25) <= BASIN_SLACK
    iterations = [run.iterations for run in normal]
    # Measured: median 54, range 32-81 ("tens of iterations").
    assert abs(np.median(iterations) - 54) <= ITERATIONS_SLACK and 25 <= min(iterations) <= max(iterations) <= 100


def test_part_vi_predictions_at_the_global_minimum_are_the_scores() -> None:
    """A run that reaches the global minimum predicts about [.75, .82, .93] (the reference: about [.75004, .82008, .92988])."""
    X, y = sleep_study()
    N = NeuralNetwork(seed=4)  # seed 4 is the first default_rng(s).random init that reaches it (measured)
    result = Trainer(N).train(X, y)
    assert result.fun < GLOBAL_MINIMUM_BOUND
    # J < 1e-6 bounds every error by sqrt(2e-6) = 1.4e-3; the reference's run is off by up to 1.2e-4.
    np.testing.assert_allclose(N.forward(X).ravel(), [0.75, 0.82, 0.93], rtol=0, atol=1.5e-3)


# --------------------------------------------------------------------------- Part VII

PART_VII_SEEDS = range(20)
PART_VII_LAMBDA = 1e-4


@dataclass
class PartVIIRun:
    seed: int
    iterations: int
    J: float
    test_J: float
    success: bool


@pytest.fixture(scope="module")
def part_vii_runs() -> list[PartVIIRun]:
    """BFGS (maxiter 200) with Lambda = 1e-4, mean cost, on the 4-point set, from NeuralNetwork(seed=s), s = 0..19."""
    X, y, X_test, y_test = sleep_study_part7()
    runs = []
    for seed in PART_VII_SEEDS:
        T = Trainer(NeuralNetwork(seed=seed, Lambda=PART_VII_LAMBDA, mean_cost=True))
        result = T.train(X, y, X_test, y_test)
        runs.append(PartVIIRun(seed, result.nit, result.fun, T.test_J[-1], bool(result.success)))
    return runs


def reaches_0_002618(run: PartVIIRun) -> bool:
    return round(run.J, 6) == 0.002618


def test_part_vii_fraction_of_seeds_reaching_0_002618(part_vii_runs: list[PartVIIRun]) -> None:
    """9 of the 20 seeds 0..19 reach the reference's regularized minimum J = 0.002618 (to 6 decimals).

    Measured: seeds 0, 2, 4, 6, 7, 9, 11, 16, 19, in 82-108 iterations (the reference: about
    78). Over seeds 0..199 the fraction is 119/200; from standard-normal inits it is
    165/200 ("most initialisations", as the reference says).
    """
    hits = [run.seed for run in part_vii_runs if reaches_0_002618(run)]
    assert abs(len(hits) - 9) <= BASIN_SLACK, hits
    assert all(run.success for run in part_vii_runs)
    assert all(75 <= run.iterations <= 120 for run in part_vii_runs if reaches_0_002618(run))


def test_part_vii_every_run_ends_in_one_of_the_reference_minima(part_vii_runs: list[PartVIIRun]) -> None:
    """Each run ends at 0.002618, ~0.00273 or ~0.002864-0.002868: the reference's minima, nowhere else.

    BFGS stops when the gradient's largest element is below 1e-5; the cost surface is flat
    near these minima, so the final J of one basin spreads over its last digits (measured
    0.0026177-0.0026179 and 0.0028636-0.0028679).
    """
    for run in part_vii_runs:
        assert reaches_0_002618(run) or abs(run.J - 0.00273) <= 5e-6 or 0.002863 <= run.J <= 0.002869, run


def test_part_vii_test_cost_is_about_0_0032_at_the_0_002618_minimum(part_vii_runs: list[PartVIIRun]) -> None:
    """With the test set scaled by the training maxima, the final test cost of the 0.002618 runs is 0.0032 (to 4 decimals).

    Measured 0.003193-0.003212. (The 0.00286 runs fit the training set worse but have the
    lower test cost, about 0.0023: regularization trades training fit for smoothness.)
    """
    for run in part_vii_runs:
        if reaches_0_002618(run):
            assert round(run.test_J, 4) == 0.0032, run


# --------------------------------------------------------------------------- iris


def standardize(X: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column (the data's own statistics: this is a training-accuracy check)."""
    return (X - X.mean(axis=0)) / X.std(axis=0)


IRIS_SEED = 0
IRIS_MAXITER = 200


def test_full_iris_trains_to_at_least_95_percent_training_accuracy_with_a_4_5_3_network() -> None:
    """Fisher's 150 flowers, standardized inputs, one-hot targets: NeuralNetwork((4, 5, 3), seed=0), BFGS maxiter 200 -> >= 95%.

    Settings: inputs standardized per column; no biases (as in the series), so the
    standardization's centring matters: each sigmoid unit's boundary passes through the
    origin of the input space, which centring puts at the data's middle. Measured: BFGS
    converges (105 iterations), J = 1.0000002, 149/150 correct (99.3%); seeds 0-4 all give
    149/150. Dividing by the column maxima instead (as the series does for its data) leaves
    the inputs all positive: from seed 0 that run stalls at J = 25.5 with 66.7% accuracy
    (one class never predicted), though seeds 1-4 reach 98-99%.
    """
    X, labels = iris()
    Y = one_hot(labels)
    N = NeuralNetwork((4, 5, 3), seed=IRIS_SEED)
    result = Trainer(N, maxiter=IRIS_MAXITER).train(standardize(X), Y)
    assert result.success, result.message
    accuracy = np.mean(labels_from_one_hot(N.forward(standardize(X))) == labels)
    assert accuracy >= 0.95, accuracy


def test_seed_iris_subset_trains_to_a_tiny_cost() -> None:
    """The seed's 3 flowers x 2 features (all class 0) train from NeuralNetwork(seed=0) to J < 1e-5 (seed's run: 0.000003 in 12 iterations).

    The targets are 0, which the sigmoid approaches only as z_3 -> -inf: BFGS runs until the
    gradient is below gtol = 1e-5. Near there J = 0.5 sum(y_hat^2) and dJ/dW_2 = sum(y_hat^2
    (1 - y_hat) a_2), about 2 J for a hidden unit saturated at 1 (the raw inputs of ~5 cm
    saturate them), so the stop comes at J of order 5e-6. Measured: 13 iterations, J = 2.6e-6.
    """
    X, y = iris_seed_subset()
    N = NeuralNetwork(seed=0)
    J0 = N.cost_function(X, y)
    T = Trainer(N)
    result = T.train(X, y)
    assert result.success
    assert result.fun < 1e-5 < J0
    assert np.all(N.forward(X) < 5e-3)  # every prediction is class 0's target, 0, to 0.005
