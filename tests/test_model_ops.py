"""The ops a small model needs (maximum/minimum, where, abs, sqrt, clip, concatenate/stack,
expand_dims/squeeze, max/min, logsumexp, softmax, log_softmax, softmax_cross_entropy): what the
registry-wide property tests do not cover — ties, the whole float64 range, agreement with SciPy,
and errors. Their backward rules are checked against central differences (first and second
order) for every op in ``tests/test_ops_gradients.py``.

Tolerances: comparisons with SciPy/NumPy formulas of the same quantity differ by rounding in a
few operations: rtol 1e-12 (hundreds of ulps). Gradients of piecewise-linear ops (shares 1, 1/2,
1/k) are exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import (
    Tensor,
    clip,
    concatenate,
    expand_dims,
    gradients,
    hvp,
    log_softmax,
    logsumexp,
    maximum,
    minimum,
    softmax,
    softmax_cross_entropy,
    sqrt,
    squeeze,
    stack,
    where,
)
from tinygrad_nnd import functions as F
from tinygrad_nnd.testing import axes_for, floats_arrays, shapes

# Finite float64 numbers up to 1e300 in size, of both signs, with the extremes frequent.
HUGE = 1e300
huge_values = st.one_of(
    st.sampled_from([HUGE, -HUGE, 0.0, 1.0, -1.0]),
    st.floats(-HUGE, HUGE, allow_nan=False, allow_infinity=False),
)


def grad_of(f, x):
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    (g,) = gradients(f(t), [t])
    return g


# ---------------------------------------------------------------- ties


@given(st.integers(1, 5), st.floats(-3, 3), st.sampled_from(["max", "min"]))
def test_tied_extrema_share_the_gradient_evenly(k, x, which):
    """max/min of k equal copies of x gives each copy 1/k: the gradient of the value x itself is 1."""
    g = grad_of(lambda t: getattr(t, which)(), np.full(k, x))
    np.testing.assert_array_equal(g, np.full(k, 1.0 / k))


@given(hnp.arrays(np.float64, shapes(min_dims=1), elements=st.sampled_from([-1.0, 0.0, 2.0])), st.data())
def test_max_gradient_sums_to_one_per_group_and_lies_on_the_maxima(a, data):
    """For any axis, each reduced group's gradient adds up to 1 and is 0 off its maximal elements (repeats common)."""
    axis = data.draw(axes_for(a.ndim))
    g = grad_of(lambda t: t.max(axis=axis).sum(), a)
    np.testing.assert_allclose(np.sum(g, axis=axis), 1.0, rtol=1e-15)
    assert np.all(g[a != np.max(a, axis=axis, keepdims=True)] == 0)


@given(st.floats(-3, 3))
def test_maximum_and_minimum_of_a_tie_split_evenly(x):
    """maximum(a, b) and minimum(a, b) at a == b give each input 1/2; maximum(x, x) has the gradient 1."""
    a, b = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    for op in (maximum, minimum):
        assert [float(g) for g in gradients(op(a, b), [a, b])] == [0.5, 0.5]
    assert float(grad_of(lambda t: maximum(t, t), x)) == 1.0


def test_abs_has_gradient_zero_at_zero_and_the_sign_elsewhere():
    """d|x|/dx = sign(x), 0 at 0 (JAX's and PyTorch's convention)."""
    np.testing.assert_array_equal(grad_of(lambda t: t.abs().sum(), [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])


def test_clip_passes_the_gradient_inside_and_on_the_bounds():
    """clip(x, -1, 1): gradient 1 for -1 <= x <= 1 (bounds included), 0 outside; a None bound is no bound."""
    x = [-2.0, -1.0, 0.0, 1.0, 2.0]
    np.testing.assert_array_equal(grad_of(lambda t: t.clip(-1.0, 1.0).sum(), x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(grad_of(lambda t: t.clip(a_max=1.0).sum(), x), [1, 1, 1, 1, 0])
    np.testing.assert_array_equal(clip(x, a_min=0.0).data, np.clip(x, 0.0, None))


# ---------------------------------------------------------------- forward values


@given(floats_arrays(shapes(min_dims=1)), st.data())
def test_forward_values_equal_numpy_and_scipy(a, data):
    """Each op's forward equals its NumPy/SciPy namesake on moderate inputs."""
    axis = data.draw(axes_for(a.ndim))
    t = Tensor(a)
    np.testing.assert_array_equal(t.max(axis=axis).data, np.max(a, axis=axis))
    np.testing.assert_array_equal(F.min(t, axis=axis, keepdims=True).data, np.min(a, axis=axis, keepdims=True))
    np.testing.assert_allclose(logsumexp(t, axis=axis).data, scipy.special.logsumexp(a, axis=axis), rtol=1e-12)
    np.testing.assert_allclose(softmax(t, axis=axis).data, scipy.special.softmax(a, axis=axis), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        log_softmax(t, axis=axis).data, scipy.special.log_softmax(a, axis=axis), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_array_equal(F.abs(t).data, np.abs(a))
    np.testing.assert_array_equal(sqrt(np.abs(a)).data, np.sqrt(np.abs(a)))
    np.testing.assert_array_equal(where(a > 0, t, -t).data, np.abs(a))
    np.testing.assert_array_equal(maximum(t, 0.5).data, np.maximum(a, 0.5))
    np.testing.assert_array_equal(minimum(0.5, t).data, np.minimum(0.5, a))
    np.testing.assert_array_equal(concatenate([t, a], axis=-1).data, np.concatenate([a, a], axis=-1))
    np.testing.assert_array_equal(stack([t, a], axis=1).data, np.stack([a, a], axis=1))
    np.testing.assert_array_equal(squeeze(expand_dims(t, 0), 0).data, a)


# ---------------------------------------------------------------- the whole float64 range


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), elements=huge_values))
def test_softmax_family_is_finite_and_warning_free_up_to_1e300(a):
    """softmax, log_softmax, logsumexp and the cross-entropy, and their gradients, are finite for |x| <= 1e300.

    softmax sums to 1 along the axis, log_softmax <= 0, logsumexp lies in [max, max + log n].
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or invalid-value warning fails the test
        t = Tensor(a, requires_grad=True)
        p, lp, lse = t.softmax(), t.log_softmax(), t.logsumexp(axis=-1)
        labels = np.zeros_like(a)
        labels[..., 0] = 1.0
        ce = t.softmax_cross_entropy(labels)
        for y in (p, lp, lse, ce):
            assert np.all(np.isfinite(y.data))
            (g,) = gradients(y, [t], grad_output=np.ones(y.shape))
            assert np.all(np.isfinite(g))
    np.testing.assert_allclose(p.data.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(lp.data <= 0)
    m = a.max(axis=-1)
    assert np.all(lse.data >= m) and np.all(lse.data <= m + np.log(a.shape[-1]) * (1 + 1e-12) + np.abs(m) * 1e-15)


def test_softmax_family_at_plus_and_minus_1e300_gives_the_limits():
    """At [1e300, -1e300]: softmax [1, 0], log_softmax [0, -2e300], logsumexp 1e300, cross-entropy 0 or 2e300."""
    a = np.array([1e300, -1e300])
    np.testing.assert_array_equal(softmax(a).data, [1.0, 0.0])
    np.testing.assert_array_equal(log_softmax(a).data, [0.0, -2e300])
    assert float(logsumexp(a)) == 1e300
    assert float(softmax_cross_entropy(a, [1.0, 0.0])) == 0.0
    assert float(softmax_cross_entropy(a, [0.0, 1.0])) == 2e300


def test_logsumexp_of_all_minus_infinity_is_minus_infinity_without_warning():
    """log(sum(exp(-inf))) = log(0) = -inf: the correct limit, not NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(logsumexp([-np.inf, -np.inf])) == -np.inf


# ---------------------------------------------------------------- the cross-entropy


@given(floats_arrays((4, 3)), st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_softmax_cross_entropy_with_one_hot_labels_has_gradient_softmax_minus_labels(logits, classes):
    """For one-hot labels: value -log(p[class]) per row, and gradient p - labels (the classic result)."""
    labels = np.eye(3)[classes]
    t = Tensor(logits, requires_grad=True)
    per_row = t.softmax_cross_entropy(labels)
    p = scipy.special.softmax(logits, axis=1)
    np.testing.assert_allclose(per_row.data, -np.log(p[np.arange(4), classes]), rtol=1e-12)
    (g,) = gradients(per_row.sum(), [t])
    np.testing.assert_allclose(g, p - labels, rtol=1e-12, atol=1e-16)


@given(floats_arrays((3,)), floats_arrays((3,)))
def test_hessian_of_logsumexp_is_diag_p_minus_p_p_transposed(x, v):
    """hvp of logsumexp is (diag(p) - p p^T) v with p = softmax(x): second derivatives through the new rules."""
    p = scipy.special.softmax(x)
    expected = p * v - p * (p @ v)
    # Both sides: a handful of roundings of terms of size <= max|v| = 3.
    np.testing.assert_allclose(hvp(lambda t: t.logsumexp())(x, v), expected, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: sqrt([-1.0, 4.0]), ValueError, r"sqrt: .*negative.*-1"),
        (lambda: clip([1.0], 2.0, 1.0), ValueError, r"clip: a_min 2.0 is greater than a_max 1.0"),
        (lambda: clip([1.0], [0.0, 1.0]), TypeError, r"clip: a_min must be a constant number"),
        (lambda: concatenate([np.ones((2, 2)), np.ones((2, 3))]), ValueError, r"concatenate.*\(2, 2\) and \(2, 3\)"),
        (lambda: concatenate(np.ones(2)), TypeError, r"concatenate: give a list or tuple"),
        (lambda: stack([]), ValueError, r"stack: needs at least one"),
        (lambda: stack([np.ones(2), np.ones(3)]), ValueError, r"stack.*\(2,\) and \(3,\)"),
        (lambda: squeeze(np.ones((2, 1)), 0), ValueError, r"squeeze.*\(2, 1\)"),
        (
            lambda: softmax_cross_entropy(np.ones((2, 3)), np.ones((2, 2))),
            ValueError,
            r"softmax_cross_entropy: logits of shape \(2, 3\) and labels of shape \(2, 2\)",
        ),
        (lambda: where("yes", 1.0, 2.0), TypeError, r"where: the condition"),
        (lambda: maximum(np.ones(2), np.ones(3)), ValueError, r"maximum: shapes \(2,\) and \(3,\) cannot be broadcast"),
        (
            lambda: where(np.ones(4) > 0, np.ones(2), 1.0),
            ValueError,
            r"where: the condition of shape \(4,\) and values of shapes \(2,\) and \(\) cannot be broadcast",
        ),
    ],
)
def test_bad_input_is_a_clear_error_naming_the_op(make, error, pattern):
    """Each new op refuses bad input with a message that names the op and what was wrong."""
    with pytest.raises(error, match=pattern):
        make()


def test_concatenate_and_stack_give_each_input_its_own_gradient():
    """Inputs of different lengths get their own slice of the gradient; a constant input gets none."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    weights = np.array([10.0, 20.0, 30.0, 40.0])
    ga, gb = gradients(concatenate([a, b, [0.0]]), [a, b], grad_output=weights)
    np.testing.assert_array_equal(ga, [10.0, 20.0])
    np.testing.assert_array_equal(gb, [30.0])
    ga, gb = gradients(stack([a, a * 2.0], axis=1), [a, b], grad_output=np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(ga, [1.0 + 4.0, 3.0 + 8.0])
    np.testing.assert_array_equal(gb, [0.0])


# ---------------------------------------------------------------- compiled


@pytest.mark.parametrize(
    "f",
    [
        lambda t: (t.abs() * t).sum(),
        lambda t: (maximum(t, 0.0) * t).sum(),
        lambda t: (minimum(t, 0.0) * t).sum(),
        lambda t: (t.clip(-0.5, 0.5) * t).sum(),
        lambda t: t.max() * t.sum(),
        lambda t: t.min() * t.sum(),
        lambda t: (t.softmax() * t).sum() + t.logsumexp() * t.log_softmax().sum(),
    ],
    ids=["abs", "maximum", "minimum", "clip", "max", "min", "softmax family"],
)
def test_compiled_hvp_recomputes_masks_at_each_new_point(f):
    """jit(f).hvp traced at one x gives eager's hvp at another x whose signs and maxima differ (no mask is frozen)."""
    from tinygrad_nnd import jit

    compiled = jit(f)
    x1, x2, v = np.array([1.0, -2.0, 0.25]), np.array([-1.0, 2.0, -0.25]), np.array([0.5, 1.0, -1.5])
    compiled.hvp(x1, v)  # traced here
    # The same NumPy operations in the same order: equal to rounding (1e-12, as tests/test_jit.py).
    np.testing.assert_allclose(compiled.hvp(x2, v), hvp(f)(x2, v), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(compiled.grad(x2), grad_of(f, x2), rtol=1e-12, atol=1e-300)
