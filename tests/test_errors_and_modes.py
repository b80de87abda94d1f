"""detect_anomaly, and the errors the engine raises for bad input (messages name the op and the shapes)."""

from __future__ import annotations

import operator
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_nnd import AnomalyError, Tensor, detect_anomaly
from tinygrad_nnd.engine.modes import state
from tinygrad_nnd.testing import assert_gradients_match, floats_arrays, shapes

# ---------------------------------------------------------------- detect_anomaly


@st.composite
def array_with_a_zero(draw):
    """A float array (at least 1 element) with a 0 at a drawn position, the rest of it non-zero."""
    x = draw(floats_arrays(shapes(min_dims=1), min_value=0.5, max_value=3.0))
    x.flat[draw(st.integers(0, x.size - 1))] = 0.0
    return x


@given(array_with_a_zero())
def test_anomaly_in_forward_names_the_first_op_and_its_input_shapes(x):
    """In log(x) * 0 with a 0 in x, log (the first op to make an inf) raises, naming log and x's shape."""
    t = Tensor(x, requires_grad=True)
    with detect_anomaly():
        shape = re.escape(str(x.shape))
        with pytest.raises(AnomalyError, match=rf"^log forward produced inf \(input shapes {shape}\)"):
            t.log() * 0.0


@given(array_with_a_zero())
def test_anomaly_x_over_x_at_zero_names_div_and_both_shapes(x):
    """x / x at 0 is NaN: div raises AnomalyError naming both input shapes."""
    t = Tensor(x, requires_grad=True)
    shape = re.escape(str(x.shape))
    with (
        detect_anomaly(),
        pytest.raises(AnomalyError, match=rf"^div forward produced NaN \(input shapes {shape} and {shape}\)"),
    ):
        t / t


def test_anomaly_error_is_a_floating_point_error_and_the_mode_is_restored():
    """AnomalyError subclasses FloatingPointError; leaving detect_anomaly (also by an error) turns the check off."""
    assert issubclass(AnomalyError, FloatingPointError)
    with pytest.raises(AnomalyError), detect_anomaly():
        assert state.anomaly
        Tensor([0.0]).log()
    assert not state.anomaly


def test_outside_detect_anomaly_nan_and_inf_propagate_without_anomaly_error():
    """Without detect_anomaly the same computations give NaN/inf silently (NumPy's errstate decides on warnings)."""
    x = Tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x.log() * 0.0
        z = x / x
        (x**0.5).sum().backward()
    assert np.isnan(y.data[0]) and np.isnan(z.data[0])
    assert np.isinf(x.grad[0])


@pytest.mark.filterwarnings("ignore:divide by zero encountered in power:RuntimeWarning")
def test_anomaly_in_backward_names_the_op_when_numpy_warnings_are_not_errors():
    """sqrt via pow(0.5) at 0 has an infinite derivative: pow's backward raises, naming pow and the shape."""
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = (x**0.5).sum()  # the forward pass is fine: sqrt(0) = 0
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^pow backward produced inf \(input shapes \(2,\)\)"):
        y.backward()


def test_anomaly_in_backward_raises_anomaly_error_even_with_warnings_as_errors():
    """Inside detect_anomaly an inf made by a backward rule raises AnomalyError, whatever the warning filters."""
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = (x**0.5).sum()
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^pow backward produced inf"):
        y.backward()


# ---------------------------------------------------------------- shape errors

BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


def not_broadcastable(pair):
    try:
        np.broadcast_shapes(*pair)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=st.tuples(shapes(), shapes()).filter(not_broadcastable))
def test_shape_mismatch_in_binary_op_raises_value_error_naming_op_and_both_shapes(name, pair):
    """a OP b for shapes that do not broadcast: ValueError '<op>: shapes A and B ...'."""
    a, b = (Tensor(np.ones(s), requires_grad=True) for s in pair)
    with pytest.raises(ValueError) as info:
        BINARY[name](a, b)
    message = str(info.value)
    assert message.startswith(f"{name}:")
    assert str(pair[0]) in message and str(pair[1]) in message


@given(m=st.integers(1, 4), k=st.integers(1, 4), j=st.integers(1, 4), vector=st.booleans())
def test_dot_with_misaligned_shapes_raises_value_error_naming_dot_and_both_shapes(m, k, j, vector):
    """(m, k) @ (j, ...) with j != k: ValueError naming dot and both shapes."""
    if j == k:
        j = k + 1
    a = Tensor(np.ones((m, k)), requires_grad=True)
    b = np.ones((j,) if vector else (j, 2))
    with pytest.raises(ValueError) as info:
        a @ b
    message = str(info.value)
    assert message.startswith("dot:") and str((m, k)) in message and str(b.shape) in message


def test_dot_of_a_3d_operand_raises_value_error():
    """dot takes 1-D and 2-D operands only."""
    with pytest.raises(ValueError, match=r"^dot:.*\(2, 2, 2\)"):
        Tensor(np.ones((2, 2, 2))).dot(np.ones(2))


@given(floats_arrays(shapes(min_dims=1)), st.integers(1, 70))
def test_reshape_to_a_wrong_size_raises_value_error_naming_reshape(x, size):
    """reshape to a shape with another number of elements: ValueError naming reshape."""
    if size == x.size:
        size += 1
    with pytest.raises(ValueError, match=r"^reshape"):
        Tensor(x, requires_grad=True).reshape(size)


# ---------------------------------------------------------------- type errors


@pytest.mark.parametrize(
    "data",
    ["abc", ["a", "b"], b"bytes", [object(), object()], None, 1 + 2j, np.array([1.0 + 1j]), [1.0, "x"]],
    ids=["str", "str-list", "bytes", "objects", "None", "complex", "complex-array", "mixed-list"],
)
def test_non_real_data_is_refused_with_type_error(data):
    """Strings, bytes, objects and complex numbers are refused, as Tensors and as operands of an op."""
    with pytest.raises(TypeError):
        Tensor(data)
    with pytest.raises(TypeError):
        Tensor([1.0], requires_grad=True) + data


@pytest.mark.parametrize("exponent", [Tensor(2.0), Tensor(2.0, requires_grad=True), np.array([2.0, 3.0]), "2", 2j])
def test_pow_with_non_scalar_or_non_real_exponent_raises_type_error(exponent):
    """The exponent of ** must be a constant real scalar: a Tensor, an array, a string or complex is a TypeError."""
    with pytest.raises(TypeError, match="pow"):
        Tensor([1.0, 2.0], requires_grad=True) ** exponent


@given(floats_arrays(shapes(min_dims=1), min_value=-3.0, max_value=-1e-3))
def test_log_of_negative_values_raises_value_error(x):
    """log of a negative number is not real: ValueError naming log."""
    with pytest.raises(ValueError, match=r"^log"):
        Tensor(x, requires_grad=True).log()


def test_pow_of_negative_base_with_fractional_exponent_raises_value_error():
    """A negative base to a non-integer power is not real: ValueError naming pow."""
    with pytest.raises(ValueError, match=r"^pow"):
        Tensor([-1.0, 4.0]) ** 0.5


# ---------------------------------------------------------------- ndarray on the left


@pytest.mark.parametrize("name", sorted(BINARY))
@given(array=floats_arrays(shape=(2, 3), min_value=0.5, max_value=3.0), x=floats_arrays(shape=(3,), min_value=0.5))
def test_ndarray_on_the_left_of_an_operator_gives_a_tensor_with_the_right_gradient(name, array, x):
    """np_array OP tensor is a Tensor (NumPy defers to Tensor's reflected method) whose gradient is correct.

    Values in [0.5, 3] keep the division's denominator away from 0.
    """
    op = BINARY[name]
    result = op(array, Tensor(x, requires_grad=True))
    assert isinstance(result, Tensor) and result.requires_grad
    np.testing.assert_allclose(result.data, op(array, x), rtol=1e-15)
    assert_gradients_match(lambda t: op(array, t), x)


@given(
    matrix=floats_arrays(shape=(2, 3)),
    vector=floats_arrays(shape=(3,)),
    x=floats_arrays(shape=(3,)),
    m=floats_arrays(shape=(3, 2)),
)
def test_ndarray_on_the_left_of_matmul_gives_a_tensor_with_the_right_gradient(matrix, vector, x, m):
    """np_array @ tensor (matrix @ vector, vector @ matrix) is a Tensor with the right gradient."""
    result = matrix @ Tensor(x, requires_grad=True)
    assert isinstance(result, Tensor)
    np.testing.assert_allclose(result.data, matrix @ x, rtol=1e-12, atol=1e-12)
    assert_gradients_match(lambda t: matrix @ t, x)
    assert_gradients_match(lambda t: vector @ t, m)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_reductions_accept_a_numpy_integer_axis_like_numpy(reduction):
    """x.sum(axis=np.int64(0)) is x.sum(axis=0), as np.sum has it (not an error)."""
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    result = getattr(x, reduction)(axis=np.int64(0))
    np.testing.assert_array_equal(result.data, getattr(np, reduction)(x.data, axis=0))


def test_np_array_of_a_tensor_is_a_copy_and_np_asarray_is_not():
    """np.array(t) copies (writing to it leaves the tensor and the user's array alone); np.asarray(t) does not."""
    a = np.array([1.0, 2.0])
    t = Tensor(a, requires_grad=True)
    copy = np.array(t)
    copy[:] = 5.0
    assert a.tolist() == [1.0, 2.0] and t.data.tolist() == [1.0, 2.0]
    assert np.asarray(t) is t.data


def test_python_numbers_keep_a_float32_tensor_float32_and_grad_keeps_the_leaf_dtype():
    """As with NumPy arrays, float32 * 0.5 stays float32; .grad has the leaf's dtype after every backward."""
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 0.5 + 1).sum()
    assert y.dtype == np.float32
    y.backward()
    y.backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda x: x.sum(axis=1.5), r"^sum: axis must be"),
        (lambda x: x.mean(axis=(0.5,)), r"^mean: axis must be"),
        (lambda x: x.reshape(2.9, 3), r"^reshape: a shape is a tuple of integers"),
        (lambda x: x.reshape("a"), r"^reshape: a shape is a tuple of integers"),
    ],
)
def test_non_integer_axes_and_shapes_are_refused_naming_the_op(make, pattern):
    """A float or string axis or shape is a TypeError naming the op, never silently truncated."""
    with pytest.raises(TypeError, match=pattern):
        make(Tensor(np.ones((2, 3))))


def test_an_infinite_exponent_is_computed_not_an_overflow_error():
    """x ** inf is NumPy's value (0 below 1, inf above), not an OverflowError from the exponent check."""
    with np.errstate(over="ignore"):
        assert (Tensor([0.5, 2.0]) ** float("inf")).data.tolist() == [0.0, float("inf")]


def test_a_plain_backward_after_create_graph_resets_grad_tensor():
    """grad_tensor is the differentiable form of grad; once grad moves on without it, it is None."""
    x = Tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert float(x.grad_tensor) == 12.0
    (x**3).backward()
    assert x.grad_tensor is None and float(x.grad) == 24.0
