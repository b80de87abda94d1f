"""numerical_gradient, gradcheck and norm_ratio: the tools that check gradients must themselves be right."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nnd import OPS, Op, Tensor, gradcheck, norm_ratio, numerical_gradient
from tinygrad_nnd.engine import apply
from tinygrad_nnd.gradcheck import difference_errors
from tinygrad_nnd.testing import assert_gradients_match, floats_arrays, shapes, values


class WrongSquare(Op):
    """a**2 with a wrong backward rule (the factor 2 forgotten). No ``name``: not registered in OPS."""

    __slots__ = ()

    def forward(self, a):
        return a * a

    def backward(self, g, out, a):
        return (g * a,)


def wrong_square(t: Tensor) -> Tensor:
    return apply(WrongSquare(), t)


def test_op_subclass_without_name_is_not_registered():
    """Defining an Op subclass without a name leaves the registry alone (so the test op above is private)."""
    assert WrongSquare not in OPS.values()


# ---------------------------------------------------------------- numerical_gradient


def test_numerical_gradient_of_x_squared_at_1_5_is_the_series_value():
    """d/dx x^2 at 1.5 by central differences with eps = 1e-4 is 2.9999999999996696 (the series' value)."""
    g = numerical_gradient(lambda x: (x**2).sum(), np.array([1.5]), eps=1e-4)
    assert float(g[0]) == 2.9999999999996696


@given(floats_arrays())
def test_numerical_gradient_leaves_x_unchanged_and_has_its_shape(x):
    """numerical_gradient works on a private copy: x is bit-for-bit unchanged afterwards."""
    before = x.copy()
    seen = []

    def f(a):
        seen.append(a is x)
        return float(np.sum(np.sin(a)))

    g = numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert not any(seen)
    assert g.shape == x.shape and g.dtype == np.float64
    # sin on [-3, 3]: truncation eps^2/6 |cos| <= 1.7e-9, rounding 1e-16 * 64 / 1e-4 ~ 6e-11.
    np.testing.assert_allclose(g, np.cos(x), rtol=0, atol=1e-8)


@given(floats_arrays(shape=shapes(min_dims=1)), values(-1.0, 1.0))
def test_numerical_gradient_is_exact_for_affine_functions(x, c):
    """For f = c * sum(x) + 1 the central difference has no truncation error: it is c up to rounding."""
    g = numerical_gradient(lambda a: c * np.sum(a) + 1.0, x)
    # Rounding only: ~1e-16 * |f| / eps with |f| <= 64 * 3 + 1.
    np.testing.assert_allclose(g, np.full(x.shape, c), rtol=0, atol=1e-9)


def test_difference_errors_of_x_cubed_are_eps_squared_and_three_eps_plus_eps_squared():
    """For x**3 at 1 the errors are exactly e**2 (central) and 3 e + e**2 (one-sided), up to rounding."""
    steps = np.array([1e-1, 1e-2, 1e-3])
    central, one_sided = difference_errors(lambda x: x**3, lambda x: 3 * x**2, 1.0, steps)
    # Rounding only: ~1e-16 * |f| / e <= 1e-13, relative to errors >= 1e-6.
    np.testing.assert_allclose(central, steps**2, rtol=1e-6)
    np.testing.assert_allclose(one_sided, 3 * steps + steps**2, rtol=1e-6)
    with pytest.raises(ValueError, match="eps must be positive step sizes"):
        difference_errors(np.exp, np.exp, 0.0, [1e-3, 0.0])


@pytest.mark.parametrize(
    ("x", "eps", "error", "match"),
    [
        (0.0, [1e-3, np.nan], ValueError, r"eps must be positive step sizes \(finite, > 0\)"),
        (0.0, [np.inf], ValueError, r"eps must be positive step sizes \(finite, > 0\)"),
        (0.0, [], ValueError, r"eps must be one step size or a 1-D sequence of them, got shape \(0,\)"),
        (0.0, [[1e-3, 1e-4]], ValueError, r"eps must be one step size or a 1-D sequence of them, got shape \(1, 2\)"),
        (0.0, "abc", TypeError, "eps must be step sizes"),
        (np.nan, [1e-3], ValueError, "x must be a finite number"),
    ],
)
def test_difference_errors_refuses_steps_and_points_that_would_give_nan_naming_the_argument(x, eps, error, match):
    """A NaN, infinite or missing step, a 2-D table of steps, text, or a NaN point is an error that names
    difference_errors and the argument, never an array of NaN with a RuntimeWarning."""
    with pytest.raises(error, match=r"^difference_errors: " + match):
        difference_errors(np.exp, np.exp, x, eps)


# ---------------------------------------------------------------- gradcheck


@given(floats_arrays(), floats_arrays(shape=(3,)))
def test_gradcheck_passes_on_correct_functions(x, y):
    """gradcheck is truthy (and says so) for functions built from the engine's correct ops."""
    result = gradcheck(lambda t: (t.tanh() * t).sum() + (t * t).mean(), x)
    assert result and result.passed and str(result).startswith("gradcheck passed")
    # Non-scalar output: contracted. mean, not sum: sum(x) could reach 144 and make
    # sigmoid(sum(x) * y) too steep for eps = 1e-4 (third derivative ~ 144**3 / 10).
    result = gradcheck(lambda a, b: (a.mean() * b).sigmoid(), x, y)
    assert result and len(result.inputs) == 2


@given(floats_arrays(shape=shapes(min_dims=1), min_value=0.5, max_value=3.0))
def test_gradcheck_fails_on_a_wrong_backward_and_reports_input_worst_element_and_both_values(x):
    """A wrong backward (x instead of 2x): falsy result; str names input 0, the worst element and both values there."""
    result = gradcheck(lambda t: wrong_square(t).sum(), x)
    assert not result and not result.passed
    (check,) = result.inputs
    # The error |x - 2x| = |x| is largest where |x| is (up to the ~1e-11 error of
    # the central difference, which may break a near-tie either way).
    assert len(check.worst_element) == x.ndim
    assert np.abs(x)[check.worst_element] >= np.abs(x).max() - 1e-9
    analytic, numerical = check.analytic[check.worst_element], check.numerical[check.worst_element]
    assert analytic == x[check.worst_element]
    np.testing.assert_allclose(numerical, 2 * x[check.worst_element], rtol=1e-8)
    text = str(result)
    assert text.startswith("gradcheck FAILED")
    assert "input 0" in text and "MISMATCH" in text
    assert str(check.worst_element) in text
    assert repr(float(analytic)) in text and repr(float(numerical)) in text


def test_gradcheck_names_the_failing_input_among_several():
    """With two inputs and only the second one's gradient wrong, the report says input 0 ok, input 1 MISMATCH."""
    result = gradcheck(lambda a, b: (a * 3.0).sum() + wrong_square(b).sum(), np.array([1.0, 2.0]), np.array([0.5]))
    assert not result
    assert [c.passed for c in result.inputs] == [True, False]
    assert "input 0: ok" in str(result) and "input 1: MISMATCH" in str(result)


def test_gradcheck_leaves_its_inputs_unchanged():
    """gradcheck copies the point it checks at."""
    x = np.array([0.3, -1.2, 2.0])
    before = x.copy()
    gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(x, before)


def test_gradcheck_rejects_functions_that_do_not_return_a_tensor():
    """f must return a Tensor."""
    with pytest.raises(TypeError, match="Tensor"):
        gradcheck(lambda t: 1.0, np.ones(2))


def test_assert_gradients_match_raises_assertion_error_with_the_report():
    """assert_gradients_match raises AssertionError naming the function and the gradcheck report; passes otherwise."""

    def sum_of_wrong_squares(t):
        return wrong_square(t).sum()

    with pytest.raises(AssertionError, match=r"(?s)sum_of_wrong_squares.*input 0: MISMATCH; worst element \(1,\)"):
        assert_gradients_match(sum_of_wrong_squares, np.array([1.0, 2.0]))
    assert assert_gradients_match(lambda t: (t * t).sum(), np.array([1.0, 2.0]))


# ---------------------------------------------------------------- norm_ratio


nonzero_vectors = floats_arrays(shape=(4,)).filter(lambda a: np.linalg.norm(a) > 1e-3)


@given(nonzero_vectors)
def test_norm_ratio_is_zero_for_equal_gradients_and_one_against_zero(a):
    """norm(g - n) / norm(g + n): 0 when g == n, 1 when one of them is 0."""
    assert norm_ratio(a, a) == 0.0
    assert norm_ratio(a, np.zeros_like(a)) == 1.0
    assert norm_ratio(np.zeros_like(a), a) == 1.0


def test_norm_ratio_of_two_zero_gradients_is_zero_and_of_opposite_ones_is_infinite():
    """Both zero: 0 (they agree); g = -n != 0: the denominator vanishes, the ratio is inf."""
    assert norm_ratio(np.zeros(3), np.zeros(3)) == 0.0
    assert norm_ratio(np.array([1.0, -2.0]), np.array([-1.0, 2.0])) == float("inf")


@given(nonzero_vectors, nonzero_vectors, st.floats(1e-3, 1e3))
def test_norm_ratio_is_symmetric_scale_invariant_and_at_most_one_for_aligned_gradients(a, b, scale):
    """norm_ratio(a, b) = norm_ratio(b, a) = norm_ratio(s a, s b); it is <= 1 exactly when a . b >= 0."""
    r = norm_ratio(a, b)
    assert r == norm_ratio(b, a)
    # Scaling multiplies both norms by s: equal up to a few roundings (rtol), except that
    # components below ~1e-154 underflow when squared inside the norms, which can move
    # the ratio by about their size relative to the vectors (>= 1e-3 here): atol 1e-12.
    np.testing.assert_allclose(norm_ratio(scale * a, scale * b), r, rtol=1e-12, atol=1e-12)
    # |a - b|^2 - |a + b|^2 = -4 a.b: the sign of a . b decides; skip the rounding-sized band around 0.
    dot = float(a @ b)
    if abs(dot) > 1e-9 * np.linalg.norm(a) * np.linalg.norm(b):
        assert (r <= 1.0) == (dot > 0)


def test_norm_ratio_flattens_any_shape():
    """Gradients of any shape are compared as flat vectors."""
    a = np.arange(6.0).reshape(2, 3)
    assert norm_ratio(a, a + 1.0) == norm_ratio(a.ravel(), a.ravel() + 1.0)
