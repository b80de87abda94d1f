"""A recorded graph, replayed on new values: autodiff without rebuilding the graph on every call.

When the same function is differentiated again and again at new points (an
optimizer calling for the cost and gradient a hundred times), every call
records the same graph: the same ops in the same order, on arrays of the same
shapes. For a small network most of the time then goes into that bookkeeping
(making Tensors, sorting the graph), not into arithmetic.

A :class:`Tape` records the graph once and then replays it: the forward pass
calls each op's ``forward`` on the new arrays, the backward pass each op's
``backward`` in reverse order, and gradients are summed back to each input's
shape with the same :func:`~tinygrad_nnd.engine.ops.unbroadcast`. The ops and
their rules are those of :mod:`~tinygrad_nnd.engine.ops`; only the Tensors and
the sorting are left out.

A tape is valid only while the function would record the same graph: it must
not branch on the values of its inputs, and every constant it used, other
than the ``data`` fed anew on each call, must still be the one wanted. The
caller decides when that holds. :class:`~tinygrad_nnd.NeuralNetwork` keeps a
tape of its cost, which has no branches, and feeds it the weights and the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .backprop import accumulate, topological_order
from .modes import run_checked, state
from .ops import Op
from .tensor import Tensor


class Tape:
    """The graph from ``inputs`` and ``data`` to ``root``, ready to run again on new values.

    Parameters
    ----------
    root : Tensor
        A one-element result (a cost).
    inputs : sequence of Tensor
        Leaves that require a gradient and whose values change from call to call.
    data : sequence of Tensor, optional
        Constants (no gradient) whose values change from call to call, such as
        the training data. Every other constant keeps the array it had.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_nnd import Tensor
    >>> from tinygrad_nnd.engine.tape import Tape
    >>> w, target = Tensor(np.zeros(2), requires_grad=True), Tensor(np.ones(2))
    >>> tape = Tape(((w - target) ** 2).sum(), [w], [target])
    >>> J, (dJ_dw,) = tape.value_and_grad([np.array([0.0, 3.0])], [np.array([1.0, 1.0])])
    >>> float(J), dJ_dw
    (5.0, array([-2.,  4.]))
    """

    def __init__(self, root: Tensor, inputs: Sequence[Tensor], data: Sequence[Tensor] = ()) -> None:
        if root.data.size != 1:
            raise ValueError(f"Tape: the result must have one element, got shape {root.shape}")
        nodes = topological_order(root)  # the root comes last
        slot = {node: i for i, node in enumerate(nodes)}
        if any(x not in slot or x._op is not None for x in inputs):
            raise ValueError("Tape: every input must be a leaf that requires a gradient and leads to the result")
        # The value table: one entry per node, then one per data array.
        slot.update({d: len(nodes) + k for k, d in enumerate(data)})
        self.n_nodes = len(nodes)
        self.input_slots = [slot[x] for x in inputs]
        self.input_shapes = [x.data.shape for x in inputs]
        self.data_shapes = [d.data.shape for d in data]
        self.ops: list[Op | None] = [node._op for node in nodes]
        # Per node, per parent: a slot in the value table, or the constant array itself.
        self.parents: list[list[int | np.ndarray]] = [
            [slot.get(p, p.data) for p in node._parents] for node in nodes
        ]
        self.shapes = [node.data.shape for node in nodes] + self.data_shapes
        # What the leaves that are not inputs hold (their values do not change).
        self.leaf_values = [node.data if node._op is None else None for node in nodes]
        self.seed = np.ones_like(root.data)  # dJ/dJ; rules never write into their incoming gradient
        self.seed.flags.writeable = False
        self.release_after = self._release_schedule()
        self.no_inputs = [[None] * len(parents) for parents in self.parents]

    def _release_schedule(self) -> list[list[int]]:
        """For each node, the values that can be freed once its forward has run.

        A value computed by an op is freed after the last op that reads it in the
        forward pass, unless some backward rule reads it (``Op.saves_inputs`` of a
        consumer, ``Op.saves_output`` of its own op). For the series' network this
        frees ``z_2`` and ``z_3``: the sigmoid's rule needs only its output.
        """
        n = self.n_nodes
        read_by_backward = [False] * len(self.shapes)
        last_reader = [-1] * len(self.shapes)
        for i, op in enumerate(self.ops):
            if op is None:
                continue
            read_by_backward[i] = read_by_backward[i] or op.saves_output
            for p in self.parents[i]:
                if type(p) is int:
                    last_reader[p] = i
                    read_by_backward[p] = read_by_backward[p] or op.saves_inputs
        schedule: list[list[int]] = [[] for _ in range(n)]
        for i in range(n - 1):  # never the result
            if self.ops[i] is not None and not read_by_backward[i] and last_reader[i] >= 0:
                schedule[last_reader[i]].append(i)
        return schedule

    def value_and_grad(
        self, values: Sequence[np.ndarray], data: Sequence[np.ndarray] = ()
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The result, and its gradient with respect to each input, at new input and data values.

        Returns
        -------
        tuple
            The result (a one-element array) and one fresh gradient array per input.
        """
        if [v.shape for v in values] != self.input_shapes or [d.shape for d in data] != self.data_shapes:
            given = ([v.shape for v in values], [d.shape for d in data])
            raise ValueError(f"Tape: shapes {given} given, recorded {(self.input_shapes, self.data_shapes)}")
        out: list[Any] = self.leaf_values + list(data)
        for i, value in zip(self.input_slots, values):
            out[i] = value
        parents, ops, n = self.parents, self.ops, self.n_nodes
        checked = state.anomaly  # inside detect_anomaly(), every result is checked
        args: list[Any] = [None] * n
        for i in range(n):  # forward: inputs first
            op = ops[i]
            if op is not None:
                inputs = [out[p] if isinstance(p, int) else p for p in parents[i]]
                if checked:
                    result = run_checked(op.name, "forward", [np.shape(x) for x in inputs], op.forward, *inputs)
                else:
                    result = op.forward(*inputs)
                out[i] = np.asarray(result)
                args[i] = inputs if op.saves_inputs else self.no_inputs[i]
                for released in self.release_after[i]:
                    out[released] = None
        grads: list[Any] = [None] * n
        grads[n - 1] = self.seed
        for i in range(n - 1, -1, -1):  # backward: result first
            op, g = ops[i], grads[i]
            if op is None or g is None:
                continue
            if checked:
                shapes = [self.shapes[p] if isinstance(p, int) else p.shape for p in parents[i]]
                input_grads = run_checked(op.name, "backward", shapes, op.backward, g, out[i], *args[i])
            else:
                input_grads = op.backward(g, out[i], *args[i])
            for p, pg in zip(parents[i], input_grads):
                if pg is not None and type(p) is int and p < n:  # constants and data get no gradient
                    grads[p] = accumulate(grads[p], pg, self.shapes[p])
        input_grads = [
            np.zeros(shape) if grads[i] is None else np.array(grads[i], dtype=np.float64)
            for i, shape in zip(self.input_slots, self.input_shapes)
        ]
        return np.array(out[n - 1]), input_grads
