"""Property tests: the network's gradients, costs and Hessian-vector products agree, however computed.

Networks, weights and data come from ``strategies_nn`` (see its docstring for the ranges
and why). Four ways to the gradient are compared:

- ``N.compute_gradients``: automatic differentiation of the recorded Tensor graph;
- ``N.compute_gradients_by_hand``: the series' hand-written chain rule (Part IV);
- ``compute_numerical_gradient``: central differences (Part V);
- ``value_and_grad(lambda p: N.cost_of_params(p, X, y))``: the functional API on the flat
  parameter vector,

and ``hvp`` of the same function is compared with finite differences of the gradient.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies_nn import Problem, layer_sizes, problems, scaled, series_problems

from tinygrad_nnd import NeuralNetwork, Tensor, compute_numerical_gradient, gradients, hvp, value_and_grad
from tinygrad_nnd.gradcheck import norm_ratio
from tinygrad_nnd.testing import floats_arrays

# --------------------------------------------------------------------------- tolerances

#: Autodiff and the hand-written chain rule perform the same products and sums, in a
#: different order and grouping. Each gradient element is a sum of at most
#: 20 rows x 6 units of products over at most 4 layers, so the two differ by some tens
#: of roundings (u = 1.1e-16) of the terms' size. The terms are bounded by the gradient's
#: largest element times a modest factor unless the terms cancel massively, which random
#: draws do not produce: measured worst |a - h| / max|h| = 5e-16 over 1500 random draws.
#: 1e-10 leaves a factor 2e5 of room and still catches any wrong term (a missing factor
#: such as 1/N, Lambda W or sigmoid' changes the gradient by O(1) relative).
GRADIENT_RTOL = 1e-10
#: Only so that two all-zero gradients compare equal (the bound is then 0 + tiny).
TINY = np.finfo(np.float64).tiny

#: Central differences with eps = 1e-4 (Part V): truncation error eps^2/6 |J'''| = 1.7e-9 |J'''|
#: plus rounding about 10 u |J| / eps = 1.1e-11 |J| (the cost is evaluated to some ten
#: roundings, twice, and divided by 2 eps). For the generated networks the third derivative
#: along one weight is of order one (measured worst element error 1.9e-9 over 3000 draws);
#: NUMERICAL_ATOL = 1e-7 admits |J'''| up to 60. |J| reaches about 30 (sum form, 20 rows x 3
#: outputs) plus Lambda/2 sum W^2 <= 0.5 * 114 * 9, so the rounding term is at most ~6e-9
#: and NUMERICAL_RTOL_J = 1e-10 per unit of |J| covers it with margin.
NUMERICAL_ATOL = 1e-7
NUMERICAL_RTOL_J = 1e-10
#: The series' check: norm(g - n) / norm(g + n) below 1e-8. That ratio is about
#: norm(n - g) / (2 norm(g)), and norm(n - g) is fixed by the truncation error above, not by
#: the size of g: for a small gradient (saturated sigmoids, or a point near a minimum) the
#: ratio is large even when g is exact (measured: ratio 1.5e-8 at norm(g) = 0.007 on a
#: correct 2-3-1 network). So the ratio is asserted only where norm(g) >= 0.1; there the
#: measured worst ratio was 2.6e-9 over 3000 random draws (and 74% of draws qualify).
#: Smaller gradients are covered by the elementwise bound, which does not degrade.
SERIES_RATIO = 1e-8
RATIO_MIN_GRADIENT_NORM = 0.1

#: Two evaluations of the cost through NumPy and through Tensors perform the same NumPy
#: operations in the same order (measured: bitwise equal). 1e-13 relative (about 450 ulp)
#: allows a reordered sum, nothing more.
COST_RTOL = 1e-13


def assert_gradients_equal(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Elementwise ``|a - h| <= GRADIENT_RTOL * max|h| + TINY``."""
    assert actual.shape == expected.shape, what
    bound = GRADIENT_RTOL * np.max(np.abs(expected)) + TINY
    error = np.abs(actual - expected)
    worst = int(np.argmax(error))
    assert np.all(error <= bound), (
        f"{what}: element {worst}: {actual[worst]!r} vs {expected[worst]!r} (error {error[worst]:.3g}, bound {bound:.3g})"
    )


def assert_matches_numerical(gradient: np.ndarray, numerical: np.ndarray, J: float, what: str) -> None:
    """The elementwise central-difference bound, and the series' ratio where it is meaningful."""
    bound = NUMERICAL_ATOL + NUMERICAL_RTOL_J * abs(J)
    error = np.abs(gradient - numerical)
    worst = int(np.argmax(error))
    assert np.all(error <= bound), (
        f"{what} vs central differences: element {worst}: {gradient[worst]!r} vs {numerical[worst]!r} "
        f"(error {error[worst]:.3g}, bound {bound:.3g})"
    )
    if np.linalg.norm(gradient) >= RATIO_MIN_GRADIENT_NORM:
        ratio = norm_ratio(gradient, numerical)
        assert ratio < SERIES_RATIO, f"{what}: the series' norm ratio {ratio:.3g} is not below {SERIES_RATIO}"


# --------------------------------------------------------------------------- (a) autodiff = chain rule


@given(problems())
def test_autodiff_gradient_equals_hand_written_chain_rule(p: Problem) -> None:
    """compute_gradients (autodiff) == compute_gradients_by_hand (Part IV) to 1e-10 of the largest element."""
    autodiff = p.N.compute_gradients(p.X, p.y)
    by_hand = p.N.compute_gradients_by_hand(p.X, p.y)
    assert autodiff.shape == (p.N.n_params,)
    assert np.all(np.isfinite(autodiff))
    assert_gradients_equal(autodiff, by_hand, "autodiff vs chain rule")


@given(problems())
def test_cost_function_prime_returns_one_matrix_per_layer_shaped_like_the_weights(p: Problem) -> None:
    """cost_function_prime gives dJ/dW_l (then dJ/db_l with biases) with each parameter's shape, in layer order:
    each equals autodiff's gradient for that parameter (the bias's: delta summed over the rows, by unbroadcasting)."""
    grads = p.N.cost_function_prime(p.X, p.y)
    assert [g.shape for g in grads] == [W.shape for W in p.N.params]
    # Autodiff's gradient for each parameter, found by the Tensor it belongs to (no flat layout involved).
    weights = [Tensor(W, requires_grad=True) for W in p.N.weights]
    biases = [Tensor(b, requires_grad=True) for b in p.N.biases]
    per_layer = gradients(p.N.cost_tensor(p.X, p.y, weights, biases), weights + biases)
    assert_gradients_equal(
        np.concatenate([g.ravel() for g in grads]),
        np.concatenate([g.ravel() for g in per_layer]),
        "cost_function_prime vs autodiff, layer by layer",
    )


# --------------------------------------------------------------------------- (b) both = central differences


@settings(max_examples=scaled(60))
@given(problems())
def test_both_gradients_equal_central_differences(p: Problem) -> None:
    """Autodiff and chain-rule gradients equal Part V's central differences (elementwise bound; norm ratio < 1e-8 for non-small gradients)."""
    before = p.N.get_params()
    numerical = compute_numerical_gradient(p.N, p.X, p.y)
    # compute_numerical_gradient perturbs one weight at a time and must restore them all.
    np.testing.assert_array_equal(p.N.get_params(), before)
    J = p.N.cost_function(p.X, p.y)
    assert_matches_numerical(p.N.compute_gradients(p.X, p.y), numerical, J, "autodiff")
    assert_matches_numerical(p.N.compute_gradients_by_hand(p.X, p.y), numerical, J, "chain rule")


@settings(max_examples=scaled(60))
@given(series_problems())
def test_series_network_passes_the_series_norm_ratio_check(p: Problem) -> None:
    """On the series' 2-3-1 network (weights, inputs in [0, 1]) the norm ratio is below 1e-8 whenever norm(g) >= 0.1."""
    numerical = compute_numerical_gradient(p.N, p.X, p.y)
    assert_matches_numerical(p.N.compute_gradients(p.X, p.y), numerical, p.N.cost_function(p.X, p.y), "autodiff")


# --------------------------------------------------------------------------- (c) the cost, three ways


@given(problems())
def test_cost_function_equals_cost_tensor_and_cost_and_gradients(p: Problem) -> None:
    """cost_function (NumPy) == cost_tensor (Tensor graph) == cost_and_gradients()[0], to 1e-13 relative."""
    J = p.N.cost_function(p.X, p.y)
    assert isinstance(J, float) and np.isfinite(J) and J >= 0
    J_tensor = p.N.cost_tensor(p.X, p.y, [Tensor(W) for W in p.N.weights])
    assert isinstance(J_tensor, Tensor) and J_tensor.data.size == 1
    J_pair, gradient = p.N.cost_and_gradients(p.X, p.y)
    for other in (float(J_tensor.data), J_pair):
        assert abs(other - J) <= COST_RTOL * J, (J, other)
    np.testing.assert_array_equal(gradient, p.N.compute_gradients(p.X, p.y))


@given(problems())
def test_cost_is_the_documented_formula(p: Problem) -> None:
    """J = 0.5 sum((y - y_hat)^2) [/ N] + Lambda/2 sum_l sum(W_l^2), with y_hat from forward (Parts III and VII);
    for a softmax output the data term is the cross-entropy -sum(y log(y_hat)) (y_hat computed by SciPy's softmax)."""
    y_hat = p.N.forward(p.X)
    if p.N.output == "softmax":
        z_out = getattr(p.N, f"z_{p.N.n_layers + 1}")
        # log_softmax from SciPy: a different formula, a few roundings apart (within the 1e-13 below).
        data_term = -np.sum(p.y * scipy.special.log_softmax(z_out, axis=1))
        np.testing.assert_allclose(y_hat, scipy.special.softmax(z_out, axis=1), rtol=1e-13, atol=1e-300)
    else:
        data_term = 0.5 * np.sum((p.y - y_hat) ** 2)
    if p.N.mean_cost:
        data_term /= p.X.shape[0]
    expected = data_term + p.N.Lambda / 2 * sum(np.sum(W**2) for W in p.N.weights)
    # Same quantities summed in a different grouping: a few roundings of the largest term.
    assert abs(p.N.cost_function(p.X, p.y) - expected) <= 1e-13 * expected + TINY


# --------------------------------------------------------------------------- (d) functional API


@given(problems())
def test_value_and_grad_of_cost_of_params_equals_compute_gradients(p: Problem) -> None:
    """value_and_grad(lambda q: N.cost_of_params(q, X, y)) gives (cost_function, compute_gradients)."""
    value, gradient = value_and_grad(lambda q: p.N.cost_of_params(q, p.X, p.y))(p.N.get_params())
    J = p.N.cost_function(p.X, p.y)
    assert abs(value - J) <= COST_RTOL * J
    # Slicing the flat vector adds scatter steps to the graph but no arithmetic on the values.
    assert_gradients_equal(gradient, p.N.compute_gradients(p.X, p.y), "value_and_grad vs compute_gradients")


# --------------------------------------------------------------------------- (e) Hessian-vector products

#: Central differences of the gradient along a unit vector v, step h = 1e-5:
#: (g(p + h v) - g(p - h v)) / 2h. Truncation h^2/6 |d^3 g / dt^3| = 1.7e-11 |J''''| and
#: rounding ~ k u G / h with G the size of the gradient's terms (<= ~10 here) and k ~ 50
#: roundings: 5.5e-9. HVP_ATOL = 1e-8 covers both with |J''''| up to 100; measured worst
#: error 5e-11 over 1000 random draws. A wrong Hessian (e.g. a dropped second-order term
#: of the sigmoid) is off by O(|Hv|), typically 1e-2..10.
HVP_STEP = 1e-5
HVP_ATOL = 1e-8


@settings(max_examples=scaled(30))
@given(problems(), st.data())
def test_hvp_of_cost_of_params_equals_finite_differences_of_the_gradient(p: Problem, data: st.DataObject) -> None:
    """hvp(cost_of_params)(p, v) == (grad(p + h v) - grad(p - h v)) / 2h for unit v, to 1e-8."""
    params = p.N.get_params()
    v = data.draw(floats_arrays((p.N.n_params,), -1.0, 1.0), label="v")
    norm = np.linalg.norm(v)
    v = v / norm if norm > 0 else np.ones_like(v) / np.sqrt(v.size)
    Hv = hvp(lambda q: p.N.cost_of_params(q, p.X, p.y))(params, v)

    def gradient_at(q: np.ndarray) -> np.ndarray:
        p.N.set_params(q)
        return p.N.compute_gradients(p.X, p.y)

    finite_difference = (gradient_at(params + HVP_STEP * v) - gradient_at(params - HVP_STEP * v)) / (2 * HVP_STEP)
    error = np.abs(Hv - finite_difference)
    assert np.all(error <= HVP_ATOL), (Hv, finite_difference, error.max())


def test_hvp_on_the_series_network_is_symmetric_and_matches_the_lambda_term() -> None:
    """H is symmetric (u.Hv == v.Hu) and the regularized Hessian is the plain one plus Lambda * I."""
    X = np.array([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4], [0.6, 0.3]])
    y = np.array([[0.75], [0.82], [0.93], [0.70]])
    rng = np.random.default_rng(3)
    params, u, v = rng.random(9), rng.standard_normal(9), rng.standard_normal(9)
    plain = NeuralNetwork(seed=0, mean_cost=True)
    regularized = NeuralNetwork(seed=0, Lambda=1e-2, mean_cost=True)
    H_plain = hvp(lambda q: plain.cost_of_params(q, X, y))
    H_reg = hvp(lambda q: regularized.cost_of_params(q, X, y))
    # Exact in exact arithmetic; the two dot products round differently at ~1e-16 of |H| ~ 1.
    assert abs(u @ H_plain(params, v) - v @ H_plain(params, u)) <= 1e-13
    np.testing.assert_allclose(H_reg(params, v), H_plain(params, v) + 1e-2 * v, rtol=0, atol=1e-13)


# --------------------------------------------------------------------------- parameters


@given(problems(), st.data())
def test_set_params_then_get_params_is_the_identity_and_leaves_the_cost_consistent(
    p: Problem, data: st.DataObject
) -> None:
    """set_params(v); get_params() == v bit for bit, W_l are views of v in order, and the cost follows."""
    v = data.draw(floats_arrays((p.N.n_params,), -3.0, 3.0), label="v")
    p.N.set_params(v)
    np.testing.assert_array_equal(p.N.get_params(), v)
    start = 0
    for W in p.N.params:  # the weights, then the biases
        np.testing.assert_array_equal(W, v[start : start + W.size].reshape(W.shape))
        start += W.size
    twin = NeuralNetwork(
        p.N.layer_sizes, seed=1, Lambda=p.N.Lambda, mean_cost=p.N.mean_cost, bias=p.N.bias, output=p.N.output
    )
    twin.set_params(v.copy())
    assert twin.cost_function(p.X, p.y) == p.N.cost_function(p.X, p.y)


@given(layer_sizes(), st.integers(0, 2**32 - 1))
def test_seeded_networks_draw_default_rng_random_layer_by_layer(sizes: tuple[int, ...], seed: int) -> None:
    """NeuralNetwork(sizes, seed=s) has W_l = default_rng(s).random(shape_l), drawn W_1 first."""
    N = NeuralNetwork(sizes, seed=seed)
    rng = np.random.default_rng(seed)
    assert len(N.weights) == len(sizes) - 1
    for l, W in enumerate(N.weights, start=1):
        np.testing.assert_array_equal(W, rng.random((sizes[l - 1], sizes[l])))
    assert N.n_params == sum(a * b for a, b in itertools.pairwise(sizes))
