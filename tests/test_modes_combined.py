"""The modes (no_grad, enable_grad, detect_anomaly) combined with each other and with higher-order derivatives.

Each mode is tested on its own elsewhere; here they meet: a second-order graph
asked for inside ``no_grad()``, a Hessian-vector product or a compiled graph
inside ``detect_anomaly()`` with finite values (where the checked code path
must give exactly what the unchecked one gives), nested blocks that must each
restore what they found.

Tolerances: the checked and unchecked paths run the same rules on the same
arrays, so they agree exactly. Closed forms computed by the engine in a
different order agree to rounding: ``rtol = 1e-12`` (values and derivatives
of order one, at most a few dozen terms).
"""

from __future__ import annotations

import numpy as np
import pytest
from compiled_graph import compiled
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nnd import (
    AnomalyError,
    NeuralNetwork,
    Tensor,
    detect_anomaly,
    enable_grad,
    gradients,
    hvp,
    is_grad_enabled,
    no_grad,
)
from tinygrad_nnd.engine.modes import state
from tinygrad_nnd.testing import floats_arrays, shapes

RTOL = 1e-12


def cubic(t: Tensor) -> Tensor:
    """f(x) = sum(x**3) / 3 + sum(x)**2 / 2: gradient x**2 + sum(x), Hessian diag(2x) + ones."""
    return (t * t * t).sum() / 3.0 + t.sum() * t.sum() / 2.0


def cubic_hvp(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    return 2.0 * x * v + v.sum()


def tanh_cost(t: Tensor) -> Tensor:
    """f(x) = sum(tanh(x) * x): a Hessian with no zero entries for x != 0, built from several ops."""
    return (t.tanh() * t).sum()


vectors = floats_arrays(shapes(min_dims=1, max_dims=1))


# ---------------------------------------------------------------- create_graph inside no_grad


@given(vectors)
def test_create_graph_inside_no_grad_still_records_the_second_order_graph(x):
    """gradients(y, [x], create_graph=True) inside no_grad() returns a gradient that can be differentiated
    again: the backward rules record their graph whatever the caller's mode (d/dx sum(x**2 + sum x) is
    2x + n)."""
    t = Tensor(x, requires_grad=True)
    y = cubic(t)
    with no_grad():
        (g,) = gradients(y, [t], create_graph=True)
        assert not is_grad_enabled()  # the mode the caller chose is back after the call
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, x**2 + x.sum(), rtol=RTOL, atol=1e-12)
    (h,) = gradients(g.sum(), [t])
    np.testing.assert_allclose(h, cubic_hvp(x, np.ones_like(x)), rtol=RTOL, atol=1e-12, strict=True)


@given(vectors)
def test_backward_with_create_graph_inside_no_grad_fills_a_differentiable_grad_tensor(x):
    """Tensor.backward(create_graph=True) inside no_grad(): grad_tensor carries a graph to x."""
    t = Tensor(x, requires_grad=True)
    y = cubic(t)
    with no_grad():
        y.backward(create_graph=True)
    assert t.grad_tensor is not None and t.grad_tensor.requires_grad
    (h,) = gradients(t.grad_tensor.sum(), [t])
    np.testing.assert_allclose(h, cubic_hvp(x, np.ones_like(x)), rtol=RTOL, atol=1e-12, strict=True)


@given(vectors, st.data())
def test_hvp_inside_no_grad_equals_hvp_outside_and_the_closed_form(x, data):
    """hvp records its own graphs: called inside no_grad() it gives the Hessian-vector product, not zeros."""
    v = data.draw(floats_arrays(x.shape), label="v")
    outside = hvp(cubic)(x, v)
    with no_grad():
        inside = hvp(cubic)(x, v)
    np.testing.assert_array_equal(inside, outside, strict=True)
    np.testing.assert_allclose(inside, cubic_hvp(x, v), rtol=RTOL, atol=1e-12, strict=True)


def test_enable_grad_inside_no_grad_records_and_no_grad_is_back_afterwards():
    """enable_grad() inside no_grad() records a graph; leaving it restores no_grad, leaving that restores recording."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            inner = x * 3.0
        after = x * 3.0
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert inner.requires_grad and inner.op is not None
    assert not after.requires_grad and after.op is None


def test_no_grad_inside_no_grad_leaves_recording_off_until_the_outer_block_ends():
    """Nested no_grad blocks: the inner one's exit restores the outer one's state (off), not on."""
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
        assert not (x * 2.0).requires_grad
    assert (x * 2.0).requires_grad


# ---------------------------------------------------------------- detect_anomaly with finite values


@given(vectors, st.data())
def test_hvp_inside_detect_anomaly_equals_hvp_outside_when_all_values_are_finite(x, data):
    """The checked backward path (create_graph=True, every rule's result checked) keeps the second-order
    graph: hvp inside detect_anomaly() equals hvp outside exactly, and the closed form to rounding."""
    v = data.draw(floats_arrays(x.shape), label="v")
    outside = hvp(tanh_cost)(x, v)
    with detect_anomaly():
        inside = hvp(tanh_cost)(x, v)
        inside_cubic = hvp(cubic)(x, v)
    np.testing.assert_array_equal(inside, outside, strict=True)
    np.testing.assert_allclose(inside_cubic, cubic_hvp(x, v), rtol=RTOL, atol=1e-12, strict=True)
    tanh = np.tanh(x)
    closed = (2.0 * (1.0 - tanh**2) * (1.0 - x * tanh)) * v  # d2/dx2 [tanh(x) x], diagonal
    np.testing.assert_allclose(
        inside, closed, rtol=1e-10, atol=1e-12
    )  # 3 rounded factors, a cancellation at x tanh x ~ 1


@given(vectors)
def test_create_graph_inside_detect_anomaly_gives_differentiable_gradients(x):
    """gradients(..., create_graph=True) inside detect_anomaly() returns Tensors with a graph, right values."""
    t = Tensor(x, requires_grad=True)
    with detect_anomaly():
        y = cubic(t)
        (g,) = gradients(y, [t], create_graph=True)
        assert g.requires_grad
        (h,) = gradients(g.sum(), [t])
    np.testing.assert_allclose(g.data, x**2 + x.sum(), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(h, cubic_hvp(x, np.ones_like(x)), rtol=RTOL, atol=1e-12, strict=True)


@given(vectors)
def test_backward_inside_detect_anomaly_with_finite_values_equals_backward_outside(x):
    """With finite values detect_anomaly changes nothing: .grad is exactly the unchecked one."""
    a, b = Tensor(x.copy(), requires_grad=True), Tensor(x.copy(), requires_grad=True)
    tanh_cost(a).backward()
    with detect_anomaly():
        tanh_cost(b).backward()
    np.testing.assert_array_equal(b.grad, a.grad, strict=True)


@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_the_compiled_network_inside_detect_anomaly_gives_what_it_gives_outside(seed, n_rows):
    """The compiled cost's checked forward and backward (finite values) give exactly the unchecked cost and gradients."""
    rng = np.random.default_rng(seed)
    N = NeuralNetwork(seed=seed % 1000)
    X, y = rng.random((n_rows, 2)), rng.random((n_rows, 1))
    J, gradient = N.cost_and_gradients(X, y)  # traces and compiles, then reuses the program below
    J_again, gradient_again = N.cost_and_gradients(X, y)
    with detect_anomaly():
        J_checked, gradient_checked = N.cost_and_gradients(X, y)
    assert J_checked == J == J_again
    np.testing.assert_array_equal(gradient_checked, gradient, strict=True)
    np.testing.assert_array_equal(gradient_again, gradient, strict=True)
    np.testing.assert_allclose(gradient_checked, N.compute_gradients_by_hand(X, y), rtol=1e-10)


def test_a_compiled_backward_anomaly_names_the_op_and_its_input_shapes():
    """An inf made by a rule in the compiled backward (sqrt at 0) raises, naming pow and the shape it read."""
    w = Tensor(np.ones(3), requires_grad=True)
    program = compiled((w**0.5).sum(), [w])
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^pow backward produced inf \(input shapes \(3,\)\)$"):
        program([np.array([1.0, 0.0, 4.0])])


def test_a_compiled_forward_anomaly_names_the_op_and_its_input_shapes():
    """An inf made in the compiled forward (log of a 0 that data * w made) raises, naming log and its input shape."""
    w = Tensor(np.ones(2), requires_grad=True)
    data = Tensor(np.ones((3, 2)))
    program = compiled((data * w).log().sum(), [w], [data])
    message = r"^log forward produced inf \(input shapes \(3, 2\)\)$"
    with detect_anomaly(), pytest.raises(AnomalyError, match=message):
        program([np.array([1.0, 0.0])], [np.ones((3, 2))])


def test_detect_anomaly_inside_detect_anomaly_stays_on_until_the_outer_block_ends():
    """Nested detect_anomaly blocks: leaving the inner one keeps the check on for the rest of the outer one."""
    with detect_anomaly():
        with detect_anomaly():
            pass
        assert state.anomaly
        with pytest.raises(AnomalyError, match="^div forward produced NaN"):
            Tensor([0.0]) / Tensor([0.0])
    assert not state.anomaly


def test_detect_anomaly_and_no_grad_together_check_results_without_recording():
    """Inside both, an op's NaN is still caught, and a finite result records no graph."""
    x = Tensor([1.0, 0.0], requires_grad=True)
    with no_grad(), detect_anomaly():
        y = x * 2.0
        with pytest.raises(AnomalyError, match="^log forward produced inf"):
            x.log()
    assert not y.requires_grad and y.op is None
    assert not state.anomaly and is_grad_enabled()
