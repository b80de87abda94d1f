"""The functional API (grad, value_and_grad, gradients, hvp), higher-order derivatives, and SciPy.

Tolerances: comparisons with central differences use ``eps``/``h = 1e-4``,
``rtol = 1e-5``, ``atol = 1e-6`` (the analysis of ``tests/test_ops_gradients.py``:
truncation ~``h**2 / 6 * |f''''|`` ~1e-8 and rounding ~``1e-16 * |grad| / h``
~1e-11 for inputs in [-3, 3]); two analytic forms of one quantity agree to
rounding (``rtol = 1e-12`` or less strict where cancellation is explained).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nnd import Tensor, grad, gradients, hvp, numerical_gradient, value_and_grad
from tinygrad_nnd.testing import floats_arrays, shapes, values

H, RTOL, ATOL = 1e-4, 1e-5, 1e-6

# Composite scalar functions of a vector x of length 3 (constants fixed so the tests are reproducible).
MATRIX = np.array([[1.0, -0.5, 0.25], [0.3, 2.0, -1.0], [-0.7, 0.1, 0.5]])


def f_sigmoid(x):
    return (x.sigmoid() * x).sum()


def f_tanh(x):
    return (x.tanh() * x.tanh()).sum() + x.tanh().sum()


def f_exp(x):
    return (x * 0.5).exp().sum() + (x * x).exp().mean()


def f_products(x):
    return x[0] * x[1] * x[2] + x[0] * x[0] * x[1]


def f_dot(x):
    return (MATRIX @ x).tanh() @ x + x @ MATRIX @ x


COMPOSITES = [f_sigmoid, f_tanh, f_exp, f_products, f_dot]


# ---------------------------------------------------------------- grad and value_and_grad


@given(floats_arrays(shapes(min_dims=1)))
def test_value_and_grad_returns_float_value_and_gradient_of_x_shape(x):
    """value_and_grad(f)(x) is (a Python float equal to f(x), an ndarray of x's shape equal to central differences)."""

    def f(t):
        return (t.sigmoid() * t * t).sum()

    value, g = value_and_grad(f)(x)
    assert type(value) is float
    assert value == float(f(Tensor(x)).data)
    assert isinstance(g, np.ndarray) and g.shape == x.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, numerical_gradient(lambda a: f(Tensor(a)), x, H), rtol=RTOL, atol=ATOL)


@given(floats_arrays(shapes(min_dims=1)))
def test_grad_equals_the_closed_form_and_the_gradient_part_of_value_and_grad(x):
    """grad(f)(x) of f = sum(tanh(x) x) is tanh(x) + x (1 - tanh(x)**2), the ndarray value_and_grad(f)(x) returns second."""

    def f(t):
        return (t.tanh() * t).sum()

    g = grad(f)(x)
    assert isinstance(g, np.ndarray) and g.shape == x.shape
    tanh = np.tanh(x)
    # Both terms have the sign of x (no cancellation): rounding only, rtol 1e-12 as above.
    np.testing.assert_allclose(g, tanh + x * (1.0 - tanh**2), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(g, value_and_grad(f)(x)[1])


def test_grad_of_a_0d_input_is_a_0d_ndarray():
    """grad(f)(x) of a 0-d x is an ndarray of shape (), as documented ("an ndarray of x's shape")."""
    g = grad(lambda t: t * t)(np.array(3.0))
    assert isinstance(g, np.ndarray), f"got {type(g).__name__}"
    assert g.shape == () and g == 6.0
    _, g = value_and_grad(lambda t: t * t)(np.array(3.0))
    assert isinstance(g, np.ndarray), f"got {type(g).__name__}"


def test_grad_accepts_lists_and_ints_and_passes_extra_args_through():
    """grad(f)(x, a, b) calls f(Tensor(x), a, b); x may be a list of ints."""

    def f(t, scale, shift):
        return ((t - shift) * (t - shift) * scale).sum()

    np.testing.assert_array_equal(grad(f)([1, 2], 3.0, 1.0), [0.0, 6.0])
    value, g = value_and_grad(f)([1, 2], 3.0, 1.0)
    assert value == 3.0
    np.testing.assert_array_equal(g, [0.0, 6.0])


def test_grad_of_a_function_returning_a_non_scalar_raises_value_error():
    """grad is only defined for scalar-valued functions."""
    with pytest.raises(ValueError, match=r"scalar"):
        grad(lambda t: t * 2.0)(np.ones(3))


def test_grad_of_a_function_returning_a_non_tensor_raises_type_error():
    """f must return a Tensor built from its argument."""
    with pytest.raises(TypeError, match=r"Tensor"):
        grad(lambda t: 1.0)(np.ones(3))


def test_gradients_returns_fresh_writable_arrays():
    """The arrays gradients() and grad() return are the caller's: writable, aliasing neither the seed nor each other."""
    g = grad(lambda t: t.sum())(np.ones(3))
    assert g.flags.writeable, "grad(lambda x: x.sum()) returned a read-only array"
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    seed = np.array([1.0, 2.0])
    ga, gb = gradients(a + b, [a, b], grad_output=seed)
    assert not np.shares_memory(ga, gb), "both inputs of add got the same gradient array"
    assert not np.shares_memory(ga, seed), "the gradient is the seed array itself"


# ---------------------------------------------------------------- higher order


@pytest.mark.parametrize("f", COMPOSITES, ids=lambda f: f.__name__)
@settings(max_examples=30)
@given(x=floats_arrays(shape=(3,)), v=floats_arrays(shape=(3,)))
def test_hvp_equals_central_differences_of_the_gradient(f, x, v):
    """hvp(f)(x, v) = (grad f(x + h v) - grad f(x - h v)) / 2h, for composites of sigmoid, tanh, exp, products, dot."""
    grad_f = grad(f)
    finite = (grad_f(x + H * v) - grad_f(x - H * v)) / (2 * H)
    result = hvp(f)(x, v)
    assert result.shape == x.shape
    # The directional step is h * v with |v| <= 3, so truncation is ~(3h)**2 / 6 * |f''''| ~ 1.5e-8 * |f''''|.
    np.testing.assert_allclose(result, finite, rtol=RTOL, atol=ATOL)


@given(floats_arrays(shape=shapes(min_dims=1), min_value=-20.0, max_value=20.0))
def test_hvp_of_sum_of_sigmoid_with_v_one_is_the_analytic_second_derivative(x):
    """sum(sigmoid(x)) has a diagonal Hessian: hvp with v = 1 is s (1 - s) (1 - 2 s) elementwise."""
    s = 1.0 / (1.0 + np.exp(-x))
    expected = s * (1.0 - s) * (1.0 - 2.0 * s)
    result = hvp(lambda t: t.sigmoid().sum())(x, np.ones_like(x))
    # The engine gets the same value as s(1-s)(1-s) - s*s(1-s), a difference of
    # two terms of size <= 0.25 that cancel near s = 1/2: rounding leaves an
    # absolute error of a few 1e-17 there (atol 1e-15); elsewhere rtol 1e-9.
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-15)


@given(values())
def test_backward_with_create_graph_fills_a_differentiable_grad_tensor(x):
    """backward(create_graph=True) on x**3 puts 3x**2 in grad_tensor, and d/dx of that is 6x."""
    t = Tensor(x, requires_grad=True)
    (t**3).backward(create_graph=True)
    assert isinstance(t.grad_tensor, Tensor) and t.grad_tensor.requires_grad
    np.testing.assert_allclose(t.grad_tensor.data, 3 * x**2, rtol=1e-14)
    np.testing.assert_array_equal(t.grad, t.grad_tensor.data)
    (second,) = gradients(t.grad_tensor, [t])
    np.testing.assert_allclose(second, 6 * x, rtol=1e-14)


@given(floats_arrays(shape=(2,)), floats_arrays(shape=(2,)))
def test_hvp_matches_the_exact_hessian_of_a_cubic(x, v):
    """f = x0^2 x1 + x1^3 has H = [[2 x1, 2 x0], [2 x0, 6 x1]]; hvp gives H @ v (rounding only)."""
    x0, x1 = x
    hessian = np.array([[2 * x1, 2 * x0], [2 * x0, 6 * x1]])
    result = hvp(lambda t: t[0] * t[0] * t[1] + t[1] ** 3)(x, v)
    np.testing.assert_allclose(result, hessian @ v, rtol=1e-12, atol=1e-12)


def test_hvp_of_a_linear_function_is_zero_and_checks_the_vector_shape():
    """A linear f has Hessian 0; v must have x's shape."""
    np.testing.assert_array_equal(hvp(lambda t: (t * 3.0).sum())(np.ones(3), np.ones(3)), np.zeros(3))
    with pytest.raises(ValueError, match="hvp"):
        hvp(lambda t: (t * t).sum())(np.ones(3), np.ones(2))


# ---------------------------------------------------------------- SciPy


def rosenbrock(x, a=1.0, b=100.0):
    """(a - x0)^2 + b (x1 - x0^2)^2, minimum 0 at (a, a^2)."""
    return (a - x[0]) ** 2 + b * (x[1] - x[0] ** 2) ** 2


def rosenbrock_sliced(x):
    """The n-dimensional Rosenbrock function written with slices, minimum 0 at (1, ..., 1)."""
    return ((1.0 - x[:-1]) ** 2 + 100.0 * (x[1:] - x[:-1] ** 2) ** 2).sum()


X0 = np.array([-1.2, 1.0])


def test_scipy_bfgs_with_value_and_grad_converges_on_rosenbrock():
    """minimize(value_and_grad(f), x0, jac=True, method='BFGS') reaches Rosenbrock's minimum (1, 1)."""
    result = scipy.optimize.minimize(value_and_grad(rosenbrock), X0, jac=True, method="BFGS")
    assert result.success
    # BFGS stops at |grad| < gtol = 1e-5; near the minimum |x - x*| ~ |grad| / lambda_min(H) ~ 1e-5 / 0.4.
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-4)


@pytest.mark.parametrize("method", ["trust-ncg", "Newton-CG"])
def test_scipy_second_order_methods_with_hvp_converge_on_rosenbrock(method):
    """minimize(..., jac=True, hessp=hvp(f)) with trust-ncg and Newton-CG reaches (1, 1)."""
    result = scipy.optimize.minimize(value_and_grad(rosenbrock), X0, jac=True, hessp=hvp(rosenbrock), method=method)
    assert result.success
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-4)


def test_scipy_bfgs_on_sliced_rosenbrock_in_five_dimensions():
    """The slice-based n-dimensional Rosenbrock function minimises to (1, ..., 1)."""
    x0 = np.array([-1.0, 1.5, 0.5, -0.5, 1.2])
    result = scipy.optimize.minimize(value_and_grad(rosenbrock_sliced), x0, jac=True, method="BFGS")
    assert result.success
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-4)


@pytest.mark.parametrize("method", ["BFGS", "trust-ncg"])
@given(a=st.floats(-2.0, 2.0))
@settings(max_examples=5)
def test_scipy_args_pass_through_to_f_and_hvp(method, a):
    """args=(a, b) reach f (and hessp): the minimum moves to (a, a^2)."""
    kwargs = {"hessp": hvp(rosenbrock)} if method == "trust-ncg" else {}
    # gtol 1e-8, not SciPy's 1e-5: trust-ncg may report success with |grad| near 1e-4, and with the
    # Hessian's smallest eigenvalue down to 0.1 (a = +-2, b = 10) that leaves x up to 1e-3 off.
    # With 1e-8 the worst of 161 values of a in [-2, 2] is 1.3e-8 off, for both methods.
    options = {"gtol": 1e-8}
    result = scipy.optimize.minimize(
        value_and_grad(rosenbrock), X0, args=(a, 10.0), jac=True, method=method, options=options, **kwargs
    )
    assert result.success
    np.testing.assert_allclose(result.x, [a, a * a], atol=1e-6)
