"""Properties of the recorded graph and of backpropagation through it, independent of any one op.

Tolerances: where the engine and a closed form compute the same quantity in a
different order, they differ only by rounding (~1e-16 per operation), so
``rtol = 1e-12`` is used; comparisons with central differences use the
tolerances of ``tests/test_ops_gradients.py`` (``eps = 1e-4``, ``rtol = 1e-5``,
``atol = 1e-6``, justified there).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nnd import OPS, Tensor, grad, gradients, is_grad_enabled, no_grad
from tinygrad_nnd.testing import (
    DENOMINATOR_MARGIN,
    assert_gradients_match,
    away_from_zero,
    broadcastable_shape_pairs,
    floats_arrays,
    op_inputs,
    shapes,
    values,
)

OP_NAMES = sorted(OPS)


# ---------------------------------------------------------------- shared and reused nodes


@given(floats_arrays())
def test_reused_node_x_times_x_has_gradient_2x(x):
    """x is used twice by one mul: both uses add up, d/dx sum(x * x) = 2x."""
    t = Tensor(x, requires_grad=True)
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, 2.0 * x)  # x + x is exact


@given(floats_arrays(), values(), values())
def test_diamond_a_to_b_and_c_to_d_sums_both_paths(a, alpha, beta):
    """a -> b = alpha a, a -> c = tanh(a) * beta, d = sum(b * c): dd/da = alpha beta (tanh a + a (1 - tanh^2 a))."""
    t = Tensor(a, requires_grad=True)
    b = t * alpha
    c = t.tanh() * beta
    (b * c).sum().backward()
    tanh = np.tanh(a)
    expected = alpha * beta * (tanh + a * (1.0 - tanh**2))
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=1e-15)


@given(floats_arrays(shape=(3,)))
def test_diamond_with_shared_inner_node_matches_central_differences(a):
    """A node (e = exp(a)) read by two ops whose results meet again: the gradient equals central differences."""

    def f(t):
        e = t.exp()
        left = e * t
        right = e.sigmoid()
        return (left + right * left).sum()

    assert_gradients_match(f, a)


def test_a_chain_far_deeper_than_the_recursion_limit_backpropagates_iteratively(shallow_recursion):
    """A chain of n muls, 20 times deeper than the recursion limit allows, backpropagates: d/dx (x * c**n) = c**n."""
    n, c = 20 * shallow_recursion, 1.0001
    x = Tensor(2.0, requires_grad=True)
    z = x
    for _ in range(n):
        z = z * c
    z.backward()
    # Rounding: each of the n multiplications in the engine (and in the reference)
    # adds a relative error <= 1.1e-16, so each side is within n * 1.1e-16 (5.5e-13 for
    # n = 5,000) of the exact product and they agree to 1.1e-12; rtol 1e-11 leaves a
    # factor 9. A dropped or doubled factor c would be off by 1e-4.
    expected = np.prod(np.full(n, c))
    np.testing.assert_allclose(x.grad, expected, rtol=1e-11)
    np.testing.assert_allclose(z.data, 2.0 * expected, rtol=1e-11)


@settings(max_examples=30)
@given(floats_arrays(), values(), values())
def test_gradient_is_linear_in_the_function(x, alpha, beta):
    """grad(alpha f + beta g) = alpha grad f + beta grad g."""

    def f(t):
        return (t.sigmoid() * t).sum()

    def g(t):
        return (t * t * t).sum() + t.tanh().sum()

    combined = grad(lambda t: f(t) * alpha + g(t) * beta)(x)
    separate = alpha * grad(f)(x) + beta * grad(g)(x)
    # Same terms, summed in a different order: rounding only, relative to the
    # size of the terms (|alpha grad f| + |beta grad g| <= ~3 * 30).
    np.testing.assert_allclose(combined, separate, rtol=1e-12, atol=1e-12)


BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=30)
@given(data=st.data())
def test_binary_op_over_broadcastable_shapes_gives_each_input_a_gradient_of_its_own_shape(name, data):
    """a OP b for broadcastable shapes (0-d and size-1 axes included): each gradient has its input's shape
    and equals central differences (tolerances of assert_gradients_match, justified in testing.py)."""
    shape_a, shape_b = data.draw(broadcastable_shape_pairs())
    a = data.draw(floats_arrays(shape_a))
    # div's denominator away from its pole at 0 (see testing.DENOMINATOR_MARGIN).
    b = data.draw(floats_arrays(shape_b, elements=away_from_zero(DENOMINATOR_MARGIN) if name == "div" else None))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = BINARY[name](ta, tb)
    assert out.shape == np.broadcast_shapes(shape_a, shape_b)
    out.backward(np.ones(out.shape))
    assert ta.grad.shape == shape_a and tb.grad.shape == shape_b
    assert_gradients_match(BINARY[name], a, b)


def reference_unbroadcast(w: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``w`` (of the broadcast shape) onto ``shape`` by counting which element each position came from."""
    source = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), w.shape)
    return np.bincount(source.ravel(), weights=w.ravel(), minlength=int(np.prod(shape))).reshape(shape)


@given(st.data())
def test_gradient_of_a_broadcast_input_sums_over_the_broadcast_axes(data):
    """In sum(w * (a + b)), each element of a gets the sum of w over all positions it was broadcast to."""
    shape_a, shape_b = data.draw(broadcastable_shape_pairs())
    a, b = data.draw(floats_arrays(shape_a)), data.draw(floats_arrays(shape_b))
    w = data.draw(floats_arrays(np.broadcast_shapes(shape_a, shape_b)))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    ((ta + tb) * w).sum().backward()
    assert ta.grad.shape == shape_a and tb.grad.shape == shape_b
    # Sums of the same numbers in a different order: rounding ~1e-16 * sum|w| <= 1e-16 * 64 * 3.
    np.testing.assert_allclose(ta.grad, reference_unbroadcast(w, shape_a), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(tb.grad, reference_unbroadcast(w, shape_b), rtol=1e-12, atol=1e-13)


@given(floats_arrays(), values())
def test_gradients_with_respect_to_an_inner_node_follow_the_chain_rule(x, c):
    """For h = c x and y = sum(h * h): dy/dh = 2h and dy/dx = 2c h, asked for together; inner nodes get no .grad."""
    t = Tensor(x, requires_grad=True)
    h = t * c
    y = (h * h).sum()
    g_h, g_x = gradients(y, [h, t])
    np.testing.assert_array_equal(g_h, 2.0 * h.data)  # h * g + h * g = 2 h g exactly, g = 1
    np.testing.assert_allclose(g_x, 2.0 * c * h.data, rtol=1e-15)
    y.backward()
    assert h.grad is None and t.grad is not None


# ---------------------------------------------------------------- no mutation


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=30)
@given(data=st.data())
def test_forward_and_backward_never_mutate_their_inputs(name, data):
    """For every op: the input arrays and the seed gradient are unchanged by forward, backward and create_graph."""
    case = data.draw(op_inputs(name))
    seed = data.draw(floats_arrays(case.forward().shape))
    inputs = [np.array(a) for a in case.inputs]  # the engine uses float arrays without copying
    before = [a.copy() for a in inputs]
    seed_before = seed.copy()
    tensors = [Tensor(a, requires_grad=True) for a in inputs]
    out = case.apply(*tensors)
    out.backward(seed)
    out.backward(seed)  # accumulating into .grad must not write into an input either
    gradients(case.apply(*tensors), tensors, grad_output=seed, create_graph=True)
    for a, b in zip(inputs, before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(seed, seed_before)


# ---------------------------------------------------------------- constants and accumulation


@given(st.data())
def test_constant_tensor_keeps_grad_none_after_backward(data):
    """A Tensor with requires_grad=False gets no gradient, even when it takes part in the graph."""
    shape_x, shape_c = data.draw(broadcastable_shape_pairs())
    tx, tc = Tensor(data.draw(floats_arrays(shape_x)), requires_grad=True), Tensor(data.draw(floats_arrays(shape_c)))
    y = (tx * tc).sum()
    y.backward()
    assert tc.grad is None and tc.grad_tensor is None
    assert tx.grad is not None


@given(floats_arrays(), floats_arrays())
def test_gradients_wrt_something_the_output_does_not_depend_on_are_zeros(x, c):
    """gradients(y, [c]) for a constant c, and for a leaf y does not use, are zeros of c's shape."""
    tx, tc, unused = Tensor(x, requires_grad=True), Tensor(c), Tensor(c, requires_grad=True)
    y = (tx * tx).sum()
    g_const, g_unused = gradients(y, [tc, unused])
    np.testing.assert_array_equal(g_const, np.zeros_like(c))
    np.testing.assert_array_equal(g_unused, np.zeros_like(c))
    (g_graph,) = gradients(y, [unused], create_graph=True)
    np.testing.assert_array_equal(g_graph.data, np.zeros_like(c))


@given(floats_arrays(), floats_arrays())
def test_grad_of_a_function_that_ignores_its_argument_is_zero(x, c):
    """grad(f)(x) of an f that does not use x: zeros of x's shape (also when f returns a constant Tensor)."""
    np.testing.assert_array_equal(grad(lambda t: Tensor(c).sum())(x), np.zeros_like(x))
    other = Tensor(c, requires_grad=True)
    np.testing.assert_array_equal(grad(lambda t: (other * 2.0).sum())(x), np.zeros_like(x))


@given(floats_arrays())
def test_second_backward_on_the_same_graph_accumulates_and_zero_grad_resets(x):
    """backward() twice doubles .grad; zero_grad() sets it back to None; the next backward starts afresh."""
    t = Tensor(x, requires_grad=True)
    y = (t.sigmoid() * t).sum()
    y.backward()
    first = t.grad.copy()
    y.backward()
    np.testing.assert_array_equal(t.grad, 2.0 * first)  # g + g is exact
    t.zero_grad()
    assert t.grad is None
    y.backward()
    np.testing.assert_array_equal(t.grad, first)


def test_grad_is_a_fresh_array_owned_by_the_tensor():
    """Tensor.backward stores a writable array that shares memory with neither input nor seed."""
    x = np.array([1.0, 2.0])
    t = Tensor(x, requires_grad=True)
    seed = np.array([1.0, 1.0])
    (t + 0.0).backward(seed)
    assert t.grad.flags.writeable
    assert not np.shares_memory(t.grad, seed) and not np.shares_memory(t.grad, x)


# ---------------------------------------------------------------- errors of backward


@given(shapes().filter(lambda s: int(np.prod(s)) != 1))
def test_backward_on_non_scalar_without_gradient_raises_value_error(shape):
    """backward() without a gradient is only defined for one-element outputs."""
    y = Tensor(np.ones(shape), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"backward"):
        y.backward()


def test_backward_with_gradient_of_wrong_shape_raises_value_error():
    """backward(gradient) needs the gradient in the output's shape."""
    y = Tensor(np.ones(3), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        y.backward(np.ones(2))


def test_backward_on_tensor_that_does_not_require_grad_raises_runtime_error():
    """A tensor with no graph behind it cannot be differentiated."""
    with pytest.raises(RuntimeError, match="backward"):
        Tensor(2.0).backward()
    with pytest.raises(RuntimeError, match="backward"):
        (Tensor(2.0) * 3.0).backward()


# ---------------------------------------------------------------- no_grad and detach


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=10)
@given(data=st.data())
def test_ops_under_no_grad_record_no_graph(name, data):
    """For every op: inside no_grad() the result has requires_grad False and no op, yet the right values."""
    case = data.draw(op_inputs(name))
    tensors = [Tensor(a, requires_grad=True) for a in case.inputs]
    with no_grad():
        assert not is_grad_enabled()
        y = case.apply(*tensors)
    assert is_grad_enabled()
    assert y.requires_grad is False and y.op is None and y.parents == ()
    np.testing.assert_array_equal(y.data, case.forward())


def test_no_grad_is_restored_when_an_exception_leaves_the_block():
    """no_grad() turns recording back on even when its block raises."""
    with pytest.raises(KeyError), no_grad():
        raise KeyError("leave")
    assert is_grad_enabled()
    assert (Tensor(1.0, requires_grad=True) * 2.0).requires_grad


@given(floats_arrays())
def test_detach_cuts_the_graph_and_shares_the_data(x):
    """x.detach() has the same values, no graph and no gradient; gradients do not flow through it."""
    t = Tensor(x, requires_grad=True)
    y = t * 3.0
    d = y.detach()
    assert d.requires_grad is False and d.op is None and d.grad is None
    assert np.shares_memory(d.data, y.data)
    (d * t).sum().backward()
    np.testing.assert_array_equal(t.grad, d.data)  # d is a constant: d/dt (d * t) = d


def test_no_grad_in_one_thread_does_not_affect_another_thread():
    """no_grad is per thread: while thread A is inside no_grad, the main thread still records a graph.

    The two threads interleave deterministically through Events: A enters
    no_grad, the main thread computes, then A computes and leaves.
    """
    x = Tensor([1.0, 2.0], requires_grad=True)
    a_inside, main_done = threading.Event(), threading.Event()
    found: dict[str, object] = {}

    def thread_a():
        with no_grad():
            a_inside.set()
            if not main_done.wait(timeout=10):
                found["error"] = "timed out"
                return
            found["a"] = x * 2.0
            found["a_enabled"] = is_grad_enabled()

    worker = threading.Thread(target=thread_a)
    worker.start()
    assert a_inside.wait(timeout=10)
    main_result = x * 2.0  # thread A is inside no_grad right now
    main_enabled = is_grad_enabled()
    main_done.set()
    worker.join(timeout=10)
    assert not worker.is_alive() and "error" not in found
    assert main_enabled is True and main_result.requires_grad and main_result.op is not None
    assert found["a_enabled"] is False
    assert found["a"].requires_grad is False and found["a"].op is None
