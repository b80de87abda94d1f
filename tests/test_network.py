"""Unit tests of the series' network: shapes, initialisation, parameters, forward pass, input
checks, the sigmoid and its derivative, and the Part V gradient check (test_gradient,
compute_numerical_gradient)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nnd import (
    GradientCheck,
    NeuralNetwork,
    Tensor,
    compute_numerical_gradient,
    sigmoid,
    sigmoid_prime,
    test_gradient,
)
from tinygrad_nnd.datasets import sleep_study


def series_sigmoid(z: np.ndarray) -> np.ndarray:
    """The seed notebook's sigmoid, verbatim."""
    return 1.0 / (1 + np.exp(-z))


def series_sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """The seed notebook's derivative, verbatim."""
    return np.exp(-z) / ((1 + np.exp(-z)) ** 2)


# --------------------------------------------------------------------------- shapes and attributes


def test_default_network_is_the_series_2_3_1() -> None:
    """NeuralNetwork() has 2 inputs, 3 hidden units, 1 output: W_1 (2, 3), W_2 (3, 1), no W_3."""
    N = NeuralNetwork()
    assert (N.input_layer_size, N.hidden_layer_size, N.output_layer_size) == (2, 3, 1)
    assert N.layer_sizes == (2, 3, 1)
    assert N.W_1.shape == (2, 3) and N.W_2.shape == (3, 1)
    assert N.W_1.dtype == N.W_2.dtype == np.float64
    assert not hasattr(N, "W_3")
    assert N.weights[0] is N.W_1 and N.weights[1] is N.W_2 and len(N.weights) == 2
    assert N.n_params == 9
    assert N.Lambda == 0.0 and N.mean_cost is False


def test_default_network_draws_from_numpy_global_rand_like_the_series(global_rng_restored: None) -> None:
    """Without a seed the weights are np.random.rand(2, 3) then np.random.rand(3, 1), so np.random.seed repeats them."""
    np.random.seed(1234)
    N = NeuralNetwork()
    np.random.seed(1234)
    np.testing.assert_array_equal(N.W_1, np.random.rand(2, 3))
    np.testing.assert_array_equal(N.W_2, np.random.rand(3, 1))
    assert np.all((N.get_params() >= 0) & (N.get_params() < 1))


def test_two_hidden_layer_network_has_three_weight_matrices() -> None:
    """NeuralNetwork(layer_sizes=(4, 5, 5, 3)) has W_1 (4, 5), W_2 (5, 5), W_3 (5, 3) and .weights lists them."""
    N = NeuralNetwork(layer_sizes=(4, 5, 5, 3))
    assert [W.shape for W in N.weights] == [(4, 5), (5, 5), (5, 3)]
    assert N.weights[0] is N.W_1 and N.weights[1] is N.W_2 and N.weights[2] is N.W_3
    assert not hasattr(N, "W_4")
    assert (N.input_layer_size, N.hidden_layer_size, N.output_layer_size) == (4, (5, 5), 3)
    assert N.n_params == 4 * 5 + 5 * 5 + 5 * 3
    X = np.random.default_rng(0).random((7, 4))
    y_hat = N.forward(X)
    assert y_hat.shape == (7, 3)
    for name, shape in [("z_2", (7, 5)), ("a_2", (7, 5)), ("z_3", (7, 5)), ("a_3", (7, 5)), ("z_4", (7, 3))]:
        assert getattr(N, name).shape == shape, name
    np.testing.assert_array_equal(y_hat, sigmoid(N.z_4))


def test_weights_setter_copies_and_checks_shapes() -> None:
    """N.weights = [...] stores copies of matrices of the right shapes and rejects wrong shapes or counts."""
    N = NeuralNetwork(seed=0)
    W_1, W_2 = np.ones((2, 3)), np.full((3, 1), 2.0)
    N.weights = [W_1, W_2]
    W_1[0, 0] = 99.0
    assert N.W_1[0, 0] == 1.0 and N.W_2[2, 0] == 2.0
    with pytest.raises(ValueError, match=r"W_2 must have shape \(3, 1\)"):
        N.weights = [np.ones((2, 3)), np.ones((1, 3))]
    with pytest.raises(ValueError, match="expected 2 matrices"):
        N.weights = [np.ones((2, 3))]


# --------------------------------------------------------------------------- seeds


def test_seed_0_is_default_rng_0_random_W_1_then_W_2() -> None:
    """NeuralNetwork(seed=0): W_1 = default_rng(0).random((2, 3)), then W_2 = the same generator's random((3, 1))."""
    rng = np.random.default_rng(0)
    W_1, W_2 = rng.random((2, 3)), rng.random((3, 1))
    N = NeuralNetwork(seed=0)
    np.testing.assert_array_equal(N.W_1, W_1)
    np.testing.assert_array_equal(N.W_2, W_2)
    np.testing.assert_array_equal(NeuralNetwork(seed=0).get_params(), N.get_params())
    assert not np.array_equal(NeuralNetwork(seed=1).get_params(), N.get_params())


def test_seeded_network_does_not_touch_numpy_global_generator(global_rng_restored: None) -> None:
    """seed= uses its own generator: NumPy's global stream is not advanced."""
    np.random.seed(7)
    expected = np.random.rand(3)
    np.random.seed(7)
    NeuralNetwork(seed=5)
    np.testing.assert_array_equal(np.random.rand(3), expected)


# --------------------------------------------------------------------------- parameters


def test_get_params_is_W_1_then_W_2_flattened_and_set_params_round_trips() -> None:
    """get_params = concat(W_1.ravel(), W_2.ravel()); set_params(get_params()) restores the weights exactly."""
    N = NeuralNetwork(seed=3)
    params = N.get_params()
    np.testing.assert_array_equal(params, np.concatenate([N.W_1.ravel(), N.W_2.ravel()]))
    other = NeuralNetwork(seed=4)
    other.set_params(params)
    np.testing.assert_array_equal(other.W_1, N.W_1)
    np.testing.assert_array_equal(other.W_2, N.W_2)
    other.set_params(list(range(9)))  # any sequence of numbers
    np.testing.assert_array_equal(other.W_1, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(other.W_2, [[6], [7], [8]])


def test_set_params_copies_its_argument() -> None:
    """Mutating the vector given to set_params afterwards does not change the network."""
    N = NeuralNetwork(seed=0)
    params = np.arange(9, dtype=float)
    N.set_params(params)
    params[:] = -1.0
    np.testing.assert_array_equal(N.get_params(), np.arange(9, dtype=float))


def test_get_params_returns_a_copy() -> None:
    """Mutating the vector get_params returned does not change the network."""
    N = NeuralNetwork(seed=0)
    expected = N.get_params().copy()
    N.get_params()[:] = 0.0
    np.testing.assert_array_equal(N.get_params(), expected)


@pytest.mark.parametrize("length", [0, 8, 10, 18])
def test_set_params_of_the_wrong_length_names_the_expected_count(length: int) -> None:
    """set_params with a vector that is not 9 long raises ValueError saying 9 were expected."""
    N = NeuralNetwork(seed=0)
    before = N.get_params()
    with pytest.raises(ValueError, match=r"expected a vector of 9 parameters"):
        N.set_params(np.zeros(length))
    np.testing.assert_array_equal(N.get_params(), before)  # nothing was half-set


def test_set_params_names_the_count_of_a_bigger_network() -> None:
    """The count in the message is the network's own: 4*5 + 5*5 + 5*3 = 60 for (4, 5, 5, 3)."""
    with pytest.raises(ValueError, match=r"expected a vector of 60 parameters"):
        NeuralNetwork((4, 5, 5, 3), seed=0).set_params(np.zeros(9))


# --------------------------------------------------------------------------- forward


def test_forward_sets_z_2_a_2_z_3_and_returns_y_hat_as_in_the_series() -> None:
    """forward: z_2 = X W_1, a_2 = f(z_2), z_3 = a_2 W_2, returns y_hat = f(z_3) (the seed's formulas)."""
    X, _ = sleep_study()
    N = NeuralNetwork(seed=0)
    y_hat = N.forward(X)
    np.testing.assert_array_equal(N.z_2, X @ N.W_1)
    # expit and the seed's 1 / (1 + exp(-z)) may round differently: a few ulp (4e-16 relative).
    np.testing.assert_allclose(N.a_2, series_sigmoid(N.z_2), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(N.z_3, N.a_2 @ N.W_2)
    np.testing.assert_allclose(y_hat, series_sigmoid(N.z_3), rtol=1e-15, atol=0)
    assert y_hat.shape == (3, 1)


def test_forward_accepts_lists_integers_and_tensors() -> None:
    """Lists, integer arrays and Tensors are read as float data, with the same prediction."""
    N = NeuralNetwork(seed=0)
    X = [[3, 5], [5, 1]]
    expected = N.forward(np.array(X, dtype=float))
    np.testing.assert_array_equal(N.forward(X), expected)
    np.testing.assert_array_equal(N.forward(np.array(X)), expected)
    np.testing.assert_array_equal(N.forward(Tensor(np.array(X, dtype=float))), expected)


# --------------------------------------------------------------------------- input checks

X_OK = [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]]
Y_OK = [[0.75], [0.82], [0.93]]

DATA_METHODS = [
    "cost_function",
    "compute_gradients",
    "compute_gradients_by_hand",
    "cost_function_prime",
    "cost_and_gradients",
]


@pytest.mark.parametrize("method", DATA_METHODS + ["forward"])
def test_X_with_the_wrong_number_of_columns_is_a_clear_ValueError(method: str) -> None:
    """X with 3 columns for a 2-input network: ValueError naming X, its 3 columns and the 2 inputs."""
    N = NeuralNetwork(seed=0)
    X = [[0.3, 1.0, 0.1]]
    with pytest.raises(ValueError, match=r"X has 3 columns but the network has 2 inputs"):
        N.forward(X) if method == "forward" else getattr(N, method)(X, [[0.5]])


@pytest.mark.parametrize("method", DATA_METHODS)
@pytest.mark.parametrize(
    "y, pattern",
    [
        ([0.75, 0.82, 0.93], r"y must be a 2-D array .* got shape \(3,\)"),  # 1-D y
        ([[0.75], [0.82]], r"y has shape \(2, 1\) .* y must be \(3, 1\)"),  # too few rows
        ([[0.75, 0.1], [0.82, 0.1], [0.93, 0.1]], r"y has shape \(3, 2\) .* y must be \(3, 1\)"),  # too many outputs
        (0.75, r"y must be a 2-D array .* got shape \(\)"),
    ],
)
def test_y_of_the_wrong_shape_is_a_clear_ValueError(method: str, y: object, pattern: str) -> None:
    """y must be (rows of X, outputs): a 1-D y, wrong rows or wrong columns raise ValueError saying so."""
    with pytest.raises(ValueError, match=pattern):
        getattr(NeuralNetwork(seed=0), method)(X_OK, y)


@pytest.mark.parametrize("method", DATA_METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("which", ["X", "y"])
def test_nan_or_inf_in_the_data_names_the_array_row_and_column(method: str, bad: float, which: str) -> None:
    """A NaN or inf raises ValueError naming X or y and the row and column of the first bad value."""
    X, y = np.array(X_OK), np.array(Y_OK)
    if which == "X":
        X[2, 1] = bad
        pattern = rf"X contains {bad} at row 2, column 1"
    else:
        y[1, 0] = bad
        pattern = rf"y contains {bad} at row 1, column 0"
    with pytest.raises(ValueError, match=pattern):
        getattr(NeuralNetwork(seed=0), method)(X, y)


def test_nan_in_X_is_caught_by_forward_too() -> None:
    """forward refuses non-finite inputs with the same message."""
    with pytest.raises(ValueError, match=r"X contains nan at row 0, column 0"):
        NeuralNetwork(seed=0).forward([[np.nan, 1.0]])


@pytest.mark.parametrize("which", ["X", "y"])
@pytest.mark.parametrize("bad", ["a", "", object(), [1.0, 2.0]])
def test_non_numeric_data_is_a_ValueError_naming_the_array(which: str, bad: object) -> None:
    """Strings, objects or ragged rows in X or y raise ValueError '<X|y> must be numbers', not a TypeError from deep inside."""
    X, y = [row[:] for row in X_OK], [row[:] for row in Y_OK]
    (X if which == "X" else y)[0][0] = bad
    with pytest.raises(ValueError, match=rf"{which} must be numbers"):
        NeuralNetwork(seed=0).cost_function(X, y)


@pytest.mark.parametrize("which", ["X", "y"])
def test_None_in_the_data_is_reported_as_a_missing_value(which: str) -> None:
    """NumPy reads None as NaN (a missing value): the NaN message names the array and the position."""
    X, y = [row[:] for row in X_OK], [row[:] for row in Y_OK]
    (X if which == "X" else y)[0][0] = None
    with pytest.raises(ValueError, match=rf"{which} contains nan at row 0, column 0"):
        NeuralNetwork(seed=0).cost_function(X, y)


def test_X_must_be_2_d() -> None:
    """A single example must be a row [[a, b]], not a 1-D [a, b]: ValueError naming X and its shape."""
    with pytest.raises(ValueError, match=r"X must be a 2-D array .* got shape \(2,\)"):
        NeuralNetwork(seed=0).forward([0.3, 1.0])


@pytest.mark.parametrize("method", DATA_METHODS)
def test_mean_cost_of_an_empty_batch_is_a_ValueError_not_nan(method: str) -> None:
    """With mean_cost, zero rows raise ValueError (before the fix: cost and autodiff gradient were NaN with a
    RuntimeWarning, while the chain rule returned zeros)."""
    with pytest.raises(ValueError, match="X has no rows"):
        getattr(NeuralNetwork(seed=0, mean_cost=True), method)(np.zeros((0, 2)), np.zeros((0, 1)))


def test_sum_cost_of_an_empty_batch_is_zero_with_zero_gradients() -> None:
    """The sum form is defined on zero rows: J = 0 (no regularization) and every gradient is 0, both ways."""
    N = NeuralNetwork(seed=0)
    X, y = np.zeros((0, 2)), np.zeros((0, 1))
    assert N.cost_function(X, y) == 0.0
    np.testing.assert_array_equal(N.compute_gradients(X, y), np.zeros(9))
    np.testing.assert_array_equal(N.compute_gradients_by_hand(X, y), np.zeros(9))
    assert N.forward(X).shape == (0, 1)


@pytest.mark.parametrize("sizes", [(), (2,), (2, 0, 1), (2, -1, 1), (0, 3, 1), (2, 3, 0), (2.5, 3, 1)])
def test_invalid_layer_sizes_are_a_ValueError(sizes: tuple) -> None:
    """layer_sizes needs at least two positive integers."""
    with pytest.raises(ValueError, match="layer_sizes must be at least two positive integers"):
        NeuralNetwork(sizes)


@pytest.mark.parametrize("Lambda", [-1.0, -1e-300, np.nan, np.inf])
def test_negative_or_non_finite_Lambda_is_a_ValueError(Lambda: float) -> None:
    """Lambda must be a finite number >= 0 (0 is Parts I-VI, 1e-4 is Part VII)."""
    with pytest.raises(ValueError, match="Lambda must be a finite number >= 0"):
        NeuralNetwork(Lambda=Lambda)


def test_Lambda_zero_and_positive_are_accepted_and_shown_in_repr() -> None:
    """Lambda = 0 and 1e-4 are valid; repr shows the sizes and the Part VII options."""
    assert repr(NeuralNetwork(seed=0)) == "NeuralNetwork(layer_sizes=(2, 3, 1))"
    assert (
        repr(NeuralNetwork(seed=0, Lambda=1e-4, mean_cost=True))
        == "NeuralNetwork(layer_sizes=(2, 3, 1), Lambda=0.0001, mean_cost=True)"
    )


# --------------------------------------------------------------------------- sigmoid and its derivative

EXTREMES = np.array(
    [-np.finfo(float).max, -1e308, -1e3, -746.0, -710.0, -1.0, 0.0, 1.0, 710.0, 746.0, 1e3, 1e308, np.finfo(float).max]
)


def test_sigmoid_reference_values() -> None:
    """sigmoid(1) == 0.7310585786300049 exactly and sigmoid([-1, 0, 1]) == [0.26894142, 0.5, 0.73105858]."""
    assert float(sigmoid(1)) == 0.7310585786300049
    # The reference prints 8 decimals: agree to half a unit in the last place.
    np.testing.assert_allclose(sigmoid(np.array([-1.0, 0.0, 1.0])), [0.26894142, 0.5, 0.73105858], rtol=0, atol=5e-9)
    assert float(sigmoid_prime(0.0)) == 0.25


def test_sigmoid_and_derivative_are_finite_at_the_ends_of_the_float_range() -> None:
    """At +-1e308 and +-max float, sigmoid is 0 or 1 and sigmoid' is 0, with no overflow warning (warnings are errors)."""
    s, ds = sigmoid(EXTREMES), sigmoid_prime(EXTREMES)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    assert s[0] == s[1] == 0.0 and s[-1] == s[-2] == 1.0
    assert ds[0] == ds[1] == ds[-1] == ds[-2] == 0.0


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_sigmoid_is_in_0_1_and_derivative_in_0_quarter_for_every_finite_float(z: float) -> None:
    """For every finite z: 0 <= sigmoid(z) <= 1, 0 <= sigmoid'(z) <= 1/4, sigmoid(-z) = 1 - sigmoid(z) to 1 ulp of 1."""
    s, ds = float(sigmoid(z)), float(sigmoid_prime(z))
    assert 0.0 <= s <= 1.0
    assert 0.0 <= ds <= 0.25
    # Both sides are rounded once near 1: they agree to within one ulp of 1 (2.2e-16).
    assert abs(float(sigmoid(-z)) - (1.0 - s)) <= np.finfo(float).eps


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_sigmoid_is_non_decreasing(a: float, b: float) -> None:
    """a <= b implies sigmoid(a) <= sigmoid(b)."""
    a, b = min(a, b), max(a, b)
    assert float(sigmoid(a)) <= float(sigmoid(b))


#: Where the seed's exp(-z) / (1 + exp(-z))**2 and the stable s (1 - s) differ, and by how much:
#: for z > 0, s rounds to within half an ulp of 1 (1.1e-16), so 1 - s is off by up to that
#: much in absolute terms; a second rounding gives PRIME_ATOL = 2.2e-16. Elsewhere both are a few
#: correctly rounded operations: relative 1e-14 is ~45 roundings. For z < -354 the seed's
#: (1 + exp(-z))**2 overflows and it returns 0 while the true value is below 1e-154, inside
#: PRIME_ATOL. Measured on a 2.4-million-point grid over [-700, 700]: worst absolute difference
#: 1.7e-16, worst relative difference (where the seed's value is normal) 6.7e-16.
PRIME_ATOL = np.finfo(float).eps
PRIME_RTOL = 1e-14


def assert_matches_series_sigmoid_prime(z: np.ndarray) -> None:
    with np.errstate(over="ignore"):  # the seed's formula overflows (to a harmless 0) for z < -354
        expected = series_sigmoid_prime(z)
    np.testing.assert_allclose(sigmoid_prime(z), expected, rtol=PRIME_RTOL, atol=PRIME_ATOL)


@given(st.floats(-699.9, 699.9))
def test_sigmoid_prime_equals_the_series_formula_where_that_is_finite(z: float) -> None:
    """For |z| < 700, sigmoid'(z) = exp(-z) / (1 + exp(-z))**2 (the seed's form) to 2.2e-16 + 1e-14 relative."""
    assert_matches_series_sigmoid_prime(np.array([z]))


def test_sigmoid_prime_equals_the_series_formula_on_a_grid() -> None:
    """The same, on 20001 points of [-700, 700] and the well-known values around 0."""
    assert_matches_series_sigmoid_prime(np.linspace(-700, 700, 20001))
    assert_matches_series_sigmoid_prime(np.linspace(-40, 40, 8001))


def test_the_series_formula_itself_is_nan_below_minus_710() -> None:
    """Why the stable form exists: the seed's sigmoid_prime(-750) is inf/inf = NaN (with overflow warnings)."""
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(series_sigmoid_prime(np.array([-750.0]))[0])
    assert float(sigmoid_prime(-750.0)) == 0.0


def test_sigmoid_of_a_tensor_is_a_tensor_with_the_right_values_and_gradient() -> None:
    """sigmoid(Tensor) and sigmoid_prime(Tensor) return Tensors; d sum(sigmoid(z))/dz = sigmoid'(z)."""
    z_values = np.array([-3.0, -0.5, 0.0, 2.0])
    z = Tensor(z_values, requires_grad=True)
    s = sigmoid(z)
    assert isinstance(s, Tensor) and isinstance(sigmoid_prime(Tensor(z_values)), Tensor)
    np.testing.assert_array_equal(s.data, sigmoid(z_values))
    np.testing.assert_array_equal(sigmoid_prime(Tensor(z_values)).data, sigmoid_prime(z_values))
    s.sum().backward()
    np.testing.assert_array_equal(z.grad, sigmoid_prime(z_values))


# --------------------------------------------------------------------------- Part V: the gradient check


def test_test_gradient_passes_on_the_series_network_and_prints_the_seed_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """test_gradient returns (norm_ratio, passed) = (< 1e-8, True) on a correct network and prints the seed's praise."""
    X, y = sleep_study()
    result = test_gradient(NeuralNetwork(seed=0), X, y)
    assert isinstance(result, GradientCheck)
    norm_ratio, passed = result
    assert passed is True
    assert 0 <= norm_ratio < 1e-8  # the reference: about 1e-8 or less (recorded runs 1e-10 to 3e-9)
    assert capsys.readouterr().out == "The gradient is correctly implemented. Well done!\n"


def test_test_gradient_is_silent_with_verbose_false(capsys: pytest.CaptureFixture[str]) -> None:
    """verbose=False returns the same verdict without printing."""
    X, y = sleep_study()
    assert test_gradient(NeuralNetwork(seed=0), X, y, verbose=False).passed
    assert capsys.readouterr().out == ""


class ScaledGradient(NeuralNetwork):
    """A bug: the gradient 1% too large."""

    def compute_gradients(self, X, y):  # type: ignore[no-untyped-def]
        return 1.01 * super().compute_gradients(X, y)


class MissingOutputSigmoidPrime(NeuralNetwork):
    """A classic Part IV slip: delta_3 = -(y - y_hat), without the factor f'(z_3)."""

    def compute_gradients(self, X, y):  # type: ignore[no-untyped-def]
        y_hat = self.forward(X)
        delta_3 = -(y - y_hat)
        delta_2 = (delta_3 @ self.W_2.T) * sigmoid_prime(self.z_2)
        return np.concatenate([(X.T @ delta_2).ravel(), (self.a_2.T @ delta_3).ravel()])


class TransposedLayout(NeuralNetwork):
    """A layout bug: dJ/dW_1 flattened in column order while get_params is row order."""

    def compute_gradients(self, X, y):  # type: ignore[no-untyped-def]
        dJ_dW_1, dJ_dW_2 = self.cost_function_prime(X, y)
        return np.concatenate([dJ_dW_1.T.ravel(), dJ_dW_2.ravel()])


@pytest.mark.parametrize("Wrong", [ScaledGradient, MissingOutputSigmoidPrime, TransposedLayout])
def test_test_gradient_fails_on_a_wrong_gradient_and_prints_the_seed_warning(
    Wrong: type[NeuralNetwork], capsys: pytest.CaptureFixture[str]
) -> None:
    """On a network subclass with a deliberately wrong compute_gradients, passed is False and the seed's warning is printed."""
    X, y = sleep_study()
    norm_ratio, passed = test_gradient(Wrong(seed=0), X, y)
    assert passed is False
    assert norm_ratio > 1e-4  # a real error, far above the 1.6e-7 the check accepts
    assert capsys.readouterr().out == "There is an error in your gradient implementation. Please check the code!\n"


def test_compute_numerical_gradient_leaves_the_params_unchanged() -> None:
    """After compute_numerical_gradient the network has exactly the weights it had (and W_1, W_2 keep their values)."""
    X, y = sleep_study()
    N = NeuralNetwork(seed=0, Lambda=1e-4, mean_cost=True)
    before = N.get_params().copy()
    W_1, W_2 = N.W_1.copy(), N.W_2.copy()
    gradient = compute_numerical_gradient(N, X, y)
    np.testing.assert_array_equal(N.get_params(), before)
    np.testing.assert_array_equal(N.W_1, W_1)
    np.testing.assert_array_equal(N.W_2, W_2)
    assert gradient.shape == (9,) and gradient.dtype == np.float64


def test_compute_numerical_gradient_restores_the_params_when_the_cost_raises() -> None:
    """Even when a cost evaluation fails midway, the weights are put back."""

    class Flaky(NeuralNetwork):
        calls = 0

        def cost_function(self, X, y):  # type: ignore[no-untyped-def]
            Flaky.calls += 1
            if Flaky.calls == 5:
                raise RuntimeError("boom")
            return super().cost_function(X, y)

    X, y = sleep_study()
    N = Flaky(seed=0)
    before = N.get_params().copy()
    with pytest.raises(RuntimeError, match="boom"):
        compute_numerical_gradient(N, X, y)
    np.testing.assert_array_equal(N.get_params(), before)


def test_compute_numerical_gradient_is_the_series_central_difference() -> None:
    """Each element is (J(w + 1e-4 e_i) - J(w - 1e-4 e_i)) / 2e-4, computed as in the seed notebook."""
    X, y = sleep_study()
    N = NeuralNetwork(seed=2)
    params = N.get_params()
    expected = np.zeros(9)
    probe = NeuralNetwork(seed=2)
    for i in range(9):
        step = np.zeros(9)
        step[i] = 1e-4
        probe.set_params(params + step)
        plus = probe.cost_function(X, y)
        probe.set_params(params - step)
        expected[i] = (plus - probe.cost_function(X, y)) / (2 * 1e-4)
    np.testing.assert_array_equal(compute_numerical_gradient(N, X, y), expected)
