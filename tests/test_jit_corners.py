"""Corner cases of the compiled path (:func:`~tinygrad_nnd.jit`) that generated programs rarely build.

As for the replayed tape (tests/test_replay_corners.py): the result's own op
reading the input directly (``x.dot(x)``, ``x.sum()``), where a backward pass
that runs one step too far or seeds the wrong variable doubles or loses the
gradient; a leaf that requires a gradient but is not the argument being
differentiated (a constant of the compiled code); array data feeding the very
first op and the result's op. Each case is called at several points, so the
first call (tracing) and the later ones (running the compiled code) are both
checked.

Then what mutation testing (tests/MUTATION.md) found unchecked: what a compiled
function shows its user (the value of any shape from a plain call, the value of
``value_and_grad`` as a Python float, its repr, name and signature,
:meth:`Jitted.source`'s argument names and its ``kind="hvp"``, hvp's dtype), and
the signature and its trace (static arguments by type, kinds and shapes kept
apart, ``f`` traced once also when a second thread asks meanwhile, a nested
trace, :func:`~tinygrad_nnd.engine.jit.trace` recording ops on data).

No tolerances: the closed forms here are exact for small integer values, and
the eager engine runs the same arithmetic as the compiled code.
"""

from __future__ import annotations

import inspect
import operator
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from named_functions import CallableWithoutName, named_cost

from tinygrad_nnd import Tensor, hvp, jit, value_and_grad
from tinygrad_nnd.engine import Jitted
from tinygrad_nnd.engine.compiler import build
from tinygrad_nnd.engine.jit import trace
from tinygrad_nnd.engine.modes import TracerConversionError
from tinygrad_nnd.testing import floats_arrays, shapes


def small_integers(shape) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of integers in [-3, 3]: every sum and product below is exact."""
    return hnp.arrays(np.float64, shape, elements=st.integers(-3, 3).map(float))


def assert_exactly(got, expected) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.shape == expected.shape, repr(got)
    np.testing.assert_array_equal(got, expected, strict=True)


@given(st.integers(1, 4).flatmap(lambda n: st.lists(small_integers((n,)), min_size=3, max_size=3)))
def test_jit_of_x_dot_x_gives_2x_at_every_call(points):
    """J = x . x: the result's op reads x twice and directly; dJ/dx = 2x and J the new dot, call after call."""
    f = jit(lambda x: x.dot(x))
    for x in points:
        J, g = f.value_and_grad(x)
        assert float(x @ x) == J
        assert_exactly(g, 2.0 * x)
        assert_exactly(f.hvp(x, np.ones_like(x)), np.full(x.shape, 2.0))


@given(st.lists(small_integers((2, 3)), min_size=3, max_size=3))
def test_jit_of_x_sum_gives_ones_at_every_call(points):
    """J = sum(x): the result's op reads x directly; dJ/dx = ones of x's shape, J the new sum."""
    f = jit(lambda x: x.sum())
    for x in points:
        J, g = f.value_and_grad(x)
        assert float(x.sum()) == J
        assert_exactly(g, np.ones((2, 3)))
        assert_exactly(f.hvp(x, np.ones_like(x)), np.zeros((2, 3)))


def test_a_leaf_that_requires_a_gradient_but_is_not_differentiated_is_a_constant_of_the_code():
    """f(x) = sum(x * v) with v a closed-over leaf that requires a gradient: dJ/dx = v, v gets no .grad,
    and the compiled code keeps the value v had when traced."""
    v = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    f = jit(lambda x: (x * v).sum())
    for x in (np.array([2.0, 1.0, 1.0]), np.array([0.0, 5.0, -1.0])):
        J, g = f.value_and_grad(x)
        assert float((x * v.data).sum()) == J
        assert_exactly(g, v.data)
        assert v.grad is None
    eager_J, eager_g = value_and_grad(lambda x: (x * v).sum())(np.array([1.0, 1.0, 1.0]))
    assert (eager_J, eager_g.tolist()) == (2.0, [1.0, -2.0, 3.0])


def test_a_non_input_leaf_read_by_the_result_op_directly():
    """J = v . x with v a closed-over leaf that requires a gradient, read by the result's op: dJ/dx = v."""
    v = Tensor(np.array([3.0, 5.0]), requires_grad=True)
    f = jit(lambda x: v.dot(x))
    for x in (np.array([1.0, 1.0]), np.array([-2.0, 4.0])):
        J, g = f.value_and_grad(x)
        assert float(v.data @ x) == J
        assert_exactly(g, np.array([3.0, 5.0]))


def test_data_feeding_the_first_op_is_read_anew_on_every_call():
    """J = sum((d * x)**2) with the array argument d read by the first op: each call's d is used."""
    f = jit(lambda x, d: ((d * x) ** 2).sum())
    x = np.array([2.0, 1.0])
    for d in (np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.0, 0.0])):
        J, g = f.value_and_grad(x, d)
        assert float(((d * x) ** 2).sum()) == J
        assert_exactly(g, 2.0 * d * d * x)


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["d + x", "d - x"])
def test_data_read_by_the_result_op_directly(sign):
    """J = sum(d +- x) and J = d . x: the result's op reads the data and x; dJ/dx = +-1 and d."""
    plus_minus = jit(lambda x, d: (d + x).sum() if sign > 0 else (d - x).sum())
    dot = jit(lambda x, d: d.dot(x))
    x = np.array([1.0, 1.0, 2.0])
    for d in (np.array([1.0, -2.0, 4.0]), np.array([0.5, 0.0, -1.0])):
        J, g = plus_minus.value_and_grad(x, d)
        assert float((d + sign * x).sum()) == J
        assert_exactly(g, np.full(3, sign))
        J, g = dot.value_and_grad(x, d)
        assert float(d @ x) == J
        assert_exactly(g, d)


# ---------------------------------------------------------------- what a Jitted shows: its value's type, repr, source


@given(floats_arrays(shapes()))
def test_calling_a_jitted_function_gives_its_value_of_any_shape_as_eager_does(x):
    """jit(f)(x) is f's value whatever its shape (only the gradient needs one element), the same as eager's."""
    f = jit(lambda x: (x * 0.5).exp() + x)
    got = f(x)
    assert type(got) is np.ndarray and got.shape == x.shape and got.dtype == x.dtype
    # The same NumPy operations as the eager engine's, in the same order: equal to the last bit.
    np.testing.assert_array_equal(got, ((Tensor(x) * 0.5).exp() + x).data, strict=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=str)
def test_value_and_grad_gives_the_value_as_a_python_float(shape, dtype):
    """(J, g): J a Python float (what scipy.optimize.minimize(jac=True) takes), g of x's shape and dtype, for
    every one-element result and both float dtypes, as the eager value_and_grad gives them."""
    f = jit(lambda x: (x * x).sum().reshape(shape))
    x = np.array([1.5, -2.0], dtype=dtype)
    for _ in range(2):  # tracing, then the compiled code
        J, g = f.value_and_grad(x)
        assert type(J) is float and J == 6.25  # exact: 1.5**2 + 2**2 in either dtype
        assert type(g) is np.ndarray and g.dtype == dtype and g.tolist() == [3.0, -4.0]
    eager_J, _ = value_and_grad(f.f)(x)
    assert type(eager_J) is float and eager_J == J


def test_repr_names_the_compiled_function():
    """repr(jit(f)) is jit(<f's __name__>), or jit(<f's repr>) for a callable without a name."""
    assert repr(jit(named_cost)) == "jit(named_cost)"
    assert repr(jit(CallableWithoutName(returns=named_cost))) == "jit(<a callable object>)"


def test_source_names_the_arguments_after_the_parameters_and_the_keys_of_trees():
    """The compiled code's arguments are named as the docs say: a tree's leaves after the parameter and the
    keys (params_W_0), positions without a parameter name (f(*args)) x, arg_1, ..."""

    def loss(params, X):
        return ((X @ (params["W"][0] + params["W"][1]) + params["bX"]) ** 2).sum()

    params = {"bX": np.ones(1), "W": [np.ones((2, 1)), np.ones((2, 1))]}
    source = jit(loss).source(params, np.ones((3, 2)))
    assert source.splitlines()[0] == "def program(params_W_0, params_W_1, params_bX, X, _buffers):"
    assert all(f"dJ_dparams_{key} = " in source for key in ("W_0", "W_1", "bX"))  # and so their gradients

    unnamed = jit(lambda *a: (a[0] * a[1] * a[2]).sum(), argnums=(0, 1))
    source = unnamed.source(np.ones(2), np.ones(2), np.ones(2))
    assert source.splitlines()[0] == "def program(x, arg_1, arg_2, _buffers):"


def test_source_for_hvp_is_the_code_hvp_runs():
    """source(x, v, kind="hvp") shows the program hvp(x, v) runs (the same one, not a new trace): its arguments
    are x, then v (v_<name> for each leaf of a tree), then the data; and hvp equals the eager hvp."""
    f = jit(lambda x: (x * x * x).sum())
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    assert f.hvp(x, v).tolist() == hvp(f.f)(x, v).tolist() == [6.0, -12.0]  # H = diag(6x): exact
    source = f.source(x, v, kind="hvp")
    assert len(f._programs) == 1
    assert source.splitlines()[0] == "def program(x, v, _buffers):"
    assert "* v" in source and source != f.source(x)

    def loss(params, X):
        return ((X @ params["W"] + params["bX"]) ** 3).sum()

    params, X = {"W": np.ones((2, 1)), "bX": np.ones(1)}, np.array([[1.0, 0.0], [0.0, -1.0]])
    direction = {"W": np.array([[1.0], [0.0]]), "bX": np.array([-1.0])}
    g = jit(loss)
    got, want = g.hvp(params, direction, X), hvp(loss)(params, direction, X)
    assert got.keys() == want.keys() == {"W", "bX"}
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], strict=True)  # small integers: exact
    source = g.source(params, direction, X, kind="hvp")
    assert len(g._programs) == 1
    assert source.splitlines()[0] == "def program(params_W, params_bX, v_params_W, v_params_bX, X, _buffers):"


def test_a_jitted_function_looks_like_f_to_introspection():
    """functools.wraps-like: the name, docstring and signature are f's (what help() and IDEs show)."""
    compiled = jit(named_cost)
    assert compiled.__name__ == "named_cost" and compiled.__doc__ == "The sum of squares."
    assert compiled.__wrapped__ is named_cost
    assert inspect.signature(compiled) == inspect.signature(named_cost)


def test_a_callable_without_a_signature_compiles_with_its_argument_named_x():
    """operator.methodcaller has no inspect.signature: jit still compiles it, and names the argument x."""
    total = jit(operator.methodcaller("sum"))
    J, g = total.value_and_grad(np.array([1.0, 2.0]))
    assert J == 3.0 and g.tolist() == [1.0, 1.0]
    assert total.source(np.ones(2)).splitlines()[0] == "def program(x, _buffers):"


def test_Jitted_differentiates_the_first_argument_by_default_as_jit_does():
    """Jitted(f) (the class jit returns, exported by tinygrad_nnd.engine) has jit's default argnums=0."""

    def f(x, y):
        return (x * y * y).sum()

    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    assert Jitted(f).grad(x, y).tolist() == jit(f).grad(x, y).tolist() == (y * y).tolist()  # df/dx = y**2


@pytest.mark.parametrize("v", [np.array([1.0, 0.5]), [1, 2]], ids=["float64", "ints"])
def test_hvp_gives_x_dtype_whatever_the_dtype_of_v(v):
    """hvp(x, v) for float32 x: a float32 result, as the eager hvp gives (v is cast to x's dtype)."""
    f = jit(lambda x: (x * x * x).sum())
    x = np.array([1.5, -2.0], dtype=np.float32)
    got, want = f.hvp(x, v), hvp(f.f)(x, v)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got, 6.0 * x * np.asarray(v, dtype=np.float32))  # H = diag(6x): exact here


def test_static_arguments_equal_in_value_but_of_another_type_are_another_signature():
    """The signature has the type of a static argument, not only its value: 1 == True, but x[1] is a row and
    x[True] all of x (with a new axis)."""
    f = jit(lambda x, i: x[i].sum())
    x = np.arange(6.0).reshape(2, 3)
    assert f(x, 1) == x[1].sum() == 12.0
    assert f(x, True) == x[True].sum() == 15.0
    assert f(x, 1) == 12.0


def test_a_static_argument_keeps_the_kinds_and_shapes_apart():
    """With a static argument, each kind (value, gradient, hvp) and each shape of x still has its own program."""
    f = jit(lambda x, p: (x**p).sum())
    for n in (2, 3):
        x = np.arange(1.0, n + 1)
        assert f(x, 2.0) == (x * x).sum()
        J, g = f.value_and_grad(x, 2.0)
        assert (x * x).sum() == J and g.tolist() == (2.0 * x).tolist()
        assert f.hvp(x, np.ones(n), 2.0).tolist() == [2.0] * n


def test_f_is_traced_once_per_signature_and_not_called_again():
    """f itself runs once per signature (tracing); later calls run the compiled code only."""
    calls = []

    def f(x):
        calls.append(x.shape)
        return (x * x).sum()

    compiled = jit(f)
    for k in range(3):
        assert compiled.value_and_grad(np.full(2, float(k)))[0] == 2.0 * k * k
    assert calls == [(2,)]
    compiled.value_and_grad(np.ones(3))
    assert calls == [(2,), (3,)]


def test_a_thread_that_asks_for_a_signature_while_another_traces_it_waits_and_reuses_the_program():
    """One trace per signature, also when threads ask at once: a second thread that asks while the first traces
    waits for that trace instead of tracing f again (f's side effects run once)."""
    calls = []
    second_waits = threading.Event()

    class LockThatSaysWhoWaits:
        """The jit's own lock, which also tells the test when the second thread has come to it."""

        def __init__(self, lock):
            self.lock = lock

        def __enter__(self):
            if threading.current_thread().name == "second":
                second_waits.set()
            return self.lock.__enter__()

        def __exit__(self, *exc_info):
            return self.lock.__exit__(*exc_info)

    def f(x):
        calls.append(threading.current_thread().name)
        if threading.current_thread().name == "first":
            # Go on tracing only once the second thread, finding no program yet, waits at the lock:
            # no sleep, so the order is the same on a loaded machine.
            assert second_waits.wait(10), "the second thread never came to the lock"
        return (x * x).sum()

    compiled = jit(f)
    compiled._lock = LockThatSaysWhoWaits(compiled._lock)
    results = {}

    def work(name):
        results[name] = compiled.value_and_grad(np.array([1.0, 2.0]))[0]

    first = threading.Thread(target=work, args=("first",), name="first")
    second = threading.Thread(target=work, args=("second",), name="second")
    first.start()
    while not calls:  # the first thread is tracing (it holds the lock)
        time.sleep(0.001)
    second.start()
    first.join(timeout=20)
    second.join(timeout=20)
    assert not first.is_alive() and not second.is_alive()
    assert results == {"first": 5.0, "second": 5.0}
    assert calls == ["first"]


def test_a_jitted_function_called_while_tracing_another_leaves_the_outer_trace_guarded():
    """Calling a jitted helper inside a jitted function (its first call traces it, nested) must not switch off
    the outer trace's guard: branching on a traced value afterwards is still refused."""
    inner = jit(lambda a: (a * a).sum())

    def outer(x):
        scale = inner(np.array([1.0, 2.0]))  # a constant of the outer trace
        s = (x * scale).sum()
        return s if float(s) > 0 else -s  # a branch on the value of x

    with pytest.raises(TracerConversionError):
        jit(outer).value_and_grad(np.ones(2))
    assert value_and_grad(outer)(np.ones(2))[0] == 10.0  # eager: fine


def test_trace_records_ops_on_data_that_needs_no_gradient_so_the_code_reads_it_anew():
    """trace(run, data) (what the network's compiled cost uses): an op on data alone (d * d) is recorded, not
    computed once as a constant, so the compiled code uses each call's d."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    d = Tensor(np.array([3.0, 4.0]), name="d")
    root = trace(lambda: (d * d * w).sum(), [d])
    program = build(root, [w], [d], gradient=True, value_as_float=True)
    J, g = program(np.array([1.0, 2.0]), np.array([5.0, 6.0]))
    assert J == 25.0 + 72.0 and g.tolist() == [25.0, 36.0]  # exact: small integers
