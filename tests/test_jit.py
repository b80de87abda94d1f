"""jit: compiled value, gradient and Hessian-vector product equal the eager engine's, on generated programs.

The programs are drawn over every op of OPS (each op's own well-conditioned
inputs, from ``tinygrad_nnd.testing.op_inputs``), with broadcasting (the binary
ops' cases broadcast), slicing (every input is a slice of the one argument ``x``,
reshaped), reuse of a node (an op's output used twice), constants and data
arguments, in float32 and float64.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from named_functions import large_cost

from tinygrad_nnd import OPS, AnomalyError, Tensor, detect_anomaly, hvp, jit, value_and_grad
from tinygrad_nnd.engine import ops
from tinygrad_nnd.engine.compiler import MIN_BUFFER_BYTES, CompileError
from tinygrad_nnd.engine.modes import TracerConversionError
from tinygrad_nnd.engine.tensor import apply
from tinygrad_nnd.testing import floats_arrays, op_inputs

OP_NAMES = sorted(OPS)

# Compiled code runs the same NumPy operations, in the same order, on the same arrays as the
# eager rules, so results agree to the last bit; 1e-12 relative is the bound, and the
# absolute floor is for elements that are exactly zero in one and a signed zero in the other.
RTOL = 1e-12


def assert_same(got, want):
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=RTOL, atol=1e-300
    )


@st.composite
def programs(draw, names=st.sampled_from(OP_NAMES)):
    """A cost over 1 to 3 drawn op cases: (f, x, data arrays), every op input a slice of x or a data argument."""
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    cases = [draw(op_inputs(draw(names))) for _ in range(draw(st.integers(1, 3)))]
    plan = []  # per case, per input: ("x", offset) or ("data", index)
    pieces, data = [], []
    offset = 0
    for case in cases:
        sources = []
        for k, a in enumerate(case.inputs):
            if k == 0 or draw(st.booleans()):  # the first input always depends on x
                sources.append(("x", offset, a.shape))
                pieces.append(a.ravel())
                offset += a.size
            else:
                sources.append(("data", len(data), a.shape))
                data.append(a)
        plan.append(sources)
    weights = []
    for case in cases:
        out_shape = case.forward().shape
        weights.append(len(data))
        data.append(draw(floats_arrays(out_shape)))
    reuse = [draw(st.booleans()) for _ in cases]
    x = np.concatenate(pieces + [np.zeros(1)]).astype(dtype)  # one spare element: x is never empty
    data = [d.astype(dtype) for d in data]

    def f(x, *data):
        J = None
        for case, sources, w, again in zip(cases, plan, weights, reuse):
            inputs = [
                x[start : start + int(np.prod(shape))].reshape(shape) if kind == "x" else data[start]
                for kind, start, shape in sources
            ]
            out = apply(case.make_op(), *inputs)
            term = (out * data[w]).sum()
            if again:  # the same node used twice
                term = term + (out * out).sum()
            J = term if J is None else J + term
        return J

    return f, x, data


@settings(max_examples=40)
@given(programs(), st.data())
def test_compiled_value_gradient_and_hvp_equal_the_eager_engines(program, data):
    """For every op in OPS, in generated programs: jit's value, gradient and Hessian-vector product equal eager's."""
    f, x, args = program
    compiled = jit(f)
    J, g = compiled.value_and_grad(x, *args)
    J_eager, g_eager = value_and_grad(f)(x, *args)
    assert_same(J, J_eager)
    assert g.dtype == x.dtype and g.shape == x.shape
    assert_same(g, g_eager)
    assert_same(compiled(x, *args), f(Tensor(x), *args).data)
    v = data.draw(floats_arrays(x.shape)).astype(x.dtype)
    assert_same(compiled.hvp(x, v, *args), hvp(f)(x, v, *args))


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_in_OPS_compiles(name):
    """Each op's templates compile and agree with its rules (one fixed case per op; the property test mixes them)."""

    @given(programs(st.just(name)))
    @settings(max_examples=5, derandomize=True, database=None)
    def check(program):
        f, x, args = program
        J, g = jit(f).value_and_grad(x, *args)
        J_eager, g_eager = value_and_grad(f)(x, *args)
        assert_same(J, J_eager)
        assert_same(g, g_eager)

    check()


def test_a_new_shape_traces_again_and_gives_the_right_answer():
    """The signature is the shapes and dtypes: a new one gets its own program, an old one reuses its own."""

    @jit
    def f(x, y):
        return ((x * y).sigmoid() ** 2).sum()

    rng = np.random.default_rng(0)
    for n in (3, 5, 3, 5):
        x, y = rng.normal(size=n), rng.normal(size=n)
        assert_same(f.grad(x, y), value_and_grad(f.f)(x, y)[1])
    assert len(f._programs) == 2
    f.grad(np.ones(3, dtype=np.float32), np.ones(3, dtype=np.float32))
    assert len(f._programs) == 3


def test_array_arguments_are_arguments_not_constants():
    """New data of the same shape gives new results: the data is passed in, not baked into the program."""
    f = jit(lambda w, X: ((X @ w) ** 2).sum())
    w = np.ones(2)
    assert f.value_and_grad(w, np.eye(2))[0] == 2.0
    assert f.value_and_grad(w, 2 * np.eye(2))[0] == 8.0
    assert "X @ w" in f.source(w, np.eye(2)) or "X @ " in f.source(w, np.eye(2))


def test_no_value_the_user_passes_is_written_into_the_source():
    """Constants, op parameters and static arguments are bound values; a name that is not an identifier is replaced."""
    constant = np.array([12345.678])

    def f(x, scale):
        named = x.sum()
        named.name = "__import__('os').system('echo hi')"
        return named * scale + (x * constant).sum() + x[np.array([1, 1])].sum() * 987.125

    source = jit(f).source(np.arange(3.0), 0.000321)
    for text in ("12345", "0.000321", "987.125", "__import__", "system"):
        assert text not in source
    assert jit(f).value_and_grad(np.arange(3.0), 0.5)[0] == value_and_grad(f)(np.arange(3.0), 0.5)[0]


def test_python_numbers_are_part_of_the_signature():
    """A new number traces again (it was fixed into the trace); the same number reuses the program."""
    f = jit(lambda x, p: (x**p).sum())
    assert f(np.array([2.0]), 2.0) == 4.0
    assert f(np.array([2.0]), 3.0) == 8.0
    f(np.array([3.0]), 3.0)
    assert len(f._programs) == 2


@pytest.mark.parametrize(
    "convert, what",
    [
        (bool, "bool()"),
        (float, "float()"),
        (int, "int()"),
        (lambda t: t.item(), ".item()"),
        (np.asarray, "np.asarray()"),
    ],
)
def test_turning_a_traced_tensor_into_a_python_value_is_a_clear_error(convert, what):
    """Value-dependent control flow would be frozen into the trace: refused at trace time, saying what to do."""

    def f(x):
        s = x.sum()
        if convert(s):  # a branch on the value of x
            return s
        return -s

    with pytest.raises(
        TracerConversionError, match=r"traced Tensor inside a jit-compiled function.*without jit"
    ) as info:
        jit(f).value_and_grad(np.ones(2))
    assert what in str(info.value)
    assert value_and_grad(f)(np.ones(2))[0] == 2.0  # eager: fine


def test_branching_on_shapes_is_allowed():
    f = jit(lambda x: (x * x).sum() if x.shape[0] > 2 else x.sum())
    assert f(np.ones(3)) == 3.0 and f(np.ones(2)) == 2.0


class Untemplated(ops.Exp):  # no `name`: not registered in OPS
    __slots__ = ()
    forward_code = None
    backward_code = None


def test_an_op_without_templates_is_an_error_at_trace_time_naming_the_op():
    with pytest.raises(CompileError, match=r"'exp' \(Untemplated\) has no code templates"):
        jit(lambda x: apply(Untemplated(), x).sum()).value_and_grad(np.ones(2))


def test_dead_code_is_eliminated():
    """Nothing nobody asked for: no backward in the value program, no gradient for data arguments."""
    f = jit(lambda w, X, y: ((y - (X @ w).sigmoid()) ** 2).sum())
    w, X, y = np.ones((2, 1)), np.ones((3, 2)), np.ones((3, 1))
    assert "dJ_" not in f.source(w, X, y, kind="value")
    source = f.source(w, X, y)
    assert "dJ_dX" not in source and "dJ_dy " not in source and "dJ_dw" in source


def test_unused_work_in_the_function_is_not_run():
    f = jit(lambda x: (x.exp().sum(), (x * 2.0).sum())[1])
    assert "exp" not in f.source(np.ones(2))


def large_problem(seed=0):
    rng = np.random.default_rng(seed)
    n = 2 * MIN_BUFFER_BYTES // (8 * 16)  # n x 16 float64 arrays get buffers
    return rng.normal(size=(4, 16)) / 2, rng.normal(size=(n, 4)), rng.normal(size=(n, 1))


def test_the_buffer_plan_writes_large_arrays_in_place_and_returns_fresh_results():
    """Large intermediates are written with out= into reused buffers (the sigmoid into its input's buffer),
    and every result belongs to the caller: changing it changes nothing in the next call."""
    f = jit(large_cost)
    w, X, y = large_problem()
    source = f.source(w, X, y)
    program = f._programs[next(iter(f._programs))]
    assert "out=_b" in source
    dot, sigmoid = (s for s in program.plan if s.startswith(("dot", "sigmoid")))
    assert program.plan[dot] == program.plan[sigmoid]  # expit(z, out=z's buffer): z is not needed again
    J, g = f.value_and_grad(w, X, y)
    J_eager, g_eager = value_and_grad(large_cost)(w, X, y)
    assert_same(J, J_eager)
    assert_same(g, g_eager)
    g[...] = 0.0
    J_2, g_2 = f.value_and_grad(w, X, y)
    assert J_2 == J and g_2 is not g
    assert_same(g_2, g_eager)
    assert not any(np.shares_memory(g_2, b) for bufs in program._free for b in bufs)


def test_threads_calling_one_compiled_function_at_once_get_their_own_answers():
    """The cache and the buffers are safe for threads: each concurrent call has buffers of its own,
    and threads tracing new shapes at the same time get programs of the right shape."""
    f = jit(large_cost)
    problems = [large_problem(seed) for seed in range(4)]
    small = [(w, X[: 10 + k], y[: 10 + k]) for k, (w, X, y) in enumerate(problems)]
    cases = problems + small
    expected = [value_and_grad(large_cost)(*p) for p in cases]
    wrong: list[str] = []

    def work(k: int) -> None:
        for _ in range(15):
            J, g = f.value_and_grad(*cases[k])
            if not (np.isclose(J, expected[k][0], rtol=RTOL) and np.allclose(g, expected[k][1], rtol=RTOL, atol=0)):
                wrong.append(f"case {k}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong


def test_detect_anomaly_names_the_op_inside_compiled_code():
    """With detect_anomaly on, the compiled program checks each op's result like the eager engine does."""
    f = jit(lambda x: (x**0.5).sum())
    assert f.grad(np.array([1.0, 4.0])).tolist() == [0.5, 0.25]
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^pow backward produced inf \(input shapes \(2,\)\)"):
        f.grad(np.array([0.0, 4.0]))
    g = jit(lambda x: (x.log() * x).sum())
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^log forward produced inf"):
        g.value_and_grad(np.array([0.0, 1.0]))


def test_plugs_into_scipy_minimize_with_jac_and_hessp():
    from scipy.optimize import minimize

    @jit
    def rosenbrock(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    result = minimize(rosenbrock.value_and_grad, [-1.0, 2.0], jac=True, hessp=rosenbrock.hvp, method="trust-ncg")
    eager = minimize(value_and_grad(rosenbrock.f), [-1.0, 2.0], jac=True, hessp=hvp(rosenbrock.f), method="trust-ncg")
    assert result.success and np.abs(result.x - 1.0).max() < 1e-5  # trust-ncg's default gtol gets this close
    # The same numbers as the eager functions give: the same path, step for step.
    assert (result.nit, result.nfev) == (eager.nit, eager.nfev)
    np.testing.assert_array_equal(result.x, eager.x)


def test_a_function_linear_in_x_has_a_zero_hessian_and_a_constant_function_a_zero_gradient():
    f = jit(lambda x, a: (x * a).sum())
    assert f.hvp(np.ones(2), np.ones(2), np.array([2.0, 3.0])).tolist() == [0.0, 0.0]
    c = jit(lambda x, a: (a * a).sum())
    assert c.grad(np.ones(2), np.array([2.0, 3.0])).tolist() == [0.0, 0.0]
