"""A drawing of a Tensor's graph with values and gradients, for the notebook and for files.

:func:`draw_graph` is the picture people know from micrograd: every tensor in a
box with its name, shape and value, and, once ``backward()`` has run, its
gradient; every op in an ellipse between its inputs and its result. The object
it returns shows itself as an image in Jupyter when Graphviz's ``dot`` program
is installed (and as DOT text otherwise), and saves itself as SVG, PNG or DOT.

The gradient shown in a box is ``d(root)/d(tensor)``. The engine frees the
gradients of inner nodes as soon as it has passed them on, so the drawing asks
the engine's own :func:`~tinygrad_nnd.backpropagate` for them again; no
tensor's ``.grad`` is changed. After one ``root.backward()`` the gradient shown
in a leaf's box is the leaf's ``.grad``.

Examples
--------
>>> from tinygrad_nnd import Tensor
>>> from tinygrad_nnd.viz import draw_graph
>>> w = Tensor([1.0, -2.0], requires_grad=True, name="w")
>>> loss = (w * w).sum()
>>> loss.name = "loss"
>>> loss.backward()
>>> drawing = draw_graph(loss)
>>> drawing
GraphDrawing(loss: 3 tensors, 2 ops, with gradients)
>>> "grad&#160;[&#160;2.&#160;-4.]" in drawing.dot   # w's gradient, 2 * w
True
"""

from __future__ import annotations

import html
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Tensor, backpropagate
from .graph import _GRAPHVIZ_HELP, dot_image, graph_nodes, node_labels, render, to_dot

__all__ = ["GraphDrawing", "draw_graph"]

#: File suffixes that :meth:`GraphDrawing.save` writes as DOT text (no Graphviz needed).
DOT_SUFFIXES = (".dot", ".gv")


@dataclass(frozen=True)
class GraphDrawing:
    """A drawing of a graph: its DOT text, and Graphviz images of it on demand.

    In Jupyter it displays itself: as an SVG image when ``dot`` is installed,
    otherwise as its DOT text with a line saying how to install Graphviz. Nothing
    is cached, so one drawing may be shown from several threads.

    Attributes
    ----------
    dot : str
        The Graphviz DOT text (see :func:`~tinygrad_nnd.viz.to_dot`).
    root_label : str
        The label of the tensor drawn.
    n_tensors, n_ops : int
        How many boxes (tensors) and ellipses (ops) the drawing has.
    has_gradients : bool
        Whether the boxes show gradients.
    """

    dot: str
    root_label: str
    n_tensors: int
    n_ops: int
    has_gradients: bool

    def svg(self) -> str:
        """The drawing as SVG text, made by Graphviz (a RuntimeError saying how to install it if missing)."""
        return dot_image(self.dot, "svg").decode("utf-8")

    def png(self) -> bytes:
        """The drawing as PNG bytes, made by Graphviz (a RuntimeError saying how to install it if missing)."""
        return dot_image(self.dot, "png")

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the drawing to ``path``: DOT text for ``.dot``/``.gv``, else an image drawn by Graphviz.

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced if it exists).
        format : str, optional
            ``dot``, or any format Graphviz writes (``svg``, ``png``, ``pdf``); by
            default from the suffix, ``svg`` when there is none.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        RuntimeError
            If an image is asked for and ``dot`` is not installed (saving as
            ``.dot`` always works).
        """
        path = Path(path)
        if format == "dot" or (format is None and path.suffix.lower() in DOT_SUFFIXES):
            path.write_text(self.dot + "\n", encoding="utf-8")
            return path
        return render(self.dot, path, format)

    def _repr_svg_(self) -> str | None:
        # Jupyter's rich display; None tells it to use another representation.
        return self.svg() if shutil.which("dot") else None

    def _repr_html_(self) -> str:
        if shutil.which("dot"):
            return self.svg()
        return (
            f"<p>{html.escape(_GRAPHVIZ_HELP[0].upper() + _GRAPHVIZ_HELP[1:])}. The DOT text:</p>"
            f"<pre>{html.escape(self.dot)}</pre>"
        )

    def __repr__(self) -> str:
        grads = "with gradients" if self.has_gradients else "no gradients"
        return f"GraphDrawing({self.root_label}: {self.n_tensors} tensors, {self.n_ops} ops, {grads})"


def draw_graph(
    root: Tensor,
    title: str | None = None,
    *,
    grads: bool | None = None,
    gradient: Any = None,
    precision: int = 4,
    max_elements: int = 20,
) -> GraphDrawing:
    """Draw the graph behind ``root``: each tensor's name, shape, value and gradient, each op.

    Parameters
    ----------
    root : Tensor
        The result whose graph to draw (often a scalar cost).
    title : str, optional
        A caption for the drawing.
    grads : bool, optional
        Whether to show gradients. By default they are shown once ``backward()``
        has run, that is when a leaf of the graph that requires a gradient has a
        ``.grad``.
    gradient : array_like, optional
        ``dL/d(root)`` to start the gradients from, as for ``root.backward``;
        ones by default.
    precision : int, optional
        Digits after the decimal point.
    max_elements : int, optional
        Arrays with more elements are summarized by their min, mean and max.

    Returns
    -------
    GraphDrawing
        Shows itself in Jupyter; ``.save("graph.svg")``, ``.save("graph.png")``,
        ``.save("graph.dot")``; ``.dot`` is the DOT text.

    Raises
    ------
    ValueError
        If ``gradient`` does not have ``root``'s shape.

    Examples
    --------
    >>> from tinygrad_nnd import Tensor
    >>> x = Tensor(3.0, requires_grad=True, name="x")
    >>> y = x.exp()
    >>> draw_graph(y)
    GraphDrawing(%1: 2 tensors, 1 ops, no gradients)
    >>> draw_graph(y, grads=True)
    GraphDrawing(%1: 2 tensors, 1 ops, with gradients)
    """
    nodes = graph_nodes(root)
    if grads is None:
        grads = any(t.op is None and t.requires_grad and t.grad is not None for t in nodes)
    grads = bool(grads) and root.requires_grad  # a graph with no gradient wanted has none to show
    found: dict[int, np.ndarray] | None = None
    if grads:
        seed = np.ones_like(root.data) if gradient is None else np.asarray(gradient, dtype=root.data.dtype)
        if seed.shape != root.shape:
            raise ValueError(f"draw_graph: gradient of shape {seed.shape} given for a tensor of shape {root.shape}")
        wanted = [t for t in nodes if t.requires_grad]
        found = {id(t): np.asarray(g) for t, g in backpropagate(root, seed, wanted=wanted).items()}
    dot = to_dot(root, title, values=True, grads=found, precision=precision, max_elements=max_elements)
    n_ops = sum(t.op is not None for t in nodes)
    return GraphDrawing(
        dot=dot,
        root_label=node_labels(nodes)[id(root)],
        n_tensors=len(nodes),
        n_ops=n_ops,
        has_gradients=found is not None,
    )
