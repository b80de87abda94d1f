"""Reverse-mode differentiation: walk the recorded graph from the output back to the leaves.

The chain rule, node by node: a node's gradient ``dL/d(node)`` is complete once
every node that used it has passed its share back. A topological order (each
node after all of its inputs), walked in reverse, guarantees that. The order
is found with an explicit stack, not recursion, so a chain of 100,000 ops
needs no deep Python call stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .modes import check_finite, enable_grad, no_grad, state
from .ops import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor

#: Called as ``on_step(node, g, input_grads)`` after each node's backward rule ran.
StepHook = Callable[["Tensor", Any, tuple[Any, ...]], None]


def topological_order(root: Tensor) -> list[Tensor]:
    """The nodes that ``root`` depends on and that require a gradient, inputs first.

    A depth-first search with an explicit stack: a node is appended after all of
    its inputs (post-order), each node once, however many paths lead to it.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def backpropagate(
    root: Tensor,
    seed: np.ndarray,
    create_graph: bool = False,
    wanted: Iterable[Tensor] = (),
    on_step: StepHook | None = None,
) -> dict[Tensor, Any]:
    """Propagate ``seed = dL/d(root)`` back through the graph.

    Parameters
    ----------
    root : Tensor
        The output the gradient starts from.
    seed : ndarray
        ``dL/d(root)``, of ``root``'s shape.
    create_graph : bool
        If True, the backward rules run on Tensors with recording on, so the
        returned gradients are Tensors with a graph of their own.
    wanted : iterable of Tensor
        Inner nodes whose gradient should be returned too.
    on_step : callable, optional
        Called after each node's backward rule (used by the backward-pass trace).

    Returns
    -------
    dict
        ``{tensor: dL/d(tensor)}`` for every leaf reached and every wanted node.
        A node's gradient is freed as soon as it has been passed on.
    """
    wanted_ids = {id(t) for t in wanted}
    results: dict[Tensor, Any] = {}
    pending: dict[int, Any] = {id(root): type(root)(seed) if create_graph else seed}
    with enable_grad() if create_graph else no_grad():
        for node in reversed(topological_order(root)):
            g = pending.pop(id(node), None)
            if g is None:  # no path from this node to root carries a gradient
                continue
            if node._op is None or id(node) in wanted_ids:
                results[node] = g
            if node._op is None:
                continue
            parents = node._parents
            if create_graph:
                input_grads = node._op.backward(g, node, *parents)
            else:
                input_grads = node._op.backward(g, node.data, *[p.data for p in parents])
            if on_step is not None:
                on_step(node, g, input_grads)
            for parent, pg in zip(parents, input_grads):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:
                    pg = unbroadcast(pg, parent.data.shape)
                previous = pending.get(id(parent))
                pending[id(parent)] = pg if previous is None else previous + pg
            if state.anomaly:
                check_finite(node._op.name, "backward", tuple(input_grads), [p.data.shape for p in parents])
    return results

