"""Every op compiled by :func:`~tinygrad_nnd.jit` computes what the eager engine computes, for every form of its parameters.

``tests/test_jit.py`` draws programs that mix ops; here each op is compiled on its own, on
its generated cases (``tinygrad_nnd.testing.op_inputs``: axis None, an int, a tuple, negative,
keepdims; transpose permutations; every kind of getitem index; concatenate and stack along
any axis, of one to three inputs; clip with either bound missing; where conditions), in
float64 and float32, and each compiled function is called twice: at the point it was traced
at, and at another point. The second call runs the traced program on new values: a part of
it that was wrongly taken for a constant at trace time (folded into the program) gives the
old values there. The op templates in ``engine/ops.py`` that vary with the parameters (an
op's ``code()``) are what this checks.

Tolerance: the compiled code runs the same NumPy operations in the same order as the eager
rules, so results agree to the last bit; ``rtol = 1e-12`` is tests/test_jit.py's bound, and
the absolute floor is for zeros of either sign.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nnd import OPS, Tensor, hvp, jit, value_and_grad
from tinygrad_nnd.engine import apply
from tinygrad_nnd.engine.ops import Transpose
from tinygrad_nnd.testing import floats_arrays, op_inputs

OP_NAMES = sorted(OPS)
RTOL, ATOL = 1e-12, 1e-300
#: The second point is the first one scaled by a positive factor: every input keeps its sign, so it
#: stays in its op's domain (positive for log, sqrt and fractional powers; nonzero for a divisor).
SECOND_POINT_SCALE = 1.5


def assert_same(got, expected, what: str) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype, f"{what}: {got!r} vs {expected!r}"
    np.testing.assert_allclose(
        got.astype(np.float64), expected.astype(np.float64), rtol=RTOL, atol=ATOL, strict=True, err_msg=what
    )


def compiled_and_eager_agree(f, points: list[np.ndarray], weights: np.ndarray, directions: np.ndarray) -> None:
    """jit(f)'s value, gradient and Hessian-vector product at each point (the first traces) equal eager's."""
    compiled = jit(f)
    for k, x in enumerate(points):
        J, g = compiled.value_and_grad(x, weights)
        J_eager, g_eager = value_and_grad(f)(x, weights)
        assert_same(J, J_eager, f"value at point {k}")
        assert_same(g, g_eager, f"gradient at point {k}")
        assert_same(compiled(x, weights), f(Tensor(x), weights).data, f"plain call at point {k}")
        assert_same(compiled.hvp(x, directions, weights), hvp(f)(x, directions, weights), f"hvp at point {k}")


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=4)  # 37 ops x 4 cases, 2 points each; test_jit.py mixes the ops in 40 more programs
@given(data=st.data())
def test_each_op_compiled_equals_eager_at_the_traced_point_and_at_another(name, data):
    """For every op and generated case, in float64 and float32: J = sum(w * op(inputs)), every input a
    slice of the argument x, compiled gives eager's J, dJ/dx and Hessian-vector product, at the
    point it was traced at and at a second point through the same program."""
    case = data.draw(op_inputs(name), label="case")
    dtype = data.draw(st.sampled_from([np.float64, np.float32]), label="dtype")
    # One spare element: x is never empty (an op of empty inputs still gets an argument).
    x = np.concatenate([a.ravel() for a in case.inputs] + [np.ones(1)]).astype(dtype)
    weights = data.draw(floats_arrays(case.forward().shape), label="weights").astype(dtype)
    directions = data.draw(floats_arrays(x.shape), label="directions").astype(dtype)
    starts = np.cumsum([0] + [a.size for a in case.inputs])

    def f(x, w):
        pieces = [x[start : start + a.size].reshape(a.shape) for start, a in zip(starts, case.inputs)]
        return (apply(case.make_op(), *pieces) * w).sum()

    compiled_and_eager_agree(f, [x, x * dtype(SECOND_POINT_SCALE)], weights, directions)


@pytest.mark.parametrize("axes", [(-1, 0, 1), (2, -3, -2), (-2, -1, -3), (0, -1, 1)], ids=str)
def test_compiled_transpose_with_negative_axes_equals_eager(axes):
    """Negative entries of transpose's axes count from the end, in the compiled gradient as in the eager
    one (its inverse permutation included). A (2, 3, 4) array: no permutation passes for another."""
    x = np.linspace(-2.0, 3.0, 24)
    weights = np.arange(24.0).reshape(np.transpose(np.empty((2, 3, 4)), axes).shape) - 10.0

    def f(x, w):
        return (apply(Transpose(axes), x.reshape((2, 3, 4))) * w).sum()

    compiled_and_eager_agree(f, [x, x * SECOND_POINT_SCALE], weights, np.cos(np.arange(24.0)))
