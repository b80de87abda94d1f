"""jacobian, vjp, jvp (forward mode), hessian and check_grads, on generated functions built from every op.

The functions: for an op of OPS, one drawn well-conditioned case (``op_inputs``); its inputs are
cut from one vector ``x`` (every input of the case, so each is differentiated), and the function
returns the op's output (for jvp/vjp/jacobian) or a weighted sum of it plus the sum of its squares
(a scalar, for the Hessian: the square makes second derivatives nonzero even for linear ops).

Tolerances:

- ``jvp == J @ v`` and ``vjp == u @ J``: the same backward rules, summed in a different order;
  each element is a sum of at most ~200 products of terms below ~1e3 (values in [-3, 3] through
  at most an exp or a power), so rounding differences stay below ~200 * 1e3 * 1e-16 = 2e-11:
  atol 1e-9 and rtol 1e-9 leave a margin of 50. A wrong rule is off by O(1).
- ``hessian == finite differences of the gradient``: central differences of the exact gradient
  with h = 1e-4 along a direction v (|v| <= 1): the analysis of tests/test_ops_gradients.py one
  derivative higher (truncation ~h^2/6 |f''''|, rounding ~1e-16 |grad| / h): rtol 1e-5, atol 1e-5
  (the sum of squares makes |grad| up to ~1e3, so rounding reaches ~1e-9 relative to it).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nnd import (
    HESSIAN_MAX_SIZE,
    OPS,
    Tensor,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    vjp,
)
from tinygrad_nnd.engine import apply
from tinygrad_nnd.gradcheck import check_grads
from tinygrad_nnd.testing import floats_arrays, op_inputs

OP_NAMES = sorted(OPS)
EXACT_RTOL = EXACT_ATOL = 1e-9
H, FD_RTOL, FD_ATOL = 1e-4, 1e-5, 1e-5


@st.composite
def op_functions(draw, name):
    """(f, x): f(x) applies one drawn case of op ``name`` to pieces of x; x is their concatenation."""
    case = draw(op_inputs(name))
    shapes = [a.shape for a in case.inputs]
    x = np.concatenate([a.ravel() for a in case.inputs] + [np.zeros(1)])  # a spare element: never empty

    def f(t):
        pieces, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            pieces.append(t[start : start + size].reshape(shape))
            start += size
        return apply(case.make_op(), *pieces)

    return f, x


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=15)
@given(data=st.data())
def test_jvp_equals_jacobian_times_v_and_vjp_equals_u_times_jacobian(name, data):
    """For every op: forward-mode jvp(f, x, v) = J @ v and vjp(f, x)(u) = u @ J, with J = jacobian(f)(x) (reverse mode)."""
    f, x = data.draw(op_functions(name), label="function")
    y = f(Tensor(x)).data
    J = jacobian(f)(x)
    assert J.shape == y.shape + x.shape
    J2 = J.reshape(y.size, x.size)
    v = data.draw(floats_arrays(x.shape), label="v")
    u = data.draw(floats_arrays(y.shape), label="u")
    value, Jv = jvp(f, (x,), (v,))
    np.testing.assert_array_equal(value, y)
    assert Jv.shape == y.shape
    np.testing.assert_allclose(Jv.ravel(), J2 @ v, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    value, vjp_fun = vjp(f, x)
    (uJ,) = vjp_fun(u)
    np.testing.assert_array_equal(value, y)
    np.testing.assert_allclose(uJ, u.ravel() @ J2, rtol=EXACT_RTOL, atol=EXACT_ATOL)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=10)
@given(data=st.data())
def test_hessian_equals_central_differences_of_the_gradient(name, data):
    """For every op: hessian(F)(x) @ v = (grad F(x + h v) - grad F(x - h v)) / 2h, F = sum(w * f) + sum(f**2); H symmetric."""
    f, x = data.draw(op_functions(name), label="function")
    w = data.draw(floats_arrays(f(Tensor(x)).shape), label="w")

    def F(t):
        out = f(t)
        return (out * w).sum() + (out * out).sum()

    H = hessian(F)(x)
    assert H.shape == x.shape + x.shape
    v = data.draw(floats_arrays(x.shape, min_value=-1.0, max_value=1.0), label="v")
    grad_F = grad(F)
    finite = (grad_F(x + H_STEP * v) - grad_F(x - H_STEP * v)) / (2 * H_STEP)
    np.testing.assert_allclose(H @ v, finite, rtol=FD_RTOL, atol=FD_ATOL)
    # Row j of H is a backward pass from dF/dx_j; symmetry is a property of the math, not of the code.
    np.testing.assert_allclose(H, H.T, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(H @ v, hvp(F)(x, v), rtol=EXACT_RTOL, atol=EXACT_ATOL)


H_STEP = H


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=5)
@given(data=st.data())
def test_check_grads_passes_for_every_op_in_both_modes_to_order_two(name, data):
    """For every op: check_grads(f, (x,), order=2) finds forward and reverse mode, and their derivatives, correct."""
    f, x = data.draw(op_functions(name), label="function")
    check_grads(f, (x,), order=2)


# ---------------------------------------------------------------- trees, argnums, structure


def test_jacobian_over_a_dict_and_two_arguments_has_one_block_per_leaf():
    """jacobian(f, argnums=(0, 1)) of f(p, x) = p['W'] @ x + p['b'] gives ({'W': dW, 'b': db}, dx) of shape out + leaf."""
    p = {"W": np.arange(6.0).reshape(2, 3), "b": np.ones(2)}
    x = np.array([1.0, -1.0, 2.0])
    (Jp, Jx) = jacobian(lambda p, x: p["W"] @ x + p["b"], argnums=(0, 1))(p, x)
    assert Jp["W"].shape == (2, 2, 3) and Jp["b"].shape == (2, 2) and Jx.shape == (2, 3)
    np.testing.assert_array_equal(Jx, p["W"])
    np.testing.assert_array_equal(Jp["b"], np.eye(2))
    np.testing.assert_array_equal(Jp["W"][1], np.stack([np.zeros(3), x]))


def test_hessian_of_a_dict_is_nested_twice():
    """hessian of f({'a': a, 'b': b}) = a**2 b gives H['a']['b'] = 2a, H['b']['b'] = 0, H['a']['a'] = 2b."""
    H = hessian(lambda p: p["a"] * p["a"] * p["b"])({"a": np.array(3.0), "b": np.array(5.0)})
    assert float(H["a"]["a"]) == 10.0 and float(H["a"]["b"]) == 6.0 and float(H["b"]["a"]) == 6.0
    assert float(H["b"]["b"]) == 0.0


def test_jvp_takes_several_primals_and_checks_the_tangents():
    """jvp(f, (a, b), (va, vb)) = (f(a, b), df/da va + df/db vb); a tangent of the wrong shape is refused."""
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    value, tangent = jvp(lambda a, b: a * b, (a, b), (np.ones(2), 2 * np.ones(2)))
    np.testing.assert_array_equal(value, a * b)
    np.testing.assert_array_equal(tangent, b + 2 * a)
    with pytest.raises(ValueError, match=r"tangent\[1\] has shape \(3,\)"):
        jvp(lambda a, b: a * b, (a, b), (np.ones(2), np.ones(3)))
    with pytest.raises(ValueError, match=r"2 primals but 1 tangents"):
        jvp(lambda a, b: a * b, (a, b), (np.ones(2),))


def test_vjp_function_can_be_called_again_and_checks_the_cotangent_shape():
    """The graph is recorded once; each call of vjp_fun is one more backward pass with the same rules."""
    _, vjp_fun = vjp(lambda x: x.sigmoid(), np.zeros(3))
    np.testing.assert_array_equal(vjp_fun(np.ones(3))[0], np.full(3, 0.25))
    np.testing.assert_array_equal(vjp_fun(2 * np.ones(3))[0], np.full(3, 0.5))
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\).*\(3,\)"):
        vjp_fun(np.ones(2))


def test_jacobian_of_a_function_that_ignores_x_is_zero():
    """No path from x to the output: the Jacobian is zeros of shape out + x."""
    J = jacobian(lambda x, c: c * 2.0, argnums=0)(np.ones(2), Tensor(np.ones(3)))
    np.testing.assert_array_equal(J, np.zeros((3, 2)))


def test_hessian_refuses_more_than_its_documented_size():
    """Above HESSIAN_MAX_SIZE parameters hessian is a ValueError pointing to hvp; max_size raises the limit."""
    f = lambda x: (x * x).sum()  # noqa: E731
    with pytest.raises(ValueError, match=rf"{HESSIAN_MAX_SIZE + 1} elements.*limit of {HESSIAN_MAX_SIZE}.*hvp"):
        hessian(f)(np.ones(HESSIAN_MAX_SIZE + 1))
    with pytest.raises(ValueError, match=r"limit of 3"):
        hessian(f, max_size=3)(np.ones(4))
    np.testing.assert_array_equal(hessian(f, max_size=4)(np.ones(4)), 2 * np.eye(4))


def test_outputs_that_are_not_tensors_are_refused():
    """jacobian, jvp and vjp need a Tensor result, and say so."""
    for call in (
        lambda: jacobian(lambda x: 1.0)(np.ones(2)),
        lambda: jvp(lambda x: 1.0, (np.ones(2),), (np.ones(2),)),
        lambda: vjp(lambda x: 1.0, np.ones(2)),
    ):
        with pytest.raises(TypeError, match=r"must return a Tensor"):
            call()


# ---------------------------------------------------------------- check_grads catches wrong rules


class _HalfSquare(OPS["square"]):  # no `name`: not registered
    """a**2 whose backward forgets the factor 2 (first order wrong)."""

    def backward(self, g, out, a):
        return (g * a,)


class _CubeWithWrongCurvature(OPS["square"]):
    """a**3 with a backward rule 3 * a.data**2 taken as a constant: right first derivative, second derivative 0."""

    def forward(self, a):
        return a * a * a

    def backward(self, g, out, a):
        return (g * (3.0 * (a if isinstance(a, np.ndarray) else a.data) ** 2),)


@pytest.mark.parametrize("modes", [("fwd",), ("rev",)])
def test_check_grads_catches_a_wrong_first_derivative_in_either_mode(modes):
    """A rule missing its factor 2 fails check_grads at order 1, in forward and in reverse mode."""
    with pytest.raises(AssertionError, match=r"order 1"):
        check_grads(lambda x: apply(_HalfSquare(), x), (np.array([1.0, 2.0]),), order=1, modes=modes)


@pytest.mark.parametrize("modes", [("fwd",), ("rev",)])
def test_check_grads_catches_a_wrong_second_derivative_only_at_order_two(modes):
    """A rule with the right gradient but a frozen (wrong) curvature passes order 1 and fails order 2."""
    f = lambda x: apply(_CubeWithWrongCurvature(), x)  # noqa: E731
    x = (np.array([1.0, -2.0]),)
    check_grads(f, x, order=1, modes=modes)
    with pytest.raises(AssertionError, match=r"order 2"):
        check_grads(f, x, order=2, modes=modes)


def test_check_grads_takes_trees_and_refuses_unknown_modes():
    """Arguments may be trees of arrays; modes other than 'fwd'/'rev' and order 0 are ValueErrors."""
    check_grads(lambda p, x: (p["W"] * x).sigmoid(), ({"W": np.array([0.5, -1.0])}, np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match=r"modes"):
        check_grads(lambda x: x * x, (np.ones(1),), modes=("forward",))
    with pytest.raises(ValueError, match=r"order"):
        check_grads(lambda x: x * x, (np.ones(1),), order=0)


def test_one_vjp_function_called_from_several_threads_gives_each_its_own_answer():
    """vjp_fun keeps the recorded graph between calls; threads calling it at once each get u^T J for their u."""
    import threading

    x = np.linspace(-1.0, 1.0, 5)
    _, vjp_fun = vjp(lambda t: (t.tanh() * t).softmax(), x)
    J = jacobian(lambda t: (t.tanh() * t).softmax())(x)
    us = [np.random.default_rng(k).normal(size=5) for k in range(8)]
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(len(us))

    def work(k: int) -> None:
        barrier.wait()
        for _ in range(20):
            results[k] = vjp_fun(us[k])[0]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(us))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, u in enumerate(us):
        # The same backward rules in the same order as jacobian's rows, summed in another order: rounding only.
        np.testing.assert_allclose(results[k], u @ J, rtol=1e-12, atol=1e-15)
