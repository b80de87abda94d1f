"""Every op's forward pass against an independent NumPy reference, on the generated cases.

``tests/test_ops_gradients.py`` checks each backward rule against central
differences *of the op's own forward*: a forward that is wrong in the same way
as its backward (a transpose that ignores its ``axes``, a mean that divides by
the wrong count) passes there. Here the forward itself is compared with what
NumPy computes for the same operation, written without the op class.

Tolerances: where the reference is the same NumPy ufunc or indexing the op is
documented to be, results are compared exactly (same arithmetic, same order).
Where the reference is another formula of the same function (sigmoid as
``1 / (1 + e**-a)``, mean as a sum over a count, dot as explicit sums of
products), the two differ by a few rounding errors: ``rtol = 1e-14`` is ~50
ulps, for values in [-3, 3] and at most 4 summed terms (``atol = 1e-13`` bounds
the absolute rounding of such a sum, ~4 * 9 * 2**-52, near a cancellation). A
wrong forward (wrong axes, a missing term, a wrong count) is off by far more.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nnd import OPS, Op, Tensor, detect_anomaly, no_grad
from tinygrad_nnd.engine import apply
from tinygrad_nnd.engine.ops import (
    Concatenate,
    Exp,
    Log,
    LogSoftmax,
    LogSumExp,
    Max,
    Mean,
    Min,
    Pow,
    Softmax,
    SoftmaxCrossEntropy,
    Sqrt,
    Squeeze,
    Stack,
    Sum,
    Transpose,
)
from tinygrad_nnd.testing import OpCase, axes_for, floats_arrays, op_inputs

OP_NAMES = sorted(OPS)
RTOL, ATOL = 1e-14, 1e-13


def _flat_positions(shape: tuple[int, ...], index) -> np.ndarray:
    """The flat position in an array of ``shape`` of every element ``index`` selects (in selection order)."""
    return np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[index]


def _dot_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.dot written as explicit sums of products over the shared axis (no BLAS call)."""
    a_2d = a.reshape(1, -1) if a.ndim == 1 else a
    b_2d = b.reshape(-1, 1) if b.ndim == 1 else b
    c = (a_2d[:, :, None] * b_2d[None, :, :]).sum(axis=1)
    shape = a.shape[:-1] + b.shape[1:]
    return c.reshape(shape)


def _scatter_add_reference(a: np.ndarray, index, shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` plus ``a`` at ``index``, by counting each selected position (repeats add up)."""
    positions = np.broadcast_to(_flat_positions(shape, index), a.shape).ravel()
    size = int(np.prod(shape))
    return np.bincount(positions, weights=a.ravel(), minlength=size).astype(a.dtype).reshape(shape)


def _mean_reference(a: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    total = np.sum(a, axis=axis, keepdims=keepdims)
    count = a.size // max(total.size, 1)  # how many elements each output averages
    return total / count


def _logsumexp_reference(a: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """SciPy's logsumexp, in the shape np.sum gives (SciPy returns shape (1,) for a 0-d input with keepdims)."""
    expected_shape = np.sum(a, axis=axis, keepdims=keepdims).shape
    return np.asarray(scipy.special.logsumexp(a, axis=axis, keepdims=keepdims)).reshape(expected_shape)


#: op name -> (reference(case) -> expected array, whether the reference is exactly the op's arithmetic).
REFERENCES: dict[str, tuple[Callable[[OpCase], np.ndarray], bool]] = {
    "add": (lambda c: np.add(*c.inputs), True),
    "sub": (lambda c: np.subtract(*c.inputs), True),
    "mul": (lambda c: np.multiply(*c.inputs), True),
    "div": (lambda c: np.true_divide(*c.inputs), True),
    "dot": (lambda c: _dot_reference(*c.inputs), False),
    "neg": (lambda c: np.negative(c.inputs[0]), True),
    "pow": (lambda c: np.power(c.inputs[0], c.params["exponent"]), True),
    "square": (lambda c: np.square(c.inputs[0]), True),
    "exp": (lambda c: np.exp(c.inputs[0]), True),
    "log": (lambda c: np.log(c.inputs[0]), True),
    "tanh": (lambda c: np.tanh(c.inputs[0]), True),
    "sigmoid": (lambda c: 1.0 / (1.0 + np.exp(-c.inputs[0])), False),
    "relu": (lambda c: np.where(c.inputs[0] > 0, c.inputs[0], 0.0), True),
    "step": (lambda c: np.where(c.inputs[0] > 0, np.ones_like(c.inputs[0]), np.zeros_like(c.inputs[0])), True),
    "sum": (lambda c: np.sum(c.inputs[0], axis=c.params["axis"], keepdims=c.params["keepdims"]), True),
    "mean": (lambda c: _mean_reference(c.inputs[0], c.params["axis"], c.params["keepdims"]), False),
    "broadcast_to": (lambda c: np.broadcast_to(c.inputs[0], c.params["shape"]), True),
    "reshape": (lambda c: np.reshape(c.inputs[0], c.params["shape"]), True),
    "transpose": (lambda c: np.transpose(c.inputs[0], c.params["axes"]), True),
    "getitem": (lambda c: c.inputs[0].ravel()[_flat_positions(c.inputs[0].shape, c.params["index"])], True),
    "scatter_add": (lambda c: _scatter_add_reference(c.inputs[0], c.params["index"], c.params["shape"]), False),
    # The ops of issue 11. The softmax family against SciPy's own implementations (another formula:
    # a few roundings apart); the rest are the NumPy functions they are documented to be.
    "maximum": (lambda c: np.maximum(*c.inputs), True),
    "minimum": (lambda c: np.minimum(*c.inputs), True),
    "where": (lambda c: np.where(c.params["condition"], *c.inputs), True),
    "abs": (lambda c: np.abs(c.inputs[0]), True),
    "sqrt": (lambda c: np.sqrt(c.inputs[0]), True),
    "clip": (lambda c: np.clip(c.inputs[0], c.params["a_min"], c.params["a_max"]), True),
    "concatenate": (lambda c: np.concatenate(c.inputs, axis=c.params["axis"]), True),
    "stack": (lambda c: np.stack(c.inputs, axis=c.params["axis"]), True),
    "expand_dims": (lambda c: np.expand_dims(c.inputs[0], c.params["axis"]), True),
    "squeeze": (lambda c: np.squeeze(c.inputs[0], c.params["axis"]), True),
    "max": (lambda c: np.amax(c.inputs[0], axis=c.params["axis"], keepdims=c.params["keepdims"]), True),
    "min": (lambda c: np.amin(c.inputs[0], axis=c.params["axis"], keepdims=c.params["keepdims"]), True),
    "logsumexp": (lambda c: _logsumexp_reference(c.inputs[0], c.params["axis"], c.params["keepdims"]), False),
    "softmax": (lambda c: scipy.special.softmax(c.inputs[0], axis=c.params["axis"]), False),
    "log_softmax": (lambda c: scipy.special.log_softmax(c.inputs[0], axis=c.params["axis"]), False),
    "softmax_cross_entropy": (
        lambda c: (
            -np.sum(c.inputs[1] * scipy.special.log_softmax(c.inputs[0], axis=c.params["axis"]), axis=c.params["axis"])
        ),
        False,
    ),
}


def assert_matches_reference(got: np.ndarray, expected: np.ndarray, exact: bool, what: str) -> None:
    """Same type, shape and dtype; equal values (exactly, or to rounding: see the module docstring)."""
    assert type(got) is np.ndarray, f"{what}: got {type(got).__name__}, not an ndarray"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, NumPy gives {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, NumPy gives {expected.dtype}"
    if exact:
        np.testing.assert_array_equal(got, expected, strict=True, err_msg=what)
    else:
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, strict=True, err_msg=what)


def test_every_registered_op_has_a_forward_reference():
    """A new op in OPS without an independent reference here fails (and a stale reference too)."""
    assert set(REFERENCES) == set(OPS)


def test_an_op_class_that_sets_a_name_registers_itself_and_one_that_does_not_stays_out(registry_restored):
    """Defining a subclass of Op with a ``name`` adds it to OPS under that name (the registry the suite loops
    over); a subclass without a name of its own (a helper base, a variant for a test) changes no entry."""

    class Cube(Op):
        name = "cube_for_this_test"
        __slots__ = ()

    class ExpVariant(Exp):  # inherits the name "exp" without setting it
        __slots__ = ()

    assert OPS["cube_for_this_test"] is Cube
    assert OPS["exp"] is Exp
    assert all(cls is not ExpVariant for cls in OPS.values())


def test_a_forward_result_becomes_a_float_array_and_complex_data_is_refused_naming_the_op(registry_restored):
    """Whatever a forward returns (a NumPy scalar, Python ints) the result Tensor holds a float ndarray, as
    every Tensor does; a forward that returns complex numbers is refused with a TypeError that names its op."""

    class CountPositives(Op):
        name = "count_positives_for_this_test"
        __slots__ = ()

        def forward(self, a):
            return int((a > 0).sum())  # a Python int

    class ToComplex(Op):
        name = "to_complex_for_this_test"
        __slots__ = ()

        def forward(self, a):
            return a + 1j

    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    counted = apply(CountPositives(), x)
    assert type(counted.data) is np.ndarray and counted.data.dtype == np.float64 and counted.data.shape == ()
    assert counted.item() == 2.0
    summed = apply(Sum(), Tensor(np.float32(2.5)))  # a 0-d sum: NumPy gives a scalar, not an array
    assert type(summed.data) is np.ndarray and summed.data.dtype == np.float32
    with pytest.raises(TypeError, match=r"^to_complex_for_this_test: data of dtype complex128"):
        apply(ToComplex(), x)


def test_an_op_class_without_a_name_is_named_after_its_class_in_every_message(registry_restored):
    """A helper op that sets no ``name`` (a test's op, a base class) is not registered, yet every message
    names it, by its class: a refused result, a refused constant operand, a tensor's repr."""

    class NamelessToComplex(Op):
        __slots__ = ()

        def forward(self, a):
            return a + 1j

    class NamelessDouble(Op):
        __slots__ = ()

        def forward(self, a):
            return 2.0 * a

    assert NamelessToComplex.name == "NamelessToComplex" and "NamelessToComplex" not in OPS
    with pytest.raises(TypeError, match=r"^NamelessToComplex: data of dtype complex128"):
        apply(NamelessToComplex(), Tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match=r"^NamelessDouble: "):
        apply(NamelessDouble(), "text")  # a constant operand is checked under the op's name too
    assert "op=NamelessDouble" in repr(apply(NamelessDouble(), Tensor([1.0], requires_grad=True)))


@pytest.mark.parametrize(
    "op_class, reference",
    [
        (Concatenate, lambda xs: np.concatenate(xs)),
        (Stack, lambda xs: np.stack(xs)),
        (Sum, lambda xs: np.sum(xs[0])),
        (Mean, lambda xs: np.mean(xs[0])),
        (Max, lambda xs: np.max(xs[0])),
        (Min, lambda xs: np.min(xs[0])),
        (Transpose, lambda xs: np.transpose(xs[0])),
        (Squeeze, lambda xs: np.squeeze(xs[0])),
        (LogSumExp, lambda xs: scipy.special.logsumexp(xs[0])),
    ],
    ids=lambda v: v.name if isinstance(v, type) else "",
)
def test_an_op_made_without_arguments_has_its_numpy_namesakes_defaults(op_class, reference):
    """Op() with its default parameters computes what the NumPy (SciPy) function computes with its own:
    concatenate and stack along axis 0, the reductions over every axis without keepdims, transpose
    reversing the axes. Two (2, 1, 3) arrays of distinct values: each default is told apart from the others."""
    xs = (np.arange(6.0).reshape(2, 1, 3), np.arange(6.0, 12.0).reshape(2, 1, 3))
    inputs = xs if op_class.n_inputs is None else xs[: op_class.n_inputs]
    got = apply(op_class(), *inputs).data
    # logsumexp is another formula than SciPy's (see the module docstring's tolerances); the rest are exact.
    assert_matches_reference(got, np.asarray(reference(inputs)), op_class is not LogSumExp, op_class.name)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_forward_equals_an_independent_numpy_reference(name, data):
    """For every op, on every generated case: the Tensor result equals NumPy's result for that operation."""
    case = data.draw(op_inputs(name), label="case")
    reference, exact = REFERENCES[name]
    expected = np.asarray(reference(case))
    tensors = [Tensor(a.copy(), requires_grad=True) for a in case.inputs]
    out = case.apply(*tensors)
    assert_matches_reference(out.data, expected, exact, f"{name}{case.params}")
    # The same forward runs inside no_grad and detect_anomaly (other code paths of apply).
    with no_grad(), detect_anomaly():
        again = case.apply(*[a.copy() for a in case.inputs])
    assert_matches_reference(again.data, expected, exact, f"{name}{case.params} under no_grad/detect_anomaly")


# ---------------------------------------------------------------- transpose with explicit axes

PERMUTATIONS_3D = list(itertools.permutations(range(3)))


@pytest.mark.parametrize("axes", PERMUTATIONS_3D, ids=str)
@given(x=floats_arrays(shape=(2, 3, 4)))
def test_transpose_with_every_explicit_permutation_of_three_axes_is_numpys(axes, x):
    """x.transpose(axes) for each of the 6 permutations of a (2, 3, 4) array (distinct sides: no
    permutation can pass for another) is np.transpose(x, axes), and its gradient is g moved back."""
    t = Tensor(x, requires_grad=True)
    y = t.transpose(axes)
    assert_matches_reference(y.data, np.transpose(x, axes), True, f"transpose{axes}")
    g = np.arange(24.0).reshape(y.shape)
    y.backward(g)
    np.testing.assert_array_equal(t.grad, np.transpose(g, np.argsort(axes)), strict=True)


@pytest.mark.parametrize("axes", [(-3, -1, -2), (1, -1, 0), (-1, 0, 1)], ids=str)
def test_transpose_with_negative_axes_counts_them_from_the_end(axes):
    """Negative entries of ``axes`` name axes from the end, as np.transpose has it."""
    x = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(x, requires_grad=True)
    y = t.transpose(axes)
    assert_matches_reference(y.data, np.transpose(x, axes), True, f"transpose{axes}")
    g = np.arange(24.0).reshape(y.shape) - 7.0
    y.backward(g)
    assert_matches_reference(t.grad, np.transpose(g, np.argsort([a % 3 for a in axes])), True, "gradient")


def test_transpose_without_axes_reverses_them():
    """Transpose() and .T reverse the axes of a 3-D array (np.transpose's default)."""
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_matches_reference(Transpose().forward(x), x.transpose(2, 1, 0), True, "Transpose()")
    assert_matches_reference(Tensor(x).T.data, x.transpose(2, 1, 0), True, ".T")


# ---------------------------------------------------------------- the softmax family on the whole float64 range

#: Finite numbers up to 1e300 in size with the extremes frequent, and -inf (a class ruled out), so that
#: groups of very different sizes, and groups of nothing but -inf, meet in one array.
WIDE = st.one_of(st.sampled_from([1e300, -1e300, 0.0, -np.inf]), st.floats(-1e300, 1e300))


@settings(max_examples=40)
@given(a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), elements=WIDE), data=st.data())
def test_logsumexp_and_softmax_equal_scipys_on_the_whole_float64_range(a, data):
    """logsumexp and softmax, over any axis, equal SciPy's (which shift by each group's own maximum) for
    values up to 1e300, without a warning: no exp overflows, no group far below another underflows to
    log(0) or 0 / 0. logsumexp also takes -inf, a group of nothing but -inf included; softmax is given
    -1e300 in their place, since a group of nothing but -inf has no softmax (0 / 0).

    Tolerance: a few roundings of results of size up to 1e300 (rtol 1e-12), or of log(n) <= log(16)
    near a cancellation (atol 1e-14). SciPy's own formula differs in its last bits (from 1.15 it
    sums with log1p and leaves the maximum's term out), which these bounds cover."""
    axis = data.draw(axes_for(a.ndim), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    finite_rows = np.where(np.isfinite(a), a, -1e300)  # softmax of a group of nothing but -inf is 0 / 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow, a log(0) or a 0 / 0 warning fails the test
        lse = apply(LogSumExp(axis, keepdims), a).data
        p = apply(Softmax(axis), finite_rows).data
    expected_lse = np.asarray(scipy.special.logsumexp(a, axis=axis, keepdims=keepdims)).reshape(lse.shape)
    np.testing.assert_allclose(lse, expected_lse, rtol=1e-12, atol=1e-14, strict=True)
    np.testing.assert_allclose(p, scipy.special.softmax(finite_rows, axis=axis), rtol=1e-12, atol=1e-300, strict=True)


@pytest.mark.parametrize("size", [1e17, 1e300])
def test_log_softmax_and_cross_entropy_of_two_equal_huge_logits_are_minus_and_plus_log_2(size):
    """Two equal logits are two equally likely classes, however large: log_softmax is -log 2 for each
    and the cross-entropy against either class is log 2 (SciPy's log_softmax gives -log 2 here)."""
    logits = np.array([size, size])
    # Both sides are log 2 up to how np.log rounds it: an array's SIMD log and a scalar's may differ by
    # an ulp (1.1e-16 relative), so rtol 1e-15 allows a few; a result that lost log 2 is off by 100%.
    np.testing.assert_allclose(apply(LogSoftmax(), logits).data, [-np.log(2.0)] * 2, rtol=1e-15)
    cross_entropy = apply(SoftmaxCrossEntropy(), logits, np.array([1.0, 0.0])).data
    np.testing.assert_allclose(cross_entropy, np.log(2.0), rtol=1e-15)


# ---------------------------------------------------------------- domain boundaries of the forwards


def test_fractional_power_of_zero_is_zero_not_an_error():
    """0 ** 0.5 = 0 is a real number: only a *negative* base to a fractional power is refused."""
    assert_matches_reference(Pow(0.5).forward(np.array([0.0, 4.0])), np.array([0.0, 2.0]), True, "pow(0.5)")


def test_integer_power_of_a_negative_base_is_computed():
    """(-2) ** 3 = -8 and (-2) ** -2 = 0.25: an integer exponent accepts any base."""
    assert_matches_reference(Pow(3.0).forward(np.array([-2.0])), np.array([-8.0]), True, "pow(3)")
    assert_matches_reference(Pow(-2.0).forward(np.array([-2.0])), np.array([0.25]), True, "pow(-2)")


def test_negative_base_to_a_fractional_power_is_refused_naming_the_smallest_base():
    """(-1) ** 0.5 is not real: a ValueError naming pow, the exponent and the offending value."""
    with pytest.raises(ValueError, match=r"^pow: a negative base to the non-integer power 0\.5 .*smallest base -3\.0"):
        Pow(0.5).forward(np.array([4.0, -3.0, -1.0]))


def test_log_of_zero_is_minus_infinity_without_a_warning():
    """log(0) = -inf is the limit, not an error: no ValueError, and (warnings being errors here) no warning."""
    assert_matches_reference(Log().forward(np.array([0.0, 1.0])), np.array([-np.inf, 0.0]), True, "log")


def test_log_of_a_negative_value_is_refused_naming_the_smallest_value():
    """log(-2) is not real: a ValueError naming log and the smallest input."""
    with pytest.raises(ValueError, match=r"^log: input has negative values \(smallest -2\.0\)"):
        Log().forward(np.array([1.0, -2.0, -0.5]))


def test_square_root_of_zero_is_zero_not_an_error():
    """sqrt(0) = 0 is a real number: only *negative* inputs are refused."""
    assert_matches_reference(Sqrt().forward(np.array([0.0, 4.0])), np.array([0.0, 2.0]), True, "sqrt")


def test_square_root_of_a_negative_value_is_refused_naming_the_smallest_value():
    """sqrt(-3) is not real: a ValueError naming sqrt and the smallest input, the whole sentence."""
    message = "sqrt: input has negative values (smallest -3.0); the square root is not real there"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Tensor(np.array([4.0, -3.0, -1.0]), requires_grad=True).sqrt()


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "dot", "neg", "exp", "tanh", "sigmoid", "relu"])
def test_float32_inputs_give_float32_results(name):
    """An op on float32 arrays computes in float32, as the NumPy operation does (no silent upcast)."""
    a = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    case = OpCase(name, {}, (a, a.copy()) if OPS[name].n_inputs == 2 else (a,))
    expected = np.asarray(REFERENCES[name][0](case))
    out = case.apply(*[Tensor(x, requires_grad=True) for x in case.inputs])
    assert out.dtype == np.float32 == expected.dtype
    np.testing.assert_allclose(out.data, expected, rtol=1e-6, strict=True)  # float32: ~8 ulps of 2**-23


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=20)  # dtype plumbing: the values are checked above on 60 float64 cases
@given(data=st.data())
def test_float32_cases_give_float32_results_equal_to_numpy_on_float32(name, data):
    """For every op, a generated case cast to float32 gives a float32 result (no silent upcast to float64,
    as a fresh float64 buffer would cause) with NumPy's float32 values.

    Tolerance: float32 rounds at 2**-24 ~ 6e-8 relative. The op and a reference that is another formula
    differ by a few roundings per summed term: at most 64 terms of size <= 9 (a product of two values in
    [-3, 3]) give ~64 * 9 * 6e-8 ~ 3.5e-5 absolute, inside atol = 1e-4; rtol = 1e-5 is ~80 ulps. A wrong
    dtype is checked exactly, and a wrong forward is off by far more.
    """
    case = data.draw(op_inputs(name), label="case")
    case32 = OpCase(case.name, case.params, tuple(a.astype(np.float32) for a in case.inputs))
    expected = np.asarray(REFERENCES[name][0](case32))
    assert expected.dtype == np.float32  # the reference itself stays in float32
    out = case32.apply(*[Tensor(a, requires_grad=True) for a in case32.inputs])
    assert out.dtype == np.float32, f"{name}{case.params}: float32 inputs gave {out.dtype}"
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-4, strict=True)
