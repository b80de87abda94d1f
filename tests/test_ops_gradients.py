"""Every op's backward rule against central differences, on Hypothesis-generated shapes and values.

Tolerances (used throughout this file): ``eps = 1e-4``, ``rtol = 1e-5``, ``atol = 1e-6``.

The inputs come from :func:`tinygrad_nnd.testing.op_inputs`: values in [-3, 3],
kept away from poles and kinks by at least 0.25 (log, div, negative and
fractional powers) or 1e-3 (relu). The central difference then has

- truncation error ``eps**2 / 6 * |f'''|``: relative to the derivative it is
  ``eps**2 / 6 * |f''' / f'|``, at most ~1e-9 for exp/tanh/sigmoid and
  ``eps**2 / 6 * 20 / 0.25**2 ~ 5e-7`` for the steepest case (``a**-3`` at
  ``a = 0.25``): 20x below rtol;
- rounding error ``~1e-16 * |f| / eps``: the contracted scalar ``sum(w * op(x))``
  is at most ~64 elements * 3 * 100 ~ 2e4, so ~2e-8, 50x below atol; atol also
  covers derivatives that are (nearly) 0, where a relative bound means nothing.

A wrong backward rule (a missing factor 2, a sign, a transposed or unsummed
gradient) is off by a relative error of order one, which these bounds catch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import OPS, Tensor, enable_grad, gradients, hvp, maximum, minimum, numerical_gradient
from tinygrad_nnd.engine import apply
from tinygrad_nnd.engine.ops import Pow, Where
from tinygrad_nnd.testing import OP_INPUT_STRATEGIES, OpCase, axes_for, floats_arrays, op_inputs, shapes

EPS, RTOL, ATOL = 1e-4, 1e-5, 1e-6
OP_NAMES = sorted(OPS)


def test_testing_module_has_input_strategies_for_exactly_the_registered_ops():
    """A new op in OPS without a strategy in testing.py (or a stale strategy) fails here."""
    assert set(OP_INPUT_STRATEGIES) == set(OPS)


def draw_case_and_weights(data: st.DataObject, name: str) -> tuple[OpCase, np.ndarray]:
    """An op case and a weight array ``w`` of its output's shape, for the VJP ``sum(w * op(x))``."""
    case = data.draw(op_inputs(name), label="case")
    weights = data.draw(floats_arrays(case.forward().shape), label="weights")
    return case, weights


def numerical_vjp(case: OpCase, weights: np.ndarray, i: int, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    """Central differences of ``x_i -> sum(weights * op(..., x_i, ...))``, in plain NumPy."""

    def contracted(x_i: np.ndarray) -> float:
        arrays = tuple(x_i if j == i else a for j, a in enumerate(inputs))
        return float(np.sum(weights * case.forward(*arrays)))

    return numerical_gradient(contracted, inputs[i], EPS)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_backward_rule_equals_central_differences(name, data):
    """For every op: the VJP from backpropagation equals central differences of sum(w * op(x))."""
    case, weights = draw_case_and_weights(data, name)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in case.inputs]
    out = case.apply(*tensors)
    assert out.shape == case.forward().shape
    analytic = gradients(out, tensors, grad_output=weights)
    for i, (x, g) in enumerate(zip(case.inputs, analytic)):
        assert g.shape == x.shape, f"input {i}: gradient shape {g.shape} != input shape {x.shape}"
        np.testing.assert_allclose(
            g, numerical_vjp(case, weights, i, case.inputs), rtol=RTOL, atol=ATOL, err_msg=f"{name}: input {i}"
        )


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=20)  # plumbing, not math: fewer examples suffice
@given(data=st.data())
def test_backward_into_grad_equals_gradients_function(name, data):
    """For every op: Tensor.backward(w) puts into .grad the same values as gradients(out, inputs, w)."""
    case, weights = draw_case_and_weights(data, name)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in case.inputs]
    out = case.apply(*tensors)
    expected = gradients(out, tensors, grad_output=weights)
    out.backward(weights)
    for t, g in zip(tensors, expected):
        assert t.grad is not None and t.grad.shape == t.shape
        np.testing.assert_array_equal(t.grad, g)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=30)
@given(data=st.data())
def test_create_graph_backward_gives_the_same_first_order_gradient(name, data):
    """For every op: the backward rule run on Tensors (create_graph=True) gives the values it gives on arrays.

    The rules are duck-typed: this checks that each one also works on Tensors.
    Both compute the same arithmetic in the same order, so the results agree to
    rounding (rtol 1e-12).
    """
    case, weights = draw_case_and_weights(data, name)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in case.inputs]
    plain = gradients(case.apply(*tensors), tensors, grad_output=weights)
    graphed = gradients(case.apply(*tensors), tensors, grad_output=weights, create_graph=True)
    for g, gt in zip(plain, graphed):
        assert isinstance(gt, Tensor)
        np.testing.assert_allclose(gt.data, g, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=20)
@given(data=st.data())
def test_second_order_vjp_equals_central_differences_of_the_gradient(name, data):
    """For every op: d/dx_j of sum_i(u_i . dL/dx_i), by a second backward pass, equals central differences.

    ``L = sum(w * op(x))``, ``u_i`` random directions. The differentiated
    quantity is itself a gradient of a well-conditioned input, so the same
    eps/rtol/atol analysis applies one derivative higher (for ``a**-3`` at
    0.25 the relative truncation error is ``eps**2 / 6 * 30 / 0.25**2 ~ 8e-7``).
    """
    case, weights = draw_case_and_weights(data, name)
    directions = [data.draw(floats_arrays(a.shape), label=f"u{i}") for i, a in enumerate(case.inputs)]

    def directional(arrays: tuple[np.ndarray, ...], create_graph: bool):
        with enable_grad():  # numerical_gradient evaluates under no_grad
            tensors = [Tensor(a, requires_grad=True) for a in arrays]
            grads = gradients(case.apply(*tensors), tensors, grad_output=weights, create_graph=create_graph)
            total = sum(((g * u).sum() for g, u in zip(grads, directions)), Tensor(0.0))
        return tensors, total

    tensors, total = directional(tuple(a.copy() for a in case.inputs), create_graph=True)
    second = gradients(total, tensors)
    for j, (x, h) in enumerate(zip(case.inputs, second)):
        assert h.shape == x.shape

        def f_j(x_j: np.ndarray, j=j) -> float:
            arrays = tuple(x_j if k == j else a for k, a in enumerate(case.inputs))
            return float(directional(arrays, create_graph=False)[1].data)

        np.testing.assert_allclose(
            h, numerical_gradient(f_j, x, EPS), rtol=RTOL, atol=ATOL, err_msg=f"{name}: input {j}"
        )


def test_pow_zero_exponent_has_zero_gradient_at_zero():
    """d/da (a ** 0) = 0 at every a, 0 included (a ** 0 is the constant 1, as NumPy has it)."""
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    apply(Pow(0.0), x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_second_derivative_of_first_power_is_zero_at_zero():
    """d2/dx2 (x ** 1) = 0, also at x = 0: hvp of sum(x ** 1) is 0."""
    np.testing.assert_array_equal(hvp(lambda x: (x**1).sum())(np.array([0.0, 1.0]), np.ones(2)), [0.0, 0.0])


def test_transpose_with_negative_axes_has_the_transposed_gradient():
    """x.transpose((-1, 0)) is x.T, so its VJP with g is g.T (negative axes count from the end, as in NumPy)."""
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.transpose((-1, 0))
    np.testing.assert_array_equal(y.data, x.data.T)
    g = np.arange(6.0).reshape(3, 2)
    (gx,) = gradients(y, [x], grad_output=g)
    np.testing.assert_array_equal(gx, g.T)


# ---------------------------------------------------------------- what the rules return for constants


@pytest.mark.parametrize("name", sorted(n for n in OPS if OPS[n].n_inputs != 1))
@settings(max_examples=10)  # plumbing of needs_input_grad: the values are checked by the tests above
@given(data=st.data())
def test_a_rule_gives_an_input_that_needs_no_gradient_none_or_its_gradient(name, data):
    """For every op of several inputs, each pattern of needs_input_grad: an input that needs no gradient
    gets None (skipped work) or its gradient, nothing else; the inputs that need one get the same
    gradients as when every input needs one (the same arithmetic: compared exactly)."""
    case, weights = draw_case_and_weights(data, name)
    assume(len(case.inputs) >= 2)  # Hypothesis complains if the strategy never gives two inputs
    out = case.forward()
    everything = case.make_op()
    everything.needs_input_grad = (True,) * len(case.inputs)
    full = everything.backward(weights, out, *case.inputs)
    for skipped in range(len(case.inputs)):
        op = case.make_op()
        op.needs_input_grad = tuple(i != skipped for i in range(len(case.inputs)))
        got = op.backward(weights, out, *case.inputs)
        assert len(got) == len(case.inputs)
        for i, (g, expected) in enumerate(zip(got, full)):
            if i == skipped and g is None:
                continue
            assert isinstance(g, np.ndarray | np.generic), f"{name}: input {i} got {g!r}"
            np.testing.assert_array_equal(g, expected, strict=True, err_msg=f"{name}: input {i}")


# ---------------------------------------------------------------- kinks, ties and the edges of domains

#: Elements for arrays full of ties and zeros: the kinks of abs and relu, the bounds of clip(-1, 2),
#: tied maxima and minima, maximum(a, b) at a == b.
KINKED = hnp.arrays(np.float64, shapes(min_dims=1), elements=st.sampled_from([-1.0, 0.0, 2.0]))


@settings(max_examples=30)
@given(a=KINKED, data=st.data())
def test_rules_on_tensors_give_the_rules_on_arrays_gradient_at_kinks_and_ties(a, data):
    """At a kink or a tie, the create_graph rules (written with steps, so that a compiled Hessian
    recomputes its masks) follow the same convention as the array rules: |x| and relu 0 at 0, clip
    passes on its bounds, tied maxima and minima share evenly, maximum(a, b) gives 1/2 each at a == b.
    The same values in the same order of operations: equal to rounding (rtol 1e-12, as above)."""
    b = data.draw(hnp.arrays(np.float64, a.shape, elements=st.sampled_from([-1.0, 0.0, 2.0])), label="b")
    axis = data.draw(axes_for(a.ndim), label="axis")
    functions = {
        "abs": lambda t: t.abs(),
        "relu": lambda t: t.relu(),
        "clip": lambda t: t.clip(-1.0, 2.0),
        "clip below": lambda t: t.clip(a_min=0.0),
        "clip above": lambda t: t.clip(a_max=0.0),
        "max": lambda t: t.max(axis=axis),
        "min": lambda t: t.min(axis=axis, keepdims=True),
        "maximum": lambda t: maximum(t, b),
        "minimum": lambda t: minimum(b, t),
    }
    for what, f in functions.items():
        x = Tensor(a, requires_grad=True)
        out = f(x)
        weights = data.draw(floats_arrays(out.shape), label=f"weights for {what}")
        (plain,) = gradients(f(x), [x], grad_output=weights)
        (graphed,) = gradients(f(x), [x], grad_output=weights, create_graph=True)
        np.testing.assert_allclose(graphed.data, plain, rtol=1e-12, atol=0, err_msg=what)


def test_square_root_has_an_infinite_slope_at_zero_without_a_warning():
    """d sqrt(x)/dx = 1 / (2 sqrt(x)) is +inf at 0 (the curve is vertical there): the gradient says so,
    and dividing by zero there is expected, not worth a warning."""
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (g,) = gradients(x.sqrt().sum(), [x])
    np.testing.assert_array_equal(g, [np.inf, 0.25])


@pytest.mark.parametrize(
    "condition",
    [np.array([2, 0, -1, 0]), np.array([0.5, 0.0, -3.0, 0.0]), [1, 0, 1, 0]],
    ids=["int", "float", "list"],
)
def test_where_takes_any_condition_by_its_truth_values(condition):
    """Where(condition) reads the condition as np.where does, nonzero meaning true: the value is a where
    the condition holds, and so is the gradient (w there, 0 elsewhere); b gets the rest."""
    a, b, w = np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, -2.0, -3.0, -4.0]), np.array([5.0, 6.0, 7.0, 8.0])
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = apply(Where(condition), ta, tb)
    truth = np.asarray(condition) != 0
    np.testing.assert_array_equal(out.data, np.where(condition, a, b), strict=True)
    ga, gb = gradients(out, [ta, tb], grad_output=w)
    np.testing.assert_array_equal(ga, np.where(truth, w, 0.0), strict=True)
    np.testing.assert_array_equal(gb, np.where(truth, 0.0, w), strict=True)
