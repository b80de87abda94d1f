"""A recorded graph compiled with chosen leaves as arguments, called as the replayed Tape was.

Several test files check the compiler on graphs the network never builds;
this is their one way in (the network and ``jit`` trace, these tests record
eagerly and compile what they recorded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_nnd import Tensor
from tinygrad_nnd.engine.compiler import build

ValueAndGrad = Callable[..., tuple[np.ndarray, list[np.ndarray]]]


def compiled(root: Tensor, inputs: Sequence[Tensor], data: Sequence[Tensor] = ()) -> ValueAndGrad:
    """``(values, data_values=()) -> (result, [gradient per input])`` for the graph of ``root``.

    ``inputs`` are differentiated, ``data`` only read; every other leaf is a constant.
    """
    program = build(root, list(inputs), list(data), gradient=True)

    def value_and_grad(
        values: Sequence[np.ndarray], data_values: Sequence[np.ndarray] = ()
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        J, *grads = program(*values, *data_values)
        return J, grads

    return value_and_grad
