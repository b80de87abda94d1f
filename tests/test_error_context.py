"""A failed forward pass names the op and the input shapes, decided from the shapes (not NumPy's wording)."""

import numpy as np
import pytest

from tinygrad_nnd import OPS, Tensor
from tinygrad_nnd.engine import apply

BROADCASTING = sorted(name for name, cls in OPS.items() if cls.broadcasts)


def test_the_four_arithmetic_ops_are_the_broadcasting_ones() -> None:
    """add, sub, mul and div broadcast their inputs, as NumPy's arithmetic does (others may join them)."""
    assert {"add", "sub", "mul", "div"} <= set(BROADCASTING)
    assert "dot" not in BROADCASTING


@pytest.mark.parametrize("name", BROADCASTING)
def test_shapes_that_do_not_broadcast_are_named_with_the_op(name: str) -> None:
    """(2, 3) against (4,): one ValueError that says the op and that the shapes cannot be broadcast."""
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast together$"):
        apply(OPS[name](), a, b)


def test_a_failure_of_another_op_names_the_op_its_parameters_and_the_shape() -> None:
    """reshape of 6 values into 4: the op with its parameters and the input shape, then NumPy's reason."""
    with pytest.raises(ValueError, match=r"^reshape\(shape=\(4,\)\): cannot apply to input shapes \(6,\): "):
        Tensor(np.ones(6)).reshape(4)


def test_an_op_that_wrote_its_own_message_keeps_it() -> None:
    """dot explains misaligned shapes itself; the message is passed on as it is."""
    with pytest.raises(ValueError, match=r"^dot: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
